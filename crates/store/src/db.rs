//! Connection, dialect, transactions and the few helpers every query uses.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, AssertSqlSafe, Connection, Executor, Row, Transaction};
use std::sync::Arc;
use tokio::sync::{Mutex, MutexGuard};
use xinfang_crypto::Keyring;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    /// Another writer changed the row first (optimistic concurrency).
    #[error("concurrent update")]
    Conflict,
    #[error("unsupported database url: {0}")]
    BadUrl(String),
    /// Imported data refused as a whole (unknown link, cycle), by line.
    #[error("import rejected: {0}")]
    Rejected(xinfang_domain::import::ImportError),
    /// Attachment content in the object store (issue 9).
    #[error("{0}")]
    Objects(#[from] xinfang_objects::ObjectError),
    /// The file system holding the database is (nearly) full.
    #[error("not enough space: {0}")]
    NoSpace(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Whether `e` is a unique index refusing a second row.
pub(crate) fn is_unique(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    pub dialect: Dialect,
    /// SQLite has one writer at a time; taking this gate before BEGIN turns
    /// would-be SQLITE_BUSY upgrades into an orderly queue.
    write_gate: Option<Arc<Mutex<()>>>,
    /// The key that MACs chain heads (HMAC-SM3, from the key file). Without
    /// it heads are written unauthenticated and `verify` says so.
    pub(crate) anchor: Option<Arc<Keyring>>,
    /// Where attachment content lives (see `store::objects`).
    pub(crate) objects: Option<xinfang_objects::Objects>,
    /// SQLite only: connections with `synchronous = NORMAL` for counters
    /// (rate limits, budgets, search counts). In WAL mode such a commit is
    /// atomic and consistent but skips its own fsync; the next FULL commit
    /// of a petition makes it durable too. A counter lost to a power cut is
    /// harmless; an fsync per anonymous request is not (issue 9).
    light: Option<AnyPool>,
    /// SQLite only: new petitions queue here and share commits (see
    /// `group_commit`).
    pub(crate) intake_queue: Option<Arc<crate::group_commit::IntakeQueue>>,
    /// A streaming replica for the reads made through `reader()`
    /// (`store::replica`); None: every read on the primary.
    pub(crate) replica: Option<Arc<crate::replica::Replica>>,
    /// SQLite only: the directory of the database file, whose free space
    /// readiness checks (see `write_probe`).
    sqlite_dir: Option<std::path::PathBuf>,
    /// SQLite only: the rate counters and daily budgets, in a file of
    /// their own beside the database (see `crate::rate_file`).
    pub(crate) rate_file: Option<crate::rate_file::RateFile>,
}

/// A write transaction (holding the SQLite write gate while it lives).
pub struct WriteTx<'a> {
    pub(crate) tx: Transaction<'static, sqlx::Any>,
    _gate: Option<MutexGuard<'a, ()>>,
}

impl WriteTx<'_> {
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Pool sizes and timeouts (from the app's configuration); zero or `None`
/// keeps the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct PoolSettings {
    /// Connections per node (default: 8 on SQLite, 16 on PostgreSQL).
    /// Several nodes add up: keep nodes × this below PostgreSQL's
    /// `max_connections`.
    pub max_connections: u32,
    /// How long a request waits for a free connection before failing
    /// (default 30 s).
    pub acquire_timeout: Option<std::time::Duration>,
    /// Idle connections are closed after this long (default 10 min).
    pub idle_timeout: Option<std::time::Duration>,
    /// SQLite: a soft limit in bytes on the memory SQLite itself holds in
    /// this process (`PRAGMA soft_heap_limit`): past it, every connection's
    /// page cache gives back pages before it takes new ones. 0: no limit.
    pub sqlite_memory_limit: u64,
}

impl Store {
    /// Connect to `sqlite://…` or `postgres://…`, creating an SQLite file
    /// (and its directory) on first use.
    pub async fn connect(url: &str) -> Result<Store> {
        Self::connect_with(url, PoolSettings::default()).await
    }

    /// `connect` with the pool sized and timed as configured.
    pub async fn connect_with(url: &str, ps: PoolSettings) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else {
            return Err(StoreError::BadUrl(url.to_string()));
        };
        let sqlite_dir = (dialect == Dialect::Sqlite).then(|| sqlite_dir(url));
        let url = if dialect == Dialect::Sqlite { prepare_sqlite_url(url)? } else { url.to_string() };
        let default_max = if dialect == Dialect::Sqlite { 8 } else { 16 };
        let pool = AnyPoolOptions::new()
            // A SQLite connection is a file handle in this process: it does
            // not go stale like a network connection, and a ping before
            // every use costs two thread hops per query.
            .test_before_acquire(dialect == Dialect::Postgres)
            .max_connections(if ps.max_connections > 0 { ps.max_connections } else { default_max })
            .acquire_timeout(ps.acquire_timeout.unwrap_or(std::time::Duration::from_secs(30)))
            .idle_timeout(ps.idle_timeout.or(Some(std::time::Duration::from_secs(600))))
            // A connection must come back outside any transaction. When a
            // write fails for lack of space (SQLITE_FULL, SQLITE_IOERR) or on
            // a read-only file, SQLite may roll the transaction back by
            // itself; sqlx still counts it open, its queued ROLLBACK then
            // fails, and the next BEGIN on that connection becomes a
            // SAVEPOINT whose "rollback" (ROLLBACK TO) leaves a real write
            // transaction open for good: every other writer then waits out
            // busy_timeout and fails with "database is locked" until a
            // restart. Flushing the queued rollback (ping) and closing any
            // connection still in a transaction breaks that chain: closing
            // releases SQLite's lock, and the pool opens a fresh connection.
            // A connection released outside any transaction (the common
            // case: SQLite's depth counter is exact, and a queued rollback
            // keeps it above zero) goes back without a round trip.
            .after_release(|conn, _meta| Box::pin(fit_for_reuse(conn)))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // FULL: an acknowledged petition survives power loss,
                        // not only a process crash.
                        conn.execute("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;").await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        let acquire_timeout = ps.acquire_timeout.unwrap_or(std::time::Duration::from_secs(30));
        let light = if dialect == Dialect::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
            if ps.sqlite_memory_limit > 0 {
                // Process-wide: one statement sets it for every connection.
                sqlx::query(AssertSqlSafe(format!("PRAGMA soft_heap_limit = {}", ps.sqlite_memory_limit))).execute(&pool).await?;
            }
            Some(
                side_pool(&url, "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;", acquire_timeout)
                    .await?,
            )
        } else {
            None
        };
        Ok(Store {
            pool,
            dialect,
            write_gate: (dialect == Dialect::Sqlite).then(|| Arc::new(Mutex::new(()))),
            anchor: None,
            objects: None,
            light,
            intake_queue: (dialect == Dialect::Sqlite).then(|| Arc::new(crate::group_commit::IntakeQueue::default())),
            replica: None,
            sqlite_dir,
            rate_file: match dialect {
                Dialect::Sqlite => crate::rate_file::RateFile::open(&url, acquire_timeout).await?,
                Dialect::Postgres => None,
            },
        })
    }

    /// The same store, with the key that authenticates chain heads and
    /// checkpoints (every writer of the record should carry it).
    pub fn with_anchor(mut self, keys: Arc<Keyring>) -> Store {
        self.anchor = Some(keys);
        self.own_intake_queue();
        self
    }

    /// A store whose settings changed gets a petition writer of its own
    /// (the writer task copies the store it starts from).
    pub(crate) fn own_intake_queue(&mut self) {
        if self.intake_queue.is_some() {
            self.intake_queue = Some(Arc::new(crate::group_commit::IntakeQueue::default()));
        }
    }

    /// Whether heads written by this store are authenticated.
    pub fn is_anchored(&self) -> bool {
        self.anchor.is_some()
    }

    /// HMAC of an anchored item, if this store holds the key.
    pub(crate) fn mac(&self, what: &str, text: &str) -> Option<String> {
        self.anchor.as_ref().map(|k| k.anchor_mac(what, text))
    }

    /// Whether writers take turns through one gate (SQLite): then a long
    /// background write makes every request that writes wait behind it.
    pub fn single_writer(&self) -> bool {
        self.write_gate.is_some()
    }

    /// A write transaction (see `begin_immediate`).
    pub async fn begin_write(&self) -> Result<WriteTx<'_>> {
        self.begin_immediate().await
    }

    /// A write transaction for counters that need not be durable on their
    /// own (see `light`); on PostgreSQL an ordinary transaction.
    pub(crate) async fn begin_counter_write(&self) -> Result<WriteTx<'_>> {
        let gate = match &self.write_gate {
            Some(g) => Some(g.lock().await),
            None => None,
        };
        let tx = match &self.light {
            Some(light) => light.begin_with("BEGIN IMMEDIATE").await?,
            None => self.pool.begin().await?,
        };
        Ok(WriteTx { tx, _gate: gate })
    }

    /// A write transaction on the rate counters and daily budgets: on
    /// SQLite in their own file (see `crate::rate_file`), else as
    /// `begin_counter_write`.
    pub(crate) async fn begin_rate_write(&self) -> Result<WriteTx<'_>> {
        match &self.rate_file {
            Some(r) => {
                let gate = r.gate.lock().await;
                let tx = r.pool.begin_with("BEGIN IMMEDIATE").await?;
                Ok(WriteTx { tx, _gate: Some(gate) })
            }
            None => self.begin_counter_write().await,
        }
    }

    /// A write transaction that holds the database's write lock from its
    /// first statement. SQLite: `BEGIN IMMEDIATE`, so that another process
    /// on the same file (a second node, a CLI command) is waited for under
    /// `busy_timeout`; a deferred transaction that read first and then
    /// writes is refused at once ("database is locked", no waiting) when
    /// another process wrote in between. PostgreSQL: a plain transaction.
    pub(crate) async fn begin_immediate(&self) -> Result<WriteTx<'_>> {
        let gate = match &self.write_gate {
            Some(g) => Some(g.lock().await),
            None => None,
        };
        let tx = match self.dialect {
            Dialect::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Dialect::Postgres => self.pool.begin().await?,
        };
        Ok(WriteTx { tx, _gate: gate })
    }

    /// Connections in the pool now, and how many of them are idle.
    pub fn pool_use(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A real, small, committed write (the heartbeat row), for readiness:
    /// a full disk or a read-only database file fails here. A write that is
    /// rolled back would not do: SQLite only touches the file at commit.
    /// On SQLite the file system must also have `MIN_FREE_BYTES` left: the
    /// WAL keeps its size after a checkpoint, so on a full disk a heartbeat
    /// can still land in space the WAL holds while a petition (a few pages
    /// and an attachment) is refused.
    pub async fn write_probe(&self) -> Result<()> {
        if let Some(dir) = &self.sqlite_dir
            && let Some(free) = free_bytes(dir)
            && free < MIN_FREE_BYTES
        {
            return Err(StoreError::NoSpace(format!("only {free} bytes free beside the database file")));
        }
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE heartbeat SET beat = beat + 1, at = $1 WHERE id = 1")
            .bind(fmt_instant(chrono::Utc::now()))
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    pub async fn close(&self) {
        self.close_replica().await;
        if let Some(r) = &self.rate_file {
            r.close().await;
        }
        if let Some(light) = &self.light {
            light.close().await;
        }
        self.pool.close().await;
    }
}

/// Below this much free space beside the SQLite file the node is not ready.
pub const MIN_FREE_BYTES: u64 = 1 << 20;

pub(crate) fn sqlite_path(url: &str) -> &str {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    rest.split_once('?').map_or(rest, |(path, _)| path)
}

fn sqlite_dir(url: &str) -> std::path::PathBuf {
    match std::path::Path::new(sqlite_path(url)).parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// Bytes an unprivileged writer may still use on the file system holding
/// `dir`; None where that cannot be asked.
fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    let st = rustix::fs::statvfs(dir).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

pub(crate) fn prepare_sqlite_url(url: &str) -> Result<String> {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let (path, query) = (sqlite_path(url), rest.split_once('?').map_or("", |(_, q)| q));
    if path.is_empty() || path == ":memory:" {
        // Each pooled connection would get its own empty in-memory database.
        return Err(StoreError::BadUrl("in-memory SQLite is not supported; use a file".into()));
    }
    if let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::BadUrl(format!("{path}: {e}")))?;
    }
    // Created 0600 before SQLite opens it (its -wal and -shm files copy the mode).
    if !query.contains("mode=ro") {
        crate::private_file::create_private(std::path::Path::new(path)).map_err(|e| StoreError::BadUrl(format!("{path}: {e}")))?;
    }
    let query = if query.contains("mode=") {
        query.to_string()
    } else if query.is_empty() {
        "mode=rwc".into()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// A small SQLite pool beside the main one (the counters' connections,
/// the rate file): two connections, `pragmas` run on each new one, and a
/// connection left in a transaction closed on release (`fit_for_reuse`),
/// so that it recovers with the disk as the main pool does.
pub(crate) async fn side_pool(url: &str, pragmas: &'static str, acquire_timeout: std::time::Duration) -> Result<AnyPool> {
    Ok(AnyPoolOptions::new()
        .test_before_acquire(false)
        .max_connections(2)
        .acquire_timeout(acquire_timeout)
        .idle_timeout(Some(std::time::Duration::from_secs(600)))
        .after_release(|conn, _meta| Box::pin(fit_for_reuse(conn)))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                conn.execute(pragmas).await?;
                Ok(())
            })
        })
        .connect(url)
        .await?)
}

