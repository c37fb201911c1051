//! The Regulations on the pages (issue 15): the public article library
//! (`/law`, `/law/{n}`), the citizens' guidance pages and the "which way"
//! guide (`/guide…`), and on the workbench the daily self-test, exams and
//! papers, the monthly contest, participation figures and the admin's
//! exam and official-text forms (`/staff/learning…`). Everything goes
//! through `web::api::{articles, learning}`.

use crate::portal::{csrf, csrf_ok, with_cookie};
use crate::workbench::{Me, chinese_only, me, staff};
use crate::{Page, PortalInfo, error_page, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use std::collections::HashMap;
use std::sync::Arc;
use xinfang_law::guide::{Block, End, EndKind, Node, Page as GuidePage, Step, guide};
use xinfang_web::AppState;
use xinfang_web::api::articles::{self as law_api, ArticleView, RelatedRuleView};
use xinfang_web::api::learning::{
    self as api, ContestView, ExamInput, ExamView, MixInput, PaperView, Participation, PracticeAnswer, SelfTest,
};

pub fn public_routes(portal: Arc<PortalInfo>) -> Router<AppState> {
    Router::new()
        .route("/law", get(library_page))
        .route("/law/rules/{key}", get(rule_page))
        .route("/law/{n}", get(article_page))
        .route("/guide", get(guide_index))
        .route("/guide/way", get(way_page))
        .route("/guide/{slug}", get(guide_page))
        .layer(Extension(portal))
}

pub fn staff_routes() -> Router<AppState> {
    Router::new()
        .route("/staff/learning", get(learning_page).post(self_test_answer))
        .route("/staff/learning/exams", post(create_exam))
        .route("/staff/learning/exams/{id}/start", post(start_exam))
        .route("/staff/learning/contest/start", post(start_contest))
        .route("/staff/learning/papers/{id}", get(paper_page).post(submit_paper))
        .route("/staff/learning/participation", get(participation_page))
        .route("/staff/learning/official-text", post(import_text))
}

// ----- public ----------------------------------------------------------------

#[derive(Template)]
#[template(path = "law_index.html")]
struct LibraryPage {
    page: Page,
    q: String,
    chapters: Vec<(String, String, Vec<ArticleView>)>,
    found: usize,
    official: bool,
    related: Vec<RelatedRuleView>,
}

#[derive(serde::Deserialize, Default)]
struct LawQuery {
    #[serde(default)]
    q: String,
}

async fn library_page(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Query(q): Query<LawQuery>,
) -> Response {
    let (found, official) = match law_api::search(&state, q.q.trim()).await {
        Ok(x) => x,
        Err(e) => return error_page(&portal, &headers, e.status, "无法查询", &chinese_only(&e.message)),
    };
    let chapters = xinfang_law::library()
        .chapters
        .iter()
        .map(|c| {
            let arts: Vec<ArticleView> = found.iter().filter(|a| a.chapter.number == c.number).cloned().collect();
            (format!("第{}章", xinfang_law::cn_number(c.number)), c.title.clone(), arts)
        })
        .filter(|c| !c.2.is_empty())
        .collect();
    render(&LibraryPage {
        page: Page::new(&portal, &headers, "law"),
        q: q.q.trim().to_string(),
        found: found.len(),
        chapters,
        official,
        related: law_api::related_views(),
    })
}

#[derive(Template)]
#[template(path = "law_article.html")]
struct ArticlePage {
    page: Page,
    a: ArticleView,
    prev: Option<u16>,
    next: Option<u16>,
}

async fn article_page(
    State(state): State<AppState>,
    Extension(portal): Extension<Arc<PortalInfo>>,
    headers: HeaderMap,
    Path(n): Path<String>,
) -> Response {
    let Some(num) = xinfang_law::library::article_number(&n) else {
        return error_page(&portal, &headers, StatusCode::NOT_FOUND, "没有这一条", "《信访工作条例》共五十条，请从条文目录查看。");
    };
    let off = match law_api::official(&state).await {
        Ok(o) => o,
        Err(e) => return error_page(&portal, &headers, e.status, "无法查询", &chinese_only(&e.message)),
    };
    let Some(a) = xinfang_law::library().article(num) else {
        return error_page(&portal, &headers, StatusCode::NOT_FOUND, "没有这一条", "《信访工作条例》共五十条。");
    };
    render(&ArticlePage {
        page: Page::new(&portal, &headers, "law"),
        a: law_api::article_view(a, &off),
        prev: (num > 1).then(|| num - 1),
        next: (num < xinfang_law::library::ARTICLES).then(|| num + 1),
    })
}

#[derive(Template)]
#[template(path = "law_rule.html")]
struct RulePage {
    page: Page,
    r: RelatedRuleView,
}

async fn rule_page(Extension(portal): Extension<Arc<PortalInfo>>, headers: HeaderMap, Path(key): Path<String>) -> Response {
    match law_api::related_views().into_iter().find(|r| r.key == key) {
        Some(r) => render(&RulePage { page: Page::new(&portal, &headers, "law"), r }),
        None => error_page(&portal, &headers, StatusCode::NOT_FOUND, "没有这项规定", "请从条文目录查看相关规定。"),
    }
}

#[derive(Template)]
#[template(path = "guide_index.html")]
struct GuideIndex {
    page: Page,
    pages: Vec<(String, String)>,
}

async fn guide_index(Extension(portal): Extension<Arc<PortalInfo>>, headers: HeaderMap) -> Response {
    let pages = guide().pages.iter().map(|p| (p.slug.clone(), p.title.clone())).collect();
    render(&GuideIndex { page: Page::new(&portal, &headers, "guide"), pages })
}

#[derive(Template)]
#[template(path = "guide_page.html")]
struct GuidePageView {
    page: Page,
    g: &'static GuidePage,
    blocks: Vec<Block>,
    articles: Vec<(u16, String)>,
}

fn labelled(articles: &[u16]) -> Vec<(u16, String)> {
    articles.iter().map(|a| (*a, xinfang_law::article_label(*a))).collect()
}

async fn guide_page(Extension(portal): Extension<Arc<PortalInfo>>, headers: HeaderMap, Path(slug): Path<String>) -> Response {
    match guide().page(&slug) {
        Some(g) => {
            render(&GuidePageView { page: Page::new(&portal, &headers, "guide"), blocks: g.blocks(), articles: labelled(&g.articles), g })
        }
        None => error_page(&portal, &headers, StatusCode::NOT_FOUND, "没有这个页面", "请从办事指南目录查看。"),
    }
}

#[derive(Template)]
#[template(path = "guide_way.html")]
struct WayPage {
    page: Page,
    step: Option<&'static Step>,
    end: Option<&'static End>,
    /// Where the petition form opens, for a petition end.
    form: String,
    articles: Vec<(u16, String)>,
}

#[derive(serde::Deserialize, Default)]
struct WayQuery {
    #[serde(default)]
    at: String,
}

async fn way_page(Extension(portal): Extension<Arc<PortalInfo>>, headers: HeaderMap, Query(q): Query<WayQuery>) -> Response {
    let at = if q.at.is_empty() { "start" } else { q.at.as_str() };
    let page = Page::new(&portal, &headers, "guide");
    match guide().node(at) {
        Some(Node::Step(s)) => render(&WayPage { page, step: Some(s), end: None, form: String::new(), articles: Vec::new() }),
        Some(Node::End(e)) => {
            let mut form = String::new();
            if e.kind == EndKind::Petition {
                form = format!("/submit?category={}", e.category.clone().unwrap_or_default());
                if let Some(t) = &e.topic {
                    form.push_str(&format!("&topic={t}"));
                }
            }
            render(&WayPage { page, step: None, articles: labelled(&e.articles), end: Some(e), form })
        }
        None => error_page(&portal, &headers, StatusCode::NOT_FOUND, "没有这一步", "请从头开始选择。"),
    }
}

// ----- workbench ---------------------------------------------------------------

#[derive(Template)]
#[template(path = "staff_learning.html")]
struct LearningPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    t: SelfTest,
    exams: Vec<ExamView>,
    contest: ContestView,
    admin: bool,
    manager: bool,
    marked: Vec<(String, api::MarkedView)>,
    /// No saved answers on the self-test (the question partial is shared).
    draft: HashMap<String, Vec<String>>,
}

