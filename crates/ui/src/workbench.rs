//! The staff workbench: login, the inbox ordered by deadline with colours
//! for the time left, the petition page with exactly the actions the
//! procedure allows the user now, and registration of letters, visits and
//! calls. Every page goes through the same API handlers and rules.

use crate::{cookie, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::handler::Handler;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use xinfang_domain::local_date;
use xinfang_domain::petition::{Category, Channel, State as PState};
use xinfang_domain::procedure::{Ctx, available_actions};
use xinfang_web::AppState;
use xinfang_web::api::{account, petitions};
use xinfang_web::auth::{Staff, staff_for_token};
use xinfang_web::dto::{LoginRequest, PetitionDetail, PetitionInput, PetitionerInput};
use xinfang_web::extract::{ApiJson, ApiPath, ApiQuery};
use xinfang_web::intake::{Submitter, intake};
use xinfang_web::views::action_label;

const SESSION: &str = "xf_session";

pub fn routes() -> Router<AppState> {
    Router::new()
        // The login page counts with the API's login (same bucket).
        .route("/staff/login", get(login_form).post(login.layer(axum::middleware::from_fn(xinfang_web::ratelimit::login))))
        .route("/staff/logout", post(logout))
        .route("/staff", get(inbox))
        .route("/staff/all", get(all))
        .route("/staff/reviews", get(reviews))
        .route(
            "/staff/register",
            get(register_form).post(register).layer(axum::extract::DefaultBodyLimit::max(xinfang_web::MAX_BODY_BYTES)),
        )
        .route("/staff/petitioner-check", get(petitioner_check))
        .route("/staff/views", post(save_view))
        .route("/staff/p/{number}", get(petition))
        .route("/staff/p/{number}/act/{action}", post(act))
        .route("/staff/p/{number}/attachments/{id}", get(attachment))
}

/// The logged-in staff member, or a redirect to the login page.
pub(crate) async fn staff(state: &AppState, headers: &HeaderMap) -> Result<Staff, Response> {
    match cookie(headers, SESSION) {
        Some(t) => staff_for_token(state, &t).await.map_err(|_| Redirect::to("/staff/login").into_response()),
        None => Err(Redirect::to("/staff/login").into_response()),
    }
}

/// Who is logged in, for the header: unit, name, role, whether an
/// administrator (系统管理) and whether a unit head (待我审批).
pub(crate) type Me = Option<(String, String, String, bool, bool)>;

pub(crate) fn me(s: &Staff) -> Me {
    Some((
        s.unit.name.clone(),
        s.user.display_name.clone(),
        s.user.role.label().to_string(),
        s.user.role == xinfang_domain::role::Role::Admin,
        s.user.role == xinfang_domain::role::Role::UnitHead,
    ))
}

// ----- Login ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff_login.html")]
struct LoginPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
}

async fn login_form(headers: HeaderMap) -> Response {
    let (token, set) = crate::portal::csrf(&headers);
    crate::portal::with_cookie(render(&LoginPage { me: None, nav: "", csrf: token, flash: None, alert: None }), set)
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp: String,
}

