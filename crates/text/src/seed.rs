//! A starting model for a deployment with no history of its own (issue 13,
//! item 3): naive Bayes over the project's labelled petitions, used to fill
//! the places the rule table leaves empty in a top-3 list, and weighed
//! with the rules for the legal class.
//!
//! Why: a new deployment has no confirmed routings, so its learnt model
//! does not exist yet, and the rule table answers fewer than three units
//! (often none) for about one petition in ten — a matter told in words no
//! rule has. The labelled sets the project evaluates itself with (written
//! from the brief in `data/eval/BLIND_SET_BRIEF.md`, 4,696 petitions)
//! say which unit such words point to. Trained on every set but one and
//! tried on the one left out, filling the rules' empty places with it took
//! the unit in the top 3 from 86.7–98.8 % to 95.0–100 % on each of the
//! twenty-two sets measured so, and the topic from 80.6–93.9 % to 90.6–96.9 %
//! (`cargo run --release -p xinfang-text --example evaluate`, its "Rules,
//! then seed" column). For topic and unit it never changes what the rules
//! answered, or their order.
//!
//! The legal class is different: the rules always answer one (the claim
//! when no cue is met), and it is their first answer that is wrong when
//! it is wrong — mostly a suggestion or an accusation told without its
//! usual words. There the seed's tempered probability is weighed with the
//! rules' confidence ([`blend`]). On the eighteenth to twentieth blind
//! sets, with the rules as they stood before each was read and the seed
//! trained without it, the class went from 85.0, 86.5 and 82.9 % to 94.4,
//! 92.4 and 92.4 %; on the twenty-first, run once unseen (with the blend
//! as it stood then), from 89.4 % to 93.5 % (docs/intelligence.md, "A twenty-first blind set, and the seed
//! weighs in on the class").
//!
//! The deployment's own model, once it has beaten the rules (for the
//! class: the rules and the seed together) on held-back cases, replaces
//! both (`xinfang_web::triage_model`).

use std::collections::HashMap;

use serde::Deserialize;

use crate::departments::canonical;
use crate::rules::{FieldSuggestion, RuleField};
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
    ("twenty_first_set.jsonl", include_str!("../data/eval/twenty_first_set.jsonl")),
    ("twenty_second_set.jsonl", include_str!("../data/eval/twenty_second_set.jsonl")),
    ("twenty_third_set.jsonl", include_str!("../data/eval/twenty_third_set.jsonl")),
    ("twenty_fourth_set.jsonl", include_str!("../data/eval/twenty_fourth_set.jsonl")),
    ("risk_set.jsonl", include_str!("../data/eval/risk_set.jsonl")),
    ("risk_set_2.jsonl", include_str!("../data/eval/risk_set_2.jsonl")),
    ("risk_set_3.jsonl", include_str!("../data/eval/risk_set_3.jsonl")),
    ("risk_set_4.jsonl", include_str!("../data/eval/risk_set_4.jsonl")),
    ("risk_set_5.jsonl", include_str!("../data/eval/risk_set_5.jsonl")),
    ("lookalike_set.jsonl", include_str!("../data/eval/lookalike_set.jsonl")),
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
    category: String,
    #[serde(default)]
    litigation_related: bool,
    topic: String,
    department: String,
}

impl Labelled {
    /// The legal class as the rules answer it: litigation-related
    /// petitions leave the three ordinary classes (Art. 28).
    fn class(&self) -> &str {
        if self.litigation_related { "litigation_related" } else { &self.category }
    }
}

