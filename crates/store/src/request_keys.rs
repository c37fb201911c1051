//! One answer per submission, agreed across nodes (issue 10): the API's
//! `Idempotency-Key` and the portal's one-time form tokens. A request
//! claims its key with one conditional upsert before it acts, and records
//! its answer when done; a second request with the key finds either the
//! answer (the same one is given again) or the claim (the first is still
//! working). Keys and answers arrive already hashed and encrypted: the
//! store never sees a key or a query code.

use crate::db::{Result, RowExt, Store, fmt_instant};
use chrono::{DateTime, Utc};

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is this request's now: act, then `finish_request_key` (or
    /// `release_request_key` if nothing was done).
    Claimed,
    /// Another request with this key has finished: its body fingerprint,
    /// status and (encrypted) answer.
    Done { fingerprint: String, status: i64, response: String },
    /// Another request with this key is still working (claimed since
    /// `stale_before` or later).
    InProgress { fingerprint: String },
}

impl Store {
    /// Claim `(scope, key_hash)` for a request whose body has `fingerprint`.
    /// A row that expired, or an unfinished claim with the same fingerprint
    /// older than `stale_before` (its node died while acting), is taken
    /// over; anything else is reported as found.
    pub async fn claim_request_key(
        &self,
        scope: &str,
        key_hash: &str,
        fingerprint: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> Result<Claim> {
        let mut w = self.begin_write().await?;
        let taken = sqlx::query(
            "INSERT INTO request_keys (scope, key_hash, fingerprint, status, response, created_at, expires_at) \
             VALUES ($1, $2, $3, NULL, NULL, $4, $5) \
             ON CONFLICT (scope, key_hash) DO UPDATE SET fingerprint = excluded.fingerprint, status = NULL, response = NULL, \
             created_at = excluded.created_at, expires_at = excluded.expires_at \
             WHERE request_keys.expires_at <= $4 \
             OR (request_keys.response IS NULL AND request_keys.created_at <= $6 AND request_keys.fingerprint = excluded.fingerprint)",
        )
        .bind(scope.to_string())
        .bind(key_hash.to_string())
        .bind(fingerprint.to_string())
        .bind(fmt_instant(now))
        .bind(fmt_instant(expires_at))
        .bind(fmt_instant(stale_before))
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if taken == 1 {
            w.commit().await?;
            return Ok(Claim::Claimed);
        }
        let row = sqlx::query("SELECT fingerprint, status, response FROM request_keys WHERE scope = $1 AND key_hash = $2")
            .bind(scope.to_string())
            .bind(key_hash.to_string())
            .fetch_one(&mut *w.tx)
            .await?;
        w.commit().await?;
        let fingerprint = row.s("fingerprint")?;
        Ok(match (row.oi("status")?, row.os("response")?) {
            (Some(status), Some(response)) => Claim::Done { fingerprint, status, response },
            _ => Claim::InProgress { fingerprint },
        })
    }

    /// Record the answer of the request that claimed the key.
    pub async fn finish_request_key(&self, scope: &str, key_hash: &str, status: i64, response: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE request_keys SET status = $3, response = $4 WHERE scope = $1 AND key_hash = $2")
            .bind(scope.to_string())
            .bind(key_hash.to_string())
            .bind(status)
            .bind(response.to_string())
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// Give up a claim whose request did nothing (it was refused as
    /// invalid), so the key may be used again with a corrected body.
    pub async fn release_request_key(&self, scope: &str, key_hash: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM request_keys WHERE scope = $1 AND key_hash = $2 AND response IS NULL")
            .bind(scope.to_string())
            .bind(key_hash.to_string())
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(())
    }

    /// How many keys are stored (tests: the purge job removes expired ones).
    pub async fn request_key_count(&self) -> Result<i64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM request_keys").fetch_one(&self.pool).await?;
        Ok(n)
    }
}