async fn login(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<LoginForm>) -> Response {
    let (token, _) = crate::portal::csrf(&headers);
    if !crate::portal::csrf_ok(&headers, &f.csrf) {
        return render(&LoginPage { me: None, nav: "", csrf: token, flash: None, alert: Some("页面已过期，请重新登录".into()) });
    }
    let req = LoginRequest { username: f.username, password: f.password, totp: Some(f.totp).filter(|t| !t.trim().is_empty()) };
    match account::login(State(state), ApiJson(req)).await {
        Ok(Json(r)) => {
            let mut resp = Redirect::to("/staff").into_response();
            if let Ok(c) = HeaderValue::from_str(&format!("{SESSION}={}; Path=/; HttpOnly; SameSite=Strict", r.token)) {
                resp.headers_mut().append(header::SET_COOKIE, c);
            }
            resp
        }
        Err(e) => {
            let mut r = render(&LoginPage { me: None, nav: "", csrf: token, flash: None, alert: Some(e.message) });
            *r.status_mut() = e.status;
            r
        }
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

async fn logout(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<CsrfOnly>) -> Response {
    if let (Ok(s), true) = (staff(&state, &headers).await, crate::portal::csrf_ok(&headers, &f.csrf)) {
        let _ = account::logout(State(state), s).await;
    }
    let mut r = Redirect::to("/staff/login").into_response();
    r.headers_mut().append(header::SET_COOKIE, HeaderValue::from_static("xf_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"));
    r
}

// ----- Inbox ---------------------------------------------------------------

pub struct Row {
    pub number: String,
    pub title: String,
    pub petitioner: String,
    pub category: String,
    pub state: String,
    pub unit: String,
    pub registered: String,
    pub colour: &'static str,
    pub due_text: String,
    pub due_label: Option<String>,
}

/// Colour of the time left: green, yellow (3 days or less), red (due
/// tomorrow or today), overdue.
pub fn colour(due_on: Option<&str>, today: chrono::NaiveDate) -> (&'static str, String) {
    let Some(due) = due_on.and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()) else {
        return ("none", "—".into());
    };
    let left = (due - today).num_days();
    match left {
        n if n < 0 => ("overdue", format!("逾期{}天", -n)),
        0 => ("red", "今天到期".into()),
        1 => ("red", "剩1天".into()),
        2 | 3 => ("yellow", format!("剩{left}天")),
        _ => ("green", format!("剩{left}天")),
    }
}

#[derive(Template)]
#[template(path = "staff_inbox.html")]
struct InboxPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    heading: String,
    total: String,
    /// The next page's link (keyset cursor), if there is one.
    next_page: Option<String>,
    rows: Vec<Row>,
    states: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    topics: Vec<(String, String)>,
    views: Vec<(String, String)>,
    path: &'static str,
    query: String,
    filter_state: String,
    filter_category: String,
    filter_channel: String,
    filter_topic: String,
    filter_from: String,
    filter_to: String,
    filter_overdue: bool,
}

#[derive(Deserialize, Default)]
struct InboxQuery {
    state: Option<String>,
    category: Option<String>,
    channel: Option<String>,
    topic: Option<String>,
    from: Option<String>,
    to: Option<String>,
    overdue: Option<bool>,
    /// Keyset page: where the previous page ended.
    cursor: Option<String>,
}

impl InboxQuery {
    fn query_string(&self) -> String {
        let pairs = [
            ("state", &self.state),
            ("category", &self.category),
            ("channel", &self.channel),
            ("topic", &self.topic),
            ("from", &self.from),
            ("to", &self.to),
        ];
        let mut parts: Vec<String> =
            pairs.iter().filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| format!("{k}={v}"))).collect();
        if self.overdue == Some(true) {
            parts.push("overdue=true".into());
        }
        parts.join("&")
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Listing {
    /// What waits on my unit, earliest deadline first.
    Inbox,
    /// 复查 and 复核 requests waiting on my unit.
    Reviews,
    /// Everything my unit may see, newest first.
    All,
}

async fn listing(state: AppState, headers: HeaderMap, q: InboxQuery, kind: Listing) -> Response {
    let mine = kind != Listing::All;
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (csrf, set) = crate::portal::csrf(&headers);
    let query = petitions::ListQuery {
        state: if kind == Listing::Reviews {
            Some("under_review,under_final_review".into())
        } else {
            q.state.clone().filter(|v| !v.is_empty())
        },
        unit: mine.then(|| s.unit.code.clone()),
        category: q.category.clone().filter(|v| !v.is_empty()),
        channel: q.channel.clone().filter(|v| !v.is_empty()),
        topic: q.topic.clone().filter(|v| !v.is_empty()),
        from: q.from.clone().filter(|v| !v.is_empty()),
        to: q.to.clone().filter(|v| !v.is_empty()),
        overdue: q.overdue.filter(|o| *o),
        sort: Some(if mine { "due" } else { "registered" }.into()),
        page: Some(1),
        per_page: Some(100),
        id_number: None,
        phone: None,
        cursor: q.cursor.clone().filter(|c| !c.is_empty()),
    };
    let topics =
        state.store.topics().await.unwrap_or_default().into_iter().filter(|t| t.parent_code.is_some()).map(|t| (t.code, t.name)).collect();
    let page = match petitions::list(State(state), s.clone(), ApiQuery(query)).await {
        Ok(Json(p)) => p,
        Err(e) => return crate::error_page(&std::sync::Arc::default(), &headers, e.status, "筛选条件有误", &e.message),
    };
    let today = local_date(Utc::now());
    let rows = page
        .items
        .into_iter()
        .map(|i| {
            let (colour, due_text) = colour(i.next_due_on.as_deref(), today);
            Row {
                number: i.number,
                title: i.title,
                petitioner: i.petitioner_name.unwrap_or_default(),
                category: Category::parse(&i.category).map(|c| c.label()).unwrap_or_default().into(),
                state: i.state_label,
                unit: i.current_unit.map(|u| u.name).unwrap_or_default(),
                registered: crate::portal::local_time(&i.registered_at),
                colour,
                due_text,
                due_label: i.next_due_label,
            }
        })
        .collect();
    let r = render(&InboxPage {
        me: me(&s),
        nav: match kind {
            Listing::Inbox => "inbox",
            Listing::Reviews => "reviews",
            Listing::All => "all",
        },
        csrf,
        flash: None,
        alert: None,
        heading: match kind {
            Listing::Inbox => format!("{}待办事项", s.unit.name),
            Listing::Reviews => format!("{}复查复核事项", s.unit.name),
            Listing::All => "全部可见事项".into(),
        },
        total: if page.total_capped { format!("{}+", page.total) } else { page.total.to_string() },
        next_page: page.next_cursor.as_ref().map(|c| {
            let q = q.query_string();
            format!("?{}{}cursor={c}", q, if q.is_empty() { "" } else { "&" })
        }),
        rows,
        states: PState::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect(),
        channels: Channel::ALL.iter().map(|c| (c.as_str().to_string(), c.label().to_string())).collect(),
        topics,
        views: saved_views(&headers),
        path: match kind {
            Listing::Inbox => "/staff",
            Listing::Reviews => "/staff/reviews",
            Listing::All => "/staff/all",
        },
        query: q.query_string(),
        filter_state: q.state.unwrap_or_default(),
        filter_category: q.category.unwrap_or_default(),
        filter_channel: q.channel.unwrap_or_default(),
        filter_topic: q.topic.unwrap_or_default(),
        filter_from: q.from.unwrap_or_default(),
        filter_to: q.to.unwrap_or_default(),
        filter_overdue: q.overdue.unwrap_or(false),
    });
    crate::portal::with_cookie(r, set)
}

