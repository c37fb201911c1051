//! What a bureau's corrections do to the urgent model: for each labelled
//! set, the model trained without it reads it beside the lexicon; half of
//! the petitions it then gets wrong (the model's own false alarms, and
//! the urgent petitions neither reader raised) are given back as the
//! clerks' corrections, the model is trained again with them, and the set
//! is read again. Printed per weight of a correction: how many of the
//! corrected petitions are now right, how many of them are right when the
//! same matter comes again in a second letter (its content without the
//! title, opened with 再次来信反映), how many of the other half (the
//! errors nobody corrected) came right too, and how many decisions that
//! were right became wrong.
//!
//! ```text
//! cargo run --release -p xinfang-text --example urgent_corrections [-- weight ...]
//! ```

use serde::Deserialize;
use xinfang_text::risk::{RiskKind, RiskLevel, level, scan};
use xinfang_text::urgent::{Correction, UrgentModel, with_model};

#[derive(Deserialize)]
struct Labelled {
    title: String,
    content: String,
    risk: String,
    #[serde(default)]
    risk_kinds: Vec<String>,
}

fn urgent_by(model: &UrgentModel, text: &str) -> bool {
    level(&with_model(scan(text), model, text)) == RiskLevel::Urgent
}

fn main() {
    let weights: Vec<f64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let weights = if weights.is_empty() { vec![1.0, 4.0, 12.0, 30.0] } else { weights };
    // Per weight: corrected right / corrected, others right / others, broken.
    let mut totals = vec![(0usize, 0usize, 0usize, 0usize, 0usize, 0usize); weights.len()];
    for (name, body) in xinfang_text::seed::SETS {
        let items: Vec<(String, bool, Option<RiskKind>, String)> = body
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter_map(|l| serde_json::from_str::<Labelled>(l).ok())
            .map(|p| {
                let kind = p.risk_kinds.first().and_then(|k| RiskKind::from_code(k));
                let again = format!("再次来信反映：{}", p.content);
                (format!("{}。{}", p.title, p.content), p.risk == "urgent", kind, again)
            })
            .collect();
        let base = UrgentModel::train(Some(name));
        let before: Vec<bool> = items.iter().map(|(t, _, _, _)| urgent_by(&base, t)).collect();
        // The errors a correction can mend: the model's own false alarms
        // (the lexicon's stay whatever the model learns) and the misses.
        let errors: Vec<usize> = (0..items.len())
            .filter(|&i| before[i] != items[i].1 && (items[i].1 || level(&scan(&items[i].0)) != RiskLevel::Urgent))
            .collect();
        if errors.is_empty() {
            println!("{name}: no error to correct");
            continue;
        }
        let corrected: Vec<usize> = errors.iter().copied().step_by(2).collect();
        let others: Vec<usize> = errors.iter().copied().skip(1).step_by(2).collect();
        let corrections: Vec<Correction> =
            corrected.iter().map(|&i| Correction { text: items[i].0.clone(), urgent: items[i].1, kind: items[i].2 }).collect();
        for (w, weight) in weights.iter().enumerate() {
            let model = UrgentModel::train_weighted(Some(name), &corrections, *weight);
            let after: Vec<bool> = items.iter().map(|(t, _, _, _)| urgent_by(&model, t)).collect();
            let right = |i: &usize| after[*i] == items[*i].1;
            let fixed = corrected.iter().filter(|i| right(i)).count();
            let again = corrected.iter().filter(|&&i| urgent_by(&model, &items[i].3) == items[i].1).count();
            let also = others.iter().filter(|i| right(i)).count();
            let broken = (0..items.len()).filter(|&i| before[i] == items[i].1 && after[i] != items[i].1).count();
            println!(
                "{name}\tweight {weight}\tcorrected {fixed}/{}\tsent again {again}/{}\tuncorrected {also}/{}\tright before, wrong after {broken}",
                corrected.len(),
                corrected.len(),
                others.len()
            );
            let t = &mut totals[w];
            *t = (t.0 + fixed, t.1 + corrected.len(), t.2 + also, t.3 + others.len(), t.4 + broken, t.5 + again);
        }
    }
    for (weight, t) in weights.iter().zip(totals) {
        println!(
            "ALL\tweight {weight}\tcorrected {}/{}\tsent again {}/{}\tuncorrected {}/{}\tright before, wrong after {}",
            t.0, t.1, t.5, t.1, t.2, t.3, t.4
        );
    }
}
