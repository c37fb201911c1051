//! Budgets that must hold across nodes, so they live in the database (on
//! SQLite in its rate file, `crate::rate_file`): anonymous submissions per
//! client address and day (count and bytes).

use crate::db::{Result, RowExt, Store};

/// How much one address may submit anonymously in one day.
#[derive(Debug, Clone, Copy)]
pub struct DailyBudget {
    pub submissions: i64,
    pub bytes: i64,
}

impl Store {
    /// Charge one submission of `bytes` to `address` for `day`
    /// (`YYYY-MM-DD`): true, and counted, if both the day's count and
    /// bytes stay within `budget`; false, and nothing counted, otherwise.
    /// The upsert locks the row, so concurrent requests on any node are
    /// charged one after the other.
    pub async fn charge_submission(&self, day: &str, address: &str, bytes: i64, budget: DailyBudget) -> Result<bool> {
        let mut w = self.begin_rate_write().await?;
        let row = sqlx::query(
            "INSERT INTO submission_budget (day, address, submissions, bytes) VALUES ($1, $2, 1, $3) \
             ON CONFLICT (day, address) DO UPDATE SET submissions = submission_budget.submissions + 1, bytes = submission_budget.bytes + excluded.bytes \
             RETURNING submissions, bytes",
        )
        .bind(day.to_string())
        .bind(address.to_string())
        .bind(bytes)
        .fetch_one(&mut *w.tx)
        .await?;
        if row.i("submissions")? > budget.submissions || row.i("bytes")? > budget.bytes {
            // Dropping the transaction rolls the charge back.
            return Ok(false);
        }
        w.commit().await?;
        Ok(true)
    }
}
