//! Passwords (argon2id), bearer tokens and the `Staff` extractor.

use crate::error::ApiError;
use crate::state::AppState;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};
use xinfang_domain::procedure::{Actor, StaffActor};
use xinfang_domain::role::Role;
use xinfang_domain::unit::Unit;
use xinfang_store::{User, Visibility};

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|_| ApiError::internal())
}

/// How many argon2 runs this process does at once. Each fills its own
/// 19 MiB block (m = 19456 KiB), and the blocking pool ran as many as came:
/// four logins at once raised the server's resident memory by about
/// 80 MiB (docs/performance.md, issue 9's memory target). Two keep the
/// login throughput of a 2-core machine (argon2 is CPU-bound: more at once
/// are not faster) and bound the memory to two blocks; a login beyond
/// them waits its turn (tens of milliseconds each in a release build).
pub const ARGON2_AT_ONCE: usize = 2;
static ARGON2_TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(ARGON2_AT_ONCE);

/// How long a request waits, by default, for an argon2 turn before it is
/// answered [`ApiError::busy`] (503, nothing read, done or counted): a
/// flood of guesses from many addresses would otherwise queue every login
/// behind it without end. Ten seconds is some 200 checks of a release
/// build's queue. [`set_argon2_wait`] changes it (the test servers, whose
/// debug builds check slowly beside other tests, wait longer).
pub const ARGON2_WAIT: std::time::Duration = std::time::Duration::from_secs(10);
/// The wait set by [`set_argon2_wait`] in milliseconds; 0: [`ARGON2_WAIT`].
static ARGON2_WAIT_MILLIS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Set how long a request waits for an argon2 turn in this process.
pub fn set_argon2_wait(wait: std::time::Duration) {
    ARGON2_WAIT_MILLIS.store(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1), std::sync::atomic::Ordering::Relaxed);
}

fn argon2_wait() -> std::time::Duration {
    match ARGON2_WAIT_MILLIS.load(std::sync::atomic::Ordering::Relaxed) {
        0 => ARGON2_WAIT,
        millis => std::time::Duration::from_millis(millis),
    }
}

/// One of the [`ARGON2_AT_ONCE`] turns, held until dropped or spent.
/// A login takes its turn before it reads or counts anything, so a busy
/// answer is the same, and as fast, for every account.
pub struct Argon2Turn {
    _permit: tokio::sync::SemaphorePermit<'static>,
}

/// Wait for a turn, at most the configured wait ([`ARGON2_WAIT`]).
pub async fn argon2_turn() -> Result<Argon2Turn, ApiError> {
    argon2_turn_within(argon2_wait()).await
}

async fn argon2_turn_within(wait: std::time::Duration) -> Result<Argon2Turn, ApiError> {
    match tokio::time::timeout(wait, ARGON2_TURNS.acquire()).await {
        Ok(Ok(permit)) => Ok(Argon2Turn { _permit: permit }),
        Ok(Err(_)) => Err(ApiError::internal()),
        Err(_) => Err(ApiError::busy()),
    }
}

impl Argon2Turn {
    /// `work` (an argon2 hash or check) on a blocking thread, in this
    /// turn: argon2 takes tens of milliseconds of CPU and must not stall
    /// the async workers serving other requests. The turn is held by the
    /// work itself, so a request dropped while it waits for the result does
    /// not free a turn for another run beside its own. Internal if the work
    /// panicked.
    pub async fn run<T: Send + 'static>(self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        tokio::task::spawn_blocking(move || {
            let _turn = self;
            work()
        })
        .await
        .map_err(|_| ApiError::internal())
    }

    /// Hold the turn for `busy` without running argon2: a refusal that
    /// must take as long as a check, in the queue as well as in time (a
    /// locked account, `api::account`). Held by a task of its own, as a
    /// check's turn is held by its work: a dropped request frees it no
    /// sooner.
    pub async fn hold(self, busy: std::time::Duration) {
        let held = tokio::spawn(async move {
            tokio::time::sleep(busy).await;
            drop(self);
        });
        let _ = held.await;
    }
}

/// `work` in a turn of its own ([`argon2_turn`], [`Argon2Turn::run`]).
pub async fn argon2_in_turn<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    argon2_turn().await?.run(work).await
}

/// `hash_password` off the async threads, in turn ([`argon2_in_turn`]).
pub async fn hash_password_off_thread(password: &str) -> Result<String, ApiError> {
    let pw = password.to_string();
    argon2_in_turn(move || hash_password(&pw)).await?
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A random secret of `bytes` bytes, hex encoded.
pub fn random_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Tokens and keys are random, so SHA-256 is enough to store them safely.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A logged-in staff member, with the unit they act for.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: User,
    pub unit: Unit,
    pub token_hash: String,
}

