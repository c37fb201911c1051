//! Which petitions a calendar change may move: those with an open timer
//! whose count (start day to due date) overlaps a changed year. Answered
//! from the `deadlines` table and its partial index on open due dates,
//! never by reading every case.

use crate::db::{Result, Store, fmt_date};
use chrono::NaiveDate;

impl Store {
    /// Numbers of the petitions with an open timer whose span
    /// `started_on..=due_on` overlaps `from..=to`, in number order.
    pub async fn petitions_with_open_timers_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT p.number FROM deadlines d JOIN petitions p ON p.id = d.petition_id WHERE d.met_at IS NULL AND d.due_on >= $1 AND d.started_on <= $2 ORDER BY p.number",
        )
        .bind(fmt_date(from))
        .bind(fmt_date(to))
        .fetch_all(&self.pool)
        .await?)
    }
}
