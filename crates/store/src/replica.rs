//! An optional read replica: a PostgreSQL streaming standby that serves
//! the reads which tolerate lag (issue 9, item 3).
//!
//! Writes, and every read whose answer must include the caller's own
//! latest write, stay on the primary. The choice is made in one place:
//! a read goes to the replica only through `Store::reader()`, and a
//! `Reader` offers nothing but the routed reads (lists, the petitioners
//! shown on them, the open-timer counts), so a write or a read-your-write cannot take
//! the replica by mistake. Each call of `reader()` says in a comment why
//! that read tolerates lag.
//!
//! A replica that cannot answer never fails a request: the read is done
//! again on the primary (a slower list beats a 500). A replica that is
//! unreachable is left alone until a background probe finds it answering
//! again, so requests do not each wait for its connect timeout.
//!
//! SQLite has no streaming replicas: a read URL beside an SQLite database
//! is refused at startup, as is a read URL that is not PostgreSQL.

use crate::db::{Dialect, PoolSettings, Result, Store, StoreError};
use crate::petitions::{PetitionFilter, PetitionSummary, StoredPetitioner, Visibility};
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a read waits for a replica connection before it is done on
/// the primary instead (also bounds connecting to a host that does not
/// answer at all).
pub const REPLICA_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// How often a replica marked unavailable is probed until it answers.
pub const REPLICA_PROBE_INTERVAL: Duration = Duration::from_secs(2);
/// Longest a readiness check waits for the replica's state.
const STATUS_TIMEOUT: Duration = Duration::from_millis(800);

pub(crate) struct Replica {
    pool: AnyPool,
    /// The URL without its password, for logs.
    shown: String,
    /// Reads skip the replica while this is set (it failed and the probe
    /// has not yet seen it answer).
    down: AtomicBool,
    /// A probe task is running.
    probing: AtomicBool,
    last_error: Mutex<Option<String>>,
    served: AtomicU64,
    fell_back: AtomicU64,
}

/// What `/readyz` reports about the replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicaStatus {
    /// Answering. `standby`: it is in recovery (a streaming standby);
    /// `behind_bytes`: WAL the primary has written that the standby has
    /// not yet replayed (None when not a standby).
    Up { standby: bool, behind_bytes: Option<i64> },
    /// Not answering: reads go to the primary.
    Down { error: String },
}

impl std::fmt::Display for ReplicaStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplicaStatus::Up { standby: true, behind_bytes } => {
                write!(f, "ok (standby, {} bytes of WAL not yet replayed)", behind_bytes.unwrap_or(0))
            }
            ReplicaStatus::Up { standby: false, .. } => {
                write!(f, "ok (answering, but not in recovery: not a standby of this primary)")
            }
            ReplicaStatus::Down { error } => write!(f, "unavailable, reads go to the primary ({error})"),
        }
    }
}

/// Reads served by the replica and reads done on the primary after the
/// replica failed (counted since start).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplicaCounts {
    pub served: u64,
    pub fell_back: u64,
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
        _ => url.to_string(),
    }
}

/// Whether an error means the replica is not usable now (rather than this
/// one query failing): everything but a transaction rollback (class 40,
/// where a standby cancels a query that conflicts with replay).
fn replica_unusable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => !db.code().is_some_and(|c| c.starts_with("40")),
        sqlx::Error::RowNotFound | sqlx::Error::ColumnNotFound(_) | sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => false,
        _ => true,
    }
}