async fn inbox(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<InboxQuery>) -> Response {
    listing(state, headers, q, Listing::Inbox).await
}

async fn reviews(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<InboxQuery>) -> Response {
    listing(state, headers, q, Listing::Reviews).await
}

async fn all(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<InboxQuery>) -> Response {
    listing(state, headers, q, Listing::All).await
}

// ----- Petition page and actions -------------------------------------------

pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    /// text, textarea, date, number, select, checkbox
    pub kind: &'static str,
    pub options: Vec<(String, String)>,
    pub value: String,
    /// The rule needs it: the browser asks for it before sending (never
    /// on checkboxes, whose "required" means only "sent as true or false").
    pub required: bool,
}

pub struct ActionForm {
    pub name: &'static str,
    pub label: &'static str,
    pub fields: Vec<FieldSpec>,
    /// Taken by this user, the act becomes a request for the unit head.
    pub needs_approval: bool,
}

/// The form of an action, derived from the action table: exactly the
/// fields its rule requires, labelled as the table says.
fn action_form(name: &'static str, tree: &xinfang_domain::unit::UnitTree, today: &str) -> ActionForm {
    use xinfang_domain::procedure::actions::{self, FieldKind};
    let units = |pick: actions::UnitPick| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = tree.all().filter(|u| pick.admits(u.kind)).map(|u| (u.code.clone(), u.name.clone())).collect();
        v.sort();
        v
    };
    let Some(spec) = actions::spec(name) else {
        return ActionForm { name, label: action_label(name), fields: Vec::new(), needs_approval: false };
    };
    let fields = spec
        .fields
        .iter()
        .map(|fd| {
            let (kind, options, value) = match fd.kind {
                FieldKind::Text | FieldKind::Units => ("text", Vec::new(), String::new()),
                FieldKind::LongText => ("textarea", Vec::new(), String::new()),
                FieldKind::Date => ("date", Vec::new(), today.to_string()),
                FieldKind::Days => ("number", Vec::new(), if name == "extend" { "30".into() } else { String::new() }),
                FieldKind::Bool => ("checkbox", Vec::new(), String::new()),
                FieldKind::Unit(pick) => {
                    let mut o = units(pick);
                    o.insert(0, (String::new(), (if fd.required { "（请选择）" } else { "（不选）" }).into()));
                    ("select", o, String::new())
                }
                FieldKind::Choice(c) => {
                    let mut o: Vec<(String, String)> = c.options().into_iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
                    // A required choice (e.g. the ground of 不予受理) is
                    // made on purpose, never by leaving the first option.
                    o.insert(0, (String::new(), (if fd.required { "（请选择）" } else { "不适用" }).into()));
                    ("select", o, String::new())
                }
                FieldKind::Route => (
                    "select",
                    [
                        ("6", "（六）调查核实并出具信访处理意见书"),
                        ("5", "（五）履行职责或答复"),
                        ("1", "（一）诉讼等法定程序"),
                        ("2", "（二）仲裁"),
                        ("3", "（三）党员申诉"),
                        ("4", "（四）行政程序"),
                        ("", "不适用（建议意见类、检举控告类）"),
                    ]
                    .iter()
                    .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
                    .collect(),
                    String::new(),
                ),
            };
            FieldSpec { name: fd.name, label: fd.label, kind, options, value, required: fd.required && kind != "checkbox" }
        })
        .collect();
    ActionForm { name, label: spec.label, fields, needs_approval: false }
}

