//! Login, logout and the current user.

use crate::auth::{Staff, random_secret, secret_hash, verify_password};
use crate::dto::{LoginRequest, LoginResponse, MeResponse};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::state::AppState;
use crate::views::unit_ref;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use xinfang_store::fmt_instant;

fn me_of(staff: &Staff) -> MeResponse {
    MeResponse {
        username: staff.user.username.clone(),
        display_name: staff.user.display_name.clone(),
        role: staff.user.role.as_str().into(),
        role_label: staff.user.role.label().into(),
        unit: unit_ref(&staff.unit),
    }
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn login(State(state): State<AppState>, ApiJson(req): ApiJson<LoginRequest>) -> ApiResult<Json<LoginResponse>> {
    if req.username.is_empty() || req.username.len() > 64 || req.password.is_empty() || req.password.len() > 256 {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_credentials_format", "请输入用户名和密码"));
    }
    let bad = || ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "用户名或密码错误");
    let user = state.store.user_by_username(&req.username).await?.ok_or_else(bad)?;
    // Verify on a blocking thread: argon2 is deliberately slow.
    let (password, phc) = (req.password.clone(), user.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc)).await.unwrap_or(false);
    if !ok || !user.active {
        return Err(bad());
    }
    let unit = state.tree().get(user.unit_id).cloned().ok_or_else(ApiError::internal)?;
    let token = random_secret(32);
    let expires = Utc::now() + Duration::hours(state.settings.token_ttl_hours);
    state.store.create_token(&secret_hash(&token), user.id, expires).await?;
    let staff = Staff { user, unit, token_hash: String::new() };
    Ok(Json(LoginResponse { token, expires_at: fmt_instant(expires), user: me_of(&staff) }))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, staff: Staff) -> ApiResult<StatusCode> {
    state.store.delete_token(&staff.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
pub async fn me(staff: Staff) -> Json<MeResponse> {
    Json(me_of(&staff))
}
