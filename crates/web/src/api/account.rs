//! Login (with lockout and an optional TOTP second factor), logout, logout
//! everywhere, the current user, password change and TOTP enrolment; and
//! the admin's user management.

use crate::auth::{Argon2Turn, Staff, hash_password_off_thread, random_secret, secret_hash, verify_password};
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
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use utoipa::ToSchema;
use xinfang_crypto::totp;
use xinfang_domain::account::{check_password, check_username};
use xinfang_domain::role::Role;
use xinfang_store::{User, fmt_instant};

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

/// argon2 is deliberately slow: run it off the async threads, in `turn`
/// (`auth::argon2_turn`, taken by the caller before it reads or counts
/// anything, so that a busy answer is the same for every account). Each
/// run is timed (the work, not its wait for a turn), so that a refusal
/// without a check can take as long (see `like_a_check`).
async fn password_ok(turn: Argon2Turn, password: &str, phc: &str) -> Result<bool, ApiError> {
    let (password, phc) = (password.to_string(), phc.to_string());
    let (ok, took) = turn
        .run(move || {
            let started = std::time::Instant::now();
            (verify_password(&password, &phc), started.elapsed())
        })
        .await?;
    CHECK_NANOS.store(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    Ok(ok)
}

/// How long the last password check took (0: none yet on this node).
static CHECK_NANOS: AtomicU64 = AtomicU64::new(0);

/// A hash of nothing anyone knows: checked for unknown usernames, so that
/// they cost and answer like a wrong password.
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

/// Take as long as a password check without doing one: a locked account
/// must not answer faster than a wrong password (no username discovery by
/// timing), but must not cost argon2 either (40 concurrent guesses check
/// at most `max_failed_logins` passwords).
async fn like_a_check(turn: Argon2Turn) -> Result<(), ApiError> {
    match CHECK_NANOS.load(Ordering::Relaxed) {
        0 => password_ok(turn, "", DUMMY_PHC).await.map(|_| ()),
        n => {
            turn.hold(std::time::Duration::from_nanos(n)).await;
            Ok(())
        }
    }
}

/// Password checks per stored password hash since this node started
/// (bounded by the accounts and their password changes; the hash, salted,
/// names one account's password even across databases). The tests read it
/// to show that a locked account costs no argon2 run.
static CHECKS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());

pub fn password_checks(password_hash: &str) -> u64 {
    CHECKS.lock().map(|m| m.get(password_hash).copied().unwrap_or(0)).unwrap_or(0)
}

async fn user_password_ok(turn: Argon2Turn, user: &User, password: &str) -> Result<bool, ApiError> {
    if let Ok(mut m) = CHECKS.lock() {
        *m.entry(user.password_hash.clone()).or_insert(0) += 1;
    }
    password_ok(turn, password, &user.password_hash).await
}

/// The time step of a right, unused code for the user's confirmed secret;
/// the step is used up here (once, on every node).
async fn use_totp(state: &AppState, user: &User, code: &str) -> Result<bool, ApiError> {
    let secret = user.totp_secret.as_deref().filter(|_| user.totp_enabled).and_then(|c| state.keyring.decrypt(c).ok());
    let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
    let Some(step) = secret.and_then(|s| totp::verify_step(&s, code, now)) else { return Ok(false) };
    Ok(state.store.use_totp_step(user.id, i64::try_from(step).unwrap_or(i64::MAX)).await?)
}

