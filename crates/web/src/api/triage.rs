//! `POST /api/v1/triage` and the rule table behind it (issue 13, items 3
//! and 4; docs/intelligence.md).

use crate::auth::Staff;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;
use crate::triage::{Risk, TOP, resolve_unit, risk_of, rule_suggestions};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};
use xinfang_domain::petition::{Category, Channel};
use xinfang_domain::role::Role;
use xinfang_text::rules::{Rule, RuleField, RuleTable};
use xinfang_text::seed::{Seed, fill, keep_last, under_model};

/// Longest title and content accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_CONTENT_CHARS: usize = 20_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub content: String,
    /// Channel code (`online`, `letter`, `visit`, …), optional.
    pub channel: Option<String>,
    /// 行政区划 code of the petition's area (2, 4, 6, 9 or 12 digits):
    /// the handling unit is then named.
    pub region: Option<String>,
}

/// One suggestion: the value, its Chinese label, a confidence in [0, 1]
/// and the words that drove it (the rule keywords found; for a model's or
/// the seed's answer, the words of the text that most raised its odds).
#[derive(Serialize, ToSchema)]
pub struct Suggestion {
    pub value: String,
    pub label: String,
    pub confidence: f64,
    pub why: Vec<String>,
    /// Departments with a region: the unit of that area (or the nearest
    /// area above) of this kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_name: Option<String>,
    /// Departments: other names of the same body (城市管理局 is also
    /// 城市管理和综合执法局, 城管局…), from `xinfang_text::departments`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_called: Vec<String>,
    /// What this answer came from: `rules` (the rule table; where a learnt
    /// model is in force, see `xinfang_text::seed::under_model`), `model`
    /// (the deployment's learnt model), `seed` (the model learnt from the
    /// project's labelled petitions, `xinfang_text::seed`: a topic or
    /// department place the rules left empty, or a class no rule gave) or
    /// `rules_and_seed` (a legal class, its confidence the rules' and the
    /// seed's weighed together, `xinfang_text::seed::blend`).
    pub basis: String,
}

/// One answer before it is labelled: value, confidence, why, basis.
type Answer = (String, f64, Vec<String>, &'static str);

#[derive(Serialize, ToSchema)]
pub struct TriageOutput {
    pub category: Vec<Suggestion>,
    pub topic: Vec<Suggestion>,
    pub department: Vec<Suggestion>,
    pub risk: Risk,
    /// What the suggestions came from: `rules` (the rule table), `model`
    /// (the learnt models, each field's having beaten the rules on
    /// held-back recent cases) or `mixed`.
    pub source: String,
    /// Per field (`category`, `topic`, `department`): `rules` or `model`,
    /// whichever leads the field's list (under a model in force, the rules
    /// lead a topic or unit when the model's first is not one of theirs).
    pub sources: std::collections::BTreeMap<String, String>,
}

/// The rules' classes weighed with the seed's (`Seed::classes`): each
/// keeps the rules' words when they gave it any, else the seed's. A class
/// only the seed names, with no word of the text behind it (its prior
/// alone), is left out: it would be a guess with nothing to show.
fn with_seed_class(rules: Vec<xinfang_text::rules::FieldSuggestion>, seed: &Seed, terms: &[String]) -> Vec<Answer> {
    seed.classes(&rules, terms, TOP)
        .into_iter()
        .filter(|b| b.rules > 0.0 || !b.seed_words.is_empty())
        .map(|b| {
            let words = rules.iter().find(|s| s.value == b.value).map(|s| s.keywords.clone()).filter(|_| b.rules > 0.0);
            let basis = match (b.rules > 0.0, b.seed > 0.0) {
                (true, true) => "rules_and_seed",
                (true, false) => "rules",
                _ => "seed",
            };
            (b.value, b.confidence, words.unwrap_or(b.seed_words), basis)
        })
        .collect()
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_input", message).at(field)
}

/// The legal class's label; 涉法涉诉 is a class of the rule table (the
/// record keeps it as a flag beside the three categories).
pub fn category_label(v: &str) -> String {
    Category::parse(v)
        .map(|c| c.label().to_string())
        .unwrap_or_else(|| if v == "litigation_related" { "涉法涉诉类".into() } else { v.into() })
}

/// The classes a rule may give: the three legal categories and 涉法涉诉
/// (`litigation_related`), in that order; `category_label` names each.
pub fn rule_classes() -> impl Iterator<Item = &'static str> {
    Category::ALL.iter().map(|c| c.as_str()).chain(std::iter::once("litigation_related"))
}

