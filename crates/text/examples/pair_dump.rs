//! Every pair of petitions of the labelled sets with what repeat detection
//! could weigh, one JSON line per pair, for studying how to combine them
//! (docs/intelligence.md):
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-text cargo run --release -p xinfang-text \
//!     --example pair_dump -- crates/text/data/eval/*.jsonl > /tmp/pairs.jsonl
//! ```
//!
//! Only pairs whose cosine reaches 0.04 are written: below it no
//! combination tried reaches the threshold.

use std::error::Error;

use serde::Deserialize;
use xinfang_text::particulars::{Commonness, Particulars};
use xinfang_text::similar::{features, is_pair, matter_score};
use xinfang_text::{DocFreq, RuleTable, Segmenter, TermVector};

#[derive(Debug, Deserialize)]
struct Petition {
    id: String,
    title: String,
    content: String,
    category: String,
    litigation_related: bool,
    topic: String,
    group: Option<String>,
}

fn main() -> Result<(), Box<dyn Error>> {
    let seg = Segmenter::new();
    let rules = RuleTable::starter();
    for path in std::env::args().skip(1) {
        let raw = std::fs::read_to_string(&path)?;
        let set: Vec<Petition> = raw.lines().filter(|l| !l.trim().is_empty()).map(serde_json::from_str).collect::<Result<_, _>>()?;
        let texts: Vec<String> = set.iter().map(|p| format!("{}。{}", p.title, p.content)).collect();
        let terms: Vec<Vec<String>> = texts.iter().map(|t| seg.terms(t)).collect();
        let both: Vec<Vec<String>> = terms.iter().zip(&texts).map(|(t, text)| features(t, text)).collect();
        let words: Vec<Vec<String>> = both.iter().map(|f| f.iter().filter(|x| !is_pair(x)).cloned().collect()).collect();
        let pairs: Vec<Vec<String>> = both.iter().map(|f| f.iter().filter(|x| is_pair(x)).cloned().collect()).collect();
        let mut df = DocFreq::new();
        for f in &both {
            df.add(f);
        }
        let v_both: Vec<TermVector> = both.iter().map(|f| TermVector::new(f, &df)).collect();
        let v_words: Vec<TermVector> = words.iter().map(|f| TermVector::new(f, &df)).collect();
        let v_pairs: Vec<TermVector> = pairs.iter().map(|f| TermVector::new(f, &df)).collect();
        let particulars: Vec<Particulars> = texts.iter().zip(&terms).map(|(t, terms)| Particulars::of(&seg, t, terms)).collect();
        let mut common = Commonness::new();
        for p in &particulars {
            common.add(p);
        }
        let topics: Vec<Option<String>> = texts
            .iter()
            .map(|t| rules.suggest_field(xinfang_text::rules::RuleField::Topic, t, 1).into_iter().next().map(|s| s.value))
            .collect();
        let n = set.len() as f64;
        for i in 0..set.len() {
            for j in i + 1..set.len() {
                let sim = v_both[i].cosine(&v_both[j]);
                if sim.score < 0.04 {
                    continue;
                }
                let m = matter_score(sim.score, &particulars[i], &particulars[j], &common);
                let wi: std::collections::BTreeSet<&String> = words[i].iter().collect();
                let wj: std::collections::BTreeSet<&String> = words[j].iter().collect();
                let shared: Vec<&&String> = wi.intersection(&wj).collect();
                // Shared words few petitions of the set use (a name, a place).
                let rare = shared.iter().filter(|w| (df.df(w) as f64) <= 3.0f64.max(n * 0.02)).count();
                let rare_long = shared.iter().filter(|w| w.chars().count() >= 3 && (df.df(w) as f64) <= 3.0f64.max(n * 0.02)).count();
                let class = |p: &Petition| if p.litigation_related { "litigation_related".to_owned() } else { p.category.clone() };
                let same = set[i].group.is_some() && set[i].group == set[j].group;
                let line = serde_json::json!({
                    "set": path, "a": set[i].id, "b": set[j].id, "same": same,
                    "cos": sim.score, "cw": v_words[i].cosine(&v_words[j]).score, "cp": v_pairs[i].cosine(&v_pairs[j]).score,
                    "matter": m.score, "dn": m.different_names.is_some(), "ag": m.agreeing.len(), "ds": m.different_sums.is_some(),
                    "class_differ": class(&set[i]) != class(&set[j]), "topic_differ": set[i].topic != set[j].topic,
                    "topic1_differ": set[i].topic.get(..2) != set[j].topic.get(..2),
                    "rule_topic_same": topics[i].is_some() && topics[i] == topics[j],
                    "names_shared": xinfang_text::names::shared(&particulars[i].names, &particulars[j].names).len(),
                    "rare": rare, "rare_long": rare_long, "shared_words": shared.len(),
                    "la": texts[i].chars().count(), "lb": texts[j].chars().count(),
                    "sums_a": particulars[i].sums.len(), "sums_b": particulars[j].sums.len(),
                    "people_a": particulars[i].people.len(), "people_b": particulars[j].people.len(),
                    "ta": texts[i], "tb": texts[j],
                });
                println!("{line}");
            }
        }
    }
    Ok(())
}
