//! Login (with lockout and an optional TOTP second factor), logout, logout
//! everywhere, the current user, password change and TOTP enrolment; and
//! the admin's user management.

use crate::auth::{Staff, hash_password, random_secret, secret_hash, verify_password};
use crate::dto::{LoginRequest, LoginResponse, MeResponse};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;
use crate::views::unit_ref;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use xinfang_crypto::totp;
use xinfang_domain::account::{check_password, check_username};
use xinfang_domain::role::Role;
use xinfang_store::{User, fmt_instant, parse_instant};

fn me_of(staff: &Staff) -> MeResponse {
    MeResponse {
        username: staff.user.username.clone(),
        display_name: staff.user.display_name.clone(),
        role: staff.user.role.as_str().into(),
        role_label: staff.user.role.label().into(),
        unit: unit_ref(&staff.unit),
        totp_enabled: staff.user.totp_enabled,
    }
}

fn unprocessable(code: &str, msg: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, msg)
}

/// argon2 is deliberately slow: run it off the async threads.
async fn password_ok(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_string(), phc.to_string());
    tokio::task::spawn_blocking(move || verify_password(&password, &phc)).await.unwrap_or(false)
}

fn locked(until: &str) -> ApiError {
    let local =
        parse_instant(until).map(|t| t.with_timezone(&xinfang_domain::china_offset()).format("%H:%M").to_string()).unwrap_or_default();
    ApiError::new(StatusCode::LOCKED, "account_locked", format!("连续登录失败次数过多，账号已锁定至{local}，请稍后再试或联系管理员解锁"))
}