/// Whether a released connection may go back to the pool: not while it is
/// (or may still be) in a transaction. Only then is the queued rollback
/// flushed with a ping and the depth looked at again.
async fn fit_for_reuse(conn: &mut sqlx::AnyConnection) -> std::result::Result<bool, sqlx::Error> {
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    Ok(!conn.is_in_transaction())
}

/// Placeholders of a multi-row `VALUES` list: `rows` tuples of `cols`
/// parameters, numbered from `$first` (one statement instead of one per row).
pub(crate) fn values_marks(rows: usize, cols: usize, first: usize) -> String {
    (0..rows)
        .map(|r| {
            let marks: Vec<String> = (0..cols).map(|c| format!("${}", first + r * cols + c)).collect();
            format!("({})", marks.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Instants are stored as fixed-width RFC 3339 UTC text, so they sort.
pub fn fmt_instant(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub fn parse_instant(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).map_err(|e| StoreError::Corrupt(format!("bad instant {s}: {e}")))
}

pub(crate) fn fmt_date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn parse_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("bad date {s}: {e}")))
}

/// Typed column access with the column name in the error.
pub(crate) trait RowExt {
    fn s(&self, col: &str) -> Result<String>;
    fn os(&self, col: &str) -> Result<Option<String>>;
    fn i(&self, col: &str) -> Result<i64>;
    fn oi(&self, col: &str) -> Result<Option<i64>>;
    fn b(&self, col: &str) -> Result<bool> {
        Ok(self.i(col)? != 0)
    }
}

impl RowExt for AnyRow {
    fn s(&self, col: &str) -> Result<String> {
        Ok(self.try_get::<String, _>(col)?)
    }
    fn os(&self, col: &str) -> Result<Option<String>> {
        Ok(self.try_get::<Option<String>, _>(col)?)
    }
    fn i(&self, col: &str) -> Result<i64> {
        Ok(self.try_get::<i64, _>(col)?)
    }
    fn oi(&self, col: &str) -> Result<Option<i64>> {
        Ok(self.try_get::<Option<i64>, _>(col)?)
    }
}

/// A value to bind in a dynamically built query.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    I(i64),
    S(String),
}