/// The JSON body of an action from its form, typed by the field specs.
fn body_of(form: &ActionForm, submitted: &HashMap<String, String>) -> Value {
    let mut m = Map::new();
    for spec in &form.fields {
        let raw = submitted.get(spec.name).map(|s| s.trim().to_string()).unwrap_or_default();
        let v = match (spec.kind, spec.name) {
            ("checkbox", _) => Value::Bool(!raw.is_empty()),
            ("number", _) => raw.parse::<i64>().map(Value::from).unwrap_or(Value::String(raw)),
            // An empty select (not chosen, 不适用) is left out of the body.
            ("select", _) if raw.is_empty() => continue,
            (_, "route") => raw.parse::<i64>().map(Value::from).unwrap_or(Value::String(raw)),
            (_, "units") => {
                Value::Array(raw.split([',', '，']).map(str::trim).filter(|s| !s.is_empty()).map(|s| Value::String(s.into())).collect())
            }
            (_, "adoption" | "accused_unit" | "good_reason") if raw.is_empty() => continue,
            _ => Value::String(raw),
        };
        m.insert(spec.name.to_string(), v);
    }
    Value::Object(m)
}

#[derive(Template)]
#[template(path = "staff_petition.html")]
struct PetitionPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    /// One-time token of this page's action forms (`-{action}` appended).
    form_token: String,
    flash: Option<String>,
    alert: Option<String>,
    d: PetitionDetail,
    channel_label: &'static str,
    category_label: &'static str,
    current_unit: String,
    view_label: &'static str,
    history: Vec<(String, String)>,
    timers: Vec<(String, String, String, &'static str)>,
    actions: Vec<ActionForm>,
    /// The latest decision letter, review or final review opinion, for
    /// the reviewer to have at hand: (title, outcome, decision, facts and
    /// reasons, basis).
    documents: Vec<(String, String, String, String, String)>,
    /// Every document issued so far: (name, issued, outcome).
    issued: Vec<(String, String, String)>,
    /// Requests for the unit head on this petition, pending and decided.
    approvals: Vec<crate::approvals::ApprovalRow>,
    /// The caller heads a unit (links to 待我审批).
    head: bool,
    /// Facts of the procedure shown where set: (label, value).
    facts: Vec<(&'static str, String)>,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    done: Option<String>,
    /// Set after an act became a request for the unit head (202).
    requested: Option<i64>,
}

/// The label of a document's outcome code (decision, review or reply).
fn outcome_label(code: &str) -> &'static str {
    use xinfang_domain::petition::{Adoption, Outcome, ReviewOutcome};
    Outcome::parse(code)
        .map(|o| o.label())
        .or_else(|| ReviewOutcome::parse(code).map(|o| o.label()))
        .or_else(|| Adoption::parse(code).map(|o| o.label()))
        .unwrap_or("")
}

