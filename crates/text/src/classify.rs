//! Triage suggestions learnt from the deployment's own history: a
//! multinomial naive Bayes classifier over [`crate::Segmenter::terms`].
//!
//! Why naive Bayes: it trains in one pass over the confirmed routings (a
//! county's history retrains in milliseconds on two cores), needs no tuning
//! beyond Laplace smoothing, stores as a table of word counts (JSON in the
//! database, readable by an auditor), and explains itself — every word's
//! effect on a label is a single log ratio, so the clerk can be shown the
//! words that drove a suggestion. One model per target: legal class,
//! topic, handling unit kind.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Laplace smoothing: every word is counted once more under every label,
/// so a word never seen with a label does not rule the label out.
pub const ALPHA: f64 = 1.0;

/// How many explaining words a [`Prediction`] carries.
pub const EXPLAIN_WORDS: usize = 5;

/// One label's counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct LabelStats {
    label: String,
    /// Training examples with this label.
    docs: u64,
    /// Term occurrences in them.
    terms: u64,
    /// Occurrences per term.
    counts: BTreeMap<String, u64>,
}

impl LabelStats {
    /// `ln P(term | label)` with smoothing over a vocabulary of `v` terms.
    fn log_p(&self, term: &str, alpha: f64, v: f64) -> f64 {
        let c = self.counts.get(term).copied().unwrap_or(0) as f64;
        ((c + alpha) / (self.terms as f64 + alpha * v)).ln()
    }
}

/// A trained classifier. Serialisable to JSON to be stored and reloaded;
/// labels are kept sorted, so the same training data gives the same JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Model {
    alpha: f64,
    /// Training examples in all.
    docs: u64,
    /// Distinct terms over all labels.
    vocabulary: u64,
    labels: Vec<LabelStats>,
}

/// One suggested label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub label: String,
    /// Posterior probability; over all labels of the model these add up to
    /// 1 (less rounding), so the top k add up to at most 1.
    pub confidence: f64,
    /// The petition's terms that most raised this label's odds against the
    /// other labels, strongest first, at most [`EXPLAIN_WORDS`].
    pub words: Vec<String>,
}

/// Whether a term may count for a label: numbers (a sum's digits, a
/// count, a year) are a petition's particulars, not its matter. A model
/// learnt from a few hundred petitions finds chance differences in them
/// and then names 6 or 4 as the reason for a unit.
fn says_something(term: &str) -> bool {
    !term.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '%'))
}

impl Model {
    /// Count the examples `(label, terms)`. Examples with an empty label
    /// are skipped; an example without terms still counts for its label's
    /// prior. No examples give an empty model that predicts nothing.
    pub fn train(examples: &[(String, Vec<String>)]) -> Model {
        let refs: Vec<(&str, &[String])> = examples.iter().map(|(l, t)| (l.as_str(), t.as_slice())).collect();
        Model::train_on(&refs)
    }

    /// `train` on borrowed examples: a caller training several fields on
    /// the same segmented texts keeps one copy of the words.
    pub fn train_on(examples: &[(&str, &[String])]) -> Model {
        Model::train_from(examples.iter().map(|(label, terms)| (*label, terms.iter().map(String::as_str))))
    }

    /// `train` from any source of `(label, terms)`: a caller that holds
    /// its words once (interned) need not copy them into a list per text.
    pub fn train_from<'a, T: IntoIterator<Item = &'a str>>(examples: impl IntoIterator<Item = (&'a str, T)>) -> Model {
        let mut b = ModelBuilder::default();
        for (label, terms) in examples {
            b.add(label, terms);
        }
        b.finish()
    }

    /// The label of most training examples (ties: the first in label
    /// order): what always answering the commonest label would say.
    pub fn commonest(&self) -> Option<&str> {
        self.labels.iter().rev().max_by_key(|l| l.docs).filter(|l| l.docs > 0).map(|l| l.label.as_str())
    }

    /// The labels the model knows, sorted.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.labels.iter().map(|l| l.label.as_str())
    }

    /// Number of training examples.
    pub fn examples(&self) -> u64 {
        self.docs
    }