/// Each active topic's label as triage shows it (`父类 › 子类` for a
/// subtopic), in the store's order: code and label.
pub async fn topic_labels(store: &xinfang_store::Store) -> ApiResult<Vec<(String, String)>> {
    let topics = store.topics().await?;
    let names: HashMap<&str, &str> = topics.iter().map(|t| (t.code.as_str(), t.name.as_str())).collect();
    Ok(topics
        .iter()
        .map(|t| {
            let label = match t.parent_code.as_deref().and_then(|p| names.get(p)) {
                Some(parent) => format!("{parent} › {}", t.name),
                None => t.name.clone(),
            };
            (t.code.clone(), label)
        })
        .collect())
}

/// The rule table in force: the admin's, or the starter table.
pub async fn rule_table(state: &AppState) -> ApiResult<RuleTable> {
    rule_table_in(&state.store).await
}

/// `rule_table` from a store (the command line has no server state).
pub async fn rule_table_in(store: &xinfang_store::Store) -> ApiResult<RuleTable> {
    Ok(stored_rule_table(store).await?.unwrap_or_else(RuleTable::starter))
}

/// The admin's rule table, if one is stored (none: the starter table is
/// in force).
pub async fn stored_rule_table(store: &xinfang_store::Store) -> ApiResult<Option<RuleTable>> {
    parsed_rules(store.triage_rules().await?.as_deref())
}

/// A stored rule table read back (it was validated when saved).
pub fn parsed_rules(body: Option<&str>) -> ApiResult<Option<RuleTable>> {
    body.map(|b| {
        serde_json::from_str(b).map_err(|e| {
            tracing::error!(error = %e, "stored triage rules unreadable");
            ApiError::internal()
        })
    })
    .transpose()
}

/// The table in force with its revision and last save (`GET`, the
/// workbench page).
pub async fn rules_in_force(store: &xinfang_store::Store) -> ApiResult<RulesView> {
    let record = store.triage_rules_record().await?;
    let table = parsed_rules(record.body.as_deref())?;
    Ok(RulesView::of(table, record))
}