async fn learning_view(
    state: &AppState,
    headers: &HeaderMap,
    flash: Option<String>,
    alert: Option<String>,
    marked: Vec<(String, api::MarkedView)>,
) -> Response {
    let s = match staff(state, headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let load = async {
        Ok::<_, xinfang_web::error::ApiError>((
            api::self_test_for(state, &s).await?,
            api::exams_for(state, &s).await?,
            api::contest_for(state, &s).await?,
        ))
    };
    let (t, exams, contest) = match load.await {
        Ok(x) => x,
        Err(e) => return crate::error_page(&Arc::default(), headers, e.status, "无法查看", &chinese_only(&e.message)),
    };
    let role = s.user.role;
    let (token, set) = csrf(headers);
    with_cookie(
        render(&LearningPage {
            me: me(&s),
            nav: "learning",
            csrf: token,
            flash,
            alert,
            t,
            exams,
            contest,
            admin: role == xinfang_domain::role::Role::Admin,
            manager: xinfang_domain::leadership::MANAGERS.contains(&role) || role == xinfang_domain::role::Role::Admin,
            marked,
            draft: HashMap::new(),
        }),
        set,
    )
}

async fn learning_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    learning_view(&state, &headers, None, None, Vec::new()).await
}

/// The staff member behind a form post whose CSRF token holds; otherwise
/// the response to give (the login page, or back to `back`).
async fn form_staff(
    state: &AppState,
    headers: &HeaderMap,
    form: &[(String, String)],
    back: &str,
) -> Result<xinfang_web::auth::Staff, Response> {
    let s = staff(state, headers).await?;
    if !csrf_ok(headers, &value(form, "csrf")) {
        return Err(Redirect::to(back).into_response());
    }
    Ok(s)
}

