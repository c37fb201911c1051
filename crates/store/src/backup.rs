//! Consistent snapshots. SQLite: `VACUUM INTO`, a transactionally
//! consistent copy taken while the server runs. PostgreSQL: `pg_dump`
//! (custom format) and `pg_restore`, which the store calls for you.

use crate::db::{Dialect, Result, Store, StoreError};
use sqlx::AssertSqlSafe;
use std::path::Path;

impl Store {
    /// Write a consistent snapshot of the database to `file` (which must not exist).
    pub async fn backup_to(&self, url: &str, file: &Path) -> Result<()> {
        if file.exists() {
            return Err(StoreError::BadUrl(format!("{} already exists", file.display())));
        }
        // Created empty and 0600 first: VACUUM INTO accepts an empty file,
        // and pg_dump writes into it keeping the mode.
        crate::private_file::create_private(file).map_err(|e| StoreError::BadUrl(format!("{}: {e}", file.display())))?;
        let written = match self.dialect {
            Dialect::Sqlite => {
                let target = file.display().to_string().replace('\'', "''");
                sqlx::query(AssertSqlSafe(format!("VACUUM INTO '{target}'")))
                    .execute(&self.pool)
                    .await
                    .map(|_| ())
                    .map_err(StoreError::from)
            }
            Dialect::Postgres => run("pg_dump", &["--format=custom", "--no-owner", "--file", &file.display().to_string(), url]),
        };
        if written.is_err() {
            // No empty file left behind to block the next try.
            let _ = std::fs::remove_file(file);
        }
        written
    }
}

/// Replace the database at `url` with the snapshot in `file`. The server
/// must be stopped. SQLite: the file is checked, copied beside the
/// database and renamed over it (atomic), and the old WAL is removed.
pub async fn restore(url: &str, file: &Path) -> Result<()> {
    if !file.is_file() {
        return Err(StoreError::BadUrl(format!("{} is not a file", file.display())));
    }
    if url.starts_with("sqlite:") {
        let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or(path);
        // Copy beside the database, check the copy is an xinfang database,
        // then swap it in with a rename.
        let tmp = format!("{path}.restoring");
        std::fs::copy(file, &tmp).map_err(|e| StoreError::Corrupt(format!("copy: {e}")))?;
        crate::private_file::restrict(Path::new(&tmp)).map_err(|e| StoreError::Corrupt(format!("copy: {e}")))?;
        let checked = async {
            let check = Store::connect(&format!("sqlite://{tmp}")).await?;
            let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations").fetch_one(&check.pool).await?;
            check.close().await;
            version.ok_or_else(|| StoreError::Corrupt("the backup has no xinfang schema".into()))
        }
        .await;
        if let Err(e) = checked {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
            let _ = std::fs::remove_file(format!("{tmp}{suffix}"));
        }
        std::fs::rename(&tmp, path).map_err(|e| StoreError::Corrupt(format!("rename: {e}")))?;
        Ok(())
    } else {
        run("pg_restore", &["--clean", "--if-exists", "--no-owner", "--single-transaction", "--dbname", url, &file.display().to_string()])
    }
}

fn run(cmd: &str, args: &[&str]) -> Result<()> {
    let out = std::process::Command::new(cmd)
        .args(args)
        .output()
        .map_err(|e| StoreError::BadUrl(format!("{cmd} is needed for PostgreSQL backups (Debian package postgresql-client): {e}")))?;
    if out.status.success() { Ok(()) } else { Err(StoreError::Corrupt(format!("{cmd}: {}", String::from_utf8_lossy(&out.stderr).trim()))) }
}
