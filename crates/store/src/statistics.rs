//! The query planner's statistics. Which index answers a list depends on
//! how rows spread over its keys: without statistics SQLite guesses, and at
//! a province's size a wrong guess (the overdue list read through the
//! due-date index and sorted, instead of the registration index filtered)
//! costs tens of milliseconds a page. PostgreSQL's autovacuum keeps its own
//! statistics; SQLite keeps them only when told to (`sqlite_stat1`, in the
//! database file, so every node reads the same ones).

use crate::db::{Dialect, Result, Store};

impl Store {
    /// Refresh SQLite's planner statistics: `ANALYZE` over a bounded
    /// sample (`analysis_limit`: about a thousand rows per index, so that
    /// it takes milliseconds on a database of any size). Nothing to do on
    /// PostgreSQL. Returns whether anything ran.
    pub async fn refresh_statistics(&self) -> Result<bool> {
        if self.dialect != Dialect::Sqlite {
            return Ok(false);
        }
        let mut c = self.pool.acquire().await?;
        sqlx::query("PRAGMA analysis_limit = 1000").execute(&mut *c).await?;
        sqlx::query("ANALYZE").execute(&mut *c).await?;
        Ok(true)
    }
}