/// Form values: a key may repeat (checkboxes).
fn values(form: &[(String, String)], key: &str) -> Vec<String> {
    form.iter().filter(|(k, _)| k == key).map(|(_, v)| v.trim().to_string()).collect()
}

fn value(form: &[(String, String)], key: &str) -> String {
    values(form, key).into_iter().next().unwrap_or_default()
}

/// The answers of a form whose fields are named `a-{question}`, for the
/// questions named in its `q` fields (at most `cap`, each once), built in
/// one pass over the form. Blanks keep their positions (an empty first
/// blank does not move the second into its place); a question with nothing
/// given is left out.
fn answers_of(form: &[(String, String)], cap: usize) -> (Vec<String>, HashMap<String, Vec<String>>) {
    let mut ids: Vec<String> = Vec::new();
    let mut given: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in form {
        if k == "q" {
            if ids.len() < cap && !ids.contains(v) {
                ids.push(v.clone());
            }
        } else if let Some(id) = k.strip_prefix("a-") {
            // Only questions of this form, a handful of answers each.
            if given.len() < cap || given.contains_key(id) {
                let e = given.entry(id.to_string()).or_default();
                if e.len() < 10 {
                    e.push(v.trim().to_string());
                }
            }
        }
    }
    let answers =
        ids.iter().filter_map(|id| given.remove(id).filter(|v| v.iter().any(|x| !x.is_empty())).map(|v| (id.clone(), v))).collect();
    (ids, answers)
}

async fn self_test_answer(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<Vec<(String, String)>>) -> Response {
    let s = match form_staff(&state, &headers, &form, "/staff/learning").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (ids, mut answers) = answers_of(&form, xinfang_law::practice::DAILY);
    let mut marked = Vec::new();
    let mut right = 0;
    for id in &ids {
        let given = answers.remove(id).unwrap_or_default();
        match api::answer_practice(&state, &s, &PracticeAnswer { question: id.clone(), answer: given }).await {
            Ok(r) => {
                right += usize::from(r.marked.right);
                let stem = xinfang_law::questions::question(id).map(|q| q.stem.clone()).unwrap_or_default();
                marked.push((stem, r.marked));
            }
            Err(e) => return learning_view(&state, &headers, None, Some(chinese_only(&e.message)), Vec::new()).await,
        }
    }
    let flash = format!("本次自测{}题，全对{}题；答错的题明天会再次出现。", marked.len(), right);
    learning_view(&state, &headers, Some(flash), None, marked).await
}

