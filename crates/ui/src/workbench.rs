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
use xinfang_web::dto::{AccusedInput, LoginRequest, PetitionDetail, PetitionInput, PetitionerInput};
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
        // The address as people type it, with a trailing slash.
        .route("/staff/", get(|| async { Redirect::permanent("/staff") }))
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
        .route("/staff/p/{number}/unmask", post(unmask))
        .route("/staff/p/{number}/risk/{id}/dismiss", post(dismiss_risk))
        .route("/staff/p/{number}/risk", post(raise_risk))
        .route("/staff/p/{number}/attachments/{id}", get(attachment))
        .route("/staff/p/{number}/documents/{id}", get(letter))
}

/// The logged-in staff member, or a redirect to the login page.
pub(crate) async fn staff(state: &AppState, headers: &HeaderMap) -> Result<Staff, Response> {
    match cookie(headers, SESSION) {
        Some(t) => staff_for_token(state, &t).await.map_err(|_| Redirect::to("/staff/login").into_response()),
        None => Err(Redirect::to("/staff/login").into_response()),
    }
}

/// Who is logged in, for the header: unit, name, role, whether an
/// administrator (系统管理), whether a unit head (待我审批) and whether
/// one who may own cases (我的包案) and whether one who spot-checks (网上抽查).
/// And the dispute ledger (issue 14): 0 none, 1 the area's ledger beside
/// the petitions, 2 a grid reporter's (the ledger only).
pub(crate) type Me = Option<(String, String, String, bool, bool, bool, bool, u8)>;

