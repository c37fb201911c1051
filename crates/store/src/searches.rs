//! Searches for people (by identity number or phone): recorded one by one,
//! counted per user and person asked about over the last hour (in the database, so the limit holds
//! across nodes).

use crate::db::{Result, Store, fmt_instant};
use chrono::{DateTime, Duration, Utc};

impl Store {
    /// Record a search for `subject` (the keyed hashes searched) and
    /// return how many people this user asked about in the hour up to
    /// `at`, this one included: asking again about the same person (a form
    /// redrawn, a page reloaded) is logged and does not count twice.
    pub async fn record_identity_search(&self, user_id: i64, unit_id: i64, field: &str, subject: &str, at: DateTime<Utc>) -> Result<i64> {
        let mut w = self.begin_counter_write().await?;
        sqlx::query("INSERT INTO identity_searches (user_id, unit_id, at, field, matched, subject) VALUES ($1, $2, $3, $4, 0, $5)")
            .bind(user_id)
            .bind(unit_id)
            .bind(fmt_instant(at))
            .bind(field.to_string())
            .bind(subject.to_string())
            .execute(&mut *w.tx)
            .await?;
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT COALESCE(subject, 'row:' || CAST(id AS TEXT))) FROM identity_searches WHERE user_id = $1 AND at > $2",
        )
        .bind(user_id)
        .bind(fmt_instant(at - Duration::hours(1)))
        .fetch_one(&mut *w.tx)
        .await?;
        w.commit().await?;
        Ok(n)
    }
}
