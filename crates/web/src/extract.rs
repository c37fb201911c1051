//! Extractors whose rejections are our structured JSON errors, not axum's
//! plain-text ones.

use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(json_rejection(rej)),
        }
    }
}

fn json_rejection(rej: JsonRejection) -> ApiError {
    match rej {
        JsonRejection::MissingJsonContentType(_) => {
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "请求须为JSON（Content-Type: application/json）")
        }
        JsonRejection::JsonSyntaxError(_) => ApiError::bad_request("invalid_json", "请求体不是有效的JSON"),
        JsonRejection::JsonDataError(e) => invalid_body(&e.body_text()),
        JsonRejection::BytesRejection(_) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "请求体过大"),
        _ => ApiError::bad_request("invalid_body", "请求体无法读取"),
    }
}

/// 422 `invalid_body` for a body of the wrong shape, said in Chinese.
pub fn invalid_body(parser_text: &str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", format!("请求内容格式不正确：{}", shape_error(parser_text)))
}

/// The text between the first pair of backticks in `s`, and what follows.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let (_, rest) = s.split_once('`')?;
    rest.split_once('`')
}

/// serde_json's account of a body of the wrong shape ("Failed to
/// deserialize the JSON body into the target type: verdict: unknown
/// variant `maybe`, expected `handled` or `false_alarm` at line 1 column
/// 40"), said in Chinese: the field, and what was wrong with it.
pub fn shape_error(text: &str) -> String {
    let text = text.trim_start_matches("Failed to deserialize the JSON body into the target type: ");
    let text = text.trim_start_matches("Failed to deserialize query string: ");
    let text = text.rfind(" at line ").map_or(text, |i| &text[..i]);
    // "path: message", the path absent at the top level.
    let (path, message) = match text.split_once(": ") {
        Some((p, m)) if !p.contains(' ') => (Some(p), m),
        _ => (None, text),
    };
    let at = path.map(|p| format!("字段“{p}”")).unwrap_or_default();
    let options = |rest: &str| -> String {
        let names: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
        if names.is_empty() { String::new() } else { format!("，可选：{}", names.join("、")) }
    };
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let (value, rest) = quoted(rest).unwrap_or(("", rest));
        return format!("{at}的值“{value}”不在可选范围内{}", options(rest));
    }
    if let Some(rest) = message.strip_prefix("missing field ") {
        let (name, _) = quoted(rest).unwrap_or((rest, ""));
        return format!("{at}缺少必填字段“{name}”");
    }
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let (name, rest) = quoted(rest).unwrap_or((rest, ""));
        // The path of an unknown field ends with that field: name where it
        // sits (its parent), not the field twice.
        let at = match path.and_then(|p| p.strip_suffix(name)).map(|p| p.trim_end_matches('.')) {
            Some("") => String::new(),
            Some(parent) => format!("字段“{parent}”中"),
            None => at,
        };
        return format!("{at}不认识的字段“{name}”{}", options(rest));
    }
    if let Some(rest) = message.strip_prefix("invalid type: ") {
        let expected = rest.split_once(", expected ").map_or("", |(_, e)| e);
        let kind = match expected {
            e if e.contains("map") || e.contains("struct") => "对象",
            e if e.contains("sequence") => "数组",
            e if e.contains("string") => "文本",
            e if e.contains("i64") || e.contains("u32") || e.contains("u64") || e.contains("integer") || e.contains("usize") => "整数",
            e if e.contains("f64") || e.contains("number") => "数字",
            e if e.contains("bool") => "true 或 false",
            _ => "",
        };
        return if kind.is_empty() { format!("{at}的类型不正确") } else { format!("{at}应为{kind}") };
    }
    if message.contains("invalid digit") || message.contains("number too large") {
        return format!("{at}应为整数");
    }
    // Any other account: where, without the parser's English.
    if at.is_empty() { "结构不正确".to_string() } else { format!("{at}的值不正确") }
}

pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| ApiError::bad_request("invalid_query", format!("查询参数不正确：{}", shape_error(&e.body_text()))))
    }
}

pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| ApiError::bad_request("invalid_path", format!("路径参数不正确：{}", e.body_text())))
    }
}

#[cfg(test)]
mod tests {
    use super::shape_error;

    #[test]
    fn the_parsers_account_of_a_wrong_body_is_said_in_chinese() {
        let t = "Failed to deserialize the JSON body into the target type: verdict: unknown variant `maybe`, expected `handled` or `false_alarm` at line 1 column 40";
        assert_eq!(shape_error(t), "字段“verdict”的值“maybe”不在可选范围内，可选：handled、false_alarm");
        assert_eq!(shape_error("missing field `reason` at line 1 column 2"), "缺少必填字段“reason”");
        assert_eq!(
            shape_error(
                "Failed to deserialize the JSON body into the target type: unknown field `x`, expected `reason` or `verdict` at line 1 column 4"
            ),
            "不认识的字段“x”，可选：reason、verdict"
        );
        assert_eq!(shape_error("foo: unknown field `foo`, expected `title` or `content`"), "不认识的字段“foo”，可选：title、content");
        assert_eq!(
            shape_error("petitioners[0].foo: unknown field `foo`, expected `name`"),
            "字段“petitioners[0]”中不认识的字段“foo”，可选：name"
        );
        assert_eq!(
            shape_error("petitioners[0].name: invalid type: integer `3`, expected a string at line 1 column 9"),
            "字段“petitioners[0].name”应为文本"
        );
        assert_eq!(shape_error("limit: invalid type: string \"a\", expected i64"), "字段“limit”应为整数");
        assert_eq!(shape_error("invalid type: sequence, expected struct DismissInput at line 1 column 0"), "应为对象");
        assert!(!shape_error("verdict: invalid value: integer `7`, expected something").contains("invalid"));
    }
}