impl Staff {
    pub fn actor(&self) -> Actor {
        Actor::Staff(StaffActor { user_id: self.user.id, unit_id: self.unit.id, role: self.user.role })
    }

    /// A unit sees what touches its subtree; a petition bureau also sees
    /// what arises in its area.
    /// The units whose view this staff member has: its own, and for a
    /// government's office, the government it acts for.
    pub fn visibility(&self, tree: &xinfang_domain::unit::UnitTree) -> Visibility {
        let mut unit_ids = vec![self.unit.id];
        if let Some(g) = tree.territorial_government(self.unit.id).filter(|g| tree.acts_for(self.unit.id, g.id)) {
            unit_ids.push(g.id);
        }
        Visibility { unit_ids }
    }

    /// Settings that apply to everyone (the holiday calendar) belong to the
    /// administrator of the top of the tree (a unit with no line superior),
    /// not to a district's.
    pub fn require_top_level_admin(&self) -> Result<(), ApiError> {
        self.require_role(&[Role::Admin])?;
        if self.unit.parent_id.is_some() {
            return Err(ApiError::forbidden("节假日安排等全局设置只能由最高一级的系统管理员修改"));
        }
        Ok(())
    }

    /// A history event by this member of staff that changes nothing of the
    /// procedure (包案, escalation, accountability…): same state before and after.
    pub fn record_event(
        &self,
        rec: &xinfang_store::PetitionRecord,
        action: &str,
        payload: serde_json::Value,
        reason: Option<String>,
    ) -> xinfang_store::EventDraft {
        xinfang_store::EventDraft {
            action: action.into(),
            actor: self.actor_ref(),
            occurred_at: chrono::Utc::now(),
            from_state: Some(rec.case.state),
            to_state: rec.case.state,
            payload,
            reason,
        }
    }

    /// Who acts, as the record names it.
    pub fn actor_ref(&self) -> xinfang_store::ActorRef {
        xinfang_store::ActorRef { kind: "staff", user_id: Some(self.user.id), unit_id: Some(self.unit.id) }
    }

    pub fn require_role(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("该操作需要以下角色之一：{}", roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("、"))))
        }
    }
}

pub fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256)
}

async fn staff_from_parts(parts: &Parts, state: &AppState) -> Result<Option<Staff>, ApiError> {
    let Some(token) = bearer(parts) else { return Ok(None) };
    staff_for_token(state, token).await.map(Some)
}

/// The staff member behind a session token (bearer header or the pages'
/// session cookie); 401 if it is unknown, expired or idle.
pub async fn staff_for_token(state: &AppState, token: &str) -> Result<Staff, ApiError> {
    if token.is_empty() || token.len() > 256 {
        return Err(ApiError::unauthorized());
    }
    let token_hash = secret_hash(token);
    let now = chrono::Utc::now();
    let idle_since = now - chrono::Duration::minutes(state.settings.idle_timeout_minutes);
    let (user, units_version) = state.store.user_for_token(&token_hash, now, idle_since).await?.ok_or_else(ApiError::unauthorized)?;
    // Another node may have changed the units since this one loaded them.
    state.refresh_units_at(units_version).await?;
    let unit = state.tree().get(user.unit_id).cloned().ok_or_else(ApiError::unauthorized)?;
    Ok(Staff { user, unit, token_hash })
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        staff_from_parts(parts, state).await?.ok_or_else(ApiError::unauthorized)
    }
}

/// Staff if a token is present (and then it must be valid), else nobody.
pub struct MaybeStaff(pub Option<Staff>);

impl FromRequestParts<AppState> for MaybeStaff {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(MaybeStaff(staff_from_parts(parts, state).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering::SeqCst};

    #[tokio::test]
    async fn a_check_that_gets_no_turn_in_time_is_busy_and_runs_nothing() {
        let every_turn = ARGON2_TURNS.acquire_many(ARGON2_AT_ONCE as u32).await.expect("the turns");
        let ran = Arc::new(AtomicBool::new(false));
        let refused = argon2_turn_within(std::time::Duration::from_millis(20)).await;
        let e = refused.err().map(|e| (e.status, e.code)).expect("no turn was free");
        assert_eq!((e.0, e.1.as_str()), (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy"));
        let response = axum::response::IntoResponse::into_response(ApiError::busy());
        assert_eq!(response.headers().get(axum::http::header::RETRY_AFTER).map(|v| v.as_bytes()), Some(&b"5"[..]));
        drop(every_turn);
        let r = ran.clone();
        argon2_in_turn(move || r.store(true, SeqCst)).await.expect("a turn is free again");
        assert!(ran.load(SeqCst));
    }
}