/// Builds SQL with `$1, $2, …` placeholders in order of appearance: the one
/// placeholder style both engines (through sqlx) accept.
#[derive(Default)]
pub(crate) struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Sql { text: text.to_string(), args: Vec::new() }
    }
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }
    pub fn bind(&mut self, a: Arg) -> &mut Self {
        self.args.push(a);
        let n = self.args.len();
        self.text.push_str(&format!("${n}"));
        self
    }
    /// A comma-separated list of `ids` written into the statement (`NULL`
    /// when empty, which matches nothing in `IN (…)`). An integer cannot
    /// carry SQL, and a bound list costs SQLite time quadratic in its
    /// length: sqlx asks the name of every parameter, which SQLite finds by
    /// walking the list (a province's thousands of units).
    pub fn ints(&mut self, ids: &[i64]) -> &mut Self {
        self.text.push_str(&int_list(ids));
        self
    }
    /// A comma-separated list of `values` (`NULL` when empty): each plain
    /// value (ASCII letters, digits and `/ - _ . :`, as codes, unit paths
    /// and states are) written into the statement as a quoted literal,
    /// for the reason given at `ints`; anything else bound.
    pub fn texts(&mut self, values: &[String]) -> &mut Self {
        if values.is_empty() {
            self.text.push_str("NULL");
        }
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            if is_plain(v) {
                self.text.push('\'');
                self.text.push_str(v);
                self.text.push('\'');
            } else {
                self.bind(Arg::S(v.clone()));
            }
        }
        self
    }
    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.as_str()));
        for a in &self.args {
            q = match a {
                Arg::I(v) => q.bind(*v),
                Arg::S(v) => q.bind(v.clone()),
            };
        }
        q
    }
}

