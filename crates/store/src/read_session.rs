//! One connection for a read made of several statements (a search: the
//! name probe, the index's candidates, the list's rows).
//!
//! Taken from the pool once instead of once per statement: on PostgreSQL
//! every acquisition pings the connection first (`test_before_acquire`),
//! a round trip each, and a search made four to six of them
//! (docs/performance.md, session 41). On PostgreSQL the statements run in
//! one read-only transaction (at the default READ COMMITTED each statement
//! still takes its own snapshot: this is about settings and round trips,
//! not about one view of the data), begun together with the
//! settings they want in a single round trip: no parallel workers (each
//! statement reads a few hundred rows by index; PostgreSQL, misestimating
//! a word it has no statistics on, started two workers for a name's count,
//! 5 ms to set up).

use crate::db::{Dialect, Result};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Transaction};

/// What `ReadSession::begin` sends on PostgreSQL: one simple query. Each
/// statement is planned for its own values (a word's postings, a window's
/// ids), never with a prepared statement's generic plan: the connection's
/// cached statements keep the parse, not the plan.
const PG_BEGIN: &str = "BEGIN READ ONLY; SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL plan_cache_mode = force_custom_plan";

pub(crate) enum ReadSession {
    /// SQLite (its connections are threads of this process, with nothing
    /// to ping), and lists without words.
    Plain(PoolConnection<Any>),
    /// PostgreSQL: a read-only transaction, parallel workers off.
    Tx(Transaction<'static, Any>),
}

impl ReadSession {
    pub(crate) async fn begin(pool: &AnyPool, dialect: Dialect) -> Result<ReadSession> {
        Ok(match dialect {
            Dialect::Sqlite => ReadSession::Plain(pool.acquire().await?),
            Dialect::Postgres => ReadSession::Tx(pool.begin_with(PG_BEGIN).await?),
        })
    }

    /// One connection, no transaction (a list without words).
    pub(crate) async fn plain(pool: &AnyPool) -> Result<ReadSession> {
        Ok(ReadSession::Plain(pool.acquire().await?))
    }

    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        match self {
            ReadSession::Plain(c) => c,
            ReadSession::Tx(t) => t,
        }
    }

    /// Ends the transaction (nothing was written; committing ends it in one
    /// round trip, where a dropped one leaves its rollback to the pool).
    pub(crate) async fn finish(self) -> Result<()> {
        if let ReadSession::Tx(t) = self {
            t.commit().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The setting `name` as the connection sees it now.
    async fn setting(c: &mut AnyConnection, name: &str) -> String {
        sqlx::query_scalar("SELECT current_setting($1)").bind(name).fetch_one(c).await.unwrap()
    }

    /// On the PostgreSQL server the suite runs against (the PostgreSQL run
    /// of the suite names it; the SQLite run has nothing to check here):
    /// the session's statements run read-only, without parallel workers,
    /// planned for their values, and the connection goes back to the pool
    /// with none of it.
    #[tokio::test]
    async fn a_postgres_session_reads_in_one_read_only_transaction_without_parallel_workers() {
        let Some(url) = std::env::var("XINFANG_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) else { return };
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
        let before = {
            let mut c = pool.acquire().await.unwrap();
            setting(&mut c, "max_parallel_workers_per_gather").await
        };
        let mut s = ReadSession::begin(&pool, Dialect::Postgres).await.unwrap();
        assert_eq!(setting(s.conn(), "max_parallel_workers_per_gather").await, "0");
        assert_eq!(setting(s.conn(), "transaction_read_only").await, "on");
        assert_eq!(setting(s.conn(), "plan_cache_mode").await, "force_custom_plan");
        let write = sqlx::query("CREATE TABLE xf_read_session_probe (a INT)").execute(s.conn()).await;
        assert!(write.is_err(), "a read session must not write");
        drop(s);
        // The one connection again, after a session that failed: a fresh
        // session works, and a plain use has the server's settings back.
        let mut s = ReadSession::begin(&pool, Dialect::Postgres).await.unwrap();
        assert_eq!(setting(s.conn(), "max_parallel_workers_per_gather").await, "0");
        s.finish().await.unwrap();
        let mut c = ReadSession::plain(&pool).await.unwrap();
        assert_eq!(setting(c.conn(), "max_parallel_workers_per_gather").await, before);
        assert_eq!(setting(c.conn(), "transaction_read_only").await, "off");
    }
}