pub(crate) fn me(s: &Staff) -> Me {
    use xinfang_domain::role::Role;
    use xinfang_domain::unit::UnitKind;
    let ledger = match (s.user.role, s.unit.kind) {
        (Role::GridReporter, _) => 2,
        (Role::Admin, _) => 0,
        (_, UnitKind::Government | UnitKind::GovernmentOffice | UnitKind::PetitionBureau | UnitKind::PartyGovernment) => 1,
        _ => 0,
    };
    Some((
        s.unit.name.clone(),
        s.user.display_name.clone(),
        s.user.role.label().to_string(),
        s.user.role == Role::Admin,
        s.user.role == Role::UnitHead,
        xinfang_domain::leadership::OWNERS.contains(&s.user.role),
        xinfang_domain::leadership::MANAGERS.contains(&s.user.role),
        ledger,
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
            let headers = e.headers();
            let mut r = render(&LoginPage { me: None, nav: "", csrf: token, flash: None, alert: Some(e.message) });
            *r.status_mut() = e.status;
            r.headers_mut().extend(headers);
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
    /// A 重件: the first petition's number.
    pub repeat_of: Option<String>,
}

/// Colour of the time left (`domain::supervision::colour`, the deadline
/// watch's classes): green, yellow (due within `soon_days`, the
/// deployment's `watch_due_soon_days`), red (due tomorrow or today), overdue.
pub fn colour(due_on: Option<&str>, today: chrono::NaiveDate, soon_days: u32) -> (&'static str, String) {
    match due_on.and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()) {
        Some(due) => xinfang_domain::supervision::colour(due, today, soon_days),
        None => ("none", "—".into()),
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
    filter_q: String,
    /// Whether a cursor is in use (a link back to the first page).
    paged: bool,
    /// The deadline watch's "due soon" days (the legend).
    soon_days: u32,
    /// Urgent risk alerts of the unit not dismissed yet (a banner).
    urgent_alerts: usize,
}

#[derive(Deserialize, Default)]
struct InboxQuery {
    /// The search box: number, name, phone, identity number or title words.
    q: Option<String>,
    state: Option<String>,
    category: Option<String>,
    channel: Option<String>,
    topic: Option<String>,
    from: Option<String>,
    to: Option<String>,
    overdue: Option<bool>,
    /// Keyset page: where the previous page ended.
    cursor: Option<String>,
    /// Set after a view was saved (the confirmation).
    saved: Option<String>,
}

/// Percent-encode a query value (UTF-8 bytes outside the unreserved set).
pub(crate) fn url_encode(v: &str) -> String {
    v.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

impl InboxQuery {
    fn query_string(&self) -> String {
        let pairs = [
            ("q", &self.q),
            ("state", &self.state),
            ("category", &self.category),
            ("channel", &self.channel),
            ("topic", &self.topic),
            ("from", &self.from),
            ("to", &self.to),
        ];
        let mut parts: Vec<String> =
            pairs.iter().filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| format!("{k}={}", url_encode(v)))).collect();
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
    // A grid reporter's desk is the village's ledger.
    if s.user.role == xinfang_domain::role::Role::GridReporter {
        return Redirect::to("/staff/disputes").into_response();
    }
    let (csrf, set) = crate::portal::csrf(&headers);
    let query = petitions::ListQuery {
        state: match (kind, q.state.clone().filter(|v| !v.is_empty())) {
            (Listing::Reviews, _) => Some("under_review,under_final_review".into()),
            (_, Some(chosen)) => Some(chosen),
            // The inbox is what still waits on the unit: not what has ended.
            (Listing::Inbox, None) => {
                Some(PState::ALL.iter().filter(|s| !s.is_terminal()).map(|s| s.as_str()).collect::<Vec<_>>().join(","))
            }
            (Listing::All, None) => None,
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
        q: q.q.clone().filter(|v| !v.trim().is_empty()),
    };
    let soon_days = state.settings.watch_due_soon_days;
    // The page's side reads and the list are independent: asked together
    // (the pool has a connection for each), the page waits for the
    // slowest of them, not for their sum.
    let (topics, views, urgent_alerts, listed) = tokio::join!(
        state.store.topics(),
        state.store.saved_views(s.user.id),
        xinfang_web::api::risk::open_urgent(&state, &s),
        petitions::list(State(state.clone()), s.clone(), ApiQuery(query)),
    );
    let topics = topics.unwrap_or_default().into_iter().filter(|t| t.parent_code.is_some()).map(|t| (t.code, t.name)).collect();
    let views: Vec<(String, String)> = views
        .unwrap_or_default()
        .into_iter()
        .map(|(n, q)| {
            let on = q.split('&').find_map(|p| p.strip_prefix("in=")).map(|l| format!("/staff/{l}")).unwrap_or_else(|| "/staff".into());
            (n, format!("{on}?{}", view_query(&q)))
        })
        .collect();
    let urgent_alerts = urgent_alerts.unwrap_or(0);
    let (page, alert) = match listed {
        Ok(Json(p)) => (p, None),
        // A refused search (e.g. too many person searches this hour) is
        // said above the list, the filters kept.
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS || e.status == StatusCode::FORBIDDEN || e.status == StatusCode::BAD_REQUEST => {
            (
                xinfang_web::dto::PetitionPage {
                    items: Vec::new(),
                    total: 0,
                    total_capped: false,
                    page: 1,
                    per_page: 100,
                    next_cursor: None,
                },
                Some(chinese_only(&e.message)),
            )
        }
        Err(e) => return crate::error_page(&std::sync::Arc::default(), &headers, e.status, "筛选条件有误", &e.message),
    };
    let today = local_date(Utc::now());
    let rows = page
        .items
        .into_iter()
        .map(|i| {
            let (colour, due_text) = colour(i.next_due_on.as_deref(), today, soon_days);
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
                repeat_of: i.repeat_of,
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
        flash: q.saved.as_deref().map(|n| format!("已保存视图“{n}”，可在“我的视图”中使用")),
        alert,
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
        views,
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
        filter_q: q.q.unwrap_or_default(),
        paged: q.cursor.as_deref().is_some_and(|c| !c.is_empty()),
        soon_days,
        urgent_alerts,
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
    /// text, textarea, date, number, select, checkbox, unit, units
    /// (several units; the value is their codes joined by commas)
    pub kind: &'static str,
    pub options: Vec<(String, String)>,
    /// A unit picker's units: the suggested ones first, then by level and kind.
    pub groups: Vec<UnitGroup>,
    pub value: String,
    /// The rule needs it: the browser asks for it before sending (never
    /// on checkboxes, whose "required" means only "sent as true or false").
    pub required: bool,
    /// Why the value sent was refused, shown beside the field.
    pub error: Option<String>,
    /// A date's first and last allowed day (the browser's picker keeps to
    /// them; the server checks the same rule).
    pub bounds: Option<(String, String)>,
}

impl FieldSpec {
    /// The label of the chosen option of a select or unit picker, or the value.
    pub fn shown_value(&self) -> String {
        if self.kind == "checkbox" {
            return if self.value.is_empty() { "否" } else { "是" }.into();
        }
        if self.kind == "units" {
            let units: Vec<&UnitOption> = self.groups.iter().flat_map(|g| &g.units).collect();
            return self
                .value
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| units.iter().find(|u| u.code == c).map(|u| u.name.clone()).unwrap_or_else(|| c.to_string()))
                .collect::<Vec<_>>()
                .join("、");
        }
        let chosen = self.options.iter().find(|(c, _)| *c == self.value && !c.is_empty()).map(|(_, l)| l.clone());
        let unit = self.groups.iter().flat_map(|g| &g.units).find(|u| u.code == self.value).map(|u| u.name.clone());
        chosen.or(unit).unwrap_or_else(|| self.value.clone())
    }

    /// Whether a unit is among those chosen (a several-units picker).
    pub fn chosen(&self, code: &str) -> bool {
        self.value.split(',').any(|c| c.trim() == code)
    }
}

/// One `<optgroup>` of a unit picker.
pub struct UnitGroup {
    pub label: String,
    pub units: Vec<UnitOption>,
}

pub struct UnitOption {
    pub code: String,
    pub name: String,
    /// What the search box matches: name, pinyin initials and code.
    pub keys: String,
}

pub struct ActionForm {
    pub name: &'static str,
    pub label: &'static str,
    pub fields: Vec<FieldSpec>,
    /// Taken by this user, the act becomes a request for the unit head.
    pub needs_approval: bool,
    /// Irreversible: a confirmation step says this before the act is done.
    pub confirm: Option<&'static str>,
    /// Shown open (the form just failed or is being revised).
    pub open: bool,
    /// The id of the first field in error (focused on load).
    pub first_error: Option<String>,
    /// The article it carries out: (its page, its citation).
    pub law: Option<(String, &'static str)>,
}

/// Where a petition arises and what it is about: the unit pickers put the
/// units fitting both first (`domain::routing`).
#[derive(Default, Clone)]
pub struct Place {
    pub jurisdiction: String,
    pub topic: Option<String>,
    /// The caller's unit area: pickers offer its level and the one below,
    /// besides the units above the place (bounded however big the tree).
    pub area: String,
    /// The caller's unit: a forward's or an assignment's picker offers
    /// only the units it may send this place's matter to
    /// (`procedure::route_place_allowed`, Art. 5(3), 22).
    pub from: Option<xinfang_domain::unit::UnitId>,
    /// What a topic field offers: the second-level topics (code, label
    /// with its first level), as registration offers them.
    pub topics: Vec<(String, String)>,
}

/// Pinyin initials of a unit name ("福田区教育局" → "ftqjyj"), for the search box.
pub fn initials(name: &str) -> String {
    use pinyin::ToPinyin;
    name.chars()
        .filter_map(|c| match c.to_pinyin() {
            Some(p) => p.plain().chars().next(),
            None => c.is_ascii_alphanumeric().then(|| c.to_ascii_lowercase()),
        })
        .collect()
}

/// A picker group's order: nearest area depth, level, kind.
type GroupKey = (u32, xinfang_domain::unit::Level, &'static str);

/// The units a picker offers, grouped: up to six suggested (the
/// petition's area and topic), then by level and kind, nearest first.
fn unit_groups(tree: &xinfang_domain::unit::UnitTree, pick: xinfang_domain::procedure::actions::UnitPick, place: &Place) -> Vec<UnitGroup> {
    use xinfang_domain::routing::fit;
    let next_len = match place.area.len() {
        2 => 4,
        4 => 6,
        6 => 9,
        n => n,
    };
    let offered = |u: &xinfang_domain::unit::Unit| {
        pick.admits(u.kind)
            && (place.jurisdiction.starts_with(&u.jurisdiction)
                || (u.jurisdiction.starts_with(&place.area) && u.jurisdiction.len() <= next_len)
                || place.area.is_empty())
    };
    let mut units: Vec<(u32, &xinfang_domain::unit::Unit)> =
        tree.all().filter(|u| offered(u)).map(|u| (fit(u, &place.jurisdiction, place.topic.as_deref()), u)).collect();
    units.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.code.cmp(&b.1.code)));
    let option = |u: &xinfang_domain::unit::Unit| UnitOption {
        code: u.code.clone(),
        name: u.name.clone(),
        keys: format!("{} {} {}", u.name, initials(&u.name), u.code.to_ascii_lowercase()),
    };
    let top = units.first().map(|x| x.0).unwrap_or(0);
    // Suggested: the best fits, when there is a fit at all (a topic
    // match, or the units of the place's own area).
    let suggested: Vec<&xinfang_domain::unit::Unit> =
        units.iter().filter(|(f, _)| *f > 0 && (*f >= 100 || *f == top)).take(6).map(|(_, u)| *u).collect();
    let mut groups: Vec<UnitGroup> = Vec::new();
    if !suggested.is_empty() {
        groups.push(UnitGroup {
            label: "建议：符合问题属地和内容分类".into(), units: suggested.iter().map(|u| option(u)).collect()
        });
    }
    let mut keyed: Vec<(GroupKey, Vec<UnitOption>)> = Vec::new();
    for (f, u) in &units {
        if suggested.iter().any(|s| s.id == u.id) {
            continue;
        }
        // Nearest area first: the area depth of the unit orders its group.
        let depth = if *f > 0 { u32::try_from(u.jurisdiction.len()).unwrap_or(0) } else { 0 };
        let key = (depth, u.level, u.kind.label());
        match keyed.iter_mut().find(|(k, _)| k.1 == key.1 && k.2 == key.2) {
            Some((k, v)) => {
                k.0 = k.0.max(depth);
                v.push(option(u));
            }
            None => keyed.push((key, vec![option(u)])),
        }
    }
    keyed.sort_by(|a, b| b.0.0.cmp(&a.0.0).then_with(|| a.0.1.cmp(&b.0.1).reverse()).then_with(|| a.0.2.cmp(b.0.2)));
    groups.extend(keyed.into_iter().map(|((_, level, kind), mut units)| {
        units.sort_by(|a, b| a.code.cmp(&b.code));
        UnitGroup { label: format!("{} · {kind}", level.label()), units }
    }));
    groups
}

/// Art. 31 routes as the accept form offers them (the empty one for
/// suggestions and accusations).
const ROUTES: [(&str, &str); 7] = [
    ("6", "（六）调查核实并出具信访处理意见书"),
    ("5", "（五）履行职责或答复"),
    ("1", "（一）诉讼等法定程序"),
    ("2", "（二）仲裁"),
    ("3", "（三）党员申诉"),
    ("4", "（四）行政程序"),
    ("", "不适用（建议意见类、检举控告类）"),
];

/// The form of an action, derived from the action table: exactly the
/// fields its rule requires, labelled as the table says.
/// A forward's, an assignment's or a negotiation's picker: only the units
/// the caller's unit may send this place's matter to, itself left out
/// (`procedure::route_place_allowed`, the rule the act is judged by).
fn routable(name: &str, tree: &xinfang_domain::unit::UnitTree, place: &Place, mut groups: Vec<UnitGroup>) -> Vec<UnitGroup> {
    let Some(from) = place.from.and_then(|id| tree.get(id)).filter(|_| matches!(name, "forward" | "assign" | "start_negotiation")) else {
        return groups;
    };
    let allowed = |code: &str| {
        tree.by_code(code).is_some_and(|t| {
            t.id != from.id
                && xinfang_domain::procedure::route_place_allowed(&place.jurisdiction, from, t)
                && (name != "assign" || xinfang_domain::procedure::assign_allowed(tree, from, t))
        })
    };
    for g in &mut groups {
        g.units.retain(|u| allowed(&u.code));
    }
    groups.retain(|g| !g.units.is_empty());
    groups
}

fn action_form(name: &'static str, tree: &xinfang_domain::unit::UnitTree, today: &str, place: &Place) -> ActionForm {
    use xinfang_domain::procedure::actions::{self, FieldKind};
    let Some(spec) = actions::spec(name) else {
        return ActionForm {
            name,
            label: action_label(name),
            fields: Vec::new(),
            needs_approval: false,
            confirm: None,
            open: false,
            first_error: None,
            law: None,
        };
    };
    let fields = spec
        .fields
        .iter()
        .map(|fd| {
            let mut groups = Vec::new();
            let (kind, options, value) = match fd.kind {
                FieldKind::Text => ("text", Vec::new(), String::new()),
                FieldKind::LongText => ("textarea", Vec::new(), String::new()),
                // The day something was done defaults to today; a date set
                // ahead (an assignment's due date) is chosen on purpose.
                FieldKind::Date => ("date", Vec::new(), if fd.name == "due_on" { String::new() } else { today.to_string() }),
                FieldKind::Days => ("number", Vec::new(), if name == "extend" { "30".into() } else { String::new() }),
                FieldKind::Bool => ("checkbox", Vec::new(), String::new()),
                FieldKind::Unit(pick) => {
                    // Never preselected: the unit is chosen on purpose.
                    groups = routable(name, tree, place, unit_groups(tree, pick, place));
                    ("unit", Vec::new(), String::new())
                }
                FieldKind::Units(pick) => {
                    // The same grouped, searchable picker, several chosen.
                    groups = routable(name, tree, place, unit_groups(tree, pick, place));
                    ("units", Vec::new(), String::new())
                }
                FieldKind::Choice(c) => {
                    let mut o: Vec<(String, String)> = c.options().into_iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
                    // A required choice (e.g. the ground of 不予受理) is
                    // made on purpose, never by leaving the first option.
                    o.insert(0, (String::new(), (if fd.required { "请选择" } else { "不适用" }).into()));
                    ("select", o, String::new())
                }
                FieldKind::Route => ("select", ROUTES.iter().map(|(a, b)| ((*a).to_string(), (*b).to_string())).collect(), String::new()),
                // Chosen on purpose, like a required choice.
                FieldKind::Topic => (
                    "select",
                    std::iter::once((String::new(), "请选择".to_string())).chain(place.topics.iter().cloned()).collect(),
                    String::new(),
                ),
            };
            FieldSpec {
                name: fd.name,
                label: fd.label,
                kind,
                options,
                groups,
                value,
                required: fd.required && kind != "checkbox",
                error: None,
                bounds: date_bounds(fd.name, today),
            }
        })
        .collect();
    let law = xinfang_web::api::articles::rule_link(spec.article).map(|l| (l, spec.article.citation()));
    ActionForm { name, label: spec.label, fields, needs_approval: false, confirm: spec.confirm, open: false, first_error: None, law }
}

/// The days a date field may hold: an assignment's due date after today
/// and at most `ASSIGN_LONGEST_DAYS` on (the rule `assign` is judged by).
fn date_bounds(field: &str, today: &str) -> Option<(String, String)> {
    let today = xinfang_domain::plain_date(today)?;
    (field == "due_on").then(|| {
        let last = today + chrono::Duration::days(xinfang_domain::procedure::ASSIGN_LONGEST_DAYS);
        ((today + chrono::Duration::days(1)).to_string(), last.to_string())
    })
}

/// A failed or revised action form: what was typed and what was wrong.
#[derive(Default)]
pub struct Failed {
    pub action: String,
    pub values: HashMap<String, String>,
    pub errors: HashMap<String, String>,
}

impl ActionForm {
    /// Whether `field` is the first one in error (it gets the focus).
    pub fn focus(&self, field: &str) -> bool {
        self.first_error.as_deref().is_some_and(|id| id.strip_prefix(self.name).and_then(|r| r.strip_prefix('-')) == Some(field))
    }

    /// Put back what was typed and the messages beside their fields.
    fn refill(&mut self, failed: &Failed) {
        self.open = true;
        for f in &mut self.fields {
            f.value = match (f.kind, failed.values.get(f.name)) {
                ("checkbox", v) => v.filter(|v| !v.is_empty()).map(|_| "true".to_string()).unwrap_or_default(),
                (_, Some(v)) => v.clone(),
                (_, None) => String::new(),
            };
            f.error = failed.errors.get(f.name).cloned();
        }
        self.first_error = self.fields.iter().find(|f| f.error.is_some()).map(|f| format!("{}-{}", self.name, f.name));
    }
}

/// A message as people read it: code names in brackets (e.g. "（decision）")
/// are left out; the field is named in Chinese already. The one rule for
/// the portal and the workbench (`portal::citizen_message`).
pub fn chinese_only(message: &str) -> String {
    crate::portal::citizen_message(message)
}

/// The JSON body of an action from its form, typed by the field specs.
fn body_of(form: &ActionForm, submitted: &HashMap<String, String>) -> Value {
    let mut m = Map::new();
    for spec in &form.fields {
        let raw = submitted.get(spec.name).map(|s| s.trim().to_string()).unwrap_or_default();
        let v = match (spec.kind, spec.name) {
            ("checkbox", _) => Value::Bool(!raw.is_empty()),
            ("number", _) => raw.parse::<i64>().map(Value::from).unwrap_or(Value::String(raw)),
            // An empty select (not chosen, 不适用) is left out of the body,
            // and so is an empty required field: the rule then names it
            // with the others still missing.
            ("select" | "unit", _) if raw.is_empty() => continue,
            (_, _) if raw.is_empty() && spec.required => continue,
            (_, "route") => raw.parse::<i64>().map(Value::from).unwrap_or(Value::String(raw)),
            ("units", _) => {
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
    /// A query code just made, shown large this once for the clerk to read
    /// out or copy onto the receipt.
    query_code: Option<String>,
    alert: Option<String>,
    d: PetitionDetail,
    channel_label: &'static str,
    category_label: &'static str,
    /// 问题属地 as a place name (with its code).
    place: String,
    topic_label: String,
    current_unit: String,
    view_label: &'static str,
    history: Vec<HistoryEntry>,
    /// (label, due, state, colour, the article's page).
    timers: Vec<(String, String, String, &'static str, Option<String>)>,
    actions: Vec<ActionForm>,
    /// The latest decision letter, review or final review opinion, for
    /// the reviewer to have at hand: (title, outcome, decision, facts and
    /// reasons, basis).
    documents: Vec<(String, String, String, String, String)>,
    /// Every document issued so far: (name, issued, outcome).
    issued: Vec<(String, String, String)>,
    /// Letters as PDF: (title, 文号, issued on, id, rendered).
    /// (title, 文号, date, id, ready, the article it rests on).
    letters: Vec<(String, String, String, i64, bool, Option<String>)>,
    /// Owner leader, track and escalations with their forms.
    lead: Option<crate::leadership::LeadBlock>,
    /// Requests for the unit head on this petition, pending and decided.
    approvals: Vec<crate::approvals::ApprovalRow>,
    /// The caller heads a unit (links to 待我审批).
    head: bool,
    /// Facts of the procedure shown where set: (label, value).
    facts: Vec<(&'static str, String)>,
    /// Each person once: (name, representative, id number, phone, address).
    people: Vec<(String, bool, String, String, String)>,
    /// The full contact data was just revealed (and logged).
    unmasked: bool,
    /// May ask to reveal the full contact data (full view, not an admin).
    may_unmask: bool,
    /// Sees the petition in full (its possible repeats are listed).
    full_view: bool,
    /// A claim that speaks of wages, which a clerk may put in the
    /// wage-arrears green channel by hand (`green_channel::about_wages`).
    may_green_in: bool,
    /// Risk alerts of the petition already dismissed (listed with who and why).
    dismissed_alerts: usize,
    /// The unmask reason typed and why it was refused.
    unmask_reason: String,
    unmask_error: Option<String>,
    /// May raise a risk alert by hand (the API's rule: sees it in full,
    /// not an admin), with what was typed into a refused one.
    may_mark_risk: bool,
    risk_typed: RiskTyped,
    /// What was typed into a refused dismissal of one of its alerts.
    dismiss_typed: DismissTyped,
}

/// A risk alert raised by hand as typed, why it was refused and the field
/// at fault (`kind`, `level`, `reason`; None: the form as a whole).
#[derive(Default)]
pub(crate) struct RiskTyped {
    pub(crate) kind: String,
    pub(crate) level: String,
    pub(crate) reason: String,
    pub(crate) error: Option<String>,
    pub(crate) field: Option<String>,
}

/// A refused dismissal of alert `id` as typed, and why.
#[derive(Default)]
pub(crate) struct DismissTyped {
    pub(crate) id: i64,
    pub(crate) reason: String,
    pub(crate) verdict: xinfang_web::api::risk::Verdict,
    pub(crate) error: Option<String>,
}

/// One line of a petition's history.
struct HistoryEntry {
    time: String,
    what: String,
    /// Unit and name of the person, never a login name.
    who: String,
    /// The notes and values entered: (label, value).
    details: Vec<(String, String)>,
    /// The article the act carries out (a refusal: the one it rests on).
    law: Option<(String, &'static str)>,
}

#[derive(Deserialize, Default)]
struct PageQuery {
    done: Option<String>,
    /// After a registration with a 初件 / 重件 choice: `kept`, `moved` or
    /// `failed` (`api::repeats::NotKept`).
    repeat: Option<String>,
    /// Set after an act became a request for the unit head (202).
    requested: Option<i64>,
    /// After a risk alert was raised by hand: its level, and how many duty
    /// officers it was e-mailed to.
    risk: Option<String>,
    notified: Option<usize>,
    /// After a risk alert was dismissed: the verdict, and whether the
    /// urgent model learns from it (`learnt=1`).
    dismissed: Option<String>,
    learnt: Option<String>,
}

/// What a petition page shows besides the petition.
#[derive(Default)]
pub(crate) struct Extras {
    pub(crate) flash: Option<String>,
    /// A query code just made (registration, 补发查询码), shown this once.
    pub(crate) query_code: Option<String>,
    pub(crate) alert: Option<String>,
    pub(crate) requested: Option<i64>,
    pub(crate) failed: Option<Failed>,
    /// Petitioners unmasked by a logged request.
    pub(crate) unmasked: Option<Vec<xinfang_web::dto::PetitionerView>>,
    pub(crate) unmask_reason: String,
    pub(crate) unmask_error: Option<String>,
    pub(crate) risk_typed: Option<RiskTyped>,
    pub(crate) dismiss_typed: Option<DismissTyped>,
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

/// A 行政区划 code as its place name, province down ("广东省深圳市福田区").
pub(crate) async fn place_name(state: &AppState, code: &str) -> String {
    let mut names = Vec::new();
    for len in [2, 4, 6, 9, 12] {
        if code.len() < len {
            break;
        }
        if let Ok(Some(d)) = state.store.division(&code[..len]).await {
            names.push(d.name);
        }
    }
    if names.is_empty() { code.to_string() } else { format!("{}（{code}）", names.concat()) }
}

/// The notes and values an act recorded, labelled from the action table
/// (documents shown in full elsewhere are left out here).
/// A topic's label from the list, with its code; the code alone when the
/// list no longer has it.
fn topic_named(topics: &[(String, String)], code: &str) -> String {
    topics.iter().find(|(c, _)| c == code).map(|(_, l)| format!("{l}（{code}）")).unwrap_or_else(|| code.to_string())
}

fn event_details(
    action: &str,
    payload: &Value,
    tree: &xinfang_domain::unit::UnitTree,
    topics: &[(String, String)],
) -> Vec<(String, String)> {
    use xinfang_domain::procedure::actions::{self, FieldKind};
    let Some(spec) = actions::spec(action) else { return Vec::new() };
    if matches!(action, "conclude" | "decide_review" | "decide_final_review") {
        return Vec::new();
    }
    let mut out = Vec::new();
    for fd in spec.fields {
        let Some(v) = payload.get(fd.name).filter(|v| !v.is_null()) else { continue };
        let shown = match (fd.kind, v) {
            (FieldKind::Unit(_), Value::String(code)) => tree.by_code(code).map(|u| u.name.clone()).unwrap_or_else(|| code.clone()),
            (FieldKind::Unit(_), Value::Number(n)) => n.as_i64().and_then(|id| tree.get(id)).map(|u| u.name.clone()).unwrap_or_default(),
            (FieldKind::Units(_), Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(|c| tree.by_code(c).map(|u| u.name.clone()).unwrap_or_else(|| c.to_string()))
                .collect::<Vec<_>>()
                .join("、"),
            (FieldKind::Choice(c), Value::String(code)) => {
                c.options().iter().find(|(k, _)| k == code).map(|(_, l)| (*l).to_string()).unwrap_or_else(|| code.clone())
            }
            // A box left unticked says nothing worth a line.
            (FieldKind::Bool, Value::Bool(false)) => continue,
            (FieldKind::Bool, Value::Bool(true)) => "是".to_string(),
            (FieldKind::Route, Value::Number(n)) => {
                let code = n.to_string();
                ROUTES.iter().find(|(c, _)| *c == code).map(|(_, l)| (*l).to_string()).unwrap_or(code)
            }
            (FieldKind::Topic, Value::String(code)) => topic_named(topics, code),
            (_, Value::String(s)) => s.clone(),
            (_, Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        if !shown.trim().is_empty() {
            out.push((fd.label.to_string(), shown));
        }
    }
    // A corrected topic says what it was.
    if let Some(from) = payload.get("from_topic").filter(|_| action == "correct_topic") {
        out.insert(0, ("原内容分类".to_string(), from.as_str().map(|c| topic_named(topics, c)).unwrap_or_else(|| "未分类".into())));
    }
    // An accusation found by the unit it was sent to goes on with the act.
    if let Some(code) = payload.get("referred_to").and_then(Value::as_str) {
        out.push(("已移送".to_string(), tree.by_code(code).map(|u| u.name.clone()).unwrap_or_else(|| code.to_string())));
    }
    out
}

pub(crate) async fn petition_page(state: AppState, headers: &HeaderMap, s: Staff, number: String, x: Extras) -> Response {
    let (csrf, set) = crate::portal::csrf(headers);
    let d = match petitions::detail_of(&state, &s, &number, &mut xinfang_web::observe::Phases::start()).await {
        Ok(d) => d,
        // An act that took the matter out of this unit's sight (an
        // accusation sent on to the discipline body) says it was done.
        Err(e) if e.status == StatusCode::NOT_FOUND && x.flash.is_some() => {
            let done = x.flash.unwrap_or_default();
            return crate::staff_error_page(
                &s,
                headers,
                StatusCode::OK,
                "已办理",
                &format!("{done}。该事项已转交其他机关办理，依规不再向本单位显示。"),
            );
        }
        Err(e) => return crate::staff_error_page(&s, headers, e.status, "无法查看", &e.message),
    };
    // The act became a request for the unit head: say so, with its limit.
    let flash = match x.requested {
        Some(id) => Some(match d.approvals.iter().find(|a| a.id == id) {
            Some(a) => format!("已提交单位负责人审批（审批期限：{}）：{}，经负责人批准后生效", a.due_on, a.action_label),
            None => "已提交单位负责人审批，经负责人批准后生效".to_string(),
        }),
        None => x.flash,
    };
    let today = local_date(Utc::now());
    let tree = state.tree();
    let place = Place {
        jurisdiction: d.jurisdiction.clone(),
        topic: d.topic.clone(),
        area: s.unit.jurisdiction.clone(),
        from: Some(s.unit.id),
        topics: topic_choices(&state).await,
    };
    let actions = match petitions::load_visible(&state, &s, &number).await {
        Ok((rec, view)) => {
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
                .filter(|a| *a != "evaluate" && petitions::view_allows(a, view))
                .map(|a| {
                    let mut f = action_form(a, &tree, &today.to_string(), &place);
                    f.needs_approval = d.available_actions.iter().any(|v| v.name == a && v.needs_approval);
                    if let Some(failed) = x.failed.as_ref().filter(|x| x.action == a) {
                        f.refill(failed);
                    }
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
            let (colour, text) = if t.met_at.is_some() {
                ("none", "已完成".to_string())
            } else {
                colour(Some(&t.due_on), today, state.settings.watch_due_soon_days)
            };
            let extended = if t.extension_days > 0 { format!("（已延长{}日）", t.extension_days) } else { String::new() };
            (
                format!("{}（{}）", t.label, t.kind),
                format!("{}{}{extended}", t.due_on, if t.provisional { "（预计）" } else { "" }),
                text,
                colour,
                xinfang_domain::deadline::TimerKind::parse(&t.kind).and_then(|k| xinfang_web::api::articles::rule_link(k.rule())),
            )
        })
        .collect();
    // People by name and unit, never by login name.
    let usernames: Vec<String> =
        d.history.iter().filter_map(|e| e.actor_username.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let names = state.store.display_names(&usernames).await.unwrap_or_default();
    let history = d
        .history
        .iter()
        .map(|e| {
            let unit = e.actor_unit.as_deref().and_then(|c| tree.by_code(c)).map(|u| u.name.clone());
            let who = match (&e.actor_username, e.actor_kind.as_str()) {
                (Some(u), _) => {
                    let name = names.get(u).cloned().unwrap_or_else(|| "工作人员".into());
                    match unit {
                        Some(unit) => format!("{unit} {name}"),
                        None => name,
                    }
                }
                (None, "petitioner") => "信访人".into(),
                (None, _) => unit.unwrap_or_else(|| "系统".into()),
            };
            let mut details = event_details(&e.action, &e.payload, &tree, &place.topics);
            if let Some(r) = e.reason.as_deref().filter(|r| !r.is_empty() && !details.iter().any(|(_, v)| v == r)) {
                details.push(("理由".into(), r.to_string()));
            }
            let law = xinfang_domain::procedure::actions::spec(&e.action)
                .and_then(|a| xinfang_web::api::articles::rule_link(a.article).map(|l| (l, a.article.citation())));
            HistoryEntry { time: crate::portal::local_time(&e.occurred_at), what: action_label(&e.action).to_string(), who, details, law }
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
    let full_view = d.view == "full";
    let may_green_in = full_view
        && d.category == "claim"
        && xinfang_domain::green_channel::about_wages(
            d.topic.as_deref(),
            &[d.title.as_str(), &d.content, &d.request, &d.facts_and_reasons].concat(),
        );
    let dismissed_alerts = d.risk_alerts.iter().filter(|a| a.dismissed_at.is_some()).count();
    let view_label = match d.view.as_str() {
        "sealed" => "检举控告材料已封存，仅纪检监察机关及其指定单位可见",
        "identity_hidden" => "信访人要求身份保密",
        _ if x.unmasked.is_some() => "完整（已按说明的事由显示完整个人信息，查看已记录）",
        _ => "完整（个人信息已脱敏）",
    };
    let current_unit = d.current_unit.as_ref().map(|u| u.name.clone()).unwrap_or_default();
    let letters = d
        .letters
        .iter()
        .map(|l| {
            let law = xinfang_domain::letters::LetterKind::parse(&l.kind).and_then(|k| xinfang_web::api::articles::rule_link(k.rule()));
            (l.title.clone(), l.doc_number.clone(), l.issued_on.clone(), l.id, l.sha256.is_some(), law)
        })
        .collect();
    let lead = crate::leadership::block(&state, &s, &number).await;
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
    let mut approvals: Vec<crate::approvals::ApprovalRow> =
        d.approvals.iter().cloned().map(|a| crate::approvals::approval_row(a, &tree)).collect();
    crate::approvals::with_names(&state, &mut approvals).await;
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
    // Each person once: a representative entered also as the petitioner
    // is one person (same name and phone).
    let unmasked = x.unmasked.is_some();
    let source = x.unmasked.as_ref().unwrap_or(&d.petitioners);
    let mut people: Vec<(String, bool, String, String, String)> = Vec::new();
    for p in source {
        let phone = p.phone.clone().unwrap_or_default();
        match people.iter_mut().find(|q| q.0 == p.name && (q.3 == phone || q.3.is_empty() || phone.is_empty())) {
            Some(q) => {
                q.1 |= p.representative;
                if q.3.is_empty() {
                    q.3 = phone;
                }
            }
            None => people.push((
                p.name.clone(),
                p.representative,
                p.id_number.clone().unwrap_or_default(),
                phone,
                p.address.clone().unwrap_or_default(),
            )),
        }
    }
    let topic_label = match &d.topic {
        Some(code) => state.store.topic(code).await.ok().flatten().map(|t| t.name).unwrap_or_else(|| code.clone()),
        None => String::new(),
    };
    let status = if x.alert.is_some() || x.failed.as_ref().is_some_and(|f| !f.errors.is_empty()) || x.unmask_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let may_unmask = d.view == "full" && s.user.role != xinfang_domain::role::Role::Admin && d.petitioners.iter().any(|p| p.masked);
    let mut r = render(&PetitionPage {
        me: me(&s),
        nav: "",
        csrf,
        form_token: xinfang_web::auth::random_secret(16),
        flash,
        query_code: x.query_code,
        alert: x.alert,
        channel_label: Channel::parse(&d.channel).map(|c| c.label()).unwrap_or_default(),
        category_label: Category::parse(&d.category).map(|c| c.label()).unwrap_or_default(),
        place: place_name(&state, &d.jurisdiction).await,
        topic_label,
        d,
        current_unit,
        view_label,
        history,
        timers,
        actions,
        documents,
        issued,
        letters,
        lead,
        approvals,
        head: s.user.role == xinfang_domain::role::Role::UnitHead,
        facts,
        people,
        unmasked,
        may_unmask,
        full_view,
        may_green_in,
        dismissed_alerts,
        unmask_reason: x.unmask_reason,
        unmask_error: x.unmask_error,
        may_mark_risk: full_view && s.user.role != xinfang_domain::role::Role::Admin,
        risk_typed: x.risk_typed.unwrap_or_default(),
        dismiss_typed: x.dismiss_typed.unwrap_or_default(),
    });
    *r.status_mut() = status;
    crate::portal::with_cookie(r, set)
}

async fn petition(State(state): State<AppState>, headers: HeaderMap, Path(number): Path<String>, Query(q): Query<PageQuery>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    // The query code of a petition just registered, or reissued, once:
    // from the sealed cookie the act set (the code is stored only as a
    // hash).
    let code = matches!(q.done.as_deref(), Some("register" | "reissue_query_code"))
        .then(|| crate::portal::open_cookie(&state, &headers, REGISTERED_COOKIE, "registered"))
        .flatten()
        .filter(|v| v["number"].as_str() == Some(number.as_str()) && v["user"].as_i64() == Some(s.user.id))
        .and_then(|v| v["query_code"].as_str().map(String::from))
        .filter(|c| !c.is_empty());
    let flash = q.done.as_deref().map(|a| {
        let what = if a == "register" { "登记" } else { action_label(a) };
        let finding = if q.repeat.as_deref() == Some("kept") { "，并认定初件/重件" } else { "" };
        let told = code.as_deref().map(|c| format!("。查询码：{c}（请告知信访人：凭信访件编号和查询码可查询办理进度、评价和申请复查；查询码只保存摘要，离开本页后不再显示）")).unwrap_or_default();
        format!("已办理：{what}{finding}{told}")
    });
    let alert = match q.repeat.as_deref() {
        Some("failed") => Some("已登记，但初件/重件认定未能保存；事项仍在本单位办理的，请在下方“初件 / 重件”处重新认定。".to_string()),
        Some("moved") => Some("已登记并转至其他单位，初件/重件由当前办理单位认定。".to_string()),
        _ => None,
    };
    let flash = flash.or_else(|| risk_flash(&q));
    let shown = code.is_some();
    let mut r = petition_page(
        state,
        &headers,
        s,
        number,
        Extras { flash, query_code: code.clone(), alert, requested: q.requested, ..Extras::default() },
    )
    .await;
    if shown && r.status() == StatusCode::OK {
        // Shown once: a reload or a later visit does not show it again. (A
        // page that could not be shown keeps it for the next attempt, until
        // the cookie expires.)
        if let Ok(v) = HeaderValue::from_str(&format!("{REGISTERED_COOKIE}=; Path=/staff/p/; Max-Age=0; HttpOnly; SameSite=Strict")) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// The sealed cookie carrying a new registration's query code to the
/// petition page it redirects to.
const REGISTERED_COOKIE: &str = "xf_registered";

/// Go to `to` (a petition page with `done=register`), which shows `code`,
/// the query code of petition `number` just made, once, to this user only:
/// sealed in a cookie sent back only to petition pages.
pub(crate) fn show_new_code(state: &AppState, user: i64, number: &str, code: &str, to: &str) -> Response {
    let sealed = serde_json::json!({ "number": number, "query_code": code, "user": user });
    crate::portal::see_other(to, [crate::portal::seal_cookie_at(state, REGISTERED_COOKIE, "registered", sealed, "/staff/p/")])
}

/// What the page says after a risk alert was raised by hand or dismissed
/// (post/redirect/get: a reload sends nothing again).
fn risk_flash(q: &PageQuery) -> Option<String> {
    use xinfang_web::api::risk::{Verdict, level_label};
    if let Some(level) = q.risk.as_deref() {
        let mailed = match q.notified.unwrap_or(0) {
            0 if level == "urgent" => "；没有可通知的值班人员邮箱，请电话告知值班人员".to_string(),
            0 => String::new(),
            n => format!("，已邮件通知{n}名值班人员"),
        };
        let learnt = if level == "urgent" { "；下次训练时风险模型将据此学习" } else { "" };
        return Some(format!("已标记{}风险{mailed}{learnt}", level_label(level)));
    }
    q.dismissed.as_deref().and_then(Verdict::parse).map(|v| v.dismissed_message(q.learnt.as_deref() == Some("1")).to_string())
}

/// The query parameter that tells the page after a dismissal that the
/// urgent model learns from it (post/redirect/get keeps the answer).
pub(crate) fn learnt_param(learnt: bool) -> &'static str {
    if learnt { "&learnt=1" } else { "" }
}

#[derive(Template)]
#[template(path = "staff_confirm.html")]
struct ConfirmPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    number: String,
    title: String,
    form: ActionForm,
    /// What was typed, sent again with the confirmation: (name, value).
    hidden: Vec<(String, String)>,
}

/// Form fields that are the page's, not the action's.
const FORM_CONTROL: [&str; 3] = ["csrf", "confirmed", "revise"];

async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((number, action)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    // A several-units picker sends its field once per unit chosen: the
    // codes joined by commas, as the text the action's body is made of.
    let mut f: HashMap<String, String> = HashMap::new();
    for (k, v) in pairs {
        match f.get_mut(&k) {
            Some(seen) if !v.is_empty() => {
                if !seen.is_empty() {
                    seen.push(',');
                }
                seen.push_str(&v);
            }
            Some(_) => {}
            None => {
                f.insert(k, v);
            }
        }
    }
    let alert = |m: &str| Extras { alert: Some(m.to_string()), ..Extras::default() };
    if !crate::portal::csrf_ok(&headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        return petition_page(state, &headers, s, number, alert("页面已过期，请刷新后重试")).await;
    }
    let Some(spec) = xinfang_domain::procedure::actions::spec(&action) else {
        return petition_page(state, &headers, s, number, alert("没有这项操作")).await;
    };
    let values: HashMap<String, String> =
        f.iter().filter(|(k, _)| !FORM_CONTROL.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    let failed = |errors: HashMap<String, String>| Failed { action: spec.name.to_string(), values: values.clone(), errors };
    // 返回修改 on the confirmation step: the form again, as typed.
    if f.contains_key("revise") {
        return petition_page(state, &headers, s, number, Extras { failed: Some(failed(HashMap::new())), ..Extras::default() }).await;
    }
    let today = local_date(Utc::now()).to_string();
    let tree = state.tree();
    let mut form = action_form(spec.name, &tree, &today, &Place::default());
    let body = body_of(&form, &f);
    // Every missing or malformed field at once, before anything is done.
    if let Err(errs) = xinfang_domain::procedure::Command::from_json_all(spec.name, body.clone()) {
        let errors: HashMap<String, String> =
            errs.iter().filter_map(|e| e.field.map(|fd| (fd.to_string(), chinese_only(&e.message)))).collect();
        let general = errs.iter().find(|e| e.field.is_none()).map(|e| chinese_only(&e.message));
        let x = Extras {
            alert: Some(general.unwrap_or_else(|| format!("“{}”未办理：请按提示修改标出的内容", spec.label))),
            failed: Some(failed(errors)),
            ..Extras::default()
        };
        return petition_page(state, &headers, s, number, x).await;
    }
    // Irreversible: say what will happen and ask once more.
    if spec.confirm.is_some() && f.get("confirmed").map(String::as_str) != Some("1") {
        let title = petitions::load_visible(&state, &s, &number).await.map(|(r, _)| r.title).unwrap_or_default();
        form.refill(&failed(HashMap::new()));
        let (csrf, set) = crate::portal::csrf(&headers);
        let mut hidden: Vec<(String, String)> = values.clone().into_iter().collect();
        hidden.sort();
        let page = ConfirmPage { me: me(&s), nav: "", csrf, flash: None, alert: None, number, title, form, hidden };
        return crate::portal::with_cookie(render(&page), set);
    }
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
        // A reissued query code goes to the page like a registration's.
        Ok((_, answer)) if answer.get("query_code").and_then(Value::as_str).is_some_and(|c| !c.is_empty()) => {
            let code = answer["query_code"].as_str().unwrap_or_default();
            show_new_code(&state, s.user.id, &number, code, &format!("/staff/p/{number}?done={action}"))
        }
        Ok(_) => Redirect::to(&format!("/staff/p/{number}?done={action}")).into_response(),
        Err(e) if e.code == "idempotency_key_reused" => {
            let alert = "此页面的这项操作已经提交过，请查看下方的办理记录；如需再次办理，请先刷新页面".to_string();
            petition_page(state, &headers, s, number, Extras { alert: Some(alert), ..Extras::default() }).await
        }
        Err(e) => {
            let errors: HashMap<String, String> = e
                .fields
                .iter()
                .filter(|fe| spec.field(&fe.field).is_some())
                .map(|fe| (fe.field.clone(), chinese_only(&fe.message)))
                .collect();
            let message = chinese_only(&e.message);
            let alert = if errors.is_empty() { message } else { format!("“{}”未办理：{message}", spec.label) };
            petition_page(state, &headers, s, number, Extras { alert: Some(alert), failed: Some(failed(errors)), ..Extras::default() })
                .await
        }
    }
}

/// Reveal the petitioners' full identity number, phone and address, with
/// the reason stated: the API's logged unmask (one path, one access log).
async fn unmask(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let reason = f.get("reason").map(|r| r.trim().to_string()).unwrap_or_default();
    if !crate::portal::csrf_ok(&headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        return petition_page(state, &headers, s, number, Extras { alert: Some("页面已过期，请刷新后重试".into()), ..Extras::default() })
            .await;
    }
    let input = xinfang_web::dto::UnmaskInput { reason: reason.clone() };
    match petitions::unmask(State(state.clone()), s.clone(), ApiPath(number.clone()), ApiJson(input)).await {
        Ok(Json(r)) => {
            let x = Extras {
                flash: Some(format!("已显示完整个人信息，查看事由已记录（访问记录第{}号）", r.access_log_seq)),
                unmasked: Some(r.petitioners),
                ..Extras::default()
            };
            let mut resp = petition_page(state, &headers, s, number, x).await;
            // Personal data: not kept in any cache.
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(e) => {
            let x = Extras { unmask_reason: reason, unmask_error: Some(chinese_only(&e.message)), ..Extras::default() };
            petition_page(state, &headers, s, number, x).await
        }
    }
}

/// Dismiss a risk alert of this petition with a reason (issue 13).
async fn dismiss_risk(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((number, id)): Path<(String, i64)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::portal::csrf_ok(&headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        return petition_page(state, &headers, s, number, Extras { alert: Some("页面已过期，请刷新后重试".into()), ..Extras::default() })
            .await;
    }
    use xinfang_web::api::risk::{DismissInput, Verdict};
    let chosen = Verdict::from_form(f.get("verdict").map(String::as_str));
    let verdict = chosen.as_ref().copied().unwrap_or_default();
    let reason = f.get("reason").map(|r| r.trim().to_string()).unwrap_or_default();
    let done = match chosen {
        Ok(verdict) => {
            let input = DismissInput { reason: reason.clone(), verdict };
            xinfang_web::api::risk::dismiss_alert(&state, &s, id, input).await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(learnt) => Redirect::to(&format!("/staff/p/{number}?dismissed={}{}", verdict.as_str(), learnt_param(learnt))).into_response(),
        Err(e) => {
            let typed = DismissTyped { id, reason, verdict, error: Some(chinese_only(&e.message)) };
            petition_page(state, &headers, s, number, Extras { dismiss_typed: Some(typed), ..Extras::default() }).await
        }
    }
}

/// Raise a risk alert on this petition by hand (issue 13): refused, the
/// page again with the message beside the form and what was typed.
async fn raise_risk(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let field = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let typed = RiskTyped { kind: field("kind"), level: field("level"), reason: field("reason"), error: None, field: None };
    if !crate::portal::csrf_ok(&headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        let typed = RiskTyped { error: Some("页面已过期，请刷新后重试".into()), ..typed };
        return petition_page(state, &headers, s, number, Extras { risk_typed: Some(typed), ..Extras::default() }).await;
    }
    let input = xinfang_web::api::risk::RaiseInput { kind: typed.kind.clone(), level: typed.level.clone(), reason: typed.reason.clone() };
    match xinfang_web::api::risk::raise(State(state.clone()), s.clone(), ApiPath(number.clone()), ApiJson(input)).await {
        Ok((_, Json(raised))) => {
            Redirect::to(&format!("/staff/p/{number}?risk={}&notified={}", raised.alert.level, raised.duty_officers_notified))
                .into_response()
        }
        Err(e) => {
            let field = e.fields.first().map(|f| f.field.clone());
            let typed = RiskTyped { error: Some(chinese_only(&e.message)), field, ..typed };
            petition_page(state, &headers, s, number, Extras { risk_typed: Some(typed), ..Extras::default() }).await
        }
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

/// A letter of the petition as PDF.
async fn letter(State(state): State<AppState>, headers: HeaderMap, Path((number, id)): Path<(String, i64)>) -> Response {
    match staff(&state, &headers).await {
        Ok(s) => xinfang_web::api::letters::download(State(state), s, ApiPath((number, id)))
            .await
            .unwrap_or_else(|e| (e.status, e.message).into_response()),
        Err(r) => r,
    }
}

// ----- Registration --------------------------------------------------------

/// A registration form's 初件 / 重件 choice as the triage panel writes it
/// (`first`, or `repeat:` and a petition number), as the finding to
/// record; anything else is no choice. The one reading of the field: the
/// registration uses it, and a form sent back keeps only what it accepts
/// (the value goes back into the page).
fn repeat_choice(c: &str) -> Option<xinfang_web::api::repeats::RepeatInput> {
    use xinfang_web::api::repeats::RepeatInput;
    if c == "first" {
        return Some(RepeatInput { verdict: "first".into(), first: None, reason: None });
    }
    let first = c.strip_prefix("repeat:").filter(|n| !n.is_empty() && n.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-'))?;
    Some(RepeatInput { verdict: "repeat".into(), first: Some(first.to_string()), reason: None })
}

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
    pub topic: String,
    /// 涉法涉诉 (Art. 28: to the channels of law).
    pub litigation_related: bool,
    /// No name given (an anonymous letter), and the petitioner's wish that
    /// their identity be kept secret.
    pub anonymous: bool,
    pub confidential: bool,
    /// The accused of an accusation: name, unit (a unit of the system by
    /// its full name or code, then its chain never sees it), position.
    pub accused_name: String,
    pub accused_unit: String,
    pub accused_position: String,
    /// The 初件 / 重件 choice of a form sent back to be corrected
    /// (`first` or `repeat:<number>`, else empty): the triage panel, drawn
    /// again on load, checks it again.
    pub repeat_choice: String,
    /// The hall check-in this registration comes from (`/staff/register?ticket=`),
    /// linked to the petition once registered.
    pub ticket: String,
    /// The place, picked as on the portal (省→市→区→街道).
    pub levels: Vec<crate::portal::RegionLevel>,
    pub errors: HashMap<String, String>,
}

impl RegisterValues {
    pub fn err(&self, field: &str) -> Option<&String> {
        self.errors.get(field)
    }

    /// Whether `field` is the first one in error, in the order of the form
    /// (it gets the focus, with or without JavaScript).
    pub fn focus(&self, field: &str) -> bool {
        REGISTER_FIELDS.iter().find(|f| self.errors.contains_key(**f)) == Some(&field)
    }
}

/// Registration fields that carry their own message, in the order of the form.
const REGISTER_FIELDS: [&str; 16] = [
    "channel",
    "received_on",
    "category",
    "topic",
    "jurisdiction",
    "name",
    "id_number",
    "phone",
    "address",
    "headcount",
    "representatives",
    "accused",
    "title",
    "request",
    "facts_and_reasons",
    "attachments",
];

/// The registration form's field for an intake error's field.
fn register_field(api_field: &str, code: &str) -> Option<&'static str> {
    Some(match api_field {
        "petitioners.name" | "petitioners" => "name",
        "petitioners.id_number" => "id_number",
        "petitioners.phone" => "phone",
        "petitioners.address" => "address",
        "accused" | "accused.name" | "accused.unit" | "accused.position" | "accused.unit_code" => "accused",
        f => {
            return REGISTER_FIELDS
                .iter()
                .find(|x| **x == f)
                .copied()
                .or_else(|| code.contains("representative").then_some("representatives"));
        }
    })
}

/// The accused as typed, when anything was: a unit of the system named
/// by its full name or its code is named by code too, so that its chain
/// never sees the accusation (Art. 30); any other unit stays words.
fn accused_of(tree: &xinfang_domain::unit::UnitTree, v: &RegisterValues) -> Option<AccusedInput> {
    let opt = |x: &str| Some(x.to_string()).filter(|x| !x.is_empty());
    if v.accused_name.is_empty() && v.accused_unit.is_empty() && v.accused_position.is_empty() {
        return None;
    }
    let unit_code = xinfang_web::intake::named_unit(tree, &v.accused_unit).map(|u| u.code.clone());
    Some(AccusedInput { name: opt(&v.accused_name), unit: opt(&v.accused_unit), position: opt(&v.accused_position), unit_code })
}

#[derive(Template)]
#[template(path = "staff_register.html")]
struct RegisterPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    /// One-time token of the form: a double click or a resend registers once.
    form_token: String,
    flash: Option<String>,
    alert: Option<String>,
    channels: Vec<(String, String)>,
    /// Topics by first-level class: (class, [(code, name)]).
    topics: Vec<(String, Vec<(String, String)>)>,
    v: RegisterValues,
}

/// The topic list as one flat choice ("劳动和社会保障 · 工资福利"), for a
/// topic field of an action form and for naming a topic on the history.
async fn topic_choices(state: &AppState) -> Vec<(String, String)> {
    topic_groups(state)
        .await
        .into_iter()
        .flat_map(|(group, children)| children.into_iter().map(move |(code, name)| (code, format!("{group} · {name}"))))
        .collect()
}

async fn topic_groups(state: &AppState) -> Vec<(String, Vec<(String, String)>)> {
    let all = state.store.topics().await.unwrap_or_default();
    all.iter()
        .filter(|t| t.parent_code.is_none())
        .map(|p| {
            let children = all
                .iter()
                .filter(|c| c.parent_code.as_deref() == Some(p.code.as_str()))
                .map(|c| (c.code.clone(), c.name.clone()))
                .collect();
            (p.name.clone(), children)
        })
        .collect()
}

/// A division code split into the picker's four levels.
fn split_division(d: &str) -> [String; 4] {
    let cut = |n: usize| if d.len() >= n { d[..n].to_string() } else { String::new() };
    [cut(2), cut(4), cut(6), cut(9)]
}

fn channels() -> Vec<(String, String)> {
    Channel::ALL.iter().filter(|c| **c != Channel::Online).map(|c| (c.as_str().to_string(), c.label().to_string())).collect()
}

#[derive(Deserialize)]
struct RegisterQuery {
    /// A hall check-in to register as a visit (issue 14).
    ticket: Option<i64>,
}

async fn register_form(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<RegisterQuery>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (csrf, set) = crate::portal::csrf(&headers);
    let mut v = RegisterValues {
        channel: "letter".into(),
        received_on: local_date(Utc::now()).to_string(),
        category: "claim".into(),
        jurisdiction: s.unit.jurisdiction.clone(),
        levels: crate::portal::region_levels(&state, split_division(&s.unit.jurisdiction)).await,
        ..RegisterValues::default()
    };
    // From the reception hall: a visit, with what the visitor gave at
    // booking or check-in already filled in.
    if let Some(id) = q.ticket {
        match xinfang_web::api::appointments::registrable_ticket(&state, &s, id).await {
            Ok(t) => {
                let d = xinfang_web::api::appointments::ticket_detail(&state, &t);
                v.channel = "visit".into();
                v.ticket = id.to_string();
                v.name = d.name;
                v.id_number = d.id_number.unwrap_or_default();
                v.phone = d.phone.unwrap_or_default();
                v.topic = d.topic.unwrap_or_default();
                v.request = d.summary.clone();
                v.facts_and_reasons = d.summary;
                v.title = format!("来访：{}", v.request.chars().take(20).collect::<String>());
            }
            Err(e) => return crate::staff_error_page(&s, &headers, e.status, "无法转为来访登记", &chinese_only(&e.message)),
        }
    }
    let topics = topic_groups(&state).await;
    crate::portal::with_cookie(
        render(&RegisterPage {
            me: me(&s),
            nav: "register",
            csrf,
            form_token: xinfang_web::auth::random_secret(16),
            flash: None,
            alert: None,
            channels: channels(),
            topics,
            v,
        }),
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
    let selected = [get("province"), get("city"), get("county"), get("township")];
    // The deepest level chosen is the place (a client without the picker
    // may send the code itself as `jurisdiction`).
    let jurisdiction = selected.iter().rev().find(|c| !c.is_empty()).cloned().unwrap_or_else(|| get("jurisdiction"));
    let selected = if selected.iter().all(String::is_empty) { split_division(&jurisdiction) } else { selected };
    let mut v = RegisterValues {
        channel: get("channel"),
        received_on: get("received_on"),
        category: get("category"),
        topic: get("topic"),
        levels: crate::portal::region_levels(&state, selected.clone()).await,
        jurisdiction,
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
        litigation_related: f.contains_key("litigation_related"),
        anonymous: f.contains_key("anonymous"),
        confidential: f.contains_key("confidential"),
        accused_name: get("accused_name"),
        accused_unit: get("accused_unit"),
        accused_position: get("accused_position"),
        repeat_choice: Some(get("repeat_choice")).filter(|c| repeat_choice(c).is_some()).unwrap_or_default(),
        ticket: get("ticket"),
        errors: HashMap::new(),
    };
    let (csrf, _) = crate::portal::csrf(&headers);
    let topics = topic_groups(&state).await;
    // The form's one-time token is kept while the form comes back to be
    // corrected (a refused attempt releases it), so the corrected form is
    // still the one submission.
    let token = get("form_token");
    let token_ok = xinfang_web::once::valid_key(&token);
    let form_token = if token_ok { token.clone() } else { xinfang_web::auth::random_secret(16) };
    let page = |form_token: String, alert: Option<String>, v: RegisterValues, status: StatusCode| {
        let mut r = render(&RegisterPage {
            me: me(&s),
            nav: "register",
            csrf: csrf.clone(),
            form_token,
            flash: None,
            alert,
            channels: channels(),
            topics: topics.clone(),
            v,
        });
        *r.status_mut() = status;
        r
    };
    if !crate::portal::csrf_ok(&headers, &get("csrf")) || problem.is_some() || !token_ok {
        let alert = Some(problem.unwrap_or_else(|| "页面已过期，请核对下面的内容后再次点击“登记”".into()));
        return page(form_token, alert, v, StatusCode::OK);
    }
    if v.jurisdiction.is_empty() {
        v.errors.insert("jurisdiction".into(), "请选择问题属地".into());
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
        let phone = parts.next().map(String::from);
        // The petitioner named above and chosen as a representative is one
        // person: marked as representative, not listed twice.
        if let Some(first) = people.first_mut().filter(|p| !p.representative && p.name == name) {
            first.representative = true;
            if first.phone.is_none() {
                first.phone = phone;
            }
            continue;
        }
        people.push(PetitionerInput { kind: None, name, id_number: None, phone, address: None, representative: true });
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
        litigation_related: v.litigation_related,
        topic: opt(&v.topic),
        accused: accused_of(&state.tree(), &v),
        anonymous: v.anonymous,
        confidential: v.confidential,
        received_on: opt(&v.received_on),
        target_unit: None,
        attachments: Vec::new(),
        staged: files,
        new_facts_reason: None,
        repeat: None,
    };
    // The clerk's 初件 / 重件 choice among the candidates the triage panel
    // showed (`repeat_choice`: `first`, `repeat:<number>`, or none yet).
    let repeat = repeat_choice(&v.repeat_choice);
    // The form as sent, files by content: a resend is the same form.
    let mut sent: Vec<(&String, &String)> = f.iter().filter(|(k, _)| *k != "csrf" && *k != "form_token").collect();
    sent.sort();
    let fingerprint = xinfang_web::once::fingerprint(
        &state,
        &serde_json::json!({
            "fields": sent.iter().map(|(k, v)| serde_json::json!([k, v.trim()])).collect::<Vec<_>>(),
            "files": input.staged.iter().map(|a| a.sha256.clone()).collect::<Vec<_>>(),
        }),
    );
    let act = || async {
        let asked = xinfang_web::api::repeats::at_registration(&state, Some(&s), repeat).await?;
        let ticket = match v.ticket.parse::<i64>().ok() {
            Some(id) => Some(xinfang_web::api::appointments::registrable_ticket(&state, &s, id).await?.id),
            None => None,
        };
        let out = intake(&state, Submitter::Staff(Box::new(s.clone())), input).await?;
        if let Some(id) = ticket {
            xinfang_web::api::appointments::link_visit(&state, &s, id, &out.number).await?;
        }
        // The registration stands; a finding that could not be kept is
        // said on the petition's page, where it can be made again.
        let finding = match asked {
            Some(asked) => match xinfang_web::api::repeats::record_registered(&state, &s, &out.number, asked).await {
                Ok(_) => "kept",
                Err((code, _)) => code,
            },
            None => "",
        };
        Ok((StatusCode::CREATED, serde_json::json!({ "number": out.number, "repeat": finding, "query_code": out.query_code })))
    };
    let done = xinfang_web::once::once(&state, &format!("form:register:{}", s.user.id), &token, &fingerprint, act).await.map(|a| {
        let field = |k: &str| a.body.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        (field("number"), field("repeat"), field("query_code"))
    });
    match done {
        // Registered now, or already by this same form (a double click, a
        // resend): the same petition page either way, which shows the
        // query code the clerk tells the petitioner (Art. 21).
        Ok((number, repeat, code)) => {
            let to = if repeat.is_empty() {
                format!("/staff/p/{number}?done=register")
            } else {
                format!("/staff/p/{number}?done=register&repeat={repeat}")
            };
            show_new_code(&state, s.user.id, &number, &code, &to)
        }
        Err(e) if e.code == "idempotency_key_reused" => {
            // Sent before and changed since (back button): a new
            // registration, which needs a new token and a deliberate click.
            let alert =
                Some("这份登记表已经提交过。如要登记另一件信访事项，请核对下面的内容后再次点击“登记”；如只是重复提交，无须再登记。".into());
            page(xinfang_web::auth::random_secret(16), alert, v, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => {
            // Every message beside its field at once; the rest above the form.
            let mut general = Vec::new();
            let all = if e.fields.is_empty() {
                vec![xinfang_web::error::FieldError { field: String::new(), message: e.message.clone() }]
            } else {
                e.fields.clone()
            };
            for fe in all {
                match register_field(&fe.field, &e.code) {
                    Some(f) => {
                        v.errors.entry(f.to_string()).or_insert_with(|| chinese_only(&fe.message));
                    }
                    None => general.push(chinese_only(&fe.message)),
                }
            }
            let alert = if general.is_empty() {
                Some("未能登记：请按提示修改标出的内容".to_string())
            } else {
                Some(general.join("；"))
            };
            page(form_token, alert, v, StatusCode::UNPROCESSABLE_ENTITY)
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
            q: None,
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

/// Saved views: a named filter of the inbox, kept per account on the
/// server (at most 10), confirmed after saving.
async fn save_view(State(state): State<AppState>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let name: String = f.get("name").map(|n| n.trim().chars().take(20).collect()).unwrap_or_default();
    let query: String = f.get("query").map(|q| q.chars().filter(|c| c.is_ascii_graphic()).take(600).collect()).unwrap_or_default();
    let sent = f.get("path").map(String::as_str);
    let path = ["/staff/reviews", "/staff/all"].into_iter().find(|p| sent == Some(*p)).unwrap_or("/staff");
    if !crate::portal::csrf_ok(&headers, f.get("csrf").map(String::as_str).unwrap_or_default()) {
        return Redirect::to(path).into_response();
    }
    if f.contains_key("delete") {
        let _ = state.store.delete_view(s.user.id, &name).await;
        return Redirect::to(path).into_response();
    }
    if name.is_empty() {
        return Redirect::to(&format!("{path}?{query}")).into_response();
    }
    let query = if path == "/staff" { query } else { format!("{query}&in={}", path.trim_start_matches("/staff/")) };
    match state.store.save_view(s.user.id, &name, &query, 10).await {
        Ok(()) => Redirect::to(&format!("{path}?{}&saved={}", view_query(&query), url_encode(&name))).into_response(),
        Err(_) => {
            crate::error_page(&std::sync::Arc::default(), &headers, StatusCode::INTERNAL_SERVER_ERROR, "未能保存视图", "请稍后重试。")
        }
    }
}

/// A saved query without the listing it was saved on.
fn view_query(q: &str) -> String {
    q.split('&').filter(|p| !p.starts_with("in=") && !p.is_empty()).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::{Place, action_form, body_of, chinese_only, initials};
    use serde_json::json;
    use std::collections::HashMap;
    use xinfang_domain::unit::UnitTree;

    fn submit(action: &'static str, pairs: &[(&str, &str)]) -> serde_json::Value {
        let form = action_form(action, &UnitTree::default(), "2026-03-02", &Place::default());
        let submitted: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect();
        body_of(&form, &submitted)
    }

    #[test]
    fn required_choices_start_unchosen_and_checkboxes_are_booleans() {
        let tree = UnitTree::default();
        let decline = action_form("decline", &tree, "2026-03-02", &Place::default());
        let ground = decline.fields.iter().find(|f| f.name == "ground").map(|f| (f.kind, f.required, f.options[0].0.clone()));
        assert_eq!(ground, Some(("select", true, String::new())), "the ground is chosen on purpose");
        let accept = action_form("accept", &tree, "2026-03-02", &Place::default());
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

    #[test]
    fn unit_pickers_start_empty_and_put_the_fitting_units_first() {
        use xinfang_domain::unit::{Level, Unit, UnitKind};
        let u = |id: i64, code: &str, name: &str, kind: UnitKind, level: Level, j: &str| Unit {
            id,
            code: code.into(),
            name: name.into(),
            kind,
            level,
            parent_id: None,
            gov_id: None,
            jurisdiction: j.into(),
            path: format!("/{id}/"),
        };
        let tree = UnitTree::new([
            u(1, "440304-XFJ", "福田区信访局", UnitKind::PetitionBureau, Level::County, "440304"),
            u(2, "440304-RST", "福田区人力资源和社会保障局", UnitKind::Department, Level::County, "440304"),
            u(3, "440304-JYT", "福田区教育局", UnitKind::Department, Level::County, "440304"),
            u(4, "4403-RST", "深圳市人力资源和社会保障局", UnitKind::Department, Level::City, "4403"),
            u(5, "440305-RST", "南山区人力资源和社会保障局", UnitKind::Department, Level::County, "440305"),
            u(6, "440304-LXH", "福田区信访工作联席会议", UnitKind::JointConference, Level::County, "440304"),
        ]);
        let place =
            Place { jurisdiction: "440304".into(), topic: Some("0202".into()), area: "440304".into(), from: Some(1), topics: Vec::new() };
        let forward = action_form("forward", &tree, "2026-03-02", &place);
        let unit = forward.fields.iter().find(|f| f.name == "unit").expect("the forward form has a unit");
        assert_eq!((unit.kind, unit.value.as_str(), unit.required), ("unit", "", true), "nothing preselected");
        assert!(!unit.groups.is_empty());
        assert!(unit.groups.iter().all(|g| !g.units.is_empty()));
        let first = &unit.groups[0];
        assert!(first.label.starts_with("建议"), "{}", first.label);
        assert_eq!(first.units[0].code, "440304-RST", "the district's labour bureau fits place and topic best");
        let all: Vec<&str> = unit.groups.iter().flat_map(|g| g.units.iter().map(|u| u.code.as_str())).collect();
        assert!(!all.contains(&"440304-LXH"), "a joint conference does not handle petitions");
        assert!(!all.contains(&"440305-RST"), "another district at the same level is not offered to a county");
        assert!(!all.contains(&"4403-RST"), "nor a department above the bureau's area (Art. 22)");
        assert_eq!(all.len(), all.iter().collect::<std::collections::BTreeSet<_>>().len(), "each unit once");
        // Sent without a choice, the unit is left out: the rule names it.
        let body = body_of(&forward, &[("unit".to_string(), String::new())].into_iter().collect());
        assert_eq!(body, serde_json::json!({"note": ""}));
        assert!(forward.confirm.is_some(), "forwarding is confirmed first");
        // 协商受理 offers the same grouped picker, several units chosen.
        let negotiation = action_form("start_negotiation", &tree, "2026-03-02", &place);
        let units = negotiation.fields.iter().find(|f| f.name == "units").expect("the negotiation form has units");
        assert_eq!((units.kind, units.value.as_str(), units.required), ("units", "", true));
        assert!(units.groups[0].label.starts_with("建议"), "{}", units.groups[0].label);
        let offered: Vec<&str> = units.groups.iter().flat_map(|g| g.units.iter().map(|u| u.code.as_str())).collect();
        assert_eq!(offered, all, "the same units as the forward picker: the one settled on is forwarded the matter");
        assert!(!all.contains(&"440304-XFJ"), "not the bureau itself");
        assert!(!offered.contains(&"440304-LXH"));
        let body = body_of(&negotiation, &[("units".to_string(), "440304-RST,440304-JYT".to_string())].into_iter().collect());
        assert_eq!(body["units"], serde_json::json!(["440304-RST", "440304-JYT"]));
        let mut chosen = action_form("start_negotiation", &tree, "2026-03-02", &place);
        chosen.refill(&super::Failed {
            action: "start_negotiation".into(),
            values: [("units".to_string(), "440304-RST,440304-JYT".to_string())].into_iter().collect(),
            errors: HashMap::new(),
        });
        let units = chosen.fields.iter().find(|f| f.name == "units").expect("units");
        assert!(units.chosen("440304-RST") && units.chosen("440304-JYT") && !units.chosen("4403-RST"));
        assert_eq!(units.shown_value(), "福田区人力资源和社会保障局、福田区教育局");
    }

    #[test]
    fn search_keys_and_messages() {
        assert_eq!(initials("福田区教育局"), "ftqjyj");
        assert_eq!(initials("XF局"), "xfj");
        assert_eq!(chinese_only("出具信访处理意见书须填写处理意见（decision）"), "出具信访处理意见书须填写处理意见");
        assert_eq!(chinese_only("标题（title）不能为空（依据第十九条）"), "标题不能为空（依据第十九条）");
    }
}
