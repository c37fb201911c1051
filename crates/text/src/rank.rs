//! Ranking search results (issue 13): the database finds the petitions
//! whose words match; the few it returns are ordered here, the same way on
//! both engines and explainably.
//!
//! A petition scores, for each query word, its rarity among the results
//! (`ln(1 + n / df)`) times a saturating count of the word in the title
//! (weighted three times: a title names the matter) and in the body; the
//! whole query found verbatim adds a bonus (a phrase beats the same words
//! scattered). Saturation (`tf / (tf + 1)`) keeps a text that repeats a
//! word twenty times from outranking one that is about it. A word counts
//! wherever the text says it any of its ways (`synonyms`), as one word,
//! and a little more where it says it the way it was typed (`AS_TYPED`).

use crate::segment::normalize;
use crate::synonyms;

/// Weight of a word in the title against one in the body.
pub const TITLE_WEIGHT: f64 = 3.0;
/// Bonus for the whole query found verbatim in the title / in the body.
pub const PHRASE_IN_TITLE: f64 = 2.0;
pub const PHRASE_IN_BODY: f64 = 1.0;
/// A word said the way it was typed counts this much more than the same
/// word said another way (噪音 typed: a petition that says 噪音 before one
/// that says only 噪声), never enough for a body to beat a title.
pub const AS_TYPED: f64 = 0.25;

/// How often any of `forms` (normalised, none empty) occurs in `hay`
/// (normalised), without overlaps: where two forms overlap (拖欠工资 and
/// 欠工资 inside it) the one that starts first, then the longer, counts.
fn occurrences(hay: &str, forms: &[String]) -> usize {
    match forms {
        [] => 0,
        [one] => hay.matches(one.as_str()).count(),
        _ => {
            let mut hits: Vec<(usize, usize)> =
                forms.iter().flat_map(|f| hay.match_indices(f.as_str()).map(|(i, m)| (i, i + m.len()))).collect();
            hits.sort_unstable_by_key(|&(start, end)| (start, std::cmp::Reverse(end)));
            let (mut n, mut end) = (0, 0);
            for (s, e) in hits {
                if s >= end {
                    n += 1;
                    end = e;
                }
            }
            n
        }
    }
}

fn saturate(tf: usize) -> f64 {
    let tf = tf as f64;
    tf / (tf + 1.0)
}

/// One result to rank: its title and body (content, request, facts).
#[derive(Debug, Clone, Copy)]
pub struct Doc<'a> {
    pub title: &'a str,
    pub body: &'a str,
}