async fn petition_page(
    state: AppState,
    headers: &HeaderMap,
    s: Staff,
    number: String,
    flash: Option<String>,
    alert: Option<String>,
    requested: Option<i64>,
) -> Response {
    let (csrf, set) = crate::portal::csrf(headers);
    let d = match petitions::detail(State(state.clone()), s.clone(), ApiPath(number.clone())).await {
        Ok(Json(d)) => d,
        Err(e) => return crate::error_page(&std::sync::Arc::new(crate::PortalInfo::default()), headers, e.status, "无法查看", &e.message),
    };
    // The act became a request for the unit head: say so, with its limit.
    let flash = match requested {
        Some(id) => Some(match d.approvals.iter().find(|a| a.id == id) {
            Some(a) => format!("已提交单位负责人审批（审批期限：{}）：{}，经负责人批准后生效", a.due_on, a.action_label),
            None => "已提交单位负责人审批，经负责人批准后生效".to_string(),
        }),
        None => flash,
    };
    let today = local_date(Utc::now());
    let actions = match petitions::load_visible(&state, &s, &number).await {
        Ok((rec, _)) => {
            let tree = state.tree();
            let cal = state.calendar();
            let ctx = Ctx {
                on: today,
                now: Utc::now(),
                calendar: &cal,
                tree: &tree,
                policy: state.settings.policy,
                window_policy: state.settings.window_policy,
            };
            available_actions(&rec.case, &s.actor(), &ctx)
                .into_iter()
                .filter(|a| *a != "evaluate")
                .map(|a| {
                    let mut f = action_form(a, &state.tree(), &today.to_string());
                    f.needs_approval = d.available_actions.iter().any(|v| v.name == a && v.needs_approval);
                    f
                })
                .collect()
        }
        Err(_) => Vec::new(),
    };
    let timers = d
        .deadlines
        .iter()
        .map(|t| {
            let (colour, text) = if t.met_at.is_some() { ("none", "已完成".to_string()) } else { colour(Some(&t.due_on), today) };
            let extended = if t.extension_days > 0 { format!("（已延长{}日）", t.extension_days) } else { String::new() };
            (
                format!("{}（{}）", t.label, t.kind),
                format!("{}{}{extended}", t.due_on, if t.provisional { "（预计）" } else { "" }),
                text,
                colour,
            )
        })
        .collect();
    let history = d
        .history
        .iter()
        .map(|e| {
            let who = e
                .actor_username
                .clone()
                .unwrap_or_else(|| if e.actor_kind == "petitioner" { "信访人".into() } else { e.actor_kind.clone() });
            (
                crate::portal::local_time(&e.occurred_at),
                format!("{}（{}）{}", action_label(&e.action), who, e.reason.as_deref().map(|r| format!("：{r}")).unwrap_or_default()),
            )
        })
        .collect();
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let documents = d
        .history
        .iter()
        .filter_map(|e| {
            let (title, outcome) = match e.action.as_str() {
                "conclude" => ("信访处理意见书", xinfang_domain::petition::Outcome::parse(&text(&e.payload, "outcome")).map(|o| o.label())),
                "decide_review" => {
                    ("复查意见书", xinfang_domain::petition::ReviewOutcome::parse(&text(&e.payload, "outcome")).map(|o| o.label()))
                }
                "decide_final_review" => {
                    ("复核意见书", xinfang_domain::petition::ReviewOutcome::parse(&text(&e.payload, "outcome")).map(|o| o.label()))
                }
                _ => return None,
            };
            let decision = if e.action == "conclude" { text(&e.payload, "decision") } else { text(&e.payload, "opinion") };
            Some((
                title.to_string(),
                outcome.unwrap_or_default().to_string(),
                decision,
                text(&e.payload, "facts_and_reasons"),
                text(&e.payload, "legal_basis"),
            ))
        })
        .collect();
    let view_label = match d.view.as_str() {
        "sealed" => "检举控告材料已封存，仅纪检监察机关及其指定单位可见",
        "identity_hidden" => "信访人要求身份保密",
        _ => "完整（个人信息已脱敏）",
    };
    let current_unit = d.current_unit.as_ref().map(|u| u.name.clone()).unwrap_or_default();
    let issued = d
        .documents
        .iter()
        .map(|doc| {
            (
                doc.name.clone(),
                crate::portal::local_time(&doc.issued_at),
                doc.outcome.as_deref().map(outcome_label).unwrap_or_default().to_string(),
            )
        })
        .collect();
    let approvals = {
        let tree = state.tree();
        d.approvals.iter().cloned().map(|a| crate::approvals::approval_row(a, &tree)).collect()
    };
    let mut facts = Vec::new();
    if let Some(g) = d.decline_ground.as_deref() {
        let label = xinfang_domain::petition::DeclineGround::parse(g).map(|g| g.label()).unwrap_or(g);
        facts.push(("不予受理情形", label.to_string()));
    }
    if let Some(on) = &d.accepted_on {
        facts.push(("受理日期", on.clone()));
    }
    if d.simplified {
        facts.push(("简易办理", "是".to_string()));
    }
    if let Some(o) = &d.outcome_label {
        facts.push(("处理结论", o.clone()));
    }
    let status = if alert.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let mut r = render(&PetitionPage {
        me: me(&s),
        nav: "",
        csrf,
        form_token: xinfang_web::auth::random_secret(16),
        flash,
        alert,
        channel_label: Channel::parse(&d.channel).map(|c| c.label()).unwrap_or_default(),
        category_label: Category::parse(&d.category).map(|c| c.label()).unwrap_or_default(),
        d,
        current_unit,
        view_label,
        history,
        timers,
        actions,
        documents,
        issued,
        approvals,
        head: s.user.role == xinfang_domain::role::Role::UnitHead,
        facts,
    });
    *r.status_mut() = status;
    crate::portal::with_cookie(r, set)
}