    /// The `k` most probable labels for a petition's terms, most probable
    /// first; equal probabilities in label order, so results are
    /// deterministic. Terms never seen in training are ignored (they say
    /// nothing about any label). With no known term the priors decide.
    pub fn predict(&self, terms: &[String], k: usize) -> Vec<Prediction> {
        if self.labels.is_empty() || k == 0 {
            return Vec::new();
        }
        let v = self.vocabulary.max(1) as f64;
        let mut counts: BTreeMap<&str, f64> = BTreeMap::new();
        for t in terms.iter().filter(|t| says_something(t)) {
            if self.labels.iter().any(|l| l.counts.contains_key(t)) {
                *counts.entry(t.as_str()).or_insert(0.0) += 1.0;
            }
        }
        // log P(term | label) per known term and label: rows follow `counts`.
        let log_p: Vec<(&str, f64, Vec<f64>)> =
            counts.iter().map(|(t, c)| (*t, *c, self.labels.iter().map(|l| l.log_p(t, self.alpha, v)).collect())).collect();
        let scores: Vec<f64> = self
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let prior = (l.docs as f64 / self.docs.max(1) as f64).ln();
                prior + log_p.iter().map(|(_, c, lp)| c * lp[i]).sum::<f64>()
            })
            .collect();
        // Posterior by log-sum-exp, safe for long texts.
        let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let total: f64 = scores.iter().map(|s| (s - max).exp()).sum();
        let mut order: Vec<usize> = (0..self.labels.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then_with(|| self.labels[a].label.cmp(&self.labels[b].label)));
        order
            .into_iter()
            .take(k)
            .map(|i| Prediction {
                label: self.labels[i].label.clone(),
                confidence: (scores[i] - max).exp() / total,
                words: self.explain(i, &log_p),
            })
            .collect()
    }

    /// The terms that most favour label `i` over the others: each term's
    /// count times `ln P(t | label) − ln mean P(t | other labels)`, the
    /// amount it moved the label's log-odds; only terms that raised them.
    fn explain(&self, i: usize, log_p: &[(&str, f64, Vec<f64>)]) -> Vec<String> {
        let others = (self.labels.len() - 1) as f64;
        let mut lift: Vec<(&str, f64)> = log_p
            .iter()
            .map(|(t, c, lp)| {
                let gain = if others == 0.0 {
                    lp[i]
                } else {
                    let mean_other = lp.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, p)| p.exp()).sum::<f64>() / others;
                    lp[i] - mean_other.ln()
                };
                (*t, c * gain)
            })
            .filter(|(_, g)| others == 0.0 || *g > 0.0)
            .collect();
        lift.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        lift.into_iter().take(EXPLAIN_WORDS).map(|(t, _)| t.to_owned()).collect()
    }
}

/// A model counted one example at a time, so that a caller streaming its
/// examples (the deployment's training run reads them page by page) holds
/// the counts and never the examples' words.
#[derive(Debug, Clone, Default)]
pub struct ModelBuilder {
    docs: u64,
    by_label: BTreeMap<String, LabelStats>,
}

impl ModelBuilder {
    /// Count one example. An empty label is skipped; an example without
    /// terms still counts for its label's prior.
    pub fn add<'a>(&mut self, label: &str, terms: impl IntoIterator<Item = &'a str>) {
        if label.trim().is_empty() {
            return;
        }
        self.docs += 1;
        if !self.by_label.contains_key(label) {
            let stats = LabelStats { label: label.to_string(), docs: 0, terms: 0, counts: BTreeMap::new() };
            self.by_label.insert(label.to_string(), stats);
        }
        let Some(stats) = self.by_label.get_mut(label) else { return };
        stats.docs += 1;
        for t in terms.into_iter().filter(|t| says_something(t)) {
            stats.terms += 1;
            match stats.counts.get_mut(t) {
                Some(n) => *n += 1,
                None => {
                    stats.counts.insert(t.to_owned(), 1);
                }
            }
        }
    }

    /// The model of the examples counted so far (labels in order, as
    /// `train` gives them).
    pub fn finish(self) -> Model {
        let vocabulary = {
            let mut all = std::collections::BTreeSet::new();
            for l in self.by_label.values() {
                all.extend(l.counts.keys().map(String::as_str));
            }
            all.len() as u64
        };
        Model { alpha: ALPHA, docs: self.docs, vocabulary, labels: self.by_label.into_values().collect() }
    }
}

/// Share of held-out examples whose true label is the model's first
/// suggestion (0 for no examples).
pub fn evaluate(model: &Model, held_out: &[(String, Vec<String>)]) -> f64 {
    evaluate_top_k(model, held_out, 1)
}