#[utoipa::path(post, path = "/api/v1/triage", tag = "intelligence", request_body = TriageInput, security(("bearer" = [])),
    description = "Suggest the legal class, the topic and the handling unit (top 3 each, with confidence and the words behind it) and the risk signals of a petition's text.",
    responses((status = 200, body = TriageOutput), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn triage(State(state): State<AppState>, _staff: Staff, ApiJson(input): ApiJson<TriageInput>) -> ApiResult<Json<TriageOutput>> {
    let (title, content) = (input.title.trim(), input.content.trim());
    if title.is_empty() && content.is_empty() {
        return Err(invalid("content", "请填写标题或内容"));
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(invalid("title", format!("标题不能超过{MAX_TITLE_CHARS}个字")));
    }
    if content.chars().count() > MAX_CONTENT_CHARS {
        return Err(invalid("content", format!("内容不能超过{MAX_CONTENT_CHARS}个字")));
    }
    if let Some(c) = input.channel.as_deref().filter(|c| Channel::parse(c).is_none()) {
        return Err(invalid("channel", format!("渠道“{c}”不存在")));
    }
    let region = input.region.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = region.filter(|r| !matches!(r.len(), 2 | 4 | 6 | 9 | 12) || !r.chars().all(|c| c.is_ascii_digit())) {
        return Err(invalid("region", format!("“{r}”不是行政区划代码（2、4、6、9 或 12 位数字）")));
    }
    let text = format!("{title}\n{content}");
    let table = rule_table(&state).await?;
    let topics: HashMap<String, String> = topic_labels(&state.store).await?.into_iter().collect();
    let topic_label = |code: &str| topics.get(code).cloned().unwrap_or_else(|| code.to_string());
    let tree = state.tree();
    let mut out = TriageOutput {
        category: Vec::new(),
        topic: Vec::new(),
        department: Vec::new(),
        risk: Risk { level: String::new(), signals: Vec::new() },
        source: "rules".into(),
        sources: Default::default(),
    };
    let models = crate::triage_model::active_models(&state).await?;
    let suggested = rule_suggestions(&table, &text);
    // The seed weighs in on the class, and fills a short topic or unit
    // list, wherever the deployment has no learnt model of that field.
    let needs_seed = suggested.iter().any(|(f, list)| !models.contains_key(f) && (*f == RuleField::Category || list.len() < TOP));
    // Segmenting up to 20,000 characters is CPU work: off the async threads.
    let terms = if needs_seed || !models.is_empty() {
        let (seg, text) = (crate::search::segmenter(&tree), text.clone());
        tokio::task::spawn_blocking(move || seg.terms(&text)).await.map_err(|_| ApiError::internal())?
    } else {
        Vec::new()
    };
    // Trained on the first request that needs it, not before.
    let seed = if needs_seed { Some(crate::triage::seed(&tree).await?) } else { None };
    for (field, rule_list) in suggested {
        let (list, source): (Vec<Answer>, &str) = match (models.get(&field), seed.as_deref()) {
            (Some((_, model)), _) => {
                let predicted: Vec<Answer> =
                    model.predict(&terms, TOP).into_iter().map(|p| (p.label, p.confidence, p.words, "model")).collect();
                let ruled: Vec<Answer> = rule_list.into_iter().map(|s| (s.value, s.confidence, s.keywords, "rules")).collect();
                if field == RuleField::Category {
                    // The class model beat the rules and the seed together;
                    // the rules' first class keeps a place.
                    let mut list = predicted;
                    keep_last(&mut list, TOP, &|a: &Answer| a.0.as_str(), ruled.into_iter().next());
                    (list, "model")
                } else {
                    // Whichever leads answers the field.
                    let (list, model_leads) = under_model(ruled, predicted, TOP, |a| a.0.as_str());
                    (list, if model_leads { "model" } else { "rules" })
                }
            }
            (None, Some(seed)) if field == RuleField::Category => (with_seed_class(rule_list, seed, &terms), "rules"),
            (None, seed) => {
                let mut list: Vec<Answer> = rule_list.into_iter().map(|s| (s.value, s.confidence, s.keywords, "rules")).collect();
                if let Some(seed) = seed {
                    let left = 1.0 - list.iter().map(|a| a.1).sum::<f64>();
                    fill(
                        &mut list,
                        TOP,
                        |a| a.0.as_str(),
                        seed.predict(field, &terms, TOP),
                        left,
                        |p| (p.label, p.confidence, p.words, "seed"),
                    );
                }
                (list, "rules")
            }
        };
        let name = match field {
            RuleField::Category => "category",
            RuleField::Topic => "topic",
            RuleField::UnitKind => "department",
        };
        out.sources.insert(name.into(), source.into());
        for (value, confidence, why, basis) in list.into_iter().take(TOP) {
            // Three decimals, but a small confidence is not rounded to a
            // flat 0 beside the words behind it: it stays as it is (the
            // workbench reads it "<1%").
            let rounded = (confidence * 1000.0).round() / 1000.0;
            let confidence = if rounded == 0.0 { confidence.max(0.0) } else { rounded };
            let (label, unit) = match field {
                RuleField::Category => (category_label(&value), None),
                RuleField::Topic => (topic_label(&value), None),
                RuleField::UnitKind => (value.clone(), region.and_then(|r| resolve_unit(&tree, &value, r))),
            };
            let item = Suggestion {
                label,
                confidence,
                why,
                unit_code: unit.map(|u| u.code.clone()),
                unit_name: unit.map(|u| u.name.clone()),
                also_called: match field {
                    RuleField::UnitKind => xinfang_text::departments::also_called(&value).iter().map(|n| (*n).to_owned()).collect(),
                    _ => Vec::new(),
                },
                value,
                basis: basis.into(),
            };
            match field {
                RuleField::Category => out.category.push(item),
                RuleField::Topic => out.topic.push(item),
                RuleField::UnitKind => out.department.push(item),
            }
        }
    }
    // CPU work on up to 20,000 characters: off the async threads.
    out.risk = risk_of(text, state.urgent.model()).await?;
    let used: std::collections::BTreeSet<&str> = out.sources.values().map(String::as_str).collect();
    out.source = if used.len() > 1 { "mixed".into() } else { used.into_iter().next().unwrap_or("rules").into() };
    Ok(Json(out))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RuleView {
    pub keywords: Vec<String>,
    /// Topic code; empty in a class cue.
    pub topic: String,
    /// Kind of handling unit in Chinese, e.g. 人力资源和社会保障局; empty
    /// in a class cue.
    pub unit_kind: String,
    /// `suggestion`, `accusation`, `claim` or `litigation_related`.
    pub category: String,
}

/// A new rule table (`PUT`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RulesBody {
    pub rules: Vec<RuleView>,
    /// The `revision` the change was made from. When given and another
    /// save came in between, the table is not replaced (409). Without it
    /// the table is replaced whatever happened meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
}

/// The rule table in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RulesView {
    pub rules: Vec<RuleView>,
    /// 0 until an admin saves; every save and every restore adds one.
    pub revision: i64,
    /// The starter table of the running version is in force (no admin
    /// saved one, or one restored it).
    pub starter: bool,
    /// When the table was last saved or restored (RFC 3339), and by whom
    /// (display name); none for the starter table never touched.
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
}

