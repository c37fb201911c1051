//! The learnt side of triage (issue 13, item 3): naive Bayes models
//! (`xinfang_text::classify`) trained from the deployment's own confirmed
//! routings, one per field, on a schedule (`TRAIN`, a job of the runtime)
//! or when the admin asks.
//!
//! Every petition that someone moved past registration is an example, with
//! the labels it carries *now*: a clerk's correction (the `classify`
//! action, a forward to another unit) changes the petition, so it changes
//! the next model. The newest fifth of the examples is held back; a model
//! trained on the older ones must get strictly more of those right than
//! what answers without it, on at least `triage_min_held_out` of them,
//! each measured as the triage API serves it (the class by the model
//! alone against the rules and the seed; a topic or unit by the model
//! and the rules together, `xinfang_text::seed::under_model`, against
//! the rules and the seed: `compare::compare_served`), and more than always answering the commonest
//! label (a model that learnt only the label counts beats rules that stay
//! silent on text they do not know, and must not take over for that),
//! before the model trained on all of them answers for that field. Otherwise the rules, which people can read,
//! stay in charge.
//!
//! Models are rows of the database, so every node answers with the same
//! one; a node keeps the parsed model of the newest row and reloads when
//! the row changes.

use crate::state::AppState;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use xinfang_domain::unit::{Unit, UnitKind, UnitTree};
use xinfang_store::{NewTriageModel, TrainingExample, TriageModelRow};
use xinfang_text::classify::Model;
use xinfang_text::compare::{compare_on, compare_served};
use xinfang_text::rules::{RuleField, RuleTable};

/// The job kind of a training run.
pub const TRAIN: &str = "triage_training";

/// The fields a model is trained for, by their stored names.
pub const FIELDS: [RuleField; 3] = [RuleField::Category, RuleField::Topic, RuleField::UnitKind];

pub fn field_name(f: RuleField) -> &'static str {
    match f {
        RuleField::Category => "category",
        RuleField::Topic => "topic",
        RuleField::UnitKind => "unit_kind",
    }
}

/// The kind of unit a handling unit is, in the rule table's words: the
/// table's kind its name shares most with (福田区人力资源和社会保障局 →
/// 人力资源和社会保障局), or else its name after the last place suffix.
pub fn unit_kind_label(unit: &Unit, kinds: &[&str]) -> String {
    let best = kinds
        .iter()
        .filter_map(|k| crate::triage::kind_match(&unit.name, k).map(|score| (score, *k)))
        .max_by(|(a, ka), (b, kb)| a.cmp(b).then_with(|| kb.cmp(ka)));
    if let Some((_, k)) = best {
        return k.to_string();
    }
    let chars: Vec<char> = unit.name.chars().collect();
    let cut = chars.iter().rposition(|c| matches!(c, '省' | '市' | '区' | '县' | '旗' | '镇' | '乡')).map_or(0, |i| i + 1);
    if chars.len() - cut >= 2 { chars[cut..].iter().collect() } else { unit.name.clone() }
}

/// One field's outcome of a training run.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct FieldReport {
    /// `category`, `topic` or `unit_kind`.
    pub field: String,
    pub examples: usize,
    /// Newest examples held back to compare the model with the rules.
    pub held_out: usize,
    pub model_correct: usize,
    /// Held-back examples that what answers without the model gets right:
    /// the rules, and for the class the rules weighed with the seed
    /// (`xinfang_text::seed::Seed::classes`), as `POST /api/v1/triage` does.
    pub rules_correct: usize,
    /// Held-back examples that always answering the commonest label of the
    /// training part gets right.
    pub baseline_correct: usize,
    /// The model now answers for this field.
    pub active: bool,
}

/// The labelled examples of each field, newest first.
fn labelled(examples: &[TrainingExample], tree: &UnitTree, kinds: &[&str]) -> [Vec<(usize, String)>; 3] {
    let mut out: [Vec<(usize, String)>; 3] = Default::default();
    for (i, e) in examples.iter().enumerate() {
        let category = if e.litigation_related { "litigation_related".to_string() } else { e.category.clone() };
        out[0].push((i, category));
        if let Some(t) = e.topic.as_ref().filter(|t| !t.is_empty()) {
            out[1].push((i, t.clone()));
        }
        let unit = e.handling_unit_id.and_then(|id| tree.get(id));
        if let Some(u) = unit.filter(|u| !matches!(u.kind, UnitKind::PetitionBureau | UnitKind::JointConference)) {
            out[2].push((i, unit_kind_label(u, kinds)));
        }
    }
    out
}

/// The most frequent label (ties: the first in label order).
fn commonest(examples: &[(&str, &[String])]) -> Option<String> {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (l, _) in examples {
        *counts.entry(l).or_insert(0) += 1;
    }
    counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0))).map(|(l, _)| l.to_string())
}

