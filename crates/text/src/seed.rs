//! A starting model for a deployment with no history of its own (issue 13,
//! item 3): naive Bayes over the project's labelled petitions, used only to
//! fill the places the rule table leaves empty in a top-3 list.
//!
//! Why: a new deployment has no confirmed routings, so its learnt model
//! does not exist yet, and the rule table answers fewer than three units
//! (often none) for about one petition in ten — a matter told in words no
//! rule has. The labelled sets the project evaluates itself with (written
//! from the brief in `data/eval/BLIND_SET_BRIEF.md`, 3,666 petitions)
//! say which unit such words point to. Trained on every set but one and
//! tried on the one left out, filling the rules' empty places with it took
//! the unit in the top 3 from 86.7–98.8 % to 95.0–100 % on each of the
//! twenty-two sets measured so, and the topic from 80.6–93.9 % to 90.6–96.9 %
//! (`cargo run --release -p xinfang-text --example evaluate`, its "Rules,
//! then seed" column). It never changes what the rules answered, or their
//! order: the first suggestion, the one a clerk sees first, is the rules'.
//!
//! The deployment's own model, once it has beaten the rules on held-back
//! cases, replaces both (`xinfang_web::triage_model`).

use std::collections::HashMap;

use serde::Deserialize;

use crate::departments::canonical;
use crate::rules::RuleField;
use crate::{Model, Prediction, Segmenter};

/// The labelled sets, by file name (a new set is evaluated once unseen,
/// then added here).
pub const SETS: &[(&str, &str)] = &[
    ("petitions.jsonl", include_str!("../data/eval/petitions.jsonl")),
    ("second_set.jsonl", include_str!("../data/eval/second_set.jsonl")),
    ("third_set.jsonl", include_str!("../data/eval/third_set.jsonl")),
    ("fourth_set.jsonl", include_str!("../data/eval/fourth_set.jsonl")),
    ("fifth_set.jsonl", include_str!("../data/eval/fifth_set.jsonl")),
    ("sixth_set.jsonl", include_str!("../data/eval/sixth_set.jsonl")),
    ("seventh_set.jsonl", include_str!("../data/eval/seventh_set.jsonl")),
    ("eighth_set.jsonl", include_str!("../data/eval/eighth_set.jsonl")),
    ("ninth_set.jsonl", include_str!("../data/eval/ninth_set.jsonl")),
    ("tenth_set.jsonl", include_str!("../data/eval/tenth_set.jsonl")),
    ("eleventh_set.jsonl", include_str!("../data/eval/eleventh_set.jsonl")),
    ("twelfth_set.jsonl", include_str!("../data/eval/twelfth_set.jsonl")),
    ("thirteenth_set.jsonl", include_str!("../data/eval/thirteenth_set.jsonl")),
    ("fourteenth_set.jsonl", include_str!("../data/eval/fourteenth_set.jsonl")),
    ("fifteenth_set.jsonl", include_str!("../data/eval/fifteenth_set.jsonl")),
    ("sixteenth_set.jsonl", include_str!("../data/eval/sixteenth_set.jsonl")),
    ("seventeenth_set.jsonl", include_str!("../data/eval/seventeenth_set.jsonl")),
    ("eighteenth_set.jsonl", include_str!("../data/eval/eighteenth_set.jsonl")),
    ("nineteenth_set.jsonl", include_str!("../data/eval/nineteenth_set.jsonl")),
    ("twentieth_set.jsonl", include_str!("../data/eval/twentieth_set.jsonl")),
    ("risk_set.jsonl", include_str!("../data/eval/risk_set.jsonl")),
    ("risk_set_2.jsonl", include_str!("../data/eval/risk_set_2.jsonl")),
    ("risk_set_3.jsonl", include_str!("../data/eval/risk_set_3.jsonl")),
];

/// Words seen in fewer labelled petitions than this are left out of the
/// seed: a word met once or twice says little about a unit. (2, 3 and 5
/// gave the same units on every set within a petition or two; the models
/// hold about 7 MB.)
const MIN_DOCS: u32 = 3;

#[derive(Deserialize)]
struct Labelled {
    title: String,
    content: String,
    topic: String,
    department: String,
}

/// The seed models: topic and unit kind (the legal class is not filled:
/// only its first answer counts, and that is the rules').
pub struct Seed {
    topic: Model,
    unit_kind: Model,
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seed").field("examples", &self.unit_kind.examples()).finish_non_exhaustive()
    }
}

