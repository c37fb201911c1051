//! Search synonyms (issue 13): a search for 欠薪 should find the petition
//! that says 拖欠工资, one for 噪音 the one that says 噪声.
//!
//! The index reads a group as one word: a petition whose words hold a
//! member of a group is also indexed under the group's token
//! ([`group_token`], `sy` and the group's first word), and a query word
//! that is a member looks for that token alone. So a search for 拖欠工资
//! reads one list of postings, not one per way of saying it (eight
//! postings lists cost a county department 15–20 ms at 1,000,000
//! petitions; docs/performance.md). The ranking and the highlighted
//! snippet read the query rewritten with each other member
//! ([`variants`]), so the words the petition does say are marked.
//!
//! The groups are data (`data/search_synonyms.txt`), short on purpose:
//! only words that mean the same in a petition, so a search does not
//! drift into related matters.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::segment::normalize;

const GROUPS: &str = include_str!("../data/search_synonyms.txt");

/// Most rewritten queries made from one query (the original included).
pub const MAX_VARIANTS: usize = 12;

/// What the index tokens of groups start with. A query word never does:
/// the segmenter cuts Latin letters apart from Chinese characters, and
/// every group's first word is Chinese.
pub const GROUP_TOKEN_PREFIX: &str = "sy";

/// The groups of interchangeable words as written (the first word names
/// the group), normalised.
fn written_groups() -> impl Iterator<Item = Vec<String>> {
    GROUPS
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .map(|l| l.split_whitespace().map(normalize).filter(|w| !w.is_empty()).collect::<Vec<_>>())
        .filter(|g| g.len() > 1)
}

/// The groups, each longest first (so 拖欠工资 is found before 欠工资
/// inside it).
fn groups() -> Vec<Vec<String>> {
    written_groups()
        .map(|mut g| {
            g.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
            g
        })
        .collect()
}

/// Each member word → its group's index token ([`members`], looked up).
fn tokens() -> &'static HashMap<&'static str, &'static str> {
    static TOKENS: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    TOKENS.get_or_init(|| members().collect())
}

/// The index token of the group `word` (normalised, one word as the
/// segmenter cut it) belongs to, if any: 拖欠工资 → `sy欠薪`.
pub fn group_token(word: &str) -> Option<&'static str> {
    tokens().get(word).copied()
}

/// The words that say what `word` (normalised) says: the members of its
/// group, itself among them; or `word` alone.
pub fn said_alike(word: &str) -> Vec<&str> {
    match group_token(word) {
        Some(token) => members().filter(|(_, t)| *t == token).map(|(w, _)| w).collect(),
        None => vec![word],
    }
}

/// Every member of every group with its group's token, in the order of
/// the file (the segmenter learns them in this order, so every process
/// cuts text alike): words the segmenter keeps whole, so that a petition
/// saying 欠工资 holds the word and is indexed under its group.
pub fn members() -> impl Iterator<Item = (&'static str, &'static str)> {
    static MEMBERS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    MEMBERS
        .get_or_init(|| {
            written_groups()
                .flat_map(|g| {
                    let token = format!("{GROUP_TOKEN_PREFIX}{}", g[0]);
                    g.into_iter().map(move |w| (w, token.clone()))
                })
                .collect()
        })
        .iter()
        .map(|(w, t)| (w.as_str(), t.as_str()))
}

/// The query as typed, then the same query with a word of a group
/// replaced by each other word of that group, group after group, at most
/// [`MAX_VARIANTS`] in all. Matching is on the normalised text, so width
/// and case do not matter.
pub fn variants(query: &str) -> Vec<String> {
    let mut out = vec![normalize(query)];
    for group in groups() {
        let mut added = Vec::new();
        for q in &out {
            // The longest member the query holds; one member per group.
            let Some(found) = group.iter().find(|w| q.contains(w.as_str())) else { continue };
            for other in group.iter().filter(|w| *w != found) {
                let v = q.replacen(found.as_str(), other, 1);
                if !out.contains(&v) && !added.contains(&v) {
                    added.push(v);
                }
            }
        }
        for v in added {
            if out.len() >= MAX_VARIANTS {
                return out;
            }
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_group_parses_and_no_word_is_in_two_groups() {
        let gs = groups();
        assert!(gs.len() >= 10);
        let mut seen = std::collections::HashSet::new();
        for w in gs.iter().flatten() {
            assert!(seen.insert(w.clone()), "{w} is in two groups");
        }
    }

    #[test]
    fn a_word_of_a_group_brings_the_others_and_keeps_the_rest_of_the_query() {
        let v = variants("欠薪 福田");
        assert_eq!(v[0], "欠薪 福田");
        assert!(v.contains(&"拖欠工资 福田".to_string()), "{v:?}");
        assert!(v.contains(&"欠工资 福田".to_string()), "{v:?}");
        // The longest member is replaced whole, not the shorter one inside it.
        let v = variants("拖欠工资");
        assert!(v.contains(&"欠薪".to_string()) && !v.iter().any(|x| x.contains("拖欠薪")), "{v:?}");
        assert_eq!(variants("噪音扰民"), vec!["噪音扰民".to_string(), "噪声扰民".to_string()]);
    }

    #[test]
    fn every_member_names_its_group_by_the_first_word() {
        assert_eq!(group_token("拖欠工资"), Some("sy欠薪"));
        assert_eq!(group_token("欠薪"), Some("sy欠薪"));
        assert_eq!(group_token("噪声"), Some("sy噪音"));
        assert_eq!(group_token("工资"), None);
        assert!(members().all(|(w, t)| group_token(w) == Some(t)));
        assert!(members().count() >= 40);
        assert_eq!(members().next(), Some(("欠薪", "sy欠薪")), "the file's order");
        assert_eq!(said_alike("噪声"), vec!["噪音", "噪声"]);
        assert_eq!(said_alike("工资"), vec!["工资"]);
    }

    #[test]
    fn a_query_without_a_group_word_is_itself_and_the_variants_are_bounded() {
        assert_eq!(variants("工伤认定"), vec!["工伤认定".to_string()]);
        let v = variants("欠薪 噪音 社保 医保 低保 公积金 违建");
        assert_eq!(v.len(), MAX_VARIANTS);
        assert_eq!(v[0], "欠薪 噪音 社保 医保 低保 公积金 违建");
    }
}
