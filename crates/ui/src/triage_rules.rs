//! The administrator's page of the triage rule table (issue 13, item 3),
//! `/staff/admin/triage-rules`: the rules in force (the starter table or
//! the deployment's own), a filter, and adding, editing and deleting a
//! rule or going back to the starter table. Each change replaces the
//! whole table through the handler of `PUT /api/v1/triage/rules` (or
//! `DELETE`), so the page and the API apply one check
//! (`api::triage::validated_rules`, whose `validated_rule` also names the
//! field of the rule being typed here).

use crate::admin::field;
use crate::render;
use crate::workbench::{Me, chinese_only, me, url_encode};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::{BTreeSet, HashMap, HashSet};
use xinfang_text::rules::RuleTable;
use xinfang_web::AppState;
use xinfang_web::api::triage::{self, RuleView, RulesBody};
use xinfang_web::auth::Staff;
use xinfang_web::error::ApiError;
use xinfang_web::extract::{ApiJson, ApiQuery};

const PATH: &str = "/staff/admin/triage-rules";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(PATH, get(page))
        .route("/staff/admin/triage-rules/add", post(add))
        .route("/staff/admin/triage-rules/edit", post(edit))
        .route("/staff/admin/triage-rules/delete", post(delete))
        .route("/staff/admin/triage-rules/reset", post(reset))
}

/// The characters that separate the keywords typed in one box.
const SEPARATORS: &[char] = &['、', ',', '，', ';', '；'];

/// The keywords typed in one box: split at 、，; and white space.
fn keywords_of(typed: &str) -> Vec<String> {
    typed.split(|c: char| SEPARATORS.contains(&c) || c.is_whitespace()).filter(|k| !k.is_empty()).map(str::to_string).collect()
}

/// One rule of the table, ready to print.
struct RuleRow {
    /// Its place in the table, from 1 (第n条).
    n: usize,
    keywords: String,
    category: String,
    topic_code: String,
    topic: String,
    unit_kind: String,
    /// The rule being edited.
    current: bool,
}

/// The add or edit form as shown: its values as typed, or the rule's.
#[derive(Clone, Default)]
struct RuleForm {
    keywords: String,
    topic: String,
    unit_kind: String,
    category: String,
}

impl RuleForm {
    fn typed(f: &HashMap<String, String>) -> RuleForm {
        RuleForm {
            keywords: field(f, "keywords"),
            topic: field(f, "topic"),
            unit_kind: field(f, "unit_kind"),
            category: field(f, "category"),
        }
    }

    fn of(r: &xinfang_text::rules::Rule) -> RuleForm {
        RuleForm { keywords: r.keywords.join("、"), topic: r.topic.clone(), unit_kind: r.unit_kind.clone(), category: r.category.clone() }
    }