async fn create_exam(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<Vec<(String, String)>>) -> Response {
    let s = match form_staff(&state, &headers, &form, "/staff/learning").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let num = |k: &str| value(&form, k).parse::<i64>().unwrap_or(0);
    let mut mix = Vec::new();
    for kind in ["single", "multiple", "judge", "blank"] {
        let count = value(&form, &format!("count-{kind}")).parse::<u16>().unwrap_or(0);
        if count > 0 {
            mix.push(MixInput { chapter: value(&form, "chapter").parse().ok(), kind: Some(kind.into()), count });
        }
    }
    let input = ExamInput {
        title: value(&form, "title"),
        units: value(&form, "units").split([',', '，', ' ']).map(str::trim).filter(|u| !u.is_empty()).map(String::from).collect(),
        roles: values(&form, "roles").into_iter().filter(|r| !r.is_empty()).collect(),
        mix,
        time_limit_minutes: num("time_limit_minutes"),
        pass_mark: num("pass_mark"),
        opens_on: value(&form, "opens_on"),
        closes_on: value(&form, "closes_on"),
        attempts: num("attempts").max(1),
    };
    match api::create_exam_from(&state, &s, &input).await {
        Ok(e) => learning_view(&state, &headers, Some(format!("已发布考试“{}”（{}题）", e.title, e.questions)), None, Vec::new()).await,
        Err(e) => learning_view(&state, &headers, None, Some(chinese_only(&e.message)), Vec::new()).await,
    }
}

async fn start_exam(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let s = match form_staff(&state, &headers, &form, "/staff/learning").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match api::start_exam(&state, &s, id).await {
        Ok(p) => Redirect::to(&format!("/staff/learning/papers/{}", p.attempt)).into_response(),
        Err(e) => learning_view(&state, &headers, None, Some(chinese_only(&e.message)), Vec::new()).await,
    }
}

async fn start_contest(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<Vec<(String, String)>>) -> Response {
    let s = match form_staff(&state, &headers, &form, "/staff/learning").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match api::start_contest_for(&state, &s).await {
        Ok(p) => Redirect::to(&format!("/staff/learning/papers/{}", p.attempt)).into_response(),
        Err(e) => learning_view(&state, &headers, None, Some(chinese_only(&e.message)), Vec::new()).await,
    }
}

#[derive(Template)]
#[template(path = "staff_paper.html")]
struct PaperPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    p: PaperView,
    /// Question stems by id, for the marked view.
    stems: HashMap<String, String>,
    /// The deadline in Beijing time.
    deadline: String,
    /// The answers saved so far (filled back into the form).
    draft: HashMap<String, Vec<String>>,
    /// Handed in, keys not shown yet: the day they will be, in words.
    keys_from: Option<String>,
}

async fn paper_view(state: &AppState, headers: &HeaderMap, id: i64, flash: Option<String>, alert: Option<String>) -> Response {
    let s = match staff(state, headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let p = match xinfang_web::api::learning::attempt(State(state.clone()), s.clone(), xinfang_web::extract::ApiPath(id)).await {
        Ok(axum::Json(p)) => p,
        Err(e) => return crate::error_page(&Arc::default(), headers, e.status, "无法查看", &chinese_only(&e.message)),
    };
    let stems = p.questions.iter().map(|q| (q.id.clone(), q.stem.clone())).collect();
    let deadline = crate::portal::local_time(&p.deadline_at);
    let (token, set) = csrf(headers);
    let draft = p.draft.clone();
    let keys_from =
        p.keys_from.as_deref().map(|d| xinfang_domain::plain_date(d).map_or_else(|| d.to_string(), xinfang_domain::letters::cn_date));
    with_cookie(render(&PaperPage { me: me(&s), nav: "learning", csrf: token, flash, alert, p, stems, deadline, draft, keys_from }), set)
}

async fn paper_page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    paper_view(&state, &headers, id, None, None).await
}

async fn submit_paper(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let back = format!("/staff/learning/papers/{id}");
    let s = match form_staff(&state, &headers, &form, &back).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (_, answers) = answers_of(&form, xinfang_law::paper::MAX_QUESTIONS);
    if !value(&form, "save").is_empty() {
        return match api::save_paper(&state, &s, id, &answers).await {
            Ok(()) => {
                paper_view(
                    &state,
                    &headers,
                    id,
                    Some(format!("答案已保存（{}题）；到时未交卷的，按已保存的答案交卷。", answers.len())),
                    None,
                )
                .await
            }
            Err(e) => paper_view(&state, &headers, id, None, Some(chinese_only(&e.message))).await,
        };
    }
    match api::submit_paper(&state, &s, id, &answers).await {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(e) => paper_view(&state, &headers, id, None, Some(chinese_only(&e.message))).await,
    }
}

