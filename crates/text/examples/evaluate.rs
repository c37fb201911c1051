//! What xinfang-text does on its own, measured on the project's labelled
//! set (issue 13, item 7):
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-text cargo run --release -p xinfang-text \
//!     --example evaluate -- crates/text/data/eval/petitions.jsonl
//! ```
//!
//! * Triage: topic, legal class and department of the naive Bayes model by
//!   5-fold cross-validation, and of `RuleTable::starter()` (which learns
//!   nothing, so it is simply run on every petition). Petitions of one
//!   duplicate group always fall in the same fold: a re-worded copy in the
//!   training folds would flatter the model.
//! * Repeat detection: TF-IDF cosine of every pair over words and
//!   character pairs (`similar::features`), document frequencies over the
//!   whole set; a pair is a true repeat when both petitions carry the same
//!   `group`.
//! * Departments compare by body, not by spelling
//!   (`departments::same_body`): 城市管理局 is 城市管理和综合执法局.
//! * Risk: `risk::scan` against the labelled level, then with the urgent
//!   model (`urgent::with_model`) trained on the other sets.
//!
//! Prints Markdown tables, then the petitions behind the errors.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;

use serde::Deserialize;
use xinfang_text::departments::same_body;
use xinfang_text::particulars::{Commonness, Particulars};
use xinfang_text::risk::{self, RiskLevel};
use xinfang_text::rules::RuleField;
use xinfang_text::seed::{Seed, fill, keep_last, under_model};
use xinfang_text::similar::{FILED_APART_FACTOR, Filed, SAME_MATTER_SCORE, features, filed_apart, matter_score};
use xinfang_text::urgent::{self, UrgentModel};
use xinfang_text::{DocFreq, Model, RuleTable, Segmenter, TermVector};

const FOLDS: usize = 5;
const K: usize = 3;
const THRESHOLDS: [f64; 11] = [0.10, 0.14, 0.16, 0.18, SAME_MATTER_SCORE, 0.22, 0.24, 0.26, 0.30, 0.35, 0.40];

#[derive(Debug, Deserialize)]
struct Petition {
    id: String,
    title: String,
    content: String,
    category: String,
    litigation_related: bool,
    topic: String,
    department: String,
    group: Option<String>,
    near_miss_of: Option<String>,
    risk: String,
}

impl Petition {
    /// What the triage API receives: title and content.
    fn text(&self) -> String {
        format!("{}。{}", self.title, self.content)
    }

    /// The legal class of the triage API: litigation-related petitions
    /// leave the ordinary three classes (Art. 28).
    fn class(&self) -> &str {
        if self.litigation_related { "litigation_related" } else { &self.category }
    }

    fn level(&self) -> Result<RiskLevel, String> {
        match self.risk.as_str() {
            "none" => Ok(RiskLevel::None),
            "elevated" => Ok(RiskLevel::Elevated),
            "urgent" => Ok(RiskLevel::Urgent),
            other => Err(format!("{}: unknown risk {other}", self.id)),
        }
    }
}

/// One triage target: its name, the label of a petition, the rules' field.
struct Target {
    name: &'static str,
    label: fn(&Petition) -> String,
    field: RuleField,
    /// Whether an answer is the label.
    same: fn(&str, &str) -> bool,
}

/// Right answers at rank 1 and within the top `K`, and the petitions
/// whose label was not in the top `K`.
#[derive(Default)]
struct Score {
    top1: usize,
    top3: usize,
    answered: usize,
    misses: Vec<String>,
}

impl Score {
    fn add(&mut self, id: &str, label: &str, ranked: &[String], same: fn(&str, &str) -> bool) {
        if !ranked.is_empty() {
            self.answered += 1;
        }
        if ranked.first().is_some_and(|r| same(r, label)) {
            self.top1 += 1;
        }
        if ranked.iter().take(K).any(|r| same(r, label)) {
            self.top3 += 1;
        } else {
            self.misses.push(id.to_owned());
        }
    }
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 { "–".to_owned() } else { format!("{:.1}%", 100.0 * n as f64 / d as f64) }
}

fn ratio(n: usize, d: usize) -> String {
    if d == 0 { "–".to_owned() } else { format!("{:.2}", n as f64 / d as f64) }
}

/// Fold of each petition: groups (or single petitions) in order of first
/// appearance, dealt round-robin, so the split is deterministic and a
/// group never straddles two folds.
fn folds(set: &[Petition]) -> Vec<usize> {
    let mut keys: BTreeMap<&str, usize> = BTreeMap::new();
    set.iter()
        .map(|p| {
            let key = p.group.as_deref().unwrap_or(&p.id);
            let next = keys.len();
            *keys.entry(key).or_insert(next) % FOLDS
        })
        .collect()
}

fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "crates/text/data/eval/petitions.jsonl".to_owned());
    let raw = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let mut set: Vec<Petition> = Vec::new();
    for (n, line) in raw.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        set.push(serde_json::from_str(line).map_err(|e| format!("{path}:{}: {e}", n + 1))?);
    }
    let ids: BTreeSet<&str> = set.iter().map(|p| p.id.as_str()).collect();
    if ids.len() != set.len() {
        return Err("duplicate ids".into());
    }
    for p in &set {
        if let Some(of) = &p.near_miss_of
            && !ids.contains(of.as_str())
        {
            return Err(format!("{}: near_miss_of {of} is not in the set", p.id).into());
        }
    }

    let seg = Segmenter::new();
    let texts: Vec<String> = set.iter().map(Petition::text).collect();
    let terms: Vec<Vec<String>> = texts.iter().map(|t| seg.terms(t)).collect();
    let rules = RuleTable::starter();
    // The seed as shipped, less the set measured (unseen by it).
    let file = std::path::Path::new(&path).file_name().and_then(|f| f.to_str()).unwrap_or_default().to_owned();
    let seed = Seed::train(&seg, Some(&file));
    let fold = folds(&set);

    println!("Labelled set: {path}, {} petitions, {FOLDS}-fold cross-validation (groups kept within one fold).\n", set.len());

    // ---- Triage ----
    let targets = [
        Target { name: "Topic (two-level code)", label: |p| p.topic.clone(), field: RuleField::Topic, same: |a, b| a == b },
        Target { name: "Legal class (4)", label: |p| p.class().to_owned(), field: RuleField::Category, same: |a, b| a == b },
        Target { name: "Department", label: |p| p.department.clone(), field: RuleField::UnitKind, same: same_body },
    ];
    println!("### Triage\n");
    println!(
        "| Target | Labels | Model top-1 | Model top-3 | Rules top-1 | Rules top-3 | Rules fired | Rules, then model top-3 | Model in force, as served, top-3 | With the seed: top-3 filled (class: blended, top-1) |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut details = Vec::new();
    let mut class_misses = Vec::new();
    let mut class_first = Vec::new();
    let mut class_seeded = Vec::new();
    for target in &targets {
        let labels: Vec<String> = set.iter().map(target.label).collect();
        let distinct: BTreeSet<&String> = labels.iter().collect();
        let (mut model_score, mut rule_score, mut both_score, mut seed_score, mut kept_score) =
            (Score::default(), Score::default(), Score::default(), Score::default(), Score::default());
        for f in 0..FOLDS {
            let training: Vec<(String, Vec<String>)> =
                (0..set.len()).filter(|&i| fold[i] != f).map(|i| (labels[i].clone(), terms[i].clone())).collect();
            let model = Model::train(&training);
            for i in (0..set.len()).filter(|&i| fold[i] == f) {
                let predicted: Vec<String> = model.predict(&terms[i], K).into_iter().map(|p| p.label).collect();
                let ruled: Vec<String> = rules.suggest_field(target.field, texts[i].as_str(), K).into_iter().map(|s| s.value).collect();
                let mut both = ruled.clone();
                for label in &predicted {
                    if both.len() < K && !both.contains(label) {
                        both.push(label.clone());
                    }
                }
                if target.field == RuleField::Category && ruled.first().is_some_and(|r| !(target.same)(r, &labels[i])) {
                    let first = rules.suggest_field(target.field, texts[i].as_str(), 1);
                    let why = first.first().map(|s| s.keywords.join("/")).unwrap_or_default();
                    class_first.push(format!("{} ({}→{} {why})", set[i].id, labels[i], ruled[0]));
                }
                if target.field != RuleField::Topic && !ruled.iter().any(|r| (target.same)(r, &labels[i])) {
                    let first = rules.suggest_field(target.field, texts[i].as_str(), 1);
                    let why = first.first().map(|s| s.keywords.join("/")).unwrap_or_default();
                    class_misses.push(format!("{} {} ({}→{} {why})", target.name, set[i].id, labels[i], ruled.join("/")));
                }
                model_score.add(&set[i].id, &labels[i], &predicted, target.same);
                rule_score.add(&set[i].id, &labels[i], &ruled, target.same);
                both_score.add(&set[i].id, &labels[i], &both, target.same);
                // As the triage API answers under a learnt model: the class
                // by the model with the rules' first kept, a topic or unit
                // by the model and the rules together.
                let kept = if target.field == RuleField::Category {
                    let mut kept = predicted.clone();
                    keep_last(&mut kept, K, &String::as_str, ruled.first().cloned());
                    kept
                } else {
                    under_model(ruled.clone(), predicted.clone(), K, String::as_str).0
                };
                kept_score.add(&set[i].id, &labels[i], &kept, target.same);
                // As the triage API does: the class blended, the others filled.
                let seeded: Vec<String> = if target.field == RuleField::Category {
                    let scored = rules.suggest_field(target.field, texts[i].as_str(), K);
                    seed.classes(&scored, &terms[i], K).into_iter().map(|b| b.value).collect()
                } else {
                    let mut seeded = ruled.clone();
                    fill(&mut seeded, K, String::as_str, seed.predict(target.field, &terms[i], K), 1.0, |p| p.label);
                    seeded
                };
                if target.field == RuleField::Category && seeded.first().is_some_and(|r| !(target.same)(r, &labels[i])) {
                    class_seeded.push(format!("{} ({}→{})", set[i].id, labels[i], seeded[0]));
                }
                seed_score.add(&set[i].id, &labels[i], &seeded, target.same);
            }
        }
        let n = set.len();
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            target.name,
            distinct.len(),
            pct(model_score.top1, n),
            pct(model_score.top3, n),
            pct(rule_score.top1, n),
            pct(rule_score.top3, n),
            pct(rule_score.answered, n),
            pct(both_score.top3, n),
            pct(kept_score.top3, n),
            if target.field == RuleField::Category { format!("{} (top-1)", pct(seed_score.top1, n)) } else { pct(seed_score.top3, n) },
        );
        model_score.misses.sort();
        rule_score.misses.sort();
        details.push(format!("{}: not in the model's top 3: {}", target.name, model_score.misses.join(" ")));
        details.push(format!("{}: not in the rules' top 3: {}", target.name, rule_score.misses.join(" ")));
    }
    class_first.sort();
    details.push(format!("Legal class, the rules' first answer wrong (label→answer, its words): {}", class_first.join(", ")));
    class_seeded.sort();
    details.push(format!("Legal class, the first answer wrong with the seed weighed in (label→answer): {}", class_seeded.join(", ")));
    class_misses.sort();
    details.push(format!(
        "Class and department not in the rules' top 3 (label→answers, the first answer's words): {}",
        class_misses.join(", ")
    ));

    // ---- Repeat detection ----
    let compared: Vec<Vec<String>> = terms.iter().zip(&texts).map(|(t, text)| features(t, text)).collect();
    let mut df = DocFreq::new();
    for f in &compared {
        df.add(f);
    }
    let vectors: Vec<TermVector> = compared.iter().map(|f| TermVector::new(f, &df)).collect();
    let particulars: Vec<Particulars> = texts.iter().zip(&terms).map(|(t, terms)| Particulars::of(&seg, t, terms)).collect();
    let mut common = Commonness::new();
    for p in &particulars {
        common.add(p);
    }
    let mut pairs: Vec<(f64, bool, usize, usize)> = Vec::new();
    // Pairs of one group whose names were taken to differ (each a loss of
    // recall the names cost), and pairs of different matters they lowered
    // from at or above the threshold to below it.
    let (mut lowered_true, mut lowered_false) = (Vec::new(), 0usize);
    // Likewise the particulars that agree: pairs of one group they raised
    // from below the threshold to at or above it, and pairs of different
    // matters they raised so.
    let (mut raised_true, mut raised_false) = (Vec::new(), Vec::new());
    // Pairs filed under different classes or topics that this took from at
    // or above the threshold to below it: of one group (recall lost), and
    // of different matters.
    let (mut filed_apart_true, mut filed_apart_false) = (Vec::new(), 0usize);
    fn filed(p: &Petition) -> Filed<'_> {
        Filed::stored(&p.category, p.litigation_related, Some(&p.topic))
    }
    let mut dump = std::env::var("XF_DUMP_PAIRS").ok().and_then(|f| std::fs::OpenOptions::new().create(true).append(true).open(f).ok());
    let fired: Vec<Vec<xinfang_text::rules::FieldSuggestion>> =
        texts.iter().map(|t| rules.suggest_field(RuleField::Topic, t.as_str(), 3)).collect();
    let topics: Vec<Vec<String>> = fired.iter().map(|f| f.iter().map(|s| s.value.clone()).collect()).collect();
    let keywords: Vec<Vec<String>> = fired.iter().map(|f| f.iter().flat_map(|s| s.keywords.clone()).collect()).collect();
    for i in 0..set.len() {
        for j in i + 1..set.len() {
            let same = set[i].group.is_some() && set[i].group == set[j].group;
            let cosine = vectors[i].cosine(&vectors[j]).score;
            let m = matter_score(cosine, &particulars[i], &particulars[j], &common);
            // Both petitions filed by a clerk, as the labels say; the
            // application compares the stored class and topic the same way.
            let apart = filed_apart(filed(&set[i]), filed(&set[j]));
            let score = if apart { m.score * FILED_APART_FACTOR } else { m.score };
            if apart && m.score >= SAME_MATTER_SCORE && score < SAME_MATTER_SCORE {
                if same { filed_apart_true.push(format!("{}–{}", set[i].id, set[j].id)) } else { filed_apart_false += 1 }
            }
            if !m.agreeing.is_empty() && m.different_names.is_none() && cosine < SAME_MATTER_SCORE && score >= SAME_MATTER_SCORE {
                let shown = format!("{}–{} ({}, {cosine:.2})", set[i].id, set[j].id, m.agreeing.join("/"));
                if same { raised_true.push(shown) } else { raised_false.push(shown) }
            }
            if let Some((a, b)) = m.different_names {
                if same {
                    lowered_true.push(format!("{}–{} ({a}/{b}, {cosine:.2})", set[i].id, set[j].id));
                } else if cosine >= SAME_MATTER_SCORE && score < SAME_MATTER_SCORE {
                    lowered_false += 1;
                }
            }
            if let Some(out) = dump.as_mut()
                && score >= 0.12
            {
                use std::io::Write;
                let _ = writeln!(
                    out,
                    "{}",
                    serde_json::json!({"set": path, "a": set[i].id, "b": set[j].id, "same": same, "score": score, "cosine": cosine,
                        "near": set[i].near_miss_of.as_deref() == Some(set[j].id.as_str()) || set[j].near_miss_of.as_deref() == Some(set[i].id.as_str()),
                        "ta": topics[i], "tb": topics[j], "ka": keywords[i], "kb": keywords[j],
                        "la": texts[i].chars().count(), "lb": texts[j].chars().count(),
                        "sa": particulars[i].sums.iter().map(|x| (x.low, x.high, x.telling())).collect::<Vec<_>>(),
                        "sb": particulars[j].sums.iter().map(|x| (x.low, x.high, x.telling())).collect::<Vec<_>>(),
                        "pa": particulars[i].people, "pb": particulars[j].people,
                        "shared": xinfang_text::names::shared(&particulars[i].names, &particulars[j].names)})
                );
            }
            pairs.push((score, same, i, j));
        }
    }
    let positives = pairs.iter().filter(|p| p.1).count();
    println!(
        "\n### Repeat detection (TF-IDF cosine of words and character pairs ≥ threshold; {positives} same-group pairs among {} pairs; \
         the application uses {SAME_MATTER_SCORE:.2})\n",
        pairs.len()
    );
    println!("| Threshold | Precision | Recall | F1 | True pairs found | False pairs | Missed pairs |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let mut best: Option<(f64, f64)> = None;
    let mut rows = Vec::new();
    for t in THRESHOLDS {
        let tp = pairs.iter().filter(|p| p.1 && p.0 >= t).count();
        let fp = pairs.iter().filter(|p| !p.1 && p.0 >= t).count();
        let fn_ = positives - tp;
        let precision = if tp + fp == 0 { 0.0 } else { tp as f64 / (tp + fp) as f64 };
        let recall = if positives == 0 { 0.0 } else { tp as f64 / positives as f64 };
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        if best.is_none_or(|(_, b)| f1 > b) {
            best = Some((t, f1));
        }
        rows.push((t, precision, recall, f1, tp, fp, fn_));
    }
    let best_t = best.map_or(THRESHOLDS[0], |(t, _)| t);
    for (t, precision, recall, f1, tp, fp, fn_) in rows {
        let mark = match (t == best_t, t == SAME_MATTER_SCORE) {
            (true, true) => " **best, used**",
            (true, false) => " **best**",
            (false, true) => " **used**",
            (false, false) => "",
        };
        println!("| {t:.2}{mark} | {precision:.2} | {recall:.2} | {f1:.2} | {tp} | {fp} | {fn_} |");
    }
    let near_pairs: Vec<&(f64, bool, usize, usize)> = pairs
        .iter()
        .filter(|(_, _, i, j)| {
            set[*i].near_miss_of.as_deref() == Some(set[*j].id.as_str()) || set[*j].near_miss_of.as_deref() == Some(set[*i].id.as_str())
        })
        .collect();
    let near_above = near_pairs.iter().filter(|p| p.0 >= best_t).count();
    println!(
        "\nNear-miss pairs (similar wording, different matter): {} of {} score ≥ {best_t:.2}; their highest score is {:.2}.",
        near_above,
        near_pairs.len(),
        near_pairs.iter().map(|p| p.0).fold(0.0, f64::max)
    );
    let show = |p: &&(f64, bool, usize, usize)| format!("{}–{} ({:.2})", set[p.2].id, set[p.3].id, p.0);
    let mut missed: Vec<&(f64, bool, usize, usize)> = pairs.iter().filter(|p| p.1 && p.0 < best_t).collect();
    missed.sort_by(|a, b| a.0.total_cmp(&b.0));
    details.push(format!("Repeats missed at {best_t:.2}: {}", missed.iter().map(show).collect::<Vec<_>>().join(", ")));
    let mut false_pairs: Vec<&(f64, bool, usize, usize)> = pairs.iter().filter(|p| !p.1 && p.0 >= best_t).collect();
    false_pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    details.push(format!("False repeats at {best_t:.2}: {}", false_pairs.iter().map(show).collect::<Vec<_>>().join(", ")));
    details.push(format!(
        "Names that differ: {lowered_false} pairs of different matters taken below {SAME_MATTER_SCORE:.2}; repeats lowered: {}",
        lowered_true.join(", ")
    ));
    details.push(format!(
        "Filed apart (another class or topic): {filed_apart_false} pairs of different matters taken below {SAME_MATTER_SCORE:.2}; repeats lowered: {}",
        filed_apart_true.join(", ")
    ));
    details.push(format!(
        "Particulars that agree (a sum, a person) raised to {SAME_MATTER_SCORE:.2}: repeats {}; different matters {}",
        raised_true.join(", "),
        raised_false.join(", ")
    ));

    // ---- Risk ----
    // The lexicon alone, then with the urgent model of the other sets as
    // its second reader (`urgent::with_model`), as the application runs.
    let started = std::time::Instant::now();
    let urgent_model = UrgentModel::train(Some(&file));
    eprintln!("urgent model: {} examples, trained in {:.2} s", urgent_model.examples(), started.elapsed().as_secs_f64());
    let mut labelled = Vec::new();
    let mut flagged = [Vec::new(), Vec::new()];
    let mut why = [Vec::new(), Vec::new()];
    for (p, text) in set.iter().zip(&texts) {
        let lexicon = risk::scan(text);
        let both = urgent::with_model(lexicon.clone(), &urgent_model, text);
        labelled.push(p.level()?);
        for (i, signals) in [lexicon, both].iter().enumerate() {
            flagged[i].push(risk::level(signals));
            why[i].push(
                signals
                    .iter()
                    .map(|s| {
                        let mark = format!("{}{}", if s.urgent { "!" } else { "" }, if s.passages.is_empty() { "" } else { "~" });
                        format!("{}{mark} {}", s.kind.as_str(), s.words.iter().chain(&s.passages).cloned().collect::<Vec<_>>().join("/"))
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
    }
    println!("\n### Risk signals (`risk::scan` on title and content; then with the urgent model of the other sets)\n");
    println!("| Level | Labelled | Flagged | Both | Precision | Recall |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (reader, (flagged, why)) in ["", ", with the model"].iter().zip(flagged.iter().zip(&why)) {
        for (name, hit) in
            [("urgent", (|l: RiskLevel| l == RiskLevel::Urgent) as fn(RiskLevel) -> bool), ("any risk", |l| l != RiskLevel::None)]
        {
            let label_n = labelled.iter().filter(|l| hit(**l)).count();
            let flag_n = flagged.iter().filter(|l| hit(**l)).count();
            let both = labelled.iter().zip(flagged).filter(|(l, f)| hit(**l) && hit(**f)).count();
            println!("| {name}{reader} | {label_n} | {flag_n} | {both} | {} | {} |", ratio(both, flag_n), ratio(both, label_n));
            let ids = |want_label: bool| {
                set.iter()
                    .zip(labelled.iter().zip(flagged))
                    .zip(why)
                    .filter(|((_, (l, f)), _)| hit(**l) == want_label && hit(**f) != want_label)
                    .map(|((p, _), w)| if w.is_empty() { p.id.clone() } else { format!("{} ({w})", p.id) })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            details.push(format!("Risk {name}{reader}: missed {}", ids(true)));
            details.push(format!("Risk {name}{reader}: false alarms {}", ids(false)));
        }
    }

    println!("\n### Errors\n");
    println!("Risk signals are shown as kind, `!` when urgent, `~` when the model raised it, and the words that raised them.\n");
    for d in details {
        println!("- {d}");
    }
    Ok(())
}