    fn view(&self) -> RuleView {
        RuleView {
            keywords: keywords_of(&self.keywords),
            topic: self.topic.clone(),
            unit_kind: self.unit_kind.clone(),
            category: self.category.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "staff_admin_triage_rules.html")]
struct RulesPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    /// One per drawing of the page: a change posted twice with it (a
    /// double click, a reload of the POST) is made once, and the second
    /// gets the first's answer.
    form_token: String,
    flash: Option<String>,
    alert: Option<String>,
    /// No table of the deployment's own is stored: the starter table.
    starter: bool,
    /// The deployment's own table says what the starter table says.
    same_as_starter: bool,
    /// The stored revision the page shows: a change posted from an older
    /// page is refused (409), in the store itself when two saves race.
    revision: i64,
    /// When ("2026-12-04 20:01", China time) and by whom the table was
    /// last saved or restored.
    last_change: Option<(String, String)>,
    total: usize,
    rows: Vec<RuleRow>,
    q: String,
    /// `q` for a link.
    q_enc: String,
    /// (code, label) of each topic, as triage labels it.
    topics: Vec<(String, String)>,
    /// (value, label) of each class a rule may give.
    classes: Vec<(&'static str, String)>,
    /// Unit kinds to offer: those of the tables and the usual names of bodies.
    kinds: Vec<String>,
    form: RuleForm,
    /// The rule being edited (第n条), if any.
    editing: Option<usize>,
    /// Messages by field of the form.
    errors: HashMap<String, String>,
    /// The limits the check applies, for the hints.
    max_keywords: usize,
    max_keyword_chars: usize,
    kind_chars: (usize, usize),
    /// How much more a class cue's word counts.
    cue_weight: f64,
}

impl RulesPage {
    fn error(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or_default()
    }
}

/// What the page shows besides the table.
struct Shown {
    status: StatusCode,
    flash: Option<String>,
    alert: Option<String>,
    q: String,
    form: RuleForm,
    editing: Option<usize>,
    errors: HashMap<String, String>,
}

impl Default for Shown {
    fn default() -> Self {
        Shown {
            status: StatusCode::OK,
            flash: None,
            alert: None,
            q: String::new(),
            form: RuleForm::default(),
            editing: None,
            errors: HashMap::new(),
        }
    }
}

/// The table in force, whether it is the starter table, and its stored
/// revision with the last save.
struct InForce {
    table: RuleTable,
    starter: bool,
    record: xinfang_store::RulesRecord,
}

async fn in_force(state: &AppState) -> Result<InForce, ApiError> {
    let record = state.store.triage_rules_record().await?;
    Ok(match triage::parsed_rules(record.body.as_deref())? {
        Some(table) => InForce { table, starter: false, record },
        None => InForce { table: RuleTable::starter(), starter: true, record },
    })
}

async fn render_page(state: &AppState, headers: &HeaderMap, s: &Staff, shown: Shown) -> Response {
    let InForce { table, starter, record } = match in_force(state).await {
        Ok(t) => t,
        Err(e) => return crate::staff_error_page(s, headers, e.status, "分办规则表", &e.message),
    };
    let topics = match triage::topic_labels(&state.store).await {
        Ok(t) => t,
        Err(e) => return crate::staff_error_page(s, headers, e.status, "分办规则表", &e.message),
    };
    let labels: HashMap<&str, &str> = topics.iter().map(|(c, l)| (c.as_str(), l.as_str())).collect();
    let q = shown.q.trim().to_string();
    let rows: Vec<RuleRow> = table
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| RuleRow {
            n: i + 1,
            keywords: r.keywords.join("、"),
            category: triage::category_label(&r.category),
            topic_code: r.topic.clone(),
            topic: labels.get(r.topic.as_str()).map_or_else(|| r.topic.clone(), |l| (*l).to_string()),
            unit_kind: r.unit_kind.clone(),
            current: shown.editing == Some(i + 1),
        })
        .filter(|r| crate::admin::matches(&q, &[&r.keywords, &r.category, &r.topic_code, &r.topic, &r.unit_kind]))
        .collect();
    let starter_table = RuleTable::starter();
    let kinds: BTreeSet<String> = table
        .rules
        .iter()
        .chain(starter_table.rules.iter())
        .map(|r| r.unit_kind.clone())
        .chain(xinfang_text::departments::SAME_BODY.iter().filter_map(|row| row.first()).map(|k| (*k).to_string()))
        .filter(|k| !k.is_empty())
        .collect();
    let (csrf, set) = crate::portal::csrf(headers);
    let page = RulesPage {
        me: me(s),
        nav: "admin",
        csrf,
        form_token: xinfang_web::auth::random_secret(16),
        flash: shown.flash,
        alert: shown.alert,
        same_as_starter: !starter && table == starter_table,
        starter,
        revision: record.revision,
        // Who last saved or restored the table, and when (none: never touched).
        last_change: record
            .updated_at
            .as_deref()
            .map(|at| (crate::portal::local_time(at), record.updated_by.clone().unwrap_or_else(|| "（未记录）".into()))),
        total: table.rules.len(),
        rows,
        q_enc: url_encode(&q),
        q,
        classes: triage::rule_classes().map(|c| (c, triage::category_label(c))).collect(),
        topics,
        kinds: kinds.into_iter().collect(),
        form: shown.form,
        editing: shown.editing,
        errors: shown.errors,
        max_keywords: triage::MAX_KEYWORDS,
        max_keyword_chars: triage::MAX_KEYWORD_CHARS,
        kind_chars: (*triage::UNIT_KIND_CHARS.start(), *triage::UNIT_KIND_CHARS.end()),
        cue_weight: xinfang_text::rules::CLASS_CUE_WEIGHT,
    };
    let mut r = crate::portal::with_cookie(render(&page), set);
    *r.status_mut() = shown.status;
    r
}