async fn petition(State(state): State<AppState>, headers: HeaderMap, Path(number): Path<String>, Query(q): Query<PageQuery>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let flash = q.done.as_deref().map(|a| format!("已办理：{}", if a == "register" { "登记" } else { action_label(a) }));
    petition_page(state, &headers, s, number, flash, None, q.requested).await
}

async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((number, action)): Path<(String, String)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::portal::csrf_ok(&headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        return petition_page(state, &headers, s, number, None, Some("页面已过期，请刷新后重试".into()), None).await;
    }
    let Some(name) = xinfang_domain::procedure::actions::spec(&action).map(|a| a.name) else {
        return petition_page(state, &headers, s, number, None, Some("没有这项操作".into()), None).await;
    };
    let today = local_date(Utc::now()).to_string();
    let body = body_of(&action_form(name, &state.tree(), &today), &f);
    // The act, answered by its status and the approval it filed (if any).
    let run = || async {
        let r = petitions::act(State(state.clone()), s.clone(), ApiPath((number.clone(), action.clone())), ApiJson(body.clone())).await?;
        let status = r.status();
        let answer = axum::body::to_bytes(r.into_body(), 64 * 1024)
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .unwrap_or(Value::Null);
        Ok((status, answer))
    };
    // The page's one-time token: a double click or a resend of the same
    // form acts once, and both end on the same page (POST → 303 → GET).
    let token = f.get("form_token").map(|t| t.trim().to_string()).filter(|t| xinfang_web::once::valid_key(t));
    let done = match token {
        Some(t) => {
            let fingerprint = xinfang_web::once::fingerprint(&state, &serde_json::json!([number, action, body]));
            xinfang_web::once::once(&state, &format!("form:act:{}", s.user.id), &t, &fingerprint, run).await.map(|a| (a.status, a.body))
        }
        None => run().await,
    };
    match done {
        // 202: the act waits for the unit head (four eyes), it is not done yet.
        Ok((status, answer)) if status == StatusCode::ACCEPTED => {
            let id = answer.get("approval_id").and_then(Value::as_i64);
            let query = id.map(|id| format!("requested={id}")).unwrap_or_else(|| "requested=0".into());
            Redirect::to(&format!("/staff/p/{number}?{query}")).into_response()
        }
        Ok(_) => Redirect::to(&format!("/staff/p/{number}?done={action}")).into_response(),
        Err(e) if e.code == "idempotency_key_reused" => {
            petition_page(
                state,
                &headers,
                s,
                number,
                None,
                Some("此页面的这项操作已经提交过，请查看下方的办理记录；如需再次办理，请先刷新页面".into()),
                None,
            )
            .await
        }
        Err(e) => petition_page(state, &headers, s, number, None, Some(e.message), None).await,
    }
}

async fn attachment(State(state): State<AppState>, headers: HeaderMap, Path((number, id)): Path<(String, i64)>) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => {
            petitions::attachment(State(state), s, ApiPath((number, id))).await.unwrap_or_else(|e| (e.status, e.message).into_response())
        }
        Err(r) => r,
    }
}

// ----- Registration --------------------------------------------------------

#[derive(Default)]
pub struct RegisterValues {
    pub channel: String,
    pub received_on: String,
    pub category: String,
    pub jurisdiction: String,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub address: String,
    pub collective: bool,
    pub headcount: String,
    pub representatives: String,
    pub title: String,
    pub request: String,
    pub facts_and_reasons: String,
    pub errors: HashMap<String, String>,
}

#[derive(Template)]
#[template(path = "staff_register.html")]
struct RegisterPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    channels: Vec<(String, String)>,
    v: RegisterValues,
}

fn channels() -> Vec<(String, String)> {
    Channel::ALL.iter().filter(|c| **c != Channel::Online).map(|c| (c.as_str().to_string(), c.label().to_string())).collect()
}

