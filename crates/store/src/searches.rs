//! Searches for people (by identity number or phone): recorded one by one,
//! counted per user over the last hour (in the database, so the limit holds
//! across nodes).

use crate::db::{Result, Store, fmt_instant};
use chrono::{DateTime, Duration, Utc};

impl Store {
    /// Record a search and return how many this user made in the hour up
    /// to `at`, this one included.
    pub async fn record_identity_search(&self, user_id: i64, unit_id: i64, field: &str, at: DateTime<Utc>) -> Result<i64> {
        let mut w = self.begin_counter_write().await?;
        sqlx::query("INSERT INTO identity_searches (user_id, unit_id, at, field, matched) VALUES ($1, $2, $3, $4, 0)")
            .bind(user_id)
            .bind(unit_id)
            .bind(fmt_instant(at))
            .bind(field.to_string())
            .execute(&mut *w.tx)
            .await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM identity_searches WHERE user_id = $1 AND at > $2")
            .bind(user_id)
            .bind(fmt_instant(at - Duration::hours(1)))
            .fetch_one(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(n)
    }
}