fn wrong_credentials() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "用户名或密码错误")
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    description = "Ten failed attempts (a wrong password, or a wrong or reused second factor; a missing code after the right password is not counted) lock the account for 30 minutes; a locked account answers exactly like a wrong password (401 `invalid_credentials`). Accounts with a second factor also send `totp`; each code is accepted once.",
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody), (status = 503, body = ErrorBody, description = "Too many password checks waiting: retry after `Retry-After` seconds; not counted as a failed attempt")))]
pub async fn login(State(state): State<AppState>, ApiJson(req): ApiJson<LoginRequest>) -> ApiResult<Json<LoginResponse>> {
    if req.username.is_empty() || req.username.len() > 64 || req.password.is_empty() || req.password.len() > 256 {
        return Err(unprocessable("invalid_credentials_format", "请输入用户名和密码"));
    }
    // The turn first: busy (503) before anything is read or counted.
    let turn = crate::auth::argon2_turn().await?;
    let Some(user) = state.store.user_by_username(&req.username).await? else {
        // Same work and answer as a wrong password: no username probing.
        password_ok(turn, &req.password, DUMMY_PHC).await?;
        return Err(wrong_credentials());
    };
    let now = Utc::now();
    let max = state.settings.max_failed_logins;
    let until = now + Duration::minutes(state.settings.lockout_minutes);
    // The attempt is counted before the password is checked, atomically in
    // the database: concurrent guesses cannot all slip past the count.
    let Some(attempt) = state.store.begin_login_attempt(user.id, now, max, until).await? else {
        like_a_check(turn).await?;
        return Err(wrong_credentials());
    };
    let locks = || {
        if attempt >= max {
            tracing::warn!(username = %user.username, "account locked after repeated login failures");
        }
    };
    if !(user_password_ok(turn, &user, &req.password).await? && user.active) {
        locks();
        return Err(wrong_credentials());
    }
    if user.totp_enabled {
        let Some(code) = req.totp.as_deref().map(str::trim).filter(|c| !c.is_empty()) else {
            // Not a failure: the page asks for the code next.
            state.store.undo_login_attempt(user.id, attempt, max).await?;
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "totp_required", "请输入动态验证码"));
        };
        if !use_totp(&state, &user, code).await? {
            // Wrong or already used: a failed login like a wrong password.
            locks();
            return Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_totp", "动态验证码错误或已使用，请输入新的验证码"));
        }
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
    if req.current_password.len() > 256
        || !password_ok(crate::auth::argon2_turn().await?, &req.current_password, &staff.user.password_hash).await?
    {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "当前密码错误"));
    }
    check_password(&staff.user.username, &req.new_password)?;
    state.store.set_password(staff.user.id, &hash_password_off_thread(&req.new_password).await?).await?;
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

/// Proof that the account holder is present: the password, and a current
/// code when a second factor is on.
#[derive(Deserialize, ToSchema, Default)]
pub struct TotpReauth {
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub code: Option<String>,
}

/// Check the password and, when the second factor is on, a current unused
/// code — counted like a login (a stolen session cannot guess either
/// without locking the account; a locked account is refused).
async fn reauthenticate(state: &AppState, staff: &Staff, req: &TotpReauth) -> Result<(), ApiError> {
    let refused = || ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "密码或动态验证码错误");
    if req.password.is_empty() || req.password.len() > 256 {
        return Err(unprocessable("password_required", "请输入当前密码"));
    }
    // The turn first: busy before anything is read or counted.
    let turn = crate::auth::argon2_turn().await?;
    // The session's copy of the user may be older than the last change.
    let user = state.store.user_by_username(&staff.user.username).await?.ok_or_else(ApiError::unauthorized)?;
    let code = req.code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if user.totp_enabled && code.is_none() {
        return Err(unprocessable("totp_required", "请输入当前动态验证码"));
    }
    let now = Utc::now();
    let max = state.settings.max_failed_logins;
    let until = now + Duration::minutes(state.settings.lockout_minutes);
    if state.store.begin_login_attempt(user.id, now, max, until).await?.is_none() {
        like_a_check(turn).await?;
        return Err(refused());
    }
    if !user_password_ok(turn, &user, &req.password).await? {
        return Err(refused());
    }
    if user.totp_enabled && !use_totp(state, &user, code.unwrap_or_default()).await? {
        return Err(refused());
    }
    state.store.record_login_success(user.id).await?;
    Ok(())
}

fn reauth_body(body: &axum::body::Bytes) -> Result<TotpReauth, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(TotpReauth::default());
    }
    serde_json::from_slice(body).map_err(|_| ApiError::bad_request("invalid_json", "请求体不是有效的JSON"))
}