/// Train and judge one run (CPU only: segmenting and counting).
pub fn train_fields(
    examples: &[TrainingExample],
    tree: &UnitTree,
    rules: &RuleTable,
    seed: Option<&xinfang_text::seed::Seed>,
    seg: &xinfang_text::Segmenter,
    min_held_out: usize,
) -> Vec<(FieldReport, Model)> {
    // Class cues name no kind.
    let mut kinds: Vec<&str> = rules.rules.iter().map(|r| r.unit_kind.as_str()).filter(|k| !k.is_empty()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let terms: Vec<Vec<String>> = examples.iter().map(|e| seg.terms(&e.text)).collect();
    let by_field = labelled(examples, tree, &kinds);
    FIELDS
        .iter()
        .zip(by_field)
        .map(|(field, list)| {
            // One copy of the words, borrowed by every field's examples.
            let all: Vec<(&str, &[String])> = list.iter().map(|(i, label)| (label.as_str(), terms[*i].as_slice())).collect();
            // The rules read the text itself, as the triage API has them
            // do (a keyword may cross the segmenter's word boundaries).
            let texts: Vec<&str> = list.iter().map(|(i, _)| examples[*i].text.as_str()).collect();
            // Newest first: the newest fifth is held back.
            let held = all.len() / 5;
            let (recent, older) = all.split_at(held);
            let recent_texts = &texts[..held];
            let trial = Model::train_on(older);
            // Each field measured as the triage API serves it with the
            // model and without: the class by the model alone, a topic or
            // unit by the model and the rules together (`under_model`).
            let mut c = match field {
                RuleField::Category => compare_on(&trial, rules, *field, recent),
                _ => compare_served(&trial, rules, *field, recent, recent_texts, seed),
            };
            // The class is answered by the rules and the seed together: the
            // model must beat what is in force, not the rules alone.
            if let (RuleField::Category, Some(seed)) = (*field, seed) {
                c.rules_correct = recent
                    .iter()
                    .zip(recent_texts)
                    .filter(|((label, terms), text)| {
                        let ruled = rules.suggest_field(RuleField::Category, **text, crate::triage::TOP);
                        seed.classes(&ruled, terms, 1).first().is_some_and(|b| b.value == *label)
                    })
                    .count();
            }
            let baseline = commonest(older).map_or(0, |top| recent.iter().filter(|(l, _)| *l == top).count());
            let active = c.examples >= min_held_out.max(1) && c.model_correct > c.rules_correct && c.model_correct > baseline;
            drop(trial);
            let report = FieldReport {
                field: field_name(*field).into(),
                examples: all.len(),
                held_out: c.examples,
                model_correct: c.model_correct,
                rules_correct: c.rules_correct,
                baseline_correct: baseline,
                active,
            };
            (report, Model::train_on(&all))
        })
        .collect()
}

/// A training run over the newest confirmed routings; the models are
/// stored (active or not) and the report returned.
pub async fn train(state: &AppState) -> Result<Vec<FieldReport>, crate::error::ApiError> {
    let s = &state.settings;
    train_in(&state.store, state.tree(), s.triage_training_examples, s.triage_min_held_out).await
}

/// `train` on a store (the server's job, or `xinfang train-triage`).
pub async fn train_in(
    store: &xinfang_store::Store,
    tree: Arc<UnitTree>,
    limit: i64,
    min: usize,
) -> Result<Vec<FieldReport>, crate::error::ApiError> {
    let examples = store.training_examples(limit.max(1)).await?;
    let rules = crate::api::triage::rule_table_in(store).await?;
    let seg = crate::search::segmenter(&tree);
    let seed = crate::triage::seed(&tree).await?;
    let runs = tokio::task::spawn_blocking(move || train_fields(&examples, &tree, &rules, Some(&seed), &seg, min))
        .await
        .map_err(|_| crate::error::ApiError::internal())?;
    let mut rows = Vec::new();
    for (r, model) in &runs {
        let body = serde_json::to_string(model).map_err(|_| crate::error::ApiError::internal())?;
        rows.push(NewTriageModel {
            field: r.field.clone(),
            examples: r.examples as i64,
            held_out: r.held_out as i64,
            model_correct: r.model_correct as i64,
            rules_correct: r.rules_correct as i64,
            baseline_correct: r.baseline_correct as i64,
            active: r.active,
            model: body,
        });
    }
    store.insert_triage_models(&rows).await?;
    Ok(runs.into_iter().map(|(r, _)| r).collect())
}

/// The scheduled run, which also trains the urgent model with the risk
/// alerts' corrections (`urgent_model`).
pub async fn train_job(state: AppState) -> crate::jobs::JobResult {
    // Each on its own: a failing one must not keep the other from training.
    let urgent = crate::urgent_model::train_job(&state).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "training the urgent model failed");
        format!("urgent model: training failed ({e})")
    });
    let report = train(&state).await.map_err(|e| crate::jobs::JobError::Retry(format!("{}; {urgent}", e.message)))?;
    let parts: Vec<String> = report
        .iter()
        .map(|r| {
            format!(
                "{}: {} examples, model {}/{} vs rules {}/{} and commonest label {}/{}{}",
                r.field,
                r.examples,
                r.model_correct,
                r.held_out,
                r.rules_correct,
                r.held_out,
                r.baseline_correct,
                r.held_out,
                if r.active { " (model in use)" } else { "" }
            )
        })
        .chain(std::iter::once(urgent))
        .collect();
    Ok(parts.join("; "))
}