#[derive(Template)]
#[template(path = "staff_participation.html")]
struct ParticipationPage {
    me: Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    p: Participation,
}

async fn participation_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let s = match staff(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let query = api::ParticipationQuery { from: q.get("from").cloned(), to: q.get("to").cloned(), format: q.get("format").cloned() };
    if query.format.as_deref().is_some_and(|f| !f.is_empty() && f != "json") {
        return match api::participation(State(state.clone()), s.clone(), xinfang_web::extract::ApiQuery(query)).await {
            Ok(r) => r,
            Err(e) => crate::error_page(&Arc::default(), &headers, e.status, "无法导出", &chinese_only(&e.message)),
        };
    }
    let mut roles = xinfang_domain::leadership::MANAGERS.to_vec();
    roles.push(xinfang_domain::role::Role::Admin);
    let load = async {
        s.require_role(&roles)?;
        let (from, to) = api::period(&query)?;
        api::participation_for(&state, &s, from, to).await
    };
    let p = match load.await {
        Ok(p) => p,
        Err(e) => return crate::error_page(&Arc::default(), &headers, e.status, "无法查看", &chinese_only(&e.message)),
    };
    let (token, set) = csrf(&headers);
    with_cookie(render(&ParticipationPage { me: me(&s), nav: "learning", csrf: token, flash: None, alert: None, p }), set)
}

async fn import_text(State(state): State<AppState>, headers: HeaderMap, Form(form): Form<Vec<(String, String)>>) -> Response {
    let s = match form_staff(&state, &headers, &form, "/staff/learning").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(e) = s.require_role(&[xinfang_domain::role::Role::Admin]) {
        return learning_view(&state, &headers, None, Some(chinese_only(&e.message)), Vec::new()).await;
    }
    let source = value(&form, "source");
    if source.is_empty() {
        return learning_view(&state, &headers, None, Some("请注明文本来源".into()), Vec::new()).await;
    }
    match law_api::import_text(&state, &value(&form, "text"), &source, s.user.id).await {
        Ok((a, c)) => learning_view(&state, &headers, Some(format!("已导入条例正式文本：{a}条，{c}章")), None, Vec::new()).await,
        Err(e) => learning_view(&state, &headers, None, Some(chinese_only(&e.message)), Vec::new()).await,
    }
}

/// An option's letter in a template (askama hands loop values by reference).
pub(crate) fn letter(i: &usize) -> String {
    xinfang_law::questions::letter(*i)
}

/// The article a message cites (“《信访工作条例》第三十六条”, or
/// “第十九条第三款” after the title), so that a refusal shown on the
/// workbench links to the article it rests on.
pub(crate) fn cited_article(message: &str) -> Option<u16> {
    let rest = &message[message.find("信访工作条例》")? + "信访工作条例》".len()..];
    let rest = rest.strip_prefix('第')?;
    let end = rest.find('条')?;
    xinfang_law::library::article_number(&rest[..end])
}

/// Whether `value` was saved as an answer to question `id`.
pub(crate) fn chosen(draft: &HashMap<String, Vec<String>>, id: &str, value: impl AsRef<str>) -> bool {
    draft.get(id).is_some_and(|v| v.iter().any(|x| x == value.as_ref()))
}

/// The text saved in blank `i` of question `id`.
pub(crate) fn blank_text(draft: &HashMap<String, Vec<String>>, id: &str, i: &usize) -> String {
    draft.get(id).and_then(|v| v.get(*i)).cloned().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refusal_names_its_article() {
        assert_eq!(super::cited_article("不予受理（《信访工作条例》第十九条第三款）"), Some(19));
        assert_eq!(super::cited_article("依据《信访工作条例》第三十六条，不再受理"), Some(36));
        assert_eq!(super::cited_article("《信访工作条例》第二十九条至第三十一条"), Some(29));
        assert_eq!(super::cited_article("请填写事由"), None);
        assert_eq!(super::cited_article("《信访工作条例》第九十条"), None);
    }
}
