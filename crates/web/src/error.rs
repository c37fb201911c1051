//! One error type for the HTTP layer: every failure becomes
//! `{"error":{"code","message"}}` with the right status and a Chinese
//! message; internal causes are logged, never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use xinfang_domain::error::{DomainError, ErrorKind};
use xinfang_store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    pub rule: Option<&'static str>,
    pub related: Option<String>,
    /// Every invalid field, when the input had several faults.
    pub fields: Vec<FieldError>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The input field, e.g. `request` or `petitioners.id_number`.
    pub field: String,
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine code, e.g. `extension_already_granted`.
    pub code: String,
    /// Readable Chinese message, naming the rule where one applies.
    pub message: String,
    /// The provision behind a refusal, e.g. `art36`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// A related petition number (e.g. the earlier one for Art. 36).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<String>,
    /// Each invalid field with its message (validation errors).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError { status, code: code.into(), message: message.into(), rule: None, related: None, fields: Vec::new() }
    }
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "请先登录（缺少或无效的访问令牌）")
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what}不存在或无权查看"))
    }
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "系统内部错误，请稍后重试")
    }
    /// 503 with `Retry-After`: the node is busy with work that waits its
    /// turn (password checks, `auth::argon2_in_turn`); nothing was done.
    pub fn busy() -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", "系统正忙，请几秒后再试")
    }
    /// Several domain errors as one: the first names the error, all are
    /// listed by field.
    pub fn from_all(errors: Vec<DomainError>) -> Option<Self> {
        let fields: Vec<FieldError> =
            errors.iter().filter_map(|e| e.field.map(|f| FieldError { field: f.into(), message: e.message.clone() })).collect();
        let first = errors.into_iter().next()?;
        let mut api = ApiError::from(first);
        api.fields = fields;
        Some(api)
    }

    /// The same error, said of input field `field` (forms show it there).
    pub fn at(mut self, field: &str) -> Self {
        self.fields.push(FieldError { field: field.into(), message: self.message.clone() });
        self
    }

    pub fn with_related(mut self, number: &str) -> Self {
        self.related = Some(number.to_string());
        self
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let status = match e.kind {
            ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
        };
        let fields = e.field.map(|f| vec![FieldError { field: f.into(), message: e.message.clone() }]).unwrap_or_default();
        ApiError { status, code: e.code.into(), message: e.message, rule: Some(e.rule.code()), related: None, fields }
    }
}

/// A refused import file: 422 naming the line, which is also listed under
/// `fields` as `line N`.
impl From<xinfang_domain::import::ImportError> for ApiError {
    fn from(e: xinfang_domain::import::ImportError) -> Self {
        let mut api = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_import", format!("第{}行：{}", e.line, e.problem));
        api.fields = vec![FieldError { field: format!("line {}", e.line), message: e.problem }];
        api
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict => ApiError::new(StatusCode::CONFLICT, "concurrent_update", "该信访事项刚被他人更新，请刷新后重试"),
            StoreError::Rejected(e) => ApiError::from(e),
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::internal()
            }
        }
    }
}

impl ApiError {
    /// The headers the answer carries besides its body, for the API's
    /// JSON and the pages' HTML alike: `Retry-After` when busy.
    pub fn headers(&self) -> axum::http::HeaderMap {
        let mut headers = axum::http::HeaderMap::new();
        if self.code == "busy" {
            headers.insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static(BUSY_RETRY_AFTER));
        }
        headers
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let headers = self.headers();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                rule: self.rule.map(String::from),
                related: self.related,
                fields: self.fields,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        response.headers_mut().extend(headers);
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Seconds a client is asked to wait after [`ApiError::busy`].
const BUSY_RETRY_AFTER: &str = "5";
