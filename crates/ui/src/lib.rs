//! Server-rendered pages: the citizen portal (this crate's first part; the
//! staff workbench follows). Templates are askama (compile-time checked,
//! HTML-escaped by default); interactivity is htmx, vendored; forms work
//! without JavaScript too.

mod admin;
mod alerts;
mod approvals;
mod campaign;
mod charts;
mod dashboard;
mod dispatch;
mod disputes;
mod duty;
mod green;
mod hall;
mod intelligence;
mod law;
mod leadership;
mod models;
mod outbox;
mod portal;
mod reports;
mod spotcheck;
mod supervision;
mod triage_rules;
mod workbench;

pub use workbench::colour;

use askama::Template;
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use xinfang_web::AppState;

/// What a government site shows about itself (configurable per
/// deployment, `[portal]` in xinfang.toml).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PortalInfo {
    pub site_name: String,
    /// 主办单位.
    pub organiser: String,
    pub phone: String,
    pub address: String,
    /// 网站标识码.
    pub site_code: String,
    /// ICP 备案号.
    pub icp: String,
    /// Art. 18: reception places and times must be published.
    pub reception_address: String,
    pub reception_hours: String,
    pub letter_address: String,
    /// The division the region picker starts from (e.g. a city).
    pub default_division: String,
}

impl Default for PortalInfo {
    fn default() -> Self {
        PortalInfo {
            site_name: "网上信访服务平台".into(),
            organiser: "深圳市信访局（演示）".into(),
            phone: "0755-12345（演示）".into(),
            address: "深圳市福田区（演示地址）".into(),
            site_code: "0000000000（演示）".into(),
            icp: "ICP备案号：演示站点，未备案".into(),
            reception_address: "各区信访局群众来访接待大厅（演示）".into(),
            reception_hours: "工作日 上午9:00—12:00，下午14:00—17:30（法定节假日除外）".into(),
            letter_address: "深圳市福田区（演示地址）信访局 收".into(),
            default_division: "4403".into(),
        }
    }
}

/// What every page needs besides its own content.
pub struct Page {
    pub portal: Arc<PortalInfo>,
    pub elder: bool,
    pub nav: &'static str,
    /// Load htmx (only the pages that use it: the region picker).
    pub htmx: bool,
}

pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

impl Page {
    /// This page's path, for the 长者模式 switch to come back to.
    pub fn path(&self) -> &'static str {
        match self.nav {
            "submit" => "/submit",
            "track" => "/track",
            "mailbox" => "/mailbox",
            _ => "/",
        }
    }

    pub fn new(portal: &Arc<PortalInfo>, headers: &HeaderMap, nav: &'static str) -> Page {
        Page { portal: portal.clone(), elder: cookie(headers, "xf_elder").as_deref() == Some("1"), nav, htmx: false }
    }
}

pub(crate) fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html(SERVER_ERROR_PAGE)).into_response()
        }
    }
}

/// Shown when a page cannot be produced at all.
const SERVER_ERROR_PAGE: &str = "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>系统繁忙</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main><h1>系统繁忙</h1><p>页面暂时无法显示，请稍后重试。如需帮助，请拨打信访咨询电话。</p><p><a href=\"/\">返回首页</a></p></main></body></html>";

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub page: Page,
    pub heading: String,
    pub message: String,
}

pub(crate) fn error_page(portal: &Arc<PortalInfo>, headers: &HeaderMap, status: StatusCode, heading: &str, message: &str) -> Response {
    let mut r = render(&ErrorPage { page: Page::new(portal, headers, ""), heading: heading.into(), message: message.into() });
    *r.status_mut() = status;
    r
}

#[derive(askama::Template)]
#[template(path = "staff_error.html")]
struct StaffErrorPage {
    me: workbench::Me,
    nav: &'static str,
    csrf: String,
    flash: Option<String>,
    alert: Option<String>,
    heading: String,
    message: String,
}

/// An error on a staff page, inside the workbench (its menu kept), with
/// the reason in Chinese.
pub(crate) fn staff_error_page(
    s: &xinfang_web::auth::Staff,
    headers: &HeaderMap,
    status: StatusCode,
    heading: &str,
    message: &str,
) -> Response {
    let (csrf, set) = portal::csrf(headers);
    let page = StaffErrorPage {
        me: workbench::me(s),
        nav: "",
        csrf,
        flash: None,
        alert: None,
        heading: heading.into(),
        message: workbench::chinese_only(message),
    };
    let mut r = portal::with_cookie(render(&page), set);
    *r.status_mut() = status;
    r
}

