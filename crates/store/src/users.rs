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
    })
}

const USER_COLS: &str = "id, username, display_name, password_hash, role, unit_id, active";

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
        sqlx::query("INSERT INTO auth_tokens (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(token_hash.to_string())
            .bind(user_id)
            .bind(fmt_instant(Utc::now()))
            .bind(fmt_instant(expires_at))
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// The active user behind an unexpired token.
    pub async fn user_for_token(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        let cols = USER_COLS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {cols} FROM auth_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.expires_at > $2 AND u.active = 1"
        )))
        .bind(token_hash.to_string())
        .bind(fmt_instant(now))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
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
}