async fn register_form(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (csrf, set) = crate::portal::csrf(&headers);
    let v = RegisterValues {
        channel: "letter".into(),
        received_on: local_date(Utc::now()).to_string(),
        category: "claim".into(),
        jurisdiction: s.unit.jurisdiction.clone(),
        ..RegisterValues::default()
    };
    crate::portal::with_cookie(
        render(&RegisterPage { me: me(&s), nav: "register", csrf, flash: None, alert: None, channels: channels(), v }),
        set,
    )
}

async fn register(State(state): State<AppState>, headers: HeaderMap, mut multipart: axum::extract::Multipart) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (f, files, problem) = crate::portal::read_multipart(&state, &headers, &mut multipart).await;
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let mut v = RegisterValues {
        channel: get("channel"),
        received_on: get("received_on"),
        category: get("category"),
        jurisdiction: get("jurisdiction"),
        name: get("name"),
        id_number: get("id_number"),
        phone: get("phone"),
        address: get("address"),
        collective: f.contains_key("collective"),
        headcount: get("headcount"),
        representatives: get("representatives"),
        title: get("title"),
        request: get("request"),
        facts_and_reasons: get("facts_and_reasons"),
        errors: HashMap::new(),
    };
    let (csrf, _) = crate::portal::csrf(&headers);
    if !crate::portal::csrf_ok(&headers, &get("csrf")) || problem.is_some() {
        return render(&RegisterPage {
            me: me(&s),
            nav: "register",
            csrf,
            flash: None,
            alert: Some(problem.unwrap_or_else(|| "页面已过期，请刷新后重试".into())),
            channels: channels(),
            v,
        });
    }
    let opt = |x: &str| Some(x.to_string()).filter(|x| !x.is_empty());
    let mut people = Vec::new();
    if !v.name.is_empty() {
        people.push(PetitionerInput {
            kind: None,
            name: v.name.clone(),
            id_number: opt(&v.id_number),
            phone: opt(&v.phone),
            address: opt(&v.address),
            representative: false,
        });
    }
    for line in v.representatives.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let mut parts = line.split_whitespace();
        let name = parts.next().unwrap_or_default().to_string();
        people.push(PetitionerInput {
            kind: None,
            name,
            id_number: None,
            phone: parts.next().map(String::from),
            address: None,
            representative: true,
        });
    }
    let input = PetitionInput {
        channel: opt(&v.channel),
        petitioners: people,
        collective: v.collective,
        headcount: v.headcount.parse().ok(),
        jurisdiction: v.jurisdiction.clone(),
        title: v.title.clone(),
        content: String::new(),
        request: v.request.clone(),
        facts_and_reasons: v.facts_and_reasons.clone(),
        category: v.category.clone(),
        litigation_related: false,
        topic: None,
        accused: None,
        anonymous: false,
        confidential: false,
        received_on: opt(&v.received_on),
        target_unit: None,
        attachments: Vec::new(),
        staged: files,
        new_facts_reason: None,
    };
    match intake(&state, Submitter::Staff(Box::new(s.clone())), input).await {
        Ok(out) => Redirect::to(&format!("/staff/p/{}?done=register", out.number)).into_response(),
        Err(e) => {
            let alert = if e.code.contains("representative") {
                v.errors.insert("representatives".into(), e.message.clone());
                None
            } else {
                Some(e.message.clone())
            };
            let mut r = render(&RegisterPage { me: me(&s), nav: "register", csrf, flash: None, alert, channels: channels(), v });
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            r
        }
    }
}

#[derive(Deserialize)]
struct CheckQuery {
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    phone: String,
}

/// htmx: warn the clerk while registering when the same petitioner (by
/// identity number or phone, matched on keyed hashes) has open petitions.
async fn petitioner_check(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<CheckQuery>) -> Response {
    let Ok(s) = staff(&state, &headers).await else { return StatusCode::UNAUTHORIZED.into_response() };
    let open: Vec<String> = PState::ALL.iter().filter(|st| !st.is_terminal()).map(|st| st.as_str().to_string()).collect();
    let mut found = Vec::new();
    for (id, phone) in [(q.id_number.trim(), ""), ("", q.phone.trim())] {
        if id.is_empty() && phone.is_empty() {
            continue;
        }
        let query = petitions::ListQuery {
            state: Some(open.join(",")),
            unit: None,
            category: None,
            channel: None,
            topic: None,
            from: None,
            to: None,
            overdue: None,
            sort: None,
            page: Some(1),
            per_page: Some(20),
            id_number: Some(id.to_string()).filter(|v| !v.is_empty()),
            phone: Some(phone.to_string()).filter(|v| !v.is_empty()),
            cursor: None,
        };
        if let Ok(Json(p)) = petitions::list(State(state.clone()), s.clone(), ApiQuery(query)).await {
            found.extend(p.items.into_iter().map(|i| (i.number, i.title)));
        }
    }
    found.sort();
    found.dedup();
    let html = if found.is_empty() {
        String::new()
    } else {
        let links: Vec<String> =
            found.iter().map(|(n, t)| format!("<a href=\"/staff/p/{n}\">{n}</a>（{}）", crate::portal::esc(t))).collect();
        format!(
            "<div class=\"alert\" role=\"alert\">该信访人已有{}件未办结的信访事项：{}。请核实是否为重复信访。</div>",
            found.len(),
            links.join("、")
        )
    };
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// Saved views: a named filter of the inbox, kept in a cookie (at most 10).
fn saved_views(headers: &HeaderMap) -> Vec<(String, String)> {
    cookie(headers, "xf_views")
        .and_then(|c| base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, c).ok())
        .and_then(|b| serde_json::from_slice::<Vec<(String, String)>>(&b).ok())
        .unwrap_or_default()
}