/// Scores of `docs` for a query of `terms` (from `Segmenter::query_terms`)
/// typed as `query`, in the order of `docs`. A term counts wherever the
/// text says it any of its ways (`synonyms::variants`: 欠薪 where the text
/// says 拖欠工资), as one term, so a petition found through a synonym
/// ranks nearly as if the word it says had been typed (said as typed
/// counts `AS_TYPED` more, to order the two); the phrase bonus takes
/// the query said any of its ways. Each text is normalised and read once
/// per form of a term, however many ways the query can be said.
pub fn scores(query: &str, terms: &[String], docs: &[Doc<'_>]) -> Vec<f64> {
    let norm: Vec<(String, String)> = docs.iter().map(|d| (normalize(d.title), normalize(d.body))).collect();
    let typed: Vec<String> = terms.iter().map(|t| normalize(t)).filter(|t| !t.is_empty()).collect();
    let forms: Vec<Vec<String>> = typed.iter().map(|t| synonyms::variants(t).into_iter().filter(|f| !f.is_empty()).collect()).collect();
    // Occurrences of each term in each title and body, any of its ways.
    let tf: Vec<Vec<(usize, usize)>> =
        norm.iter().map(|(title, body)| forms.iter().map(|f| (occurrences(title, f), occurrences(body, f))).collect()).collect();
    // … and as typed.
    let literal: Vec<Vec<(usize, usize)>> = norm
        .iter()
        .map(|(title, body)| typed.iter().map(|t| (title.matches(t.as_str()).count(), body.matches(t.as_str()).count())).collect())
        .collect();
    let n = docs.len().max(1) as f64;
    let idf: Vec<f64> = (0..forms.len())
        .map(|i| {
            let df = tf.iter().filter(|d| d[i].0 + d[i].1 > 0).count();
            (1.0 + n / (df.max(1) as f64)).ln()
        })
        .collect();
    let phrases: Vec<String> = if forms.len() > 1 {
        synonyms::variants(query)
            .into_iter()
            .map(|v| v.chars().filter(|c| !c.is_whitespace()).collect::<String>())
            .filter(|p| p.chars().count() >= 2)
            .collect()
    } else {
        Vec::new()
    };
    norm.iter()
        .zip(tf.iter().zip(&literal))
        .map(|((title, body), (tf, literal))| {
            let weigh = |(t, b): &(usize, usize), w: &f64| w * (TITLE_WEIGHT * saturate(*t) + saturate(*b));
            let mut s: f64 = tf.iter().zip(&idf).map(|(c, w)| weigh(c, w)).sum();
            s += AS_TYPED * literal.iter().zip(&idf).map(|(c, w)| weigh(c, w)).sum::<f64>();
            if phrases.iter().any(|p| title.contains(p.as_str())) {
                s += PHRASE_IN_TITLE;
            } else if phrases.iter().any(|p| body.contains(p.as_str())) {
                s += PHRASE_IN_BODY;
            }
            s
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_word_in_the_title_outranks_the_same_word_in_the_body() {
        let docs = [Doc { title: "小区道路破损", body: "另外公司欠薪两个月" }, Doc { title: "反映公司欠薪", body: "工人工资至今未付" }];
        let s = scores("欠薪", &t(&["欠薪"]), &docs);
        assert!(s[1] > s[0], "{s:?}");
    }

    #[test]
    fn a_word_said_as_typed_ranks_before_its_synonym_but_not_a_body_before_a_title() {
        let docs = [
            Doc { title: "小区夜间噪声扰民", body: "楼下餐馆噪声很大" },
            Doc { title: "小区夜间噪音扰民", body: "楼下餐馆噪音很大" },
            Doc { title: "小区夜间扰民", body: "楼下餐馆噪音很大" },
        ];
        let s = scores("噪音", &t(&["噪音"]), &docs);
        assert!(s[1] > s[0], "as typed first: {s:?}");
        assert!(s[0] > s[2], "a synonym in the title still beats the word in the body: {s:?}");
    }

    #[test]
    fn repeating_a_word_does_not_buy_the_top() {
        let spam = "欠薪".repeat(30);
        let docs = [Doc { title: "其他事项", body: &spam }, Doc { title: "工地欠薪", body: "欠薪三个月" }];
        let s = scores("欠薪", &t(&["欠薪"]), &docs);
        assert!(s[1] > s[0], "{s:?}");
    }

    #[test]
    fn the_phrase_beats_scattered_words_and_rare_words_weigh_more() {
        let docs = [
            Doc { title: "噪音", body: "夜间施工 扰民 工地 噪音" },
            Doc { title: "夜间施工噪音扰民", body: "" },
            Doc { title: "噪音", body: "" },
        ];
        let s = scores("夜间施工噪音", &t(&["夜间", "施工", "噪音"]), &docs);
        assert!(s[1] > s[0] && s[0] > s[2], "{s:?}");
        // Full-width and case do not matter.
        let s2 = scores("ＡＢＣ", &t(&["abc"]), &[Doc { title: "abc 小区", body: "" }]);
        assert!(s2[0] > 0.0);
    }

    #[test]
    fn a_word_said_another_way_counts_as_the_word_once() {
        let docs = [
            Doc { title: "公司拖欠工资", body: "拖欠工资三个月" },
            Doc { title: "公司欠薪", body: "欠薪三个月" },
            Doc { title: "小区停车", body: "拖欠工资" },
        ];
        let s = scores("欠薪", &t(&["欠薪"]), &docs);
        // The same words said the other way score nearly the same (as
        // typed a little more, `AS_TYPED`); in the title beats only in the body.
        assert!(s[1] > s[0] && s[1] - s[0] <= AS_TYPED * s[0] + 1e-9 && s[0] > s[2], "{s:?}");
        // 拖欠工资 holds 欠工资: one occurrence, not two.
        assert_eq!(occurrences("拖欠工资", &synonyms::variants("欠薪")), 1);
        assert_eq!(occurrences("欠工资和拖欠工资", &synonyms::variants("欠薪")), 2);
        // The phrase said another way earns the phrase bonus.
        let docs = [Doc { title: "工地噪声扰民", body: "" }, Doc { title: "工地 扰民 噪声", body: "" }];
        let s = scores("工地噪音扰民", &t(&["工地", "噪音", "扰民"]), &docs);
        assert!(s[0] > s[1], "{s:?}");
    }
}