#[derive(Deserialize, Default)]
struct PageQuery {
    q: Option<String>,
    /// 第n条 to edit.
    edit: Option<usize>,
    /// What was just done: `added`, `edited`, `deleted` or `reset`, with `n`.
    done: Option<String>,
    n: Option<usize>,
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Query(pq): Query<PageQuery>) -> Response {
    let s = match crate::admin::admin(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let n = pq.n.unwrap_or_default();
    let flash = match pq.done.as_deref() {
        Some("added") => Some(format!("已新增第{n}条规则，分办建议即时按新规则表给出")),
        Some("edited") => Some(format!("已保存第{n}条规则，分办建议即时按新规则表给出")),
        Some("deleted") => Some(format!("已删除原第{n}条规则，其后各条序号前移")),
        Some("reset") => Some("已恢复初始规则表".to_string()),
        _ => None,
    };
    // A new rule starts as the class triage answers when no rule gives one.
    let form = RuleForm { category: xinfang_text::rules::DEFAULT_CLASS.to_string(), ..RuleForm::default() };
    let mut shown = Shown { flash, q: pq.q.unwrap_or_default(), form, ..Shown::default() };
    if let Some(n) = pq.edit {
        match in_force(&state).await {
            Ok(InForce { table: t, .. }) => match n.checked_sub(1).and_then(|i| t.rules.get(i)) {
                Some(r) => {
                    shown.form = RuleForm::of(r);
                    shown.editing = Some(n);
                }
                None => {
                    shown.alert = Some(format!("没有第{n}条规则，规则表可能已被修改，请在下表中重新选择"));
                    shown.status = StatusCode::NOT_FOUND;
                }
            },
            Err(e) => return crate::staff_error_page(&s, &headers, e.status, "分办规则表", &e.message),
        }
    }
    render_page(&state, &headers, &s, shown).await
}

/// The administrator, with the form's CSRF token checked.
async fn guarded(state: &AppState, headers: &HeaderMap, f: &HashMap<String, String>) -> Result<Staff, Response> {
    let s = crate::admin::admin(state, headers).await?;
    if !crate::portal::csrf_ok(headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        let shown = Shown { status: StatusCode::FORBIDDEN, alert: Some("页面已过期，请刷新后重试".into()), ..Shown::default() };
        return Err(render_page(state, headers, &s, shown).await);
    }
    Ok(s)
}

/// The table in force and its revision, if the form was drawn from it;
/// else the page again saying the table changed meanwhile (nothing is
/// changed). The store checks the revision once more as it saves.
async fn unchanged_table(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    f: &HashMap<String, String>,
    shown: impl FnOnce() -> Shown,
) -> Result<(RuleTable, i64), Response> {
    let InForce { table, record, .. } = match in_force(state).await {
        Ok(t) => t,
        Err(e) => return Err(crate::staff_error_page(s, headers, e.status, "分办规则表", &e.message)),
    };
    if field(f, "revision") != record.revision.to_string() {
        let shown = Shown {
            status: StatusCode::CONFLICT,
            alert: Some("未保存：规则表在您打开本页后已被修改（可能是其他管理员），请核对下表后重新操作".into()),
            ..shown()
        };
        return Err(render_page(state, headers, s, shown).await);
    }
    Ok((table, record.revision))
}

/// Where to go after a change.
fn done(what: &str, n: usize, q: &str) -> String {
    let q = if q.is_empty() { String::new() } else { format!("&q={}", url_encode(q)) };
    format!("{PATH}?done={what}&n={n}{q}")
}

/// A change's outcome: the page to go to, or the page saying why nothing
/// changed.
type Done = Result<String, Response>;

/// Make a change at most once per form token (see `RulesPage::form_token`,
/// `xinfang_web::once`): the first post runs `change`; a second post of
/// the same form gets the first one's redirect instead of a 409 for the
/// revision the first one moved on. A refused change releases the token,
/// so the corrected form may be posted again. A form without a token (not
/// drawn by this page) is simply run.
async fn at_most_once(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    f: &HashMap<String, String>,
    change: impl Future<Output = Done>,
) -> Response {
    let token = field(f, "form_token");
    if !xinfang_web::once::valid_key(&token) {
        return change.await.map_or_else(|page| page, |to| Redirect::to(&to).into_response());
    }
    let mut sent: Vec<(&String, &String)> = f.iter().filter(|(k, _)| *k != "csrf" && *k != "form_token").collect();
    sent.sort();
    let fingerprint = xinfang_web::once::fingerprint(state, &serde_json::json!(sent));
    let mut refused: Option<Response> = None;
    let slot = &mut refused;
    let act = move || async move {
        match change.await {
            Ok(to) => Ok((StatusCode::SEE_OTHER, serde_json::json!({ "to": to }))),
            Err(page) => {
                let status = page.status();
                *slot = Some(page);
                Err(ApiError::new(status, "refused", "未保存"))
            }
        }
    };
    let answer = xinfang_web::once::once(state, &format!("form:triage-rules:{}", s.user.id), &token, &fingerprint, act).await;
    match answer {
        Ok(a) => Redirect::to(a.body.get("to").and_then(serde_json::Value::as_str).unwrap_or(PATH)).into_response(),
        Err(e) => match refused {
            Some(page) => page,
            // The token was used for another change (a form sent back
            // after it was changed), or the store failed.
            None => {
                let shown = Shown { status: e.status, alert: Some("页面已过期，请刷新后重试".into()), ..Shown::default() };
                render_page(state, headers, s, shown).await
            }
        },
    }
}

/// Replace the whole table through the API's handler (its role check and
/// `validated_rules`); `Err` is the page saying why nothing changed.
async fn replace(
    state: &AppState,
    headers: &HeaderMap,
    s: &Staff,
    (rules, revision): (Vec<RuleView>, i64),
    what: &str,
    shown: Shown,
) -> Result<(), Response> {
    match triage::put_rules(State(state.clone()), s.clone(), ApiJson(RulesBody { rules, revision: Some(revision) })).await {
        Ok(_) => Ok(()),
        Err(e) => {
            let shown = Shown { status: e.status, alert: Some(format!("{what}：{}", chinese_only(&e.message))), ..shown };
            Err(render_page(state, headers, s, shown).await)
        }
    }
}

/// Add (`index` none) or edit the rule `index` (from 0).
async fn save(state: AppState, headers: HeaderMap, f: HashMap<String, String>, index: Option<usize>) -> Response {
    let s = match guarded(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    at_most_once(&state, &headers, &s, &f, save_rule(&state, &headers, &s, &f, index)).await
}

async fn save_rule(state: &AppState, headers: &HeaderMap, s: &Staff, f: &HashMap<String, String>, index: Option<usize>) -> Done {
    let form = RuleForm::typed(f);
    let q = field(f, "q");
    let typed = || Shown { form: form.clone(), editing: index.map(|i| i.saturating_add(1)), q: q.clone(), ..Shown::default() };
    let (table, revision) = unchanged_table(state, headers, s, f, typed).await?;
    if index.is_some_and(|i| i >= table.rules.len()) {
        let shown = Shown { status: StatusCode::NOT_FOUND, alert: Some("未保存：没有这条规则".into()), editing: None, ..typed() };
        return Err(render_page(state, headers, s, shown).await);
    }
    let topics: HashSet<String> = match triage::topic_labels(&state.store).await {
        Ok(t) => t.into_iter().map(|(code, _)| code).collect(),
        Err(e) => return Err(crate::staff_error_page(s, headers, e.status, "分办规则表", &e.message)),
    };
    // The rule typed, checked on its own so the message stands beside its
    // field; the whole table is checked again as it is stored.
    let rule = match triage::validated_rule(form.view(), &topics) {
        Ok(r) => r,
        Err(p) => {
            let errors = [(p.field.to_string(), p.message)].into_iter().collect();
            let shown =
                Shown { status: StatusCode::UNPROCESSABLE_ENTITY, alert: Some("未保存：请按提示修改".into()), errors, ..typed() };
            return Err(render_page(state, headers, s, shown).await);
        }
    };
    let mut rules: Vec<RuleView> = table.rules.into_iter().map(triage::rule_view).collect();
    let (what, n) = match index {
        Some(i) => {
            rules[i] = triage::rule_view(rule);
            ("edited", i + 1)
        }
        None => {
            rules.push(triage::rule_view(rule));
            ("added", rules.len())
        }
    };
    replace(state, headers, s, (rules, revision), "未保存", typed()).await?;
    Ok(done(what, n, &q))
}

async fn add(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    save(state, headers, f, None).await
}

/// The rule number (第n条) a form names, as an index from 0.
fn index_of(f: &HashMap<String, String>) -> usize {
    field(f, "n").parse::<usize>().ok().and_then(|n| n.checked_sub(1)).unwrap_or(usize::MAX)
}

async fn edit(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let i = index_of(&f);
    save(state, headers, f, Some(i)).await
}

async fn delete(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match guarded(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    at_most_once(&state, &headers, &s, &f, delete_rule(&state, &headers, &s, &f)).await
}

async fn delete_rule(state: &AppState, headers: &HeaderMap, s: &Staff, f: &HashMap<String, String>) -> Done {
    let q = field(f, "q");
    let shown = || Shown { q: q.clone(), ..Shown::default() };
    let (table, revision) = unchanged_table(state, headers, s, f, shown).await?;
    let i = index_of(f);
    if i >= table.rules.len() {
        let shown = Shown { status: StatusCode::NOT_FOUND, alert: Some("未删除：没有这条规则".into()), ..shown() };
        return Err(render_page(state, headers, s, shown).await);
    }
    let mut rules: Vec<RuleView> = table.rules.into_iter().map(triage::rule_view).collect();
    rules.remove(i);
    replace(state, headers, s, (rules, revision), "未删除", shown()).await?;
    Ok(done("deleted", i + 1, &q))
}

/// Back to the starter table (the handler of `DELETE /api/v1/triage/rules`).
async fn reset(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match guarded(&state, &headers, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    at_most_once(&state, &headers, &s, &f, restore_starter(&state, &headers, &s, &f)).await
}

async fn restore_starter(state: &AppState, headers: &HeaderMap, s: &Staff, f: &HashMap<String, String>) -> Done {
    if field(f, "confirm") != "1" {
        let shown = Shown {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            alert: Some("未恢复：请先勾选确认放弃本系统对规则表的全部修改".into()),
            ..Shown::default()
        };
        return Err(render_page(state, headers, s, shown).await);
    }
    let (_, revision) = unchanged_table(state, headers, s, f, Shown::default).await?;
    let q = triage::RevisionQuery { revision: Some(revision) };
    match triage::delete_rules(State(state.clone()), s.clone(), ApiQuery(q)).await {
        Ok(_) => Ok(done("reset", 0, "")),
        Err(e) => {
            let shown = Shown { status: e.status, alert: Some(format!("未恢复：{}", chinese_only(&e.message))), ..Shown::default() };
            Err(render_page(state, headers, s, shown).await)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_split_at_the_usual_separators() {
        assert_eq!(keywords_of(" 拖欠工资、欠薪，讨薪, 工钱；包工头\n农民工  "), ["拖欠工资", "欠薪", "讨薪", "工钱", "包工头", "农民工"]);
        assert!(keywords_of(" 、，").is_empty());
    }

    #[test]
    fn every_rule_of_the_starter_table_comes_back_unchanged_from_the_form() {
        for r in RuleTable::starter().rules {
            let form = RuleForm::of(&r);
            assert_eq!(form.view(), triage::rule_view(r));
        }
    }
}
