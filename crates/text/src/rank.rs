//! Ranking search results (issue 13): the database finds the petitions
//! whose words match; the few it returns are ordered here, the same way on
//! both engines and explainably.
//!
//! A petition scores, for each query word, its rarity among the results
//! (`ln(1 + n / df)`) times a saturating count of the word in the title
//! (weighted three times: a title names the matter) and in the body; the
//! whole query found verbatim adds a bonus (a phrase beats the same words
//! scattered). Saturation (`tf / (tf + 1)`) keeps a text that repeats a
//! word twenty times from outranking one that is about it.

use crate::segment::normalize;

/// Weight of a word in the title against one in the body.
pub const TITLE_WEIGHT: f64 = 3.0;
/// Bonus for the whole query found verbatim in the title / in the body.
pub const PHRASE_IN_TITLE: f64 = 2.0;
pub const PHRASE_IN_BODY: f64 = 1.0;

/// How often `needle` occurs in `hay` (both normalised), without overlaps.
fn occurrences(hay: &str, needle: &str) -> usize {
    if needle.is_empty() { 0 } else { hay.matches(needle).count() }
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
/// typed as `query`, in the order of `docs`.
pub fn scores(query: &str, terms: &[String], docs: &[Doc<'_>]) -> Vec<f64> {
    let norm: Vec<(String, String)> = docs.iter().map(|d| (normalize(d.title), normalize(d.body))).collect();
    let terms: Vec<String> = terms.iter().map(|t| normalize(t)).filter(|t| !t.is_empty()).collect();
    let n = docs.len().max(1) as f64;
    let idf: Vec<f64> = terms
        .iter()
        .map(|t| {
            let df = norm.iter().filter(|(title, body)| title.contains(t.as_str()) || body.contains(t.as_str())).count();
            (1.0 + n / (df.max(1) as f64)).ln()
        })
        .collect();
    let phrase: String = normalize(query).chars().filter(|c| !c.is_whitespace()).collect();
    let phrase = if phrase.chars().count() >= 2 && terms.len() > 1 { Some(phrase) } else { None };
    norm.iter()
        .map(|(title, body)| {
            let mut s: f64 = terms
                .iter()
                .zip(&idf)
                .map(|(t, w)| w * (TITLE_WEIGHT * saturate(occurrences(title, t)) + saturate(occurrences(body, t))))
                .sum();
            if let Some(p) = &phrase {
                if title.contains(p.as_str()) {
                    s += PHRASE_IN_TITLE;
                } else if body.contains(p.as_str()) {
                    s += PHRASE_IN_BODY;
                }
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
}