#[utoipa::path(post, path = "/api/v1/me/totp", tag = "auth", security(("bearer" = [])), request_body = TotpReauth,
    description = "Start enrolling a TOTP second factor: needs the current password, and a current code when a second factor is already on (re-enrolment). The new secret is enabled by confirming a code; until then the old one stays on. Wrong tries count as failed logins.",
    responses((status = 200, body = TotpEnrolment), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn totp_enrol(State(state): State<AppState>, staff: Staff, body: axum::body::Bytes) -> ApiResult<Json<TotpEnrolment>> {
    reauthenticate(&state, &staff, &reauth_body(&body)?).await?;
    let secret = totp::new_secret();
    state.store.set_totp_pending(staff.user.id, &state.keyring.encrypt(&secret)).await?;
    let uri = format!("otpauth://totp/xinfang:{}?secret={secret}&issuer=xinfang&digits=6&period=30", staff.user.username);
    Ok(Json(TotpEnrolment { secret, otpauth_uri: uri }))
}

#[utoipa::path(post, path = "/api/v1/me/totp/disable", tag = "auth", security(("bearer" = [])), request_body = TotpReauth,
    description = "Turn the TOTP second factor off: needs the current password and a current code. Wrong tries count as failed logins.",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn totp_disable(State(state): State<AppState>, staff: Staff, body: axum::body::Bytes) -> ApiResult<StatusCode> {
    let req = reauth_body(&body)?;
    if !staff.user.totp_enabled {
        return Err(unprocessable("totp_not_enabled", "动态验证码未开通"));
    }
    reauthenticate(&state, &staff, &req).await?;
    state.store.disable_totp(staff.user.id).await?;
    tracing::info!(username = %staff.user.username, "TOTP second factor turned off");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct TotpCode {
    pub code: String,
}

#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "auth", security(("bearer" = [])), request_body = TotpCode,
    description = "Confirm the secret from `POST /api/v1/me/totp` with its current code; it becomes the second factor (replacing any earlier one) and the code is used up.",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn totp_confirm(State(state): State<AppState>, staff: Staff, ApiJson(req): ApiJson<TotpCode>) -> ApiResult<StatusCode> {
    let Some(pending) = staff.user.totp_pending.clone() else {
        return Err(unprocessable("totp_not_enrolled", "请先申请开通动态验证码"));
    };
    let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
    let step = state.keyring.decrypt(&pending).ok().and_then(|s| totp::verify_step(&s, &req.code, now));
    let Some(step) = step else {
        return Err(unprocessable("invalid_totp", "动态验证码错误"));
    };
    if !state.store.confirm_totp(staff.user.id, &pending, i64::try_from(step).unwrap_or(i64::MAX)).await? {
        return Err(ApiError::new(StatusCode::CONFLICT, "totp_changed", "动态验证码已重新申请，请使用最新的密钥"));
    }
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
    xinfang_domain::role::fits_unit(role, unit.kind).map_err(|m| unprocessable("role_unit_mismatch", m))?;
    match state.store.create_user(&req.username, name, &hash_password_off_thread(&req.password).await?, role, unit.id).await? {
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

/// The admin's change to an account: any of name, role, unit, active.
#[derive(Deserialize, ToSchema, Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    /// clerk, handling_officer, unit_head, reviewer, supervisor, leader, admin
    pub role: Option<String>,
    /// Unit code.
    pub unit: Option<String>,
    /// false disables the account (its sessions end at once); true enables it again.
    pub active: Option<bool>,
    /// Where reminders and arrival notices go (empty string clears it).
    pub email: Option<String>,
    /// Mobile number for SMS (empty string clears it).
    pub phone: Option<String>,
}

/// An account of the admin's area, or 404 (accounts outside it are not disclosed).
async fn user_in_area(state: &AppState, staff: &Staff, username: &str) -> Result<User, ApiError> {
    staff.require_role(&[Role::Admin])?;
    let user = state.store.user_by_username(username).await?.ok_or_else(|| ApiError::not_found("用户"))?;
    if !state.tree().administers(staff.unit.id, user.unit_id) {
        return Err(ApiError::not_found("用户"));
    }
    Ok(user)
}

#[utoipa::path(patch, path = "/api/v1/users/{username}", tag = "admin", security(("bearer" = [])), params(("username" = String, Path)), request_body = UserChange,
    description = "Edit an account of the admin's area: name, role, unit (within the area) or whether it is active. Disabling ends its sessions; an admin cannot disable or demote their own account.",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(username): ApiPath<String>,
    ApiJson(req): ApiJson<UserChange>,
) -> ApiResult<StatusCode> {
    let user = user_in_area(&state, &staff, &username).await?;
    let own = user.id == staff.user.id;
    let role = match req.role.as_deref() {
        Some(r) => Role::parse(r).ok_or_else(|| unprocessable("invalid_role", format!("角色“{r}”不存在")))?,
        None => user.role,
    };
    let name = req.display_name.as_deref().map(str::trim).unwrap_or(&user.display_name).to_string();
    if name.is_empty() || name.chars().count() > 50 {
        return Err(unprocessable("invalid_name", "请填写姓名（不超过50字）"));
    }
    let tree = state.tree();
    let unit_id = match req.unit.as_deref() {
        Some(code) => {
            let unit = tree.by_code(code).ok_or_else(|| unprocessable("unknown_unit", format!("单位代码“{code}”不存在")))?;
            if !tree.administers(staff.unit.id, unit.id) {
                return Err(ApiError::forbidden("只能将账号调整到本辖区内的单位"));
            }
            unit.id
        }
        None => user.unit_id,
    };
    if let Some(u) = tree.get(unit_id) {
        xinfang_domain::role::fits_unit(role, u.kind).map_err(|m| unprocessable("role_unit_mismatch", m))?;
    }
    if own && (role != Role::Admin || req.active == Some(false)) {
        return Err(unprocessable("own_account", "不能停用自己的账号或取消自己的管理员角色"));
    }
    let contact = contact_change(&state, &user, req.email.as_deref(), req.phone.as_deref()).await?;
    state.store.update_user(user.id, &name, role, unit_id).await?;
    if let Some((email, phone)) = contact {
        state.store.set_user_contact(user.id, email.as_deref(), phone.as_deref()).await?;
    }
    if let Some(active) = req.active.filter(|a| *a != user.active) {
        state.store.set_user_active(user.id, active).await?;
        tracing::info!(username = %user.username, active, by = %staff.user.username, "account active flag changed");
    }
    if role != user.role || unit_id != user.unit_id {
        // New powers or a new unit: old sessions carry the old ones.
        state.store.delete_user_tokens(user.id).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The new contact ciphertexts, if the change touches them (validated:
/// an address with one `@`, a mobile number of 11 digits).
async fn contact_change(
    state: &AppState,
    user: &User,
    email: Option<&str>,
    phone: Option<&str>,
) -> ApiResult<Option<(Option<String>, Option<String>)>> {
    if email.is_none() && phone.is_none() {
        return Ok(None);
    }
    let (old_email, old_phone) = state.store.user_contact(user.id).await?;
    let email = match email.map(str::trim) {
        None => old_email,
        Some("") => None,
        Some(e) => {
            if !xinfang_notify::valid_email(e) {
                return Err(unprocessable("invalid_email", "电子邮箱格式不正确").at("email"));
            }
            Some(state.keyring.encrypt(e))
        }
    };
    let phone = match phone.map(str::trim) {
        None => old_phone,
        Some("") => None,
        Some(p) => {
            if !xinfang_domain::petition::valid_phone(p) {
                return Err(unprocessable("invalid_phone", "手机号码格式不正确").at("phone"));
            }
            Some(state.keyring.encrypt(p))
        }
    };
    Ok(Some((email, phone)))
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordReset {
    /// The new (temporary) password; the password policy applies.
    pub password: String,
}

#[utoipa::path(post, path = "/api/v1/users/{username}/password", tag = "admin", security(("bearer" = [])), params(("username" = String, Path)), request_body = PasswordReset,
    description = "Reset the password of an account of the admin's area (the holder forgot it): the policy applies, the lockout is lifted and every session of the account ends.",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<AppState>,
    staff: Staff,
    ApiPath(username): ApiPath<String>,
    ApiJson(req): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    let user = user_in_area(&state, &staff, &username).await?;
    check_password(&user.username, &req.password)?;
    state.store.set_password(user.id, &hash_password_off_thread(&req.password).await?).await?;
    state.store.unlock_user(user.id).await?;
    state.store.delete_user_tokens(user.id).await?;
    tracing::info!(username = %user.username, by = %staff.user.username, "password reset by the admin");
    Ok(StatusCode::NO_CONTENT)
}