/// `ids` as a comma-separated list of integer literals (`NULL` when empty):
/// see `Sql::ints`.
pub(crate) fn int_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        return "NULL".to_string();
    }
    let mut out = String::with_capacity(ids.len() * 8);
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&id.to_string());
    }
    out
}

/// A value that may be written into a statement between single quotes:
/// nothing in it can end the literal or start a comment.
fn is_plain(v: &str) -> bool {
    !v.is_empty() && v.len() <= 200 && v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b':'))
}

/// Field and record separators of `pack` (ASCII unit and record
/// separators: never in a code, a date or a number).
const FIELD: char = '\u{1f}';
const RECORD: char = '\u{1e}';

/// An aggregate expression that packs `columns` of every row of a group
/// into one string (`unpack` reads it back).
pub(crate) fn pack(dialect: Dialect, columns: &[&str]) -> String {
    let (agg, chr) = match dialect {
        Dialect::Sqlite => ("group_concat", "char"),
        Dialect::Postgres => ("string_agg", "chr"),
    };
    let record = columns.iter().map(|c| format!("CAST({c} AS TEXT)")).collect::<Vec<_>>().join(&format!(" || {chr}(31) || "));
    format!("{agg}({record}, {chr}(30))")
}

/// The records of a `pack`ed string, each with exactly `N` fields.
pub(crate) fn unpack<const N: usize>(packed: &str) -> Result<Vec<[&str; N]>> {
    packed
        .split(RECORD)
        .filter(|r| !r.is_empty())
        .map(|r| {
            let fields: Vec<&str> = r.split(FIELD).collect();
            <[&str; N]>::try_from(fields).map_err(|f| StoreError::Corrupt(format!("packed row with {} fields, not {N}", f.len())))
        })
        .collect()
}