/// Share of held-out examples whose true label is among the model's first
/// `k` suggestions (0 for no examples) — the "unit in the top 3".
pub fn evaluate_top_k(model: &Model, held_out: &[(String, Vec<String>)], k: usize) -> f64 {
    if held_out.is_empty() {
        return 0.0;
    }
    let right = held_out.iter().filter(|(label, terms)| model.predict(terms, k).iter().any(|p| &p.label == label)).count();
    right as f64 / held_out.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Segmenter;
    use crate::fixtures::{HELD_OUT, TRAINING, examples, trained};

    #[test]
    fn held_out_petitions_get_the_right_topic_first() {
        let (seg, model) = trained();
        let held = examples(&seg, HELD_OUT);
        for (label, terms) in &held {
            let top = model.predict(terms, 3);
            assert_eq!(top.first().map(|p| p.label.as_str()), Some(label.as_str()), "{terms:?} → {top:?}");
        }
        assert_eq!(evaluate(&model, &held), 1.0);
        assert_eq!(evaluate_top_k(&model, &held, 3), 1.0);
    }

    #[test]
    fn numbers_count_for_no_label_and_are_never_a_reason() {
        let ex = |label: &str, words: &[&str]| (label.to_string(), words.iter().map(|w| w.to_string()).collect::<Vec<_>>());
        // Every wage petition here happens to say 6; no other one does.
        let model = Model::train(&[
            ex("wages", &["工资", "拖欠", "6"]),
            ex("wages", &["工资", "老板", "6"]),
            ex("noise", &["噪声", "夜间"]),
            ex("noise", &["噪声", "施工"]),
        ]);
        let top = model.predict(&["6".to_string(), "4".to_string(), "施工".to_string()], 2);
        assert_eq!(top[0].label, "noise", "{top:?}");
        assert!(top.iter().all(|p| p.words.iter().all(|w| w != "6" && w != "4")), "{top:?}");
        assert!(says_something("6号楼") && says_something("工资") && !says_something("2024") && !says_something("3.5"));
    }

    #[test]
    fn confidences_are_posteriors() {
        let (seg, model) = trained();
        let terms = seg.terms("物业公司不给修电梯，还要涨物业费");
        let all = model.predict(&terms, usize::MAX);
        assert_eq!(all.len(), model.labels().count());
        let sum: f64 = all.iter().map(|p| p.confidence).sum();
        assert!((sum - 1.0).abs() < 1e-9, "{sum}");
        assert!(all.windows(2).all(|w| w[0].confidence >= w[1].confidence));
        let top3: f64 = all.iter().take(3).map(|p| p.confidence).sum();
        assert!(top3 <= 1.0 + 1e-12);
        assert_eq!(all[0].label, "0102");
        assert!(all[0].confidence > 0.8, "{:?}", all[0]);
    }

    #[test]
    fn explanations_name_relevant_words() {
        let (seg, model) = trained();
        let cases = [
            ("老板拖欠我们半年工资，包工头也找不到人", "0202", &["工资", "拖欠", "包工头"][..]),
            ("化工厂晚上偷偷排放废水，河水发黑发臭", "1002", &["废水", "排放", "化工厂", "河水"][..]),
            ("村里征地的补偿款被村干部扣下不发", "0301", &["征地", "补偿款", "补偿"][..]),
        ];
        for (text, label, relevant) in cases {
            let top = model.predict(&seg.terms(text), 1);
            let p = &top[0];
            assert_eq!(p.label, label, "{text}: {p:?}");
            assert!(!p.words.is_empty() && p.words.len() <= EXPLAIN_WORDS, "{p:?}");
            assert!(relevant.contains(&p.words[0].as_str()), "{text}: first reason {:?}", p.words);
            for w in &p.words {
                assert!(!["我们", "的", "，"].contains(&w.as_str()), "{w}");
            }
        }
        // A runner-up's words are the ones that speak for it, not the winner's.
        let mixed = model.predict(&seg.terms("物业公司拖欠保安工资"), 2);
        let wages = mixed.iter().find(|p| p.label == "0202").expect("wages among top 2");
        assert!(wages.words.contains(&"工资".to_owned()) && !wages.words.contains(&"物业公司".to_owned()), "{mixed:?}");
    }

    #[test]
    fn serialisation_round_trips_and_is_deterministic() {
        let seg = Segmenter::new();
        let data = examples(&seg, TRAINING);
        let model = Model::train(&data);
        let json = serde_json::to_string(&model).expect("serialise");
        let back: Model = serde_json::from_str(&json).expect("deserialise");
        assert_eq!(back, model);
        let terms = seg.terms("夜间施工噪音太大影响休息");
        assert_eq!(back.predict(&terms, 3), model.predict(&terms, 3));
        let mut reversed = data.clone();
        reversed.reverse();
        assert_eq!(serde_json::to_string(&Model::train(&reversed)).expect("serialise"), json, "order-independent");
    }

    #[test]
    fn ties_are_broken_by_label_and_degenerate_input_is_safe() {
        let t = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        let model = Model::train(&[("b".into(), t("x y")), ("a".into(), t("x z")), ("".into(), t("x"))]);
        assert_eq!(model.examples(), 2, "the unlabelled example is skipped");
        let p = model.predict(&t("x"), 2);
        assert_eq!(p.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(), vec!["a", "b"]);
        assert!((p[0].confidence - 0.5).abs() < 1e-12);
        let unknown = model.predict(&t("never seen"), 2);
        assert_eq!(unknown.len(), 2);
        assert!(unknown.iter().all(|p| p.words.is_empty()));
        assert!(Model::train(&[]).predict(&t("x"), 3).is_empty());
        assert!(model.predict(&t("x"), 0).is_empty());
        assert_eq!(evaluate(&model, &[]), 0.0);
    }
}
