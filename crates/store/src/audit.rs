//! The tamper-evident record: the access log of unmasked personal data,
//! and verification of every hash chain (events per petition, access log).

use crate::anchor::link_text;
use crate::db::{Arg, Result, RowExt, Sql, Store, fmt_instant};
use chrono::{DateTime, Utc};
use serde::Serialize;
use xinfang_crypto::{CHAIN_GENESIS, chain_hash};

#[derive(Debug, Clone, Serialize)]
pub struct AccessRecord {
    pub seq: i64,
    pub user_id: i64,
    pub username: Option<String>,
    pub unit_id: i64,
    pub at: String,
    pub petition_number: String,
    pub fields: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct AccessFilter {
    pub petition_id: Option<i64>,
    pub user_id: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: i64,
}

/// One finding of `verify`: the first broken link of a chain, or a part
/// of the record that changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// `events`, `record`, `attachments`, `documents`, `petitions`, `access_log` or `checkpoints`.
    pub chain: String,
    /// The petition concerned, if any.
    pub petition: Option<String>,
    /// Event seq (events, record), access-log seq, attachment id or checkpoint seq.
    pub seq: i64,
    /// What changed: `event 3`, `title`, `petitioner 1`, `attachment 7`,
    /// `state`, `petition`, `entry 4`, `count`, `file`/`table` (checkpoints).
    pub what: String,
    pub problem: String,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.chain.as_str(), &self.petition) {
            ("events", Some(p)) => write!(f, "events petition {p} at event {}: {}", self.seq, self.problem),
            ("access_log", _) => write!(f, "access_log at {}: {}", self.what, self.problem),
            (chain, Some(p)) => write!(f, "{chain} petition {p} {}: {}", self.what, self.problem),
            (chain, None) => write!(f, "{chain} {}: {}", self.what, self.problem),
        }
    }
}

pub(crate) fn access_canonical(seq: i64, user_id: i64, unit_id: i64, at: &str, petition_id: i64, fields: &str, reason: &str) -> String {
    serde_json::json!([seq, user_id, unit_id, at, petition_id, fields, reason]).to_string()
}

pub(crate) const ACCESS_CHAIN: &str = "access_log";

impl Store {
    /// Record one read of unmasked personal data, chained to the last one.
    pub async fn log_access(
        &self,
        user_id: i64,
        unit_id: i64,
        petition_id: i64,
        fields: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let mut w = self.begin_write().await?;
        sqlx::query("INSERT INTO chain_heads (name, seq, hash) VALUES ($1, 0, $2) ON CONFLICT (name) DO NOTHING")
            .bind(ACCESS_CHAIN)
            .bind(CHAIN_GENESIS)
            .execute(&mut *w.tx)
            .await?;
        let head = sqlx::query("UPDATE chain_heads SET seq = seq + 1 WHERE name = $1 RETURNING seq, hash")
            .bind(ACCESS_CHAIN)
            .fetch_one(&mut *w.tx)
            .await?;
        let (seq, prev) = (head.i("seq")?, head.s("hash")?);
        let at = fmt_instant(at);
        let hash = chain_hash(&prev, access_canonical(seq, user_id, unit_id, &at, petition_id, fields, reason).as_bytes());
        sqlx::query(
            "INSERT INTO access_log (seq, user_id, unit_id, at, petition_id, fields, reason, prev_hash, hash, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(seq)
        .bind(user_id)
        .bind(unit_id)
        .bind(at)
        .bind(petition_id)
        .bind(fields.to_string())
        .bind(reason.to_string())
        .bind(prev)
        .bind(hash.clone())
        .bind(self.mac("access", &link_text(ACCESS_CHAIN, seq, &hash)))
        .execute(&mut *w.tx)
        .await?;
        sqlx::query("UPDATE chain_heads SET hash = $1, mac = $2 WHERE name = $3")
            .bind(hash.clone())
            .bind(self.mac("access-head", &link_text(ACCESS_CHAIN, seq, &hash)))
            .bind(ACCESS_CHAIN)
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(seq)
    }

    pub async fn access_log(&self, f: &AccessFilter) -> Result<Vec<AccessRecord>> {
        let mut sql = Sql::new(
            "SELECT a.seq, a.user_id, u.username, a.unit_id, a.at, p.number, a.fields, a.reason FROM access_log a JOIN petitions p ON p.id = a.petition_id LEFT JOIN users u ON u.id = a.user_id WHERE 1 = 1",
        );
        if let Some(p) = f.petition_id {
            sql.push(" AND a.petition_id = ").bind(Arg::I(p));
        }
        if let Some(u) = f.user_id {
            sql.push(" AND a.user_id = ").bind(Arg::I(u));
        }
        if let Some(t) = &f.from {
            sql.push(" AND a.at >= ").bind(Arg::S(t.clone()));
        }
        if let Some(t) = &f.to {
            sql.push(" AND a.at < ").bind(Arg::S(t.clone()));
        }
        sql.push(" ORDER BY a.seq DESC LIMIT ").bind(Arg::I(f.limit));
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                Ok(AccessRecord {
                    seq: r.i("seq")?,
                    user_id: r.i("user_id")?,
                    username: r.os("username")?,
                    unit_id: r.i("unit_id")?,
                    at: r.s("at")?,
                    petition_number: r.s("number")?,
                    fields: r.s("fields")?,
                    reason: r.s("reason")?,
                })
            })
            .collect()
    }
}
