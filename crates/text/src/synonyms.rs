//! Search synonyms (issue 13): a search for 欠薪 should find the petition
//! that says 拖欠工资, one for 噪音 the one that says 噪声. A query is
//! rewritten with each other member of every group it contains, as
//! alternatives the database ORs (`FullText::alternatives`); the ranking
//! and the highlighted snippet read every alternative's words.
//!
//! The groups are data (`data/search_synonyms.txt`), short on purpose:
//! only words that mean the same in a petition, so a search does not
//! drift into related matters.

use crate::segment::normalize;

const GROUPS: &str = include_str!("../data/search_synonyms.txt");

/// Most rewritten queries made from one query (the original included).
pub const MAX_VARIANTS: usize = 12;

/// The groups of interchangeable words, normalised, each longest first
/// (so 拖欠工资 is found before 欠工资 inside it).
fn groups() -> Vec<Vec<String>> {
    GROUPS
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default())
        .map(|l| {
            let mut g: Vec<String> = l.split_whitespace().map(normalize).filter(|w| !w.is_empty()).collect();
            g.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
            g
        })
        .filter(|g| g.len() > 1)
        .collect()
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
    fn a_query_without_a_group_word_is_itself_and_the_variants_are_bounded() {
        assert_eq!(variants("工伤认定"), vec!["工伤认定".to_string()]);
        let v = variants("欠薪 噪音 社保 医保 低保 公积金 违建");
        assert_eq!(v.len(), MAX_VARIANTS);
        assert_eq!(v[0], "欠薪 噪音 社保 医保 低保 公积金 违建");
    }
}