impl Replica {
    fn mark_down(self: &Arc<Self>, e: &dyn std::fmt::Display) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(e.to_string());
        }
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!(replica = %self.shown, error = %e, "read replica unavailable: lists, searches and exports read the primary until it answers again");
        }
        self.spawn_probe();
    }

    fn mark_up(&self) {
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::info!(replica = %self.shown, "read replica answering again: lists, searches and exports read it");
        }
    }

    /// Probe every `REPLICA_PROBE_INTERVAL` until the replica answers.
    fn spawn_probe(self: &Arc<Self>) {
        if self.probing.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(REPLICA_PROBE_INTERVAL).await;
                if me.pool.is_closed() {
                    break;
                }
                match sqlx::query("SELECT 1").execute(&me.pool).await {
                    Ok(_) => {
                        me.mark_up();
                        break;
                    }
                    Err(e) => {
                        if let Ok(mut last) = me.last_error.lock() {
                            *last = Some(e.to_string());
                        }
                    }
                }
            }
            me.probing.store(false, Ordering::Release);
        });
    }
}

/// Reads that may be served by the read replica (see `Store::reader`).
pub struct Reader<'a> {
    store: &'a Store,
}

impl Store {
    /// The same store, sending the reads made through `reader()` to a
    /// streaming replica at `url` (PostgreSQL only). Connects lazily: a
    /// replica that is down at startup only means reads on the primary.
    pub fn with_read_replica(mut self, url: &str, ps: PoolSettings) -> Result<Store> {
        if self.dialect == Dialect::Sqlite {
            return Err(StoreError::BadUrl(
                "read_database_url needs PostgreSQL: an SQLite database has no streaming replica (remove read_database_url)".into(),
            ));
        }
        if !(url.starts_with("postgres:") || url.starts_with("postgresql:")) {
            return Err(StoreError::BadUrl(format!("read_database_url must be a postgres:// URL, not {}", redact(url))));
        }
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(if ps.max_connections > 0 { ps.max_connections } else { 16 })
            .acquire_timeout(REPLICA_ACQUIRE_TIMEOUT)
            .idle_timeout(ps.idle_timeout.or(Some(Duration::from_secs(600))))
            .connect_lazy(url)?;
        self.replica = Some(Arc::new(Replica {
            pool,
            shown: redact(url),
            down: AtomicBool::new(false),
            probing: AtomicBool::new(false),
            last_error: Mutex::new(None),
            served: AtomicU64::new(0),
            fell_back: AtomicU64::new(0),
        }));
        Ok(self)
    }

    /// Whether a read replica is configured.
    pub fn has_replica(&self) -> bool {
        self.replica.is_some()
    }

    /// Reads that tolerate replica lag go through here: to the read
    /// replica when one is configured and answering, else to the primary.
    /// Only lists and counts are offered (the petition list and inbox
    /// pages, the person search, the CSV export, Open311's date-window
    /// listing, the open-timer gauges of `/metrics`):
    /// they are views of many petitions at a moment, cursor-paged by a
    /// stable key, and every act starts by loading its petition from the
    /// primary, so a stale row can be shown but never acted upon. With
    /// `synchronous_commit = remote_apply` on the primary (docs/deployment.md)
    /// an acknowledged write is already visible on a synchronous standby.
    pub fn reader(&self) -> Reader<'_> {
        Reader { store: self }
    }

    /// The replica's state now (None without a replica). Waits at most
    /// 0.8 s (readiness must not hang on the replica); no answer by then
    /// counts as down until the probe sees it answer.
    pub async fn replica_status(&self) -> Option<ReplicaStatus> {
        let r = self.replica.as_ref()?;
        if r.down.load(Ordering::Acquire) {
            let error = r.last_error.lock().ok().and_then(|l| l.clone()).unwrap_or_else(|| "not answering".into());
            return Some(ReplicaStatus::Down { error });
        }
        let probe = async {
            // The primary's WAL position first: the standby must have replayed it.
            let primary_lsn: Option<String> = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text").fetch_one(&self.pool).await.ok();
            let standby: i64 =
                sqlx::query_scalar("SELECT CASE WHEN pg_is_in_recovery() THEN 1 ELSE 0 END::bigint").fetch_one(&r.pool).await?;
            let behind = match (standby, primary_lsn) {
                (1, Some(lsn)) => {
                    sqlx::query_scalar::<_, Option<i64>>(
                        "SELECT GREATEST(pg_wal_lsn_diff($1::pg_lsn, pg_last_wal_replay_lsn()), 0)::bigint",
                    )
                    .bind(lsn)
                    .fetch_one(&r.pool)
                    .await?
                }
                _ => None,
            };
            Ok::<_, sqlx::Error>(ReplicaStatus::Up { standby: standby == 1, behind_bytes: behind })
        };
        Some(match tokio::time::timeout(STATUS_TIMEOUT, probe).await {
            Ok(Ok(s)) => {
                r.mark_up();
                s
            }
            Ok(Err(e)) => {
                r.mark_down(&e);
                ReplicaStatus::Down { error: e.to_string() }
            }
            Err(_) => {
                let error = "no answer within 0.8 s";
                r.mark_down(&error);
                ReplicaStatus::Down { error: error.into() }
            }
        })
    }

    /// Reads served by the replica and reads that fell back (None without one).
    pub fn replica_counts(&self) -> Option<ReplicaCounts> {
        self.replica
            .as_ref()
            .map(|r| ReplicaCounts { served: r.served.load(Ordering::Relaxed), fell_back: r.fell_back.load(Ordering::Relaxed) })
    }

    pub(crate) async fn close_replica(&self) {
        if let Some(r) = &self.replica {
            r.pool.close().await;
        }
    }
}