impl Seed {
    /// Train on every set in [`SETS`] except the one named `except` (an
    /// evaluation leaves out the set it measures). Segments some 3,700
    /// texts: under a second in a release build
    /// (`cargo run --release -p xinfang-text --example seed_memory`); build
    /// it once.
    pub fn train(seg: &Segmenter, except: Option<&str>) -> Seed {
        // Each word is held once (interned) and each text as word ids, so
        // training holds a few MB beside the models, not a copy of every
        // word of every text.
        let mut vocabulary: Vec<String> = Vec::new();
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut in_docs: Vec<u32> = Vec::new();
        let mut texts: Vec<(String, String, Vec<u32>)> = Vec::new();
        for (name, body) in SETS.iter().filter(|(name, _)| Some(*name) != except) {
            for line in body.lines().filter(|l| !l.trim().is_empty()) {
                // The sets are parsed by the tests; a line that does not
                // parse here is skipped rather than taken as a label.
                let Ok(p) = serde_json::from_str::<Labelled>(line) else {
                    debug_assert!(false, "{name}: a labelled line does not parse");
                    continue;
                };
                let mut words: Vec<u32> = Vec::new();
                for t in seg.terms(&format!("{}。{}", p.title, p.content)) {
                    let id = match ids.get(&t) {
                        Some(&id) => id,
                        None => {
                            let id = vocabulary.len() as u32;
                            ids.insert(t.clone(), id);
                            vocabulary.push(t);
                            in_docs.push(0);
                            id
                        }
                    };
                    words.push(id);
                }
                let mut seen = words.clone();
                seen.sort_unstable();
                seen.dedup();
                for id in seen {
                    in_docs[id as usize] += 1;
                }
                texts.push((p.topic, canonical(&p.department).to_owned(), words));
            }
        }
        drop(ids);
        let kept = |words: &'_ [u32]| -> Vec<&str> {
            words.iter().filter(|&&id| in_docs[id as usize] >= MIN_DOCS).map(|&id| vocabulary[id as usize].as_str()).collect()
        };
        let topic = Model::train_from(texts.iter().map(|(topic, _, words)| (topic.as_str(), kept(words))));
        let unit_kind = Model::train_from(texts.iter().map(|(_, unit, words)| (unit.as_str(), kept(words))));
        Seed { topic, unit_kind }
    }

    /// The seed's top `k` for a field it fills (topic, unit kind).
    pub fn predict(&self, field: RuleField, terms: &[String], k: usize) -> Vec<Prediction> {
        match field {
            RuleField::Topic => self.topic.predict(terms, k),
            RuleField::UnitKind => self.unit_kind.predict(terms, k),
            RuleField::Category => Vec::new(),
        }
    }
}

/// `ranked` (the rules' answers, best first) with the seed's answers added
/// after them, up to `k` in all, skipping what is already there (for units,
/// under any of the body's names). The rules' answers keep their places.
/// Each added answer's confidence is its share of `left`, the confidence
/// the rules' answers leave (1 less theirs): naive Bayes is sure of itself
/// beyond reason, and a filled place should not look surer than the rules.
pub fn fill<T>(
    ranked: &mut Vec<T>,
    k: usize,
    value: impl Fn(&T) -> &str,
    seed: Vec<Prediction>,
    left: f64,
    make: impl Fn(Prediction) -> T,
) {
    for mut p in seed {
        if ranked.len() >= k {
            break;
        }
        if !ranked.iter().any(|r| canonical(value(r)) == canonical(&p.label)) {
            p.confidence *= left.clamp(0.0, 1.0);
            ranked.push(make(p));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_labelled_set_parses_and_the_seed_fills_only_empty_places() {
        for (name, body) in SETS {
            for (n, line) in body.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                assert!(serde_json::from_str::<Labelled>(line).is_ok(), "{name}:{}", n + 1);
            }
        }
        let seg = Segmenter::new();
        let seed = Seed::train(&seg, None);
        let terms = seg.terms("小区电梯坏了三个月，物业一直不修，老人上下楼很困难");
        let guess = seed.predict(RuleField::UnitKind, &terms, 3);
        assert_eq!(guess.len(), 3);
        assert!(guess.iter().all(|p| !p.words.is_empty() || p.confidence < 0.5), "{guess:?}");
        // The rules' two answers stay first, in their order; the seed adds
        // one, not a name of a body already there.
        let mut ranked = vec!["城管局".to_owned(), "住房和城乡建设局".to_owned()];
        fill(&mut ranked, 3, String::as_str, guess.clone(), 0.25, |p| p.label);
        assert_eq!(ranked.len(), 3);
        assert_eq!(&ranked[..2], ["城管局", "住房和城乡建设局"]);
        assert!(!["城市管理局", "住房和城乡建设局"].contains(&ranked[2].as_str()), "{ranked:?}");
        // What is filled is at most the share the rules left.
        let mut scored = vec![("住房和城乡建设局".to_owned(), 0.75)];
        fill(&mut scored, 3, |s| s.0.as_str(), guess, 0.25, |p| (p.label, p.confidence));
        assert!(scored.len() == 3 && scored[1..].iter().map(|s| s.1).sum::<f64>() <= 0.25 + 1e-9, "{scored:?}");
        // A full list is left as it is; the class is never filled.
        let mut full = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        fill(&mut full, 3, String::as_str, seed.predict(RuleField::UnitKind, &terms, 3), 1.0, |p| p.label);
        assert_eq!(full, ["a", "b", "c"]);
        assert!(seed.predict(RuleField::Category, &terms, 3).is_empty());
    }
}