async fn save_view(headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let name: String = f.get("name").map(|n| n.trim().chars().take(20).collect()).unwrap_or_default();
    let query: String = f.get("query").map(|q| q.chars().filter(|c| c.is_ascii_graphic()).take(300).collect()).unwrap_or_default();
    if name.is_empty() || !crate::portal::csrf_ok(&headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        return Redirect::to("/staff").into_response();
    }
    let mut views = saved_views(&headers);
    views.retain(|(n, _)| *n != name);
    views.push((name, query));
    let start = views.len().saturating_sub(10);
    let views = views.split_off(start);
    let value = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, serde_json::to_vec(&views).unwrap_or_default());
    let mut r = Redirect::to("/staff").into_response();
    if let Ok(c) = HeaderValue::from_str(&format!("xf_views={value}; Path=/staff; Max-Age=31536000; HttpOnly; SameSite=Strict")) {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::{action_form, body_of};
    use serde_json::json;
    use std::collections::HashMap;
    use xinfang_domain::unit::UnitTree;

    fn submit(action: &'static str, pairs: &[(&str, &str)]) -> serde_json::Value {
        let form = action_form(action, &UnitTree::default(), "2026-03-02");
        let submitted: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        body_of(&form, &submitted)
    }

    #[test]
    fn required_choices_start_unchosen_and_checkboxes_are_booleans() {
        let tree = UnitTree::default();
        let decline = action_form("decline", &tree, "2026-03-02");
        let ground = decline.fields.iter().find(|f| f.name == "ground").map(|f| (f.kind, f.required, f.options[0].0.clone()));
        assert_eq!(ground, Some(("select", true, String::new())), "the ground is chosen on purpose");
        let accept = action_form("accept", &tree, "2026-03-02");
        let simplified = accept.fields.iter().find(|f| f.name == "simplified").map(|f| (f.kind, f.required));
        assert_eq!(simplified, Some(("checkbox", false)));
    }

    #[test]
    fn forms_become_the_json_the_api_takes() {
        assert_eq!(
            submit("decline", &[("csrf", "x"), ("ground", "already_in_process"), ("reason", " 已在办理 "), ("proper_channel", "等待答复")]),
            json!({"ground": "already_in_process", "reason": "已在办理", "proper_channel": "等待答复"})
        );
        // An unchosen ground is left out (the API names the missing field).
        assert_eq!(
            submit("decline", &[("ground", ""), ("reason", "r"), ("proper_channel", "p")]),
            json!({"reason": "r", "proper_channel": "p"})
        );
        assert_eq!(
            submit("accept", &[("route", "6"), ("simplified", "true"), ("note", "")]),
            json!({"route": 6, "simplified": true, "note": ""})
        );
        assert_eq!(submit("accept", &[("route", ""), ("note", "")]), json!({"simplified": false, "note": ""}), "不适用 is left out");
        assert_eq!(
            submit("designate_accused", &[("unit", ""), ("unknown", "true"), ("reason", "无法确定")]),
            json!({"unknown": true, "reason": "无法确定"})
        );
        assert_eq!(
            submit("designate_accused", &[("unit", "U12"), ("reason", "查明")]),
            json!({"unit": "U12", "unknown": false, "reason": "查明"})
        );
        assert_eq!(submit("reverse_decline", &[("reason", "不属于法定情形")]), json!({"reason": "不属于法定情形"}));
        assert_eq!(submit("extend", &[("days", "30"), ("reason", "复杂")]), json!({"days": 30, "reason": "复杂"}));
    }
}