impl RulesView {
    fn of(table: Option<RuleTable>, record: xinfang_store::RulesRecord) -> RulesView {
        let starter = table.is_none();
        RulesView {
            rules: table.unwrap_or_else(RuleTable::starter).rules.into_iter().map(rule_view).collect(),
            revision: record.revision,
            starter,
            updated_at: record.updated_at,
            updated_by: record.updated_by,
        }
    }
}

/// The revision a restore was decided on (`DELETE`), as for `RulesBody`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RevisionQuery {
    pub revision: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/triage/rules", tag = "intelligence", security(("bearer" = [])),
    responses((status = 200, body = RulesView), (status = 401, body = ErrorBody)))]
pub async fn rules(State(state): State<AppState>, _staff: Staff) -> ApiResult<Json<RulesView>> {
    Ok(Json(rules_in_force(&state.store).await?))
}

/// Most rules, keywords per rule and characters per keyword an admin may
/// store (the starter table keeps to them too).
pub use xinfang_text::rules::{MAX_KEYWORD_CHARS, MAX_KEYWORDS, MAX_RULES, UNIT_KIND_CHARS};

#[utoipa::path(put, path = "/api/v1/triage/rules", tag = "intelligence", request_body = RulesBody, security(("bearer" = [])),
    description = "Replace the rule table (admin). Every rule needs keywords and a class, and either a known topic and a unit kind or neither: a class cue, whose words count five times for the class only (建议 → suggestion). How many rules, keywords per rule and characters per keyword or unit kind are allowed is set in `xinfang_text::rules`; a table over a limit is refused with 422 naming the rule, its field and the limit. With `revision` (from the GET), a table changed meanwhile is refused with 409 and nothing changes.",
    responses((status = 200, body = RulesView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_rules(State(state): State<AppState>, staff: Staff, ApiJson(body): ApiJson<RulesBody>) -> ApiResult<Json<RulesView>> {
    staff.require_role(&[Role::Admin])?;
    let topics: HashSet<String> = state.store.topics().await?.into_iter().map(|t| t.code).collect();
    let table = validated_rules(body.rules, &topics)?;
    let json = serde_json::to_string(&table).map_err(|_| ApiError::internal())?;
    saved(&state, &staff, Some(table), &json, body.revision).await
}

#[utoipa::path(delete, path = "/api/v1/triage/rules", tag = "intelligence", security(("bearer" = [])), params(RevisionQuery),
    description = "Restore the starter table of the running version (admin): the admin's table is no longer in force, and who restored it and when are kept. With `revision`, as for PUT.",
    responses((status = 200, body = RulesView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_rules(State(state): State<AppState>, staff: Staff, ApiQuery(q): ApiQuery<RevisionQuery>) -> ApiResult<Json<RulesView>> {
    staff.require_role(&[Role::Admin])?;
    let json = serde_json::to_string(&RuleTable::starter()).map_err(|_| ApiError::internal())?;
    saved(&state, &staff, None, &json, q.revision).await
}

/// Store a table (`None`: the starter table) if `expected` is still the
/// stored revision; 409 if another save came in between.
async fn saved(state: &AppState, staff: &Staff, table: Option<RuleTable>, json: &str, expected: Option<i64>) -> ApiResult<Json<RulesView>> {
    let at = chrono::Utc::now();
    let Some(revision) = state.store.save_triage_rules(json, table.is_none(), staff.user.id, at, expected).await? else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "rules_changed",
            "规则表在您读取之后已被修改（可能是其他管理员），本次修改未保存，请重新读取后再改",
        ));
    };
    let record = xinfang_store::RulesRecord {
        revision,
        body: None,
        updated_at: Some(xinfang_store::fmt_instant(at)),
        updated_by: Some(staff.user.display_name.clone()),
    };
    Ok(Json(RulesView::of(table, record)))
}

/// What is wrong with one rule: the field (`keywords`, `topic`,
/// `unit_kind` or `category`) and the message, which does not say which
/// rule (`validated_rules` does).
#[derive(Debug, Clone, PartialEq)]
pub struct RuleProblem {
    pub field: &'static str,
    pub message: String,
}

/// One rule checked and tidied (keywords and unit kind trimmed): 1 to
/// `MAX_KEYWORDS` keywords of 1 to `MAX_KEYWORD_CHARS` characters, a class of
/// `rule_classes`, and either a topic of `topics` and a unit kind of
/// `UNIT_KIND_CHARS` characters or neither (a class cue). The one check of a rule, for
/// `PUT /api/v1/triage/rules` (`validated_rules`) and the workbench's rule
/// page alike.
pub fn validated_rule(r: RuleView, topics: &HashSet<String>) -> Result<Rule, RuleProblem> {
    let problem = |field: &'static str, message: String| Err(RuleProblem { field, message });
    let keywords: Vec<String> = r.keywords.iter().map(|k| k.trim().to_string()).collect();
    if keywords.is_empty()
        || keywords.len() > MAX_KEYWORDS
        || keywords.iter().any(|k| k.is_empty() || k.chars().count() > MAX_KEYWORD_CHARS)
    {
        return problem("keywords", format!("关键词须有 1 至 {MAX_KEYWORDS} 个，每个 1 至 {MAX_KEYWORD_CHARS} 个字"));
    }
    let kind = r.unit_kind.trim().to_string();
    // A class cue has neither topic nor unit kind.
    let cue = r.topic.is_empty() && kind.is_empty();
    if !cue && !topics.contains(&r.topic) {
        return problem("topic", format!("内容分类“{}”不存在（仅判断分类的规则，内容分类与单位类别均留空）", r.topic));
    }
    if !cue && !UNIT_KIND_CHARS.contains(&kind.chars().count()) {
        return problem("unit_kind", format!("单位类别须为 {} 至 {} 个字", UNIT_KIND_CHARS.start(), UNIT_KIND_CHARS.end()));
    }
    if !rule_classes().any(|c| c == r.category) {
        return problem("category", format!("分类“{}”不存在", r.category));
    }
    Ok(Rule { keywords, topic: r.topic, unit_kind: kind, category: r.category })
}

/// A whole table checked: 1 to `MAX_RULES` rules, each by
/// `validated_rule`; an error names the field as `rules[i].field` and says
/// which rule (第 i+1 条).
pub fn validated_rules(rules: Vec<RuleView>, topics: &HashSet<String>) -> ApiResult<RuleTable> {
    if rules.is_empty() || rules.len() > MAX_RULES {
        return Err(invalid("rules", format!("规则须有 1 至 {MAX_RULES} 条")));
    }
    let mut checked = Vec::with_capacity(rules.len());
    for (i, r) in rules.into_iter().enumerate() {
        match validated_rule(r, topics) {
            Ok(rule) => checked.push(rule),
            Err(p) => return Err(invalid(&format!("rules[{i}].{}", p.field), format!("第{}条规则：{}", i + 1, p.message))),
        }
    }
    Ok(RuleTable::new(checked))
}

/// A rule of the table as the API shows it.
pub fn rule_view(r: Rule) -> RuleView {
    RuleView { keywords: r.keywords, topic: r.topic, unit_kind: r.unit_kind, category: r.category }
}

/// The newest model of one field.
#[derive(Serialize, ToSchema)]
pub struct ModelStatus {
    /// `category`, `topic` or `unit_kind`.
    pub field: String,
    pub trained_at: String,
    pub examples: i64,
    /// Newest examples held back to compare the model with the rules.
    pub held_out: i64,
    pub model_correct: i64,
    pub rules_correct: i64,
    /// Held-back cases that always answering the commonest label gets right.
    pub baseline_correct: i64,
    /// The model answers for this field (it beat the rules and the
    /// commonest label).
    pub active: bool,
}

#[utoipa::path(get, path = "/api/v1/triage/models", tag = "intelligence", security(("bearer" = [])),
    description = "The newest learnt model of each field, with how it did against the rules on held-back recent cases.",
    responses((status = 200, body = Vec<ModelStatus>), (status = 401, body = ErrorBody)))]
pub async fn models(State(state): State<AppState>, _staff: Staff) -> ApiResult<Json<Vec<ModelStatus>>> {
    let rows = state.store.latest_triage_models().await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| ModelStatus {
                field: r.field,
                trained_at: r.trained_at,
                examples: r.examples,
                held_out: r.held_out,
                model_correct: r.model_correct,
                rules_correct: r.rules_correct,
                baseline_correct: r.baseline_correct,
                active: r.active,
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/triage/models/train", tag = "intelligence", security(("bearer" = [])),
    description = "Train the models now from the confirmed routings (admin); the schedule does the same.",
    responses((status = 200, body = Vec<crate::triage_model::FieldReport>), (status = 403, body = ErrorBody)))]
pub async fn train(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<Vec<crate::triage_model::FieldReport>>> {
    staff.require_role(&[Role::Admin])?;
    Ok(Json(crate::triage_model::train(&state).await?))
}
