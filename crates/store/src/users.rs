//! Staff accounts, bearer tokens and API keys. Secrets are stored only as
//! hashes: argon2 for passwords (hashed at the edge), SHA-256 for random
//! tokens and keys (high-entropy, so a fast hash is enough).

use crate::db::{Result, RowExt, Store, StoreError, fmt_instant};
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use xinfang_domain::role::Role;

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub unit_id: i64,
    pub active: bool,
    pub failed_logins: i64,
    pub locked_until: Option<String>,
    /// The confirmed TOTP secret (encrypted); used only when enabled.
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    /// A new TOTP secret (encrypted) waiting for its first code.
    pub totp_pending: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: i64,
    pub label: String,
    pub unit_id: i64,
    /// The channel petitions filed with this key get (`hotline`, `online`).
    pub channel: String,
}

fn user_from_row(r: &sqlx::any::AnyRow) -> Result<User> {
    let role = r.s("role")?;
    Ok(User {
        id: r.i("id")?,
        username: r.s("username")?,
        display_name: r.s("display_name")?,
        password_hash: r.s("password_hash")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
        unit_id: r.i("unit_id")?,
        active: r.b("active")?,
        failed_logins: r.i("failed_logins")?,
        locked_until: r.os("locked_until")?,
        totp_secret: r.os("totp_secret")?,
        totp_enabled: r.b("totp_enabled")?,
        totp_pending: r.os("totp_pending")?,
    })
}

const USER_COLS: &str = "id, username, display_name, password_hash, role, unit_id, active, failed_logins, locked_until, totp_secret, totp_enabled, totp_pending";

impl Store {
    /// Create a user unless the username exists; returns the user id.
    pub async fn upsert_user(&self, username: &str, display_name: &str, password_hash: &str, role: Role, unit_id: i64) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let existing: Option<i64> =
            sqlx::query_scalar("SELECT id FROM users WHERE username = $1").bind(username.to_string()).fetch_optional(&mut *w.tx).await?;
        let id = match existing {
            Some(id) => id,
            None => {
                sqlx::query_scalar(
                    "INSERT INTO users (username, display_name, password_hash, role, unit_id, active, created_at) VALUES ($1, $2, $3, $4, $5, 1, $6) RETURNING id",
                )
                .bind(username.to_string())
                .bind(display_name.to_string())
                .bind(password_hash.to_string())
                .bind(role.as_str())
                .bind(unit_id)
                .bind(fmt_instant(Utc::now()))
                .fetch_one(&mut *w.tx)
                .await?
            }
        };
        w.commit().await?;
        Ok(id)
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {USER_COLS} FROM users WHERE username = $1")))
            .bind(username.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn users(&self) -> Result<Vec<User>> {
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT {USER_COLS} FROM users ORDER BY id"))).fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    pub async fn create_token(&self, token_hash: &str, user_id: i64, expires_at: DateTime<Utc>) -> Result<()> {
        let mut w = self.begin_write().await?;
        let now = fmt_instant(Utc::now());
        sqlx::query("INSERT INTO auth_tokens (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash.to_string())
            .bind(user_id)
            .bind(now.clone())
            .bind(fmt_instant(expires_at))
            .bind(now)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// The active user behind a token that has neither expired nor been
    /// idle since `idle_since`, and the `units_version` as it stands;
    /// refreshes the token's last use (at most once a minute, to keep
    /// reads cheap). The version rides in the same statement because
    /// every staff request checks both: one round trip, not two.
    pub async fn user_for_token(&self, token_hash: &str, now: DateTime<Utc>, idle_since: DateTime<Utc>) -> Result<Option<(User, i64)>> {
        let cols = USER_COLS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {cols}, t.last_seen_at, COALESCE((SELECT version FROM units_version WHERE id = 1), 0) AS units_version \
             FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.expires_at > $2 AND t.last_seen_at > $3 AND u.active = 1"
        )))
        .bind(token_hash.to_string())
        .bind(fmt_instant(now))
        .bind(fmt_instant(idle_since))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let last_seen = crate::db::parse_instant(&row.s("last_seen_at")?)?;
        if now - last_seen > chrono::Duration::seconds(60) {
            let mut w = self.begin_write().await?;
            sqlx::query("UPDATE auth_tokens SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(fmt_instant(now))
                .bind(token_hash.to_string())
                .execute(&mut *w.tx)
                .await?;
            w.commit().await?;
        }
        Ok(Some((user_from_row(&row)?, row.i("units_version")?)))
    }

    /// End every session of a user ("log out everywhere").
    pub async fn delete_user_tokens(&self, user_id: i64) -> Result<u64> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM auth_tokens WHERE user_id = $1").bind(user_id).execute(&mut *w.tx).await?.rows_affected();
        w.commit().await?;
        Ok(n)
    }