impl Reader<'_> {
    /// Run a read on the replica if it is usable, else (or when it fails)
    /// on the primary.
    async fn run<T, F, Fut>(&self, what: &'static str, read: F) -> Result<T>
    where
        F: Fn(AnyPool) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        if let Some(r) = &self.store.replica
            && !r.down.load(Ordering::Acquire)
        {
            match read(r.pool.clone()).await {
                Ok(v) => {
                    r.served.fetch_add(1, Ordering::Relaxed);
                    return Ok(v);
                }
                Err(StoreError::Db(e)) => {
                    r.fell_back.fetch_add(1, Ordering::Relaxed);
                    if replica_unusable(&e) {
                        r.mark_down(&e);
                    } else {
                        tracing::warn!(replica = %r.shown, read = what, error = %e, "read failed on the replica; done on the primary");
                    }
                }
                Err(e) => return Err(e),
            }
        }
        read(self.store.pool.clone()).await
    }

    /// `Store::list_petitions`, on the replica when there is one.
    pub async fn list_petitions(&self, f: &PetitionFilter, vis: Option<&Visibility>) -> Result<(Vec<PetitionSummary>, i64)> {
        self.run("list_petitions", |pool| async move { self.store.list_petitions_on(&pool, f, vis).await }).await
    }

    /// `Store::search_petitions_on`, on the replica when there is one.
    pub async fn search_petitions(&self, f: &PetitionFilter, vis: Option<&Visibility>) -> Result<Vec<PetitionSummary>> {
        self.run("search_petitions", |pool| async move { self.store.search_petitions_on(&pool, f, vis).await }).await
    }

    /// `Store::open_timers`, on the replica when there is one.
    pub async fn open_timers(&self, today: chrono::NaiveDate) -> Result<crate::nodes::OpenTimers> {
        self.run("open_timers", |pool| async move { self.store.open_timers_on(&pool, today).await }).await
    }

    /// `Store::petitioners_of`, on the replica when there is one.
    pub async fn petitioners_of(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<StoredPetitioner>>> {
        self.run("petitioners_of", |pool| async move { self.store.petitioners_of_on(&pool, ids).await }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password() {
        assert_eq!(redact("postgres://u:secret@h:5432/db"), "postgres://***@h:5432/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
    }

    #[test]
    fn recovery_conflicts_do_not_mark_the_replica_down() {
        assert!(replica_unusable(&sqlx::Error::PoolTimedOut));
        assert!(replica_unusable(&sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))));
        assert!(!replica_unusable(&sqlx::Error::RowNotFound));
    }
}
