//! Whether the learnt model has earned the right to replace the rule
//! table: both answer the same held-back recent cases (confirmed routings
//! the model was not trained on), and the model is used only when it gets
//! strictly more of them right. Until then the admin's rules, which a
//! person can read and fix, stay in charge.

use serde::{Deserialize, Serialize};

use crate::classify::Model;
use crate::rules::{RuleField, RuleTable};
use crate::seed::{Seed, under_model};

/// The two scores on the same held-back examples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub examples: usize,
    /// Examples whose label is the model's first suggestion.
    pub model_correct: usize,
    /// Examples whose label is the best-scoring value of the rules (no rule
    /// firing counts as wrong).
    pub rules_correct: usize,
}

impl Comparison {
    pub fn model_accuracy(&self) -> f64 {
        ratio(self.model_correct, self.examples)
    }

    pub fn rules_accuracy(&self) -> f64 {
        ratio(self.rules_correct, self.examples)
    }
}

fn ratio(n: usize, d: usize) -> f64 {
    if d == 0 { 0.0 } else { n as f64 / d as f64 }
}

/// Score the model and the rules' `field` on `held_out` `(label, terms)`
/// examples. The rules see the terms (see [`crate::rules::RuleInput`]).
pub fn compare(model: &Model, rules: &RuleTable, field: RuleField, held_out: &[(String, Vec<String>)]) -> Comparison {
    let refs: Vec<(&str, &[String])> = held_out.iter().map(|(l, t)| (l.as_str(), t.as_slice())).collect();
    compare_on(model, rules, field, &refs)
}

/// `compare` on borrowed examples.
pub fn compare_on(model: &Model, rules: &RuleTable, field: RuleField, held_out: &[(&str, &[String])]) -> Comparison {
    let mut c = Comparison::default();
    for (label, terms) in held_out {
        c.score(model, rules, field, label, terms);
    }
    c
}

/// How many places a served list has (the triage API's top 3).
const SERVED: usize = 3;

/// `compare_on` for a topic or a unit as the triage API answers each way,
/// first answer right (the rules reading each example's text, `texts`, in
/// the order of `held_out`, as the API has them do): with the model in force, the rules' and the model's
/// answers together ([`under_model`]: the model leads where the rules are
/// silent or where it orders what they found); without it, the rules'
/// first, or where they are silent the seed's first (the place
/// [`crate::seed::fill`] gives it).
pub fn compare_served(
    model: &Model,
    rules: &RuleTable,
    field: RuleField,
    held_out: &[(&str, &[String])],
    texts: &[&str],
    seed: Option<&Seed>,
) -> Comparison {
    let mut c = Comparison::default();
    for ((label, terms), text) in held_out.iter().zip(texts) {
        c.score_served(model, rules, field, label, terms, text, seed);
    }
    c
}

impl Comparison {
    /// Count one held-back example as [`compare_on`] does (a caller that
    /// streams its examples scores each as it reads it).
    pub fn score(&mut self, model: &Model, rules: &RuleTable, field: RuleField, label: &str, terms: &[String]) {
        self.examples += 1;
        if model.predict(terms, 1).first().is_some_and(|p| p.label == label) {
            self.model_correct += 1;
        }
        if rules.suggest_field(field, terms, 1).first().is_some_and(|s| s.value == label) {
            self.rules_correct += 1;
        }
    }

    /// Count one held-back example as [`compare_served`] does.
    #[allow(clippy::too_many_arguments)]
    pub fn score_served(
        &mut self,
        model: &Model,
        rules: &RuleTable,
        field: RuleField,
        label: &str,
        terms: &[String],
        text: &str,
        seed: Option<&Seed>,
    ) {
        self.examples += 1;
        let ruled: Vec<String> = rules.suggest_field(field, text, SERVED).into_iter().map(|s| s.value).collect();
        let without = match (ruled.first(), seed) {
            (Some(first), _) => Some(first.clone()),
            (None, Some(seed)) => seed.predict(field, terms, 1).into_iter().next().map(|p| p.label),
            (None, None) => None,
        };
        if without.as_deref() == Some(label) {
            self.rules_correct += 1;
        }
        let predicted: Vec<String> = model.predict(terms, SERVED).into_iter().map(|p| p.label).collect();
        let (served, _) = under_model(ruled, predicted, SERVED, String::as_str);
        if served.first().is_some_and(|s| s == label) {
            self.model_correct += 1;
        }
    }
}

/// Use the model instead of the rules? Only with at least `min_examples`
/// held-back examples (a handful proves nothing) and strictly more of them
/// right than the rules; a tie keeps the rules, which people can read.
pub fn better_than_rules(
    model: &Model,
    rules: &RuleTable,
    field: RuleField,
    held_out: &[(String, Vec<String>)],
    min_examples: usize,
) -> bool {
    let c = compare(model, rules, field, held_out);
    c.examples >= min_examples.max(1) && c.model_correct > c.rules_correct
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Segmenter;
    use crate::fixtures::{HELD_OUT, TRAINING, examples, trained};

    #[test]
    fn a_model_trained_on_history_beats_the_starter_rules_on_topics() {
        let (seg, model) = trained();
        let held = examples(&seg, HELD_OUT);
        let rules = RuleTable::starter();
        let c = compare(&model, &rules, RuleField::Topic, &held);
        assert_eq!(c.examples, HELD_OUT.len());
        assert_eq!(c.model_correct, HELD_OUT.len(), "{c:?}");
        assert!(c.rules_correct < c.model_correct, "{c:?}");
        assert!(c.rules_correct >= HELD_OUT.len() / 2, "the starter rules are not useless: {c:?}");
        assert!(better_than_rules(&model, &rules, RuleField::Topic, &held, 10));
        assert!(!better_than_rules(&model, &rules, RuleField::Topic, &held, 100), "too few examples");
    }

    #[test]
    fn a_barely_trained_model_does_not_replace_the_rules() {
        let seg = Segmenter::new();
        let model = Model::train(&examples(&seg, &TRAINING[..3]));
        let held = examples(&seg, HELD_OUT);
        let rules = RuleTable::starter();
        assert!(!better_than_rules(&model, &rules, RuleField::Topic, &held, 10));
        assert!(!better_than_rules(&Model::train(&[]), &rules, RuleField::Topic, &held, 1));
        assert!(!better_than_rules(&model, &rules, RuleField::Topic, &[], 0), "no evidence, no switch");
        assert_eq!(compare(&model, &rules, RuleField::Topic, &[]).model_accuracy(), 0.0);
    }
}
