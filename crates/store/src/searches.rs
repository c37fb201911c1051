//! Searches for people (by identity number or phone): recorded one by one,
//! counted per user and distinct question over the last hour (in the
//! database, so the limit holds across nodes; one count at a time per
//! user, so two nodes asking at once cannot both take the last place).

use crate::db::{Dialect, Result, Store, fmt_instant};
use chrono::{DateTime, Duration, Utc};

/// The PostgreSQL advisory lock of one user's person searches: `xfid` in
/// the high half, the user id in the low (two users sharing the low half
/// only wait for each other).
fn identity_search_lock(user_id: i64) -> i64 {
    (0x7866_6964_i64 << 32) | (user_id & 0xFFFF_FFFF)
}

impl Store {
    /// Record a search for `subject` (the keyed hashes it is matched on)
    /// and say whether it is within `limit` distinct questions in the hour
    /// up to `at`: asking a question already asked this hour (a form
    /// redrawn, a page reloaded) is allowed and spends nothing; a new one
    /// past the limit is refused. Every ask is logged, a refused
    /// one marked so, and a refused one spends nothing either.
    pub async fn record_identity_search(
        &self,
        user_id: i64,
        unit_id: i64,
        field: &str,
        subject: &str,
        limit: i64,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let mut w = self.begin_counter_write().await?;
        if self.dialect == Dialect::Postgres {
            // Two nodes asking for the same user at once would each count
            // the last place of the budget free and both take it: one at a
            // time per user (SQLite's writer is one at a time already).
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(identity_search_lock(user_id)).execute(&mut *w.tx).await?;
        }
        let since = fmt_instant(at - Duration::hours(1));
        let again: Option<i64> =
            sqlx::query_scalar("SELECT id FROM identity_searches WHERE user_id = $1 AND at > $2 AND subject = $3 AND refused = 0 LIMIT 1")
                .bind(user_id)
                .bind(since.clone())
                .bind(subject.to_string())
                .fetch_optional(&mut *w.tx)
                .await?;
        let allowed = match again {
            Some(_) => true,
            None => {
                let asked: i64 = sqlx::query_scalar(
                    "SELECT COUNT(DISTINCT COALESCE(subject, 'row:' || CAST(id AS TEXT))) FROM identity_searches \
                     WHERE user_id = $1 AND at > $2 AND refused = 0",
                )
                .bind(user_id)
                .bind(since)
                .fetch_one(&mut *w.tx)
                .await?;
                asked < limit
            }
        };
        sqlx::query(
            "INSERT INTO identity_searches (user_id, unit_id, at, field, matched, subject, refused) VALUES ($1, $2, $3, $4, 0, $5, $6)",
        )
        .bind(user_id)
        .bind(unit_id)
        .bind(fmt_instant(at))
        .bind(field.to_string())
        .bind(subject.to_string())
        .bind(i64::from(!allowed))
        .execute(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(allowed)
    }
}