pub(crate) fn packed_int(s: &str) -> Result<i64> {
    s.parse().map_err(|_| StoreError::Corrupt(format!("bad number {s} in packed row")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_lists_are_written_into_the_statement() {
        let mut sql = Sql::new("SELECT 1 WHERE x IN (");
        sql.ints(&[3, -4, 5]).push(") AND y = ").bind(Arg::I(7));
        assert_eq!(sql.text, "SELECT 1 WHERE x IN (3, -4, 5) AND y = $1");
        assert_eq!(sql.args.len(), 1);
        assert_eq!(int_list(&[]), "NULL");
    }

    #[test]
    fn only_plain_texts_are_written_into_the_statement_and_the_rest_bound() {
        let values: Vec<String> = ["/1/22/", "GD44-XFJ", "it's", "a--b", "中文", ""].iter().map(|s| s.to_string()).collect();
        let mut sql = Sql::new("x IN (");
        sql.texts(&values).push(")");
        // A quote, a non-ASCII letter and the empty string are bound; "--"
        // inside a literal starts no comment.
        assert_eq!(sql.text, "x IN ('/1/22/', 'GD44-XFJ', $1, 'a--b', $2, $3)");
        assert_eq!(sql.args.len(), 3);
        let mut empty = Sql::new("x IN (");
        empty.texts(&[]).push(")");
        assert_eq!(empty.text, "x IN (NULL)");
    }
}
