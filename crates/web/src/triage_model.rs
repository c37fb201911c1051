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
use xinfang_store::{NewTriageModel, TrainingExample, TrainingLabels, TriageModelRow};
use xinfang_text::Segmenter;
use xinfang_text::classify::{Model, ModelBuilder};
use xinfang_text::compare::Comparison;
use xinfang_text::rules::{RuleField, RuleTable};
use xinfang_text::seed::Seed;

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

/// An example's label for each field, if it has one: the class (the
/// litigation-related flag counts as a class of its own), the topic, and
/// the kind of its handling unit (a petition bureau or joint conference
/// is where a petition waits, not who handles it).
fn labels_of(e: &TrainingLabels, tree: &UnitTree, kinds: &[&str]) -> [Option<String>; 3] {
    let category = if e.litigation_related { "litigation_related".to_string() } else { e.category.clone() };
    let topic = e.topic.clone().filter(|t| !t.is_empty());
    let unit = e.handling_unit_id.and_then(|id| tree.get(id));
    let kind = unit.filter(|u| !matches!(u.kind, UnitKind::PetitionBureau | UnitKind::JointConference)).map(|u| unit_kind_label(u, kinds));
    [Some(category), topic, kind]
}

/// The rule table's unit kinds, sorted (class cues name no kind).
fn rule_kinds(rules: &RuleTable) -> Vec<&str> {
    let mut kinds: Vec<&str> = rules.rules.iter().map(|r| r.unit_kind.as_str()).filter(|k| !k.is_empty()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

/// Where each field's held-back part begins: the id of the oldest of the
/// newest fifth of the examples that carry the field's label (`None`: too
/// few to hold any back). `newest_first` are a run's examples by id,
/// descending.
pub fn held_back_from(newest_first: &[TrainingLabels], tree: &UnitTree, rules: &RuleTable) -> [Option<i64>; 3] {
    let kinds = rule_kinds(rules);
    let mut ids: [Vec<i64>; 3] = Default::default();
    for e in newest_first {
        for (f, label) in labels_of(e, tree, &kinds).iter().enumerate() {
            if label.is_some() {
                ids[f].push(e.id);
            }
        }
    }
    ids.map(|list| {
        let held = list.len() / 5;
        (held > 0).then(|| list[held - 1])
    })
}

/// One field's part of a run.
#[derive(Default)]
struct FieldRun {
    /// Every example's counts; what the stored model is made of.
    all: ModelBuilder,
    examples: usize,
    /// The model of the older examples, taken when the first held-back one
    /// arrives, with its commonest label.
    trial: Option<(Model, Option<String>)>,
    comparison: Comparison,
    baseline_correct: usize,
}

/// A training run fed one example at a time, oldest first, so that it
/// holds the models' counts and never the examples or their words (a run
/// over thousands of petitions once held every one's words at once:
/// about 21 MiB per thousand). Each field's newest fifth, from
/// [`held_back_from`], is scored as it arrives by the model of the older
/// examples, as the triage API would serve it (the class by the model
/// alone against the rules and the seed; a topic or unit by the model and
/// the rules together, `xinfang_text::seed::under_model`, against the
/// rules and the seed: `compare::Comparison::score_served`), and then
/// counted into the model of all of them.
pub struct Trainer {
    tree: Arc<UnitTree>,
    rules: RuleTable,
    seed: Option<Arc<Seed>>,
    seg: Arc<Segmenter>,
    held_from: [Option<i64>; 3],
    /// The rule table's unit kinds (`rule_kinds`), read once.
    kinds: Vec<String>,
    fields: [FieldRun; 3],
}

impl Trainer {
    pub fn new(
        tree: Arc<UnitTree>,
        rules: RuleTable,
        seed: Option<Arc<Seed>>,
        seg: Arc<Segmenter>,
        held_from: [Option<i64>; 3],
    ) -> Trainer {
        let kinds = rule_kinds(&rules).into_iter().map(String::from).collect();
        Trainer { tree, rules, seed, seg, held_from, kinds, fields: Default::default() }
    }

    /// Count one example; examples come in ascending id.
    pub fn add(&mut self, e: &TrainingExample) {
        let kinds: Vec<&str> = self.kinds.iter().map(String::as_str).collect();
        let labels = labels_of(&e.labels, &self.tree, &kinds);
        if labels.iter().all(Option::is_none) {
            return;
        }
        let terms = self.seg.terms(&e.text);
        for (f, (field, label)) in FIELDS.iter().zip(labels).enumerate() {
            let Some(label) = label else { continue };
            let run = &mut self.fields[f];
            if self.held_from[f].is_some_and(|from| e.labels.id >= from) {
                let (trial, commonest) = run.trial.get_or_insert_with(|| {
                    let model = run.all.clone().finish();
                    let commonest = model.commonest().map(str::to_owned);
                    (model, commonest)
                });
                match (field, self.seed.as_deref()) {
                    // The class is answered by the rules and the seed
                    // together: the model must beat what is in force.
                    (RuleField::Category, Some(seed)) => {
                        let c = &mut run.comparison;
                        c.examples += 1;
                        if trial.predict(&terms, 1).first().is_some_and(|p| p.label == label) {
                            c.model_correct += 1;
                        }
                        let ruled = self.rules.suggest_field(RuleField::Category, e.text.as_str(), crate::triage::TOP);
                        if seed.classes(&ruled, &terms, 1).first().is_some_and(|b| b.value == label) {
                            c.rules_correct += 1;
                        }
                    }
                    (RuleField::Category, None) => run.comparison.score(trial, &self.rules, *field, &label, &terms),
                    // The rules read the text itself, as the triage API has
                    // them do (a keyword may cross the segmenter's words).
                    _ => run.comparison.score_served(trial, &self.rules, *field, &label, &terms, &e.text, self.seed.as_deref()),
                }
                if commonest.as_deref() == Some(label.as_str()) {
                    run.baseline_correct += 1;
                }
            }
            run.all.add(&label, terms.iter().map(String::as_str));
            run.examples += 1;
        }
    }

    /// Each field's report and model of all its examples.
    pub fn finish(self, min_held_out: usize) -> Vec<(FieldReport, Model)> {
        FIELDS
            .iter()
            .zip(self.fields)
            .map(|(field, run)| {
                let c = run.comparison;
                let active =
                    c.examples >= min_held_out.max(1) && c.model_correct > c.rules_correct && c.model_correct > run.baseline_correct;
                let report = FieldReport {
                    field: field_name(*field).into(),
                    examples: run.examples,
                    held_out: c.examples,
                    model_correct: c.model_correct,
                    rules_correct: c.rules_correct,
                    baseline_correct: run.baseline_correct,
                    active,
                };
                (report, run.all.finish())
            })
            .collect()
    }
}

/// Train and judge one run on examples held in memory, newest first.
pub fn train_fields(
    examples: &[TrainingExample],
    tree: Arc<UnitTree>,
    rules: RuleTable,
    seed: Option<Arc<Seed>>,
    seg: Arc<Segmenter>,
    min_held_out: usize,
) -> Vec<(FieldReport, Model)> {
    let labels: Vec<TrainingLabels> = examples.iter().map(|e| e.labels.clone()).collect();
    let held_from = held_back_from(&labels, &tree, &rules);
    let mut trainer = Trainer::new(tree, rules, seed, seg, held_from);
    for e in examples.iter().rev() {
        trainer.add(e);
    }
    trainer.finish(min_held_out)
}

/// A training run over the newest confirmed routings; the models are
/// stored (active or not) and the report returned.
pub async fn train(state: &AppState) -> Result<Vec<FieldReport>, crate::error::ApiError> {
    let s = &state.settings;
    train_in(&state.store, state.tree(), s.triage_training_examples, s.triage_min_held_out).await
}

/// How many examples' texts a run reads at once.
const TRAINING_PAGE: i64 = 200;

/// `train` on a store (the server's job, or `xinfang train-triage`): the
/// labels of the newest `limit` examples first (to know each field's
/// held-back part), then their texts page by page, oldest first, each
/// page segmented and counted off the async threads.
pub async fn train_in(
    store: &xinfang_store::Store,
    tree: Arc<UnitTree>,
    limit: i64,
    min: usize,
) -> Result<Vec<FieldReport>, crate::error::ApiError> {
    let newest_first = store.training_labels(limit.max(1)).await?;
    let rules = crate::api::triage::rule_table_in(store).await?;
    let seg = crate::search::segmenter(&tree);
    let seed = crate::triage::seed(&tree).await?;
    let held_from = held_back_from(&newest_first, &tree, &rules);
    let (first, last) = match (newest_first.last(), newest_first.first()) {
        (Some(oldest), Some(newest)) => (oldest.id, newest.id),
        _ => (0, -1),
    };
    drop(newest_first);
    let mut trainer = Trainer::new(tree, rules, Some(seed), seg, held_from);
    let mut after = first - 1;
    while after < last {
        let page = store.training_page(after, last, TRAINING_PAGE).await?;
        let Some(next) = page.last().map(|e| e.labels.id) else { break };
        after = next;
        trainer = tokio::task::spawn_blocking(move || {
            for e in &page {
                trainer.add(e);
            }
            trainer
        })
        .await
        .map_err(|_| crate::error::ApiError::internal())?;
    }
    let runs = tokio::task::spawn_blocking(move || trainer.finish(min)).await.map_err(|_| crate::error::ApiError::internal())?;
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
                labels: TrainingLabels {
                    id: 10 - i as i64,
                    category: "accusation".into(),
                    litigation_related: false,
                    topic: None,
                    handling_unit_id: None,
                },
                text: (*t).to_owned(),
            })
            .collect();
        let (tree, rules, seg) =
            (Arc::new(UnitTree::new([unit("福田区纪委监委")])), RuleTable::starter(), Arc::new(xinfang_text::Segmenter::new()));
        let seed = Arc::new(xinfang_text::seed::Seed::train(&seg, None));
        let class = |seed| train_fields(&examples, tree.clone(), rules.clone(), seed, seg.clone(), 1).remove(0).0;
        let (alone, together) = (class(None), class(Some(seed)));
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