/// A numeric id in the path (`/staff/rankings/{id}`): anything else is a
/// page that does not exist, said in Chinese (not axum's English text).
pub(crate) struct IdPath(pub i64);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for IdPath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = axum::extract::Path::<String>::from_request_parts(parts, state).await.map(|p| p.0).unwrap_or_default();
        raw.parse::<i64>().map(IdPath).map_err(|_| {
            error_page(&Arc::default(), &parts.headers, StatusCode::NOT_FOUND, "页面不存在", "地址中的编号不正确，请从列表进入。")
        })
    }
}

const APP_CSS: &str = include_str!("../static/app.css");
const APP_JS: &str = include_str!("../static/app.js");
const HTMX: &str = include_str!("../static/vendor/htmx-2.0.11.min.js");
const FAVICON: &str = include_str!("../static/favicon.svg");

/// Static assets under names that carry a hash of their content
/// (`/static/app.3f9c…css`): a page names the current version, so the
/// files can be cached for a year and a new release is fetched at once.
pub mod assets {
    use std::sync::LazyLock;

    fn hashed(stem: &str, ext: &str, body: &str) -> String {
        let h = xinfang_crypto::sm3_hex(body.as_bytes());
        format!("/static/{stem}.{}.{ext}", &h[..12])
    }

    static CSS: LazyLock<String> = LazyLock::new(|| hashed("app", "css", super::APP_CSS));
    static JS: LazyLock<String> = LazyLock::new(|| hashed("app", "js", super::APP_JS));
    static HTMX: LazyLock<String> = LazyLock::new(|| hashed("htmx-2.0.11", "js", super::HTMX));
    static ICON: LazyLock<String> = LazyLock::new(|| hashed("favicon", "svg", super::FAVICON));

    pub fn css() -> &'static str {
        &CSS
    }
    pub fn js() -> &'static str {
        &JS
    }
    pub fn htmx() -> &'static str {
        &HTMX
    }
    pub fn icon() -> &'static str {
        &ICON
    }
}

/// A hashed asset: cached for a year, never revalidated.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=31536000, immutable")], body).into_response()
}

/// An asset under its plain name (older pages, bookmarks): a day.
fn plain_asset(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=86400")], body).into_response()
}

/// The pages, to be merged with the API (`xinfang_web::router_with`).
pub fn pages(portal: PortalInfo) -> Router<AppState> {
    let portal = Arc::new(portal);
    let fallback_portal = portal.clone();
    Router::new()
        .route(assets::css(), get(|| async { asset("text/css; charset=utf-8", APP_CSS) }))
        .route(assets::js(), get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
        .route(assets::htmx(), get(|| async { asset("text/javascript; charset=utf-8", HTMX) }))
        .route(assets::icon(), get(|| async { asset("image/svg+xml", FAVICON) }))
        .route("/favicon.ico", get(|| async { plain_asset("image/svg+xml", FAVICON) }))
        .route("/static/app.css", get(|| async { plain_asset("text/css; charset=utf-8", APP_CSS) }))
        .route("/static/app.js", get(|| async { plain_asset("text/javascript; charset=utf-8", APP_JS) }))
        .route("/static/vendor/htmx-2.0.11.min.js", get(|| async { plain_asset("text/javascript; charset=utf-8", HTMX) }))
        .merge(hall::routes(portal.clone()))
        .merge(law::public_routes(portal.clone()))
        .merge(portal::routes(portal))
        .merge(workbench::routes())
        .merge(intelligence::routes())
        .merge(alerts::routes())
        .merge(reports::routes())
        .merge(approvals::routes())
        .merge(supervision::routes())
        .merge(admin::routes())
        .merge(outbox::routes())
        .merge(models::routes())
        .merge(triage_rules::routes())
        .merge(leadership::routes())
        .merge(spotcheck::routes())
        .merge(disputes::routes())
        .merge(dispatch::routes())
        .merge(green::routes())
        .merge(law::staff_routes())
        .merge(duty::routes())
        .merge(dashboard::routes())
        .merge(campaign::routes())
        .fallback(move |req: Request| {
            let portal = fallback_portal.clone();
            async move {
                let path = req.uri().path();
                // The API keeps its JSON errors; people get a page.
                if path.starts_with("/api/") || path.starts_with("/open311/") || path == "/healthz" {
                    return xinfang_web::not_found().await.into_response();
                }
                error_page(&portal, req.headers(), StatusCode::NOT_FOUND, "页面不存在", "您访问的页面不存在或已被移除。")
            }
        })
}