/// Parsed models by field: (row id, model). Per node; the row id says
/// whether it is still the newest.
static CACHE: Mutex<Option<ModelCache>> = Mutex::new(None);
type ModelCache = HashMap<String, (i64, Arc<Model>)>;

/// The models in force: the newest row of each field that is active.
pub async fn active_models(state: &AppState) -> Result<HashMap<RuleField, (TriageModelRow, Arc<Model>)>, crate::error::ApiError> {
    let rows = state.store.latest_triage_models().await?;
    let mut out = HashMap::new();
    for row in rows.into_iter().filter(|r| r.active) {
        let Some(field) = FIELDS.iter().copied().find(|f| field_name(*f) == row.field) else { continue };
        let cached = CACHE.lock().ok().and_then(|c| c.as_ref().and_then(|m| m.get(&row.field).filter(|(id, _)| *id == row.id).cloned()));
        let model = match cached {
            Some((_, m)) => m,
            None => {
                let Some(body) = state.store.triage_model_body(row.id).await? else { continue };
                let Ok(model) = serde_json::from_str::<Model>(&body) else {
                    tracing::error!(id = row.id, "stored triage model unreadable");
                    continue;
                };
                let model = Arc::new(model);
                if let Ok(mut c) = CACHE.lock() {
                    c.get_or_insert_with(HashMap::new).insert(row.field.clone(), (row.id, model.clone()));
                }
                model
            }
        };
        out.insert(field, (row, model));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_domain::unit::Level;

    fn unit(name: &str) -> Unit {
        Unit {
            id: 1,
            code: "X".into(),
            name: name.into(),
            kind: UnitKind::Department,
            level: Level::County,
            parent_id: None,
            gov_id: None,
            jurisdiction: "440304".into(),
            path: "/1/".into(),
        }
    }

    /// What the class model must beat is what answers without it: with
    /// the seed in force, the rules and the seed together.
    #[test]
    fn the_class_model_is_measured_against_the_rules_and_the_seed_together() {
        // Accusations told without any class cue: the rules alone say claim.
        let texts = ["镇上的干部逢年过节收村里送的土特产和烟酒，天天吃吃喝喝，群众看在眼里"; 10];
        let examples: Vec<TrainingExample> = texts
            .iter()
            .enumerate()
            .map(|(i, t)| TrainingExample {
                id: i as i64,
                text: (*t).to_owned(),
                category: "accusation".into(),
                litigation_related: false,
                topic: None,
                handling_unit_id: None,
            })
            .collect();
        let (tree, rules, seg) = (UnitTree::new([unit("福田区纪委监委")]), RuleTable::starter(), xinfang_text::Segmenter::new());
        let seed = xinfang_text::seed::Seed::train(&seg, None);
        let class = |seed| train_fields(&examples, &tree, &rules, seed, &seg, 1).remove(0).0;
        let (alone, together) = (class(None), class(Some(&seed)));
        assert_eq!((alone.field.as_str(), alone.held_out), ("category", 2));
        assert_eq!(alone.rules_correct, 0, "{alone:?}");
        assert_eq!(together.rules_correct, 2, "{together:?}");
        // The model learnt them too, but only ties what is in force: the
        // rules and the seed keep answering.
        assert!(together.model_correct == 2 && !together.active, "{together:?}");
    }

    #[test]
    fn a_unit_is_named_by_the_rule_tables_kind() {
        let kinds = ["人力资源和社会保障局", "住房和城乡建设局", "人民法院"];
        assert_eq!(unit_kind_label(&unit("深圳市福田区人力资源和社会保障局"), &kinds), "人力资源和社会保障局");
        assert_eq!(unit_kind_label(&unit("福田区人民法院"), &kinds), "人民法院");
        assert_eq!(unit_kind_label(&unit("福田区气象台"), &kinds), "气象台", "no kind: the name after the place");
    }
}