    /// Claim one login attempt before any password is checked. The attempt
    /// counts as a failure until `record_login_success` clears it, in one
    /// atomic UPDATE: of any number of concurrent attempts at most `max`
    /// get a number, and the one numbered `max` locks the account until
    /// `lock_until` (it is still checked, and clears the lock if right).
    /// `None`: the account is locked and no password may be checked.
    /// An expired lock starts the count again.
    pub async fn begin_login_attempt(&self, user_id: i64, now: DateTime<Utc>, max: i64, lock_until: DateTime<Utc>) -> Result<Option<i64>> {
        let mut w = self.begin_write().await?;
        let n: Option<i64> = sqlx::query_scalar(
            "UPDATE users SET \
                failed_logins = CASE WHEN locked_until IS NULL THEN failed_logins + 1 ELSE 1 END, \
                locked_until = CASE WHEN (CASE WHEN locked_until IS NULL THEN failed_logins + 1 ELSE 1 END) >= $3 THEN $4 ELSE NULL END \
             WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) RETURNING failed_logins",
        )
        .bind(user_id)
        .bind(fmt_instant(now))
        .bind(max)
        .bind(fmt_instant(lock_until))
        .fetch_optional(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(n)
    }

    /// Give back an attempt that was not a failure (right password, the
    /// second factor not yet sent); a lock this attempt set is lifted.
    pub async fn undo_login_attempt(&self, user_id: i64, attempt: i64, max: i64) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "UPDATE users SET failed_logins = failed_logins - 1, \
                locked_until = CASE WHEN $2 >= $3 THEN NULL ELSE locked_until END \
             WHERE id = $1 AND failed_logins > 0",
        )
        .bind(user_id)
        .bind(attempt)
        .bind(max)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    pub async fn record_login_success(&self, user_id: i64) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1").bind(user_id).execute(&mut *w.tx).await?;
        w.commit().await
    }

    /// Unlock an account (admin).
    pub async fn unlock_user(&self, user_id: i64) -> Result<()> {
        self.record_login_success(user_id).await
    }

    pub async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash.to_string())
            .bind(user_id)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// Accept a TOTP time step once: true only if it is later than every
    /// step accepted before for this user (RFC 6238 §5.2), decided by one
    /// conditional UPDATE so that two nodes cannot both accept it.
    pub async fn use_totp_step(&self, user_id: i64, step: i64) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query("UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)")
            .bind(user_id)
            .bind(step)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }

    /// Keep a new TOTP secret (encrypted by the caller) until it is
    /// confirmed; the current second factor, if any, stays on meanwhile.
    pub async fn set_totp_pending(&self, user_id: i64, secret: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE users SET totp_pending = $1 WHERE id = $2").bind(secret.to_string()).bind(user_id).execute(&mut *w.tx).await?;
        w.commit().await
    }

    /// Make the pending secret the second factor, if it is still the one
    /// the code was checked against; `step` (the confirming code's) is
    /// used up. False if another request changed the pending secret.
    pub async fn confirm_totp(&self, user_id: i64, pending: &str, step: i64) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_enabled = 1, totp_last_step = $3 WHERE id = $1 AND totp_pending = $2",
        )
        .bind(user_id)
        .bind(pending.to_string())
        .bind(step)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        w.commit().await?;
        Ok(n == 1)
    }

    /// Turn the second factor off (the caller checked password and code).
    /// The last used step is kept: steps only grow, whatever the secret.
    pub async fn disable_totp(&self, user_id: i64) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_enabled = 0 WHERE id = $1")
            .bind(user_id)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// Create a user; fails if the username exists.
    pub async fn create_user(
        &self,
        username: &str,
        display_name: &str,
        password_hash: &str,
        role: Role,
        unit_id: i64,
    ) -> Result<Option<i64>> {
        if self.user_by_username(username).await?.is_some() {
            return Ok(None);
        }
        self.upsert_user(username, display_name, password_hash, role, unit_id).await.map(Some)
    }

    pub async fn delete_token(&self, token_hash: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM auth_tokens WHERE token_hash = $1").bind(token_hash.to_string()).execute(&mut *w.tx).await?;
        w.commit().await
    }

    pub async fn create_api_key(&self, key_hash: &str, label: &str, unit_id: i64, channel: &str) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO api_keys (key_hash, label, unit_id, channel, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(key_hash.to_string())
        .bind(label.to_string())
        .bind(unit_id)
        .bind(channel.to_string())
        .bind(fmt_instant(Utc::now()))
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(id)
    }

    pub async fn api_key_unit(&self, id: i64) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT unit_id FROM api_keys WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    pub async fn api_key(&self, key_hash: &str) -> Result<Option<ApiKey>> {
        let row = sqlx::query("SELECT id, label, unit_id, channel FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL")
            .bind(key_hash.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(ApiKey { id: r.i("id")?, label: r.s("label")?, unit_id: r.i("unit_id")?, channel: r.s("channel")? })).transpose()
    }

    pub async fn revoke_api_key(&self, id: i64) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(fmt_instant(Utc::now()))
            .bind(id)
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        w.commit().await?;
        Ok(n > 0)
    }

    /// Change an account's name, role and unit (the admin's edit).
    pub async fn update_user(&self, user_id: i64, display_name: &str, role: Role, unit_id: i64) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE users SET display_name = $1, role = $2, unit_id = $3 WHERE id = $4")
            .bind(display_name.to_string())
            .bind(role.as_str().to_string())
            .bind(unit_id)
            .bind(user_id)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// Disable or enable an account; a disabled account's sessions end at
    /// once (login refuses it, tokens of inactive users are not honoured).
    pub async fn set_user_active(&self, user_id: i64, active: bool) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE users SET active = $1 WHERE id = $2").bind(i64::from(active)).bind(user_id).execute(&mut *w.tx).await?;
        if !active {
            sqlx::query("DELETE FROM auth_tokens WHERE user_id = $1").bind(user_id).execute(&mut *w.tx).await?;
        }
        w.commit().await
    }

    /// Display names of the given accounts (for the history of a petition).
    pub async fn display_names(&self, usernames: &[String]) -> Result<std::collections::HashMap<String, String>> {
        let mut out = std::collections::HashMap::new();
        for chunk in usernames.chunks(100) {
            let marks = (1..=chunk.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
            let sql = format!("SELECT username, display_name FROM users WHERE username IN ({marks})");
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for u in chunk {
                q = q.bind(u.clone());
            }
            for r in q.fetch_all(&self.pool).await? {
                out.insert(r.s("username")?, r.s("display_name")?);
            }
        }
        Ok(out)
    }

    /// Every API key, newest first, revoked ones too (for the admin's list).
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRow>> {
        let rows = sqlx::query("SELECT id, label, unit_id, channel, created_at, revoked_at FROM api_keys ORDER BY id DESC")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiKeyRow {
                    id: r.i("id")?,
                    label: r.s("label")?,
                    unit_id: r.i("unit_id")?,
                    channel: r.s("channel")?,
                    created_at: r.s("created_at")?,
                    revoked_at: r.os("revoked_at")?,
                })
            })
            .collect()
    }

    /// A staff member's saved inbox views (name, query string), in the order saved.
    pub async fn saved_views(&self, user_id: i64) -> Result<Vec<(String, String)>> {
        let rows =
            sqlx::query("SELECT name, query FROM saved_views WHERE user_id = $1 ORDER BY id").bind(user_id).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.s("name")?, r.s("query")?))).collect()
    }

    /// Save a view under a name (replacing one of the same name); at most
    /// `max` are kept, the oldest dropped.
    pub async fn save_view(&self, user_id: i64, name: &str, query: &str, max: i64) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM saved_views WHERE user_id = $1 AND name = $2")
            .bind(user_id)
            .bind(name.to_string())
            .execute(&mut *w.tx)
            .await?;
        sqlx::query("INSERT INTO saved_views (user_id, name, query, created_at) VALUES ($1, $2, $3, $4)")
            .bind(user_id)
            .bind(name.to_string())
            .bind(query.to_string())
            .bind(fmt_instant(Utc::now()))
            .execute(&mut *w.tx)
            .await?;
        sqlx::query(
            "DELETE FROM saved_views WHERE user_id = $1 AND id NOT IN (SELECT id FROM saved_views WHERE user_id = $2 ORDER BY id DESC LIMIT $3)",
        )
        .bind(user_id)
        .bind(user_id)
        .bind(max)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }

    pub async fn delete_view(&self, user_id: i64, name: &str) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM saved_views WHERE user_id = $1 AND name = $2")
            .bind(user_id)
            .bind(name.to_string())
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        w.commit().await?;
        Ok(n > 0)
    }

    /// Rename a unit (the admin's edit); the tree is reloaded by the caller.
    pub async fn rename_unit(&self, unit_id: i64, name: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE units SET name = $1 WHERE id = $2").bind(name.to_string()).bind(unit_id).execute(&mut *w.tx).await?;
        crate::nodes::bump_units_version(&mut w).await?;
        w.commit().await
    }
}

/// An API key as the admin's list shows it (never the key itself).
#[derive(Debug, Clone)]
pub struct ApiKeyRow {
    pub id: i64,
    pub label: String,
    pub unit_id: i64,
    pub channel: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}