fn totp_ok(state: &AppState, user: &User, code: &str) -> bool {
    let secret = user.totp_secret.as_deref().and_then(|c| state.keyring.decrypt(c).ok());
    let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
    secret.is_some_and(|s| totp::verify(&s, code, now))
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    description = "Ten consecutive failures lock the account for 30 minutes (423). Accounts with a second factor also send `totp`.",
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 423, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(State(state): State<AppState>, ApiJson(req): ApiJson<LoginRequest>) -> ApiResult<Json<LoginResponse>> {
    if req.username.is_empty() || req.username.len() > 64 || req.password.is_empty() || req.password.len() > 256 {
        return Err(unprocessable("invalid_credentials_format", "请输入用户名和密码"));
    }
    let bad = || ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "用户名或密码错误");
    let Some(user) = state.store.user_by_username(&req.username).await? else {
        // Same work and answer as a wrong password: no username probing.
        let _ =
            password_ok(&req.password, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g").await;
        return Err(bad());
    };
    let now = Utc::now();
    if let Some(until) = user.locked_until.as_deref()
        && parse_instant(until).is_ok_and(|t| t > now)
    {
        return Err(locked(until));
    }
    let password_good = password_ok(&req.password, &user.password_hash).await && user.active;
    let second_factor = if password_good && user.totp_enabled {
        match req.totp.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None => return Err(ApiError::new(StatusCode::UNAUTHORIZED, "totp_required", "请输入动态验证码")),
            Some(code) => totp_ok(&state, &user, code),
        }
    } else {
        true
    };
    if !(password_good && second_factor) {
        let until = now + Duration::minutes(state.settings.lockout_minutes);
        let n = state.store.record_login_failure(user.id, state.settings.max_failed_logins, until).await?;
        if n >= state.settings.max_failed_logins {
            tracing::warn!(username = %user.username, "account locked after repeated login failures");
            return Err(locked(&fmt_instant(until)));
        }
        return Err(if password_good { ApiError::new(StatusCode::UNAUTHORIZED, "invalid_totp", "动态验证码错误") } else { bad() });
    }
    state.store.record_login_success(user.id).await?;
    let unit = state.tree().get(user.unit_id).cloned().ok_or_else(ApiError::internal)?;
    let token = random_secret(32);
    let expires = now + Duration::hours(state.settings.token_ttl_hours);
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

#[utoipa::path(post, path = "/api/v1/auth/logout-all", tag = "auth", security(("bearer" = [])),
    description = "End every session of the current user, on every device.",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout_all(State(state): State<AppState>, staff: Staff) -> ApiResult<StatusCode> {
    state.store.delete_user_tokens(staff.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
pub async fn me(staff: Staff) -> Json<MeResponse> {
    Json(me_of(&staff))
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChange,
    description = "Change the password; every session ends (log in again).",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(State(state): State<AppState>, staff: Staff, ApiJson(req): ApiJson<PasswordChange>) -> ApiResult<StatusCode> {
    if req.current_password.len() > 256 || !password_ok(&req.current_password, &staff.user.password_hash).await {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "当前密码错误"));
    }
    check_password(&staff.user.username, &req.new_password)?;
    state.store.set_password(staff.user.id, &hash_password(&req.new_password)?).await?;
    state.store.delete_user_tokens(staff.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// Base32 secret to enter in an authenticator app.
    pub secret: String,
    /// `otpauth://` URI (for a QR code).
    pub otpauth_uri: String,
}

#[utoipa::path(post, path = "/api/v1/me/totp", tag = "auth", security(("bearer" = [])),
    description = "Start enrolling a TOTP second factor; it is enabled by confirming a code.",
    responses((status = 200, body = TotpEnrolment), (status = 401, body = ErrorBody)))]
pub async fn totp_enrol(State(state): State<AppState>, staff: Staff) -> ApiResult<Json<TotpEnrolment>> {
    let secret = totp::new_secret();
    state.store.set_totp(staff.user.id, Some(&state.keyring.encrypt(&secret)), false).await?;
    let uri = format!("otpauth://totp/xinfang:{}?secret={secret}&issuer=xinfang&digits=6&period=30", staff.user.username);
    Ok(Json(TotpEnrolment { secret, otpauth_uri: uri }))
}

#[derive(Deserialize, ToSchema)]
pub struct TotpCode {
    pub code: String,
}

#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "auth", security(("bearer" = [])), request_body = TotpCode,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn totp_confirm(State(state): State<AppState>, staff: Staff, ApiJson(req): ApiJson<TotpCode>) -> ApiResult<StatusCode> {
    let Some(secret) = staff.user.totp_secret.clone() else {
        return Err(unprocessable("totp_not_enrolled", "请先申请开通动态验证码"));
    };
    if !totp_ok(&state, &staff.user, &req.code) {
        return Err(unprocessable("invalid_totp", "动态验证码错误"));
    }
    state.store.set_totp(staff.user.id, Some(&secret), true).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    /// clerk, handling_officer, unit_head, reviewer, supervisor, leader, admin
    pub role: String,
    /// Unit code.
    pub unit: String,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "admin", security(("bearer" = [])), request_body = NewUser,
    description = "Create a staff account for any unit of the admin's area — every unit whose jurisdiction lies within the admin unit's, in either hierarchy (admin). The password policy applies.",
    responses((status = 201), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(State(state): State<AppState>, staff: Staff, ApiJson(req): ApiJson<NewUser>) -> ApiResult<StatusCode> {
    staff.require_role(&[Role::Admin])?;
    check_username(&req.username)?;
    check_password(&req.username, &req.password)?;
    let role = Role::parse(&req.role).ok_or_else(|| unprocessable("invalid_role", format!("角色“{}”不存在", req.role)))?;
    let name = req.display_name.trim();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(unprocessable("invalid_name", "请填写姓名（不超过50字）"));
    }
    let tree = state.tree();
    let unit = tree.by_code(&req.unit).ok_or_else(|| unprocessable("unknown_unit", format!("单位代码“{}”不存在", req.unit)))?;
    // The admin's area, in either hierarchy: a province admin also serves
    // the joint conferences and government offices of its counties.
    if !tree.administers(staff.unit.id, unit.id) {
        return Err(ApiError::forbidden("只能为本辖区内的单位创建账号"));
    }
    match state.store.create_user(&req.username, name, &hash_password(&req.password)?, role, unit.id).await? {
        Some(_) => Ok(StatusCode::CREATED),
        None => Err(ApiError::new(StatusCode::CONFLICT, "username_taken", "用户名已存在")),
    }
}

#[utoipa::path(post, path = "/api/v1/users/{username}/unlock", tag = "admin", security(("bearer" = [])), params(("username" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unlock_user(State(state): State<AppState>, staff: Staff, ApiPath(username): ApiPath<String>) -> ApiResult<StatusCode> {
    staff.require_role(&[Role::Admin])?;
    let user = state.store.user_by_username(&username).await?.ok_or_else(|| ApiError::not_found("用户"))?;
    if !state.tree().administers(staff.unit.id, user.unit_id) {
        return Err(ApiError::not_found("用户"));
    }
    state.store.unlock_user(user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