/// The seed models: legal class, topic and unit kind.
pub struct Seed {
    class: Model,
    topic: Model,
    unit_kind: Model,
    /// Words in a long labelled text (nine in ten have fewer): the class
    /// tempering was chosen on texts up to about this long.
    long_text: usize,
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
        let mut texts: Vec<(String, String, String, Vec<u32>)> = Vec::new();
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
                texts.push((p.class().to_owned(), p.topic, canonical(&p.department).to_owned(), words));
            }
        }
        drop(ids);
        let kept = |words: &'_ [u32]| -> Vec<&str> {
            words.iter().filter(|&&id| in_docs[id as usize] >= MIN_DOCS).map(|&id| vocabulary[id as usize].as_str()).collect()
        };
        let class = Model::train_from(texts.iter().map(|(class, _, _, words)| (class.as_str(), kept(words))));
        let topic = Model::train_from(texts.iter().map(|(_, topic, _, words)| (topic.as_str(), kept(words))));
        let unit_kind = Model::train_from(texts.iter().map(|(_, _, unit, words)| (unit.as_str(), kept(words))));
        let mut lengths: Vec<usize> = texts.iter().map(|(_, _, _, words)| words.len()).collect();
        lengths.sort_unstable();
        let long_text = lengths.get(lengths.len() * 9 / 10).copied().unwrap_or(0).max(1);
        Seed { class, topic, unit_kind, long_text }
    }

    /// The legal classes as the triage API gives them while the deployment
    /// has no learnt class model of its own: the rules' answers weighed
    /// with the seed's ([`blend`]), the first `k`. A text longer than the
    /// labelled ones is tempered more, in proportion: naive Bayes grows
    /// surer with every word, and a long letter must not let it overrule
    /// every rule.
    pub fn classes(&self, rules: &[FieldSuggestion], terms: &[String], k: usize) -> Vec<Blended> {
        let scored: Vec<(&str, f64)> = rules.iter().map(|s| (s.value.as_str(), s.confidence)).collect();
        let temper = CLASS_SEED_TEMPER * (terms.len() as f64 / self.long_text as f64).max(1.0);
        blend(&scored, self.class.predict(terms, CLASSES), temper, k)
    }

    /// The seed's top `k` for a field.
    pub fn predict(&self, field: RuleField, terms: &[String], k: usize) -> Vec<Prediction> {
        match field {
            RuleField::Category => self.class.predict(terms, k),
            RuleField::Topic => self.topic.predict(terms, k),
            RuleField::UnitKind => self.unit_kind.predict(terms, k),
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

/// `ranked` cut to `k`, keeping a place for `must` when it is not there
/// (under any of a body's names): it takes the last place.
pub fn keep_last<T>(ranked: &mut Vec<T>, k: usize, value: &impl Fn(&T) -> &str, must: Option<T>) {
    ranked.truncate(k);
    let Some(must) = must else { return };
    if k == 0 || ranked.iter().any(|r| canonical(value(r)) == canonical(value(&must))) {
        return;
    }
    ranked.truncate(k - 1);
    ranked.push(must);
}

/// A topic's or unit's answers while the deployment's learnt model is in
/// force for that field, from the rule table's answers (`rules`, those
/// whose keywords fired, best first) and the model's (`model`, best
/// first), the first `k`; and whether the model's answer leads.
///
/// * The rules are silent: the model answers alone.
/// * The model's first answer is one the rules gave too: the model leads
///   (it orders what the rules found), and the rules' first keeps a place.
/// * Otherwise the rules lead, filled with the model's answers, and the
///   model's first keeps a place. A model may learn a history narrower
///   than the petitions it is asked about (a new deployment's first
///   months, the demo's generated letters): it must not overrule a keyword
///   a person wrote into the table (噪声 → 噪声污染, 受贿 → 纪委监委) with a
///   matter it was never shown, nor hide it.
///
/// The training run measures the model by this same function on held-back
/// cases before it comes into force (`web::triage_model`).
pub fn under_model<T: Clone>(rules: Vec<T>, model: Vec<T>, k: usize, value: impl Fn(&T) -> &str) -> (Vec<T>, bool) {
    let same = |a: &T, b: &T| canonical(value(a)) == canonical(value(b));
    // One place: whoever leads has it alone.
    let keep = |list: &mut Vec<T>, must: T| if k >= 2 { keep_last(list, k, &value, Some(must)) } else { list.truncate(k) };
    match (rules.first(), model.first()) {
        (None, _) => (model.into_iter().take(k).collect(), true),
        (Some(_), None) => (rules.into_iter().take(k).collect(), false),
        (Some(r), Some(m)) if rules.iter().any(|x| same(x, m)) => {
            let r = r.clone();
            let mut list = model;
            keep(&mut list, r);
            (list, true)
        }
        (Some(_), Some(m)) => {
            let m = m.clone();
            let mut list = rules;
            for x in &model {
                if list.len() >= k {
                    break;
                }
                if !list.iter().any(|y| same(x, y)) {
                    list.push(x.clone());
                }
            }
            keep(&mut list, m);
            (list, false)
        }
    }
}

/// The rules' share of a legal class's blended confidence; the seed's
/// tempered probability has the rest.
pub const CLASS_RULES_SHARE: f64 = 0.5;

/// The root taken of the seed's class probabilities before they are
/// weighed. Chosen with [`CLASS_RULES_SHARE`] on the twenty older sets,
/// each left out of the seed in turn (`examples/evaluate.rs`): untempered,
/// the seed overruled sure rules and one set lost 7.7 points; with the 8th
/// root and an even share no set lost and the others gained up to 11.2
/// points, 94.4 % pooled against the rules' 88.9 %. The 4th and 16th
/// roots, and shares of 0.4 and 0.6, each did worse on the pool or lost a
/// set. [`Seed::classes`] raises the root for texts longer than those.
pub const CLASS_SEED_TEMPER: f64 = 8.0;

/// One legal class after [`blend`]: its blended confidence, and what each
/// side gave it (the rules' confidence, the seed's probability and words).
#[derive(Debug, Clone, PartialEq)]
pub struct Blended {
    pub value: String,
    pub confidence: f64,
    pub rules: f64,
    pub seed: f64,
    pub seed_words: Vec<String>,
}

/// The legal classes the seed weighs: three ordinary and 涉法涉诉.
pub const CLASSES: usize = 4;

/// The legal classes of `rules` (value, confidence) and of the seed (its
/// whole distribution over the classes: each probability's `temper`-th
/// root, summed to 1 again), each class's confidence the rules' times
/// [`CLASS_RULES_SHARE`] plus the seed's tempered probability times the
/// rest, best first (ties: the rules' order, then the seed's), the first
/// `k`.
pub fn blend(rules: &[(&str, f64)], seed: Vec<Prediction>, temper: f64, k: usize) -> Vec<Blended> {
    let mut out: Vec<Blended> = rules
        .iter()
        .map(|(value, confidence)| Blended {
            value: (*value).to_owned(),
            confidence: 0.0,
            rules: *confidence,
            seed: 0.0,
            seed_words: Vec::new(),
        })
        .collect();
    // Naive Bayes multiplies one likelihood per word, so its probabilities
    // sit near 0 and 1; their root, summed to 1 again, says how sure it is
    // in a way that can be weighed against the rules'.
    let temper = temper.max(1.0);
    let tempered: Vec<f64> = seed.iter().map(|p| p.confidence.max(0.0).powf(1.0 / temper)).collect();
    let total: f64 = tempered.iter().sum();
    for (mut p, t) in seed.into_iter().zip(tempered) {
        p.confidence = if total > 0.0 { t / total } else { 0.0 };
        match out.iter_mut().find(|b| b.value == p.label) {
            Some(b) => {
                b.seed = p.confidence;
                b.seed_words = p.words;
            }
            None => out.push(Blended { value: p.label, confidence: 0.0, rules: 0.0, seed: p.confidence, seed_words: p.words }),
        }
    }
    for b in &mut out {
        b.confidence = CLASS_RULES_SHARE * b.rules + (1.0 - CLASS_RULES_SHARE) * b.seed;
    }
    // A stable sort: equal confidences keep the rules' order.
    out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
    out.truncate(k);
    out
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
        // A full list is left as it is.
        let mut full = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        fill(&mut full, 3, String::as_str, seed.predict(RuleField::UnitKind, &terms, 3), 1.0, |p| p.label);
        assert_eq!(full, ["a", "b", "c"]);
    }

    #[test]
    fn the_class_is_the_rules_and_the_seed_weighed_evenly() {
        let seg = Segmenter::new();
        let seed = Seed::train(&seg, None);
        // A suggestion told without 建议: the rules' default claim is
        // outweighed when the seed is sure of a suggestion.
        let terms = seg.terms("希望在小区门口增设一个公交站点，方便老人出行，能不能考虑一下");
        let classes = seed.predict(RuleField::Category, &terms, 4);
        assert_eq!(classes.first().map(|p| p.label.as_str()), Some("suggestion"), "{classes:?}");
        let sure = |label: &str, p: f64| Prediction { label: label.into(), confidence: p, words: vec!["希望".into()] };
        let b =
            blend(&[("claim", 0.4), ("accusation", 0.1)], vec![sure("suggestion", 1.0 - 1e-6), sure("claim", 1e-6)], CLASS_SEED_TEMPER, 3);
        let values: Vec<&str> = b.iter().map(|b| b.value.as_str()).collect();
        assert_eq!(values, ["suggestion", "claim", "accusation"]);
        // The seed's side is tempered (8th roots summed to 1), then halved.
        let (s, c) = ((1.0f64 - 1e-6).powf(0.125), 1e-6f64.powf(0.125));
        assert!((b[0].seed - s / (s + c)).abs() < 1e-9 && (b[0].confidence - 0.5 * s / (s + c)).abs() < 1e-9, "{b:?}");
        assert!((b[1].confidence - (0.2 + 0.5 * c / (s + c))).abs() < 1e-9, "{b:?}");
        assert_eq!((b[0].rules, b[0].seed_words.clone()), (0.0, vec!["希望".to_owned()]));
        // A seed sure by naive Bayes' standards only (0.9 against 0.1) does
        // not overrule a rule's claim.
        let b = blend(&[("claim", 0.4), ("accusation", 0.1)], vec![sure("suggestion", 0.9), sure("claim", 0.1)], CLASS_SEED_TEMPER, 3);
        assert_eq!(b[0].value, "claim", "{b:?}");
        // Sure rules stay first against an unsure seed; equal confidences
        // keep the rules' order; `k` cuts the list.
        let b = blend(&[("accusation", 0.9), ("claim", 0.05)], vec![sure("claim", 0.6), sure("accusation", 0.4)], CLASS_SEED_TEMPER, 1);
        assert_eq!(b.iter().map(|b| b.value.as_str()).collect::<Vec<_>>(), ["accusation"]);
        let b = blend(&[("claim", 0.5), ("accusation", 0.5)], Vec::new(), CLASS_SEED_TEMPER, 2);
        assert_eq!(b.iter().map(|b| b.value.as_str()).collect::<Vec<_>>(), ["claim", "accusation"]);
    }

    #[test]
    fn a_long_letter_does_not_let_the_seed_overrule_a_sure_rule() {
        let seg = Segmenter::new();
        let seed = Seed::train(&seg, None);
        let rules = crate::RuleTable::starter();
        // A court's judgment not carried out (Art. 28: litigation-related),
        // then pages about the estate, which the seed reads as a claim.
        let text = format!(
            "法院判决后对方一直不履行，我申请了强制执行。{}",
            "小区物业不作为，电梯坏了没人修，楼道漏水，垃圾没人清理。".repeat(40)
        );
        let terms = seg.terms(&text);
        let ruled = rules.suggest_field(RuleField::Category, text.as_str(), 3);
        assert_eq!(ruled[0].value, "litigation_related", "{ruled:?}");
        let first = |b: Vec<Blended>| b.first().map(|b| b.value.clone()).unwrap_or_default();
        assert_eq!(first(seed.classes(&ruled, &terms, 3)), "litigation_related");
        // Tempered as for a short text, the seed would have overruled it.
        let scored: Vec<(&str, f64)> = ruled.iter().map(|s| (s.value.as_str(), s.confidence)).collect();
        assert_ne!(first(blend(&scored, seed.predict(RuleField::Category, &terms, CLASSES), CLASS_SEED_TEMPER, 3)), "litigation_related");
    }

    #[test]
    fn under_a_model_a_firing_rule_is_never_overruled_by_a_matter_the_rules_did_not_name() {
        fn v<'x>(s: &'x &str) -> &'x str {
            s
        }
        let list = |r: &[&'static str], m: &[&'static str]| under_model(r.to_vec(), m.to_vec(), 3, v);
        // The model names what no rule did: the rules lead, the model's
        // first keeps the last place.
        assert_eq!(list(&["噪声污染", "物业管理"], &["道路建设", "其他", "物业管理"]), (vec!["噪声污染", "物业管理", "道路建设"], false));
        assert_eq!(list(&["噪声污染", "物业管理", "邻里纠纷"], &["道路建设"]), (vec!["噪声污染", "物业管理", "道路建设"], false));
        // The model orders what the rules found: it leads, and the rules'
        // first keeps a place.
        assert_eq!(
            list(&["招生考试", "教育收费"], &["教育收费", "校园安全", "学前教育"]),
            (vec!["教育收费", "校园安全", "招生考试"], true)
        );
        assert_eq!(
            list(&["招生考试", "教育收费"], &["教育收费", "招生考试", "学前教育"]),
            (vec!["教育收费", "招生考试", "学前教育"], true)
        );
        // One body under another name counts as the rules' answer.
        assert_eq!(list(&["城市管理局"], &["城市管理和综合执法局", "公安局"]), (vec!["城市管理和综合执法局", "公安局"], true));
        // Rules silent: the model alone; model silent: the rules alone.
        assert_eq!(list(&[], &["a", "b", "c", "d"]), (vec!["a", "b", "c"], true));
        assert_eq!(list(&["a", "b", "c", "d"], &[]), (vec!["a", "b", "c"], false));
        // One place: the one who leads keeps it.
        assert_eq!(under_model(vec!["A"], vec!["X"], 1, v), (vec!["A"], false));
        assert_eq!(under_model(vec!["A", "X"], vec!["X"], 1, v), (vec!["X"], true));
    }
}
