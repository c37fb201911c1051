//! The tamper-evident record: the access log of unmasked personal data,
//! and verification of every hash chain (events per petition, access log).

use crate::db::{Arg, Result, RowExt, Sql, Store, StoreError, fmt_instant};
use crate::petitions::EventHashInput;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde::Serialize;
use sqlx::AssertSqlSafe;
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

/// The first broken link found in a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainBreak {
    /// `events` or `access_log`.
    pub chain: String,
    /// The petition whose history is broken (events), if any.
    pub petition: Option<String>,
    pub seq: i64,
    pub problem: String,
}

fn access_canonical(seq: i64, user_id: i64, unit_id: i64, at: &str, petition_id: i64, fields: &str, reason: &str) -> String {
    serde_json::json!([seq, user_id, unit_id, at, petition_id, fields, reason]).to_string()
}

const ACCESS_CHAIN: &str = "access_log";

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
            "INSERT INTO access_log (seq, user_id, unit_id, at, petition_id, fields, reason, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
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
        .execute(&mut *w.tx)
        .await?;
        sqlx::query("UPDATE chain_heads SET hash = $1 WHERE name = $2").bind(hash).bind(ACCESS_CHAIN).execute(&mut *w.tx).await?;
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

    /// Recompute every chain; return the first break of each petition's
    /// history and of the access log (empty when all is intact). Streams
    /// the rows, so memory stays flat however large the record.
    pub async fn verify_chains(&self) -> Result<Vec<ChainBreak>> {
        let mut breaks = Vec::new();
        let heads: std::collections::HashMap<i64, (String, i64, String)> =
            sqlx::query("SELECT id, number, event_seq, event_head_hash FROM petitions")
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| Ok((r.i("id")?, (r.s("number")?, r.i("event_seq")?, r.s("event_head_hash")?))))
                .collect::<Result<_>>()?;
        let mut rows = sqlx::query(AssertSqlSafe(
            "SELECT e.petition_id, e.seq, e.action, e.actor_kind, e.actor_user_id, e.actor_unit_id, e.occurred_at, e.recorded_at, e.from_state, e.to_state, e.payload, e.reason, e.prev_hash, e.hash FROM events e ORDER BY e.petition_id, e.seq",
        ))
        .fetch(&self.pool);
        // (petition id, last seq, last hash, already broken)
        let mut cur: Option<(i64, i64, String, bool)> = None;
        let finish = |cur: &Option<(i64, i64, String, bool)>, breaks: &mut Vec<ChainBreak>| {
            if let Some((pid, seq, hash, broken)) = cur
                && !broken
                && let Some((number, head_seq, head_hash)) = heads.get(pid)
                && (head_seq != seq || head_hash != hash)
            {
                breaks.push(ChainBreak {
                    chain: "events".into(),
                    petition: Some(number.clone()),
                    seq: *seq,
                    problem: "chain head does not match the last event".into(),
                });
            }
        };
        let mut seen = std::collections::HashSet::new();
        while let Some(r) = rows.try_next().await? {
            let pid = r.i("petition_id")?;
            seen.insert(pid);
            if cur.as_ref().is_none_or(|c| c.0 != pid) {
                finish(&cur, &mut breaks);
                cur = Some((pid, 0, CHAIN_GENESIS.to_string(), false));
            }
            let Some(c) = cur.as_mut() else { continue };
            if c.3 {
                continue;
            }
            let number = heads.get(&pid).map(|h| h.0.clone()).unwrap_or_default();
            let seq = r.i("seq")?;
            let (prev, hash) = (r.s("prev_hash")?, r.s("hash")?);
            let (action, actor_kind, occurred_at, recorded_at, to_state, payload) =
                (r.s("action")?, r.s("actor_kind")?, r.s("occurred_at")?, r.s("recorded_at")?, r.s("to_state")?, r.s("payload")?);
            let (from_state, reason) = (r.os("from_state")?, r.os("reason")?);
            let input = EventHashInput {
                number: &number,
                seq,
                action: &action,
                actor_kind: &actor_kind,
                actor_user_id: r.oi("actor_user_id")?,
                actor_unit_id: r.oi("actor_unit_id")?,
                occurred_at: &occurred_at,
                recorded_at: &recorded_at,
                from_state: from_state.as_deref(),
                to_state: &to_state,
                payload: &payload,
                reason: reason.as_deref(),
            };
            let problem = if seq != c.1 + 1 {
                Some(format!("event {seq} follows event {}", c.1))
            } else if prev != c.2 {
                Some("link to the previous event is broken".to_string())
            } else if chain_hash(&prev, input.canonical().as_bytes()) != hash {
                Some("event content does not match its hash".to_string())
            } else {
                None
            };
            if let Some(problem) = problem {
                breaks.push(ChainBreak { chain: "events".into(), petition: Some(number), seq, problem });
                c.3 = true;
                continue;
            }
            c.1 = seq;
            c.2 = hash;
        }
        finish(&cur, &mut breaks);
        drop(rows);
        // A petition whose every event was deleted.
        for (pid, (number, seq, _)) in &heads {
            if *seq > 0 && !seen.contains(pid) {
                breaks.push(ChainBreak {
                    chain: "events".into(),
                    petition: Some(number.clone()),
                    seq: 1,
                    problem: "events are missing".into(),
                });
            }
        }

        let mut prev = CHAIN_GENESIS.to_string();
        let mut last = 0;
        let mut log = sqlx::query(AssertSqlSafe(
            "SELECT seq, user_id, unit_id, at, petition_id, fields, reason, prev_hash, hash FROM access_log ORDER BY seq",
        ))
        .fetch(&self.pool);
        while let Some(r) = log.try_next().await? {
            let seq = r.i("seq")?;
            let record =
                access_canonical(seq, r.i("user_id")?, r.i("unit_id")?, &r.s("at")?, r.i("petition_id")?, &r.s("fields")?, &r.s("reason")?);
            let (p, h) = (r.s("prev_hash")?, r.s("hash")?);
            let problem = if seq != last + 1 {
                Some(format!("entry {seq} follows entry {last}"))
            } else if p != prev {
                Some("link to the previous entry is broken".into())
            } else if chain_hash(&p, record.as_bytes()) != h {
                Some("entry content does not match its hash".into())
            } else {
                None
            };
            if let Some(problem) = problem {
                breaks.push(ChainBreak { chain: "access_log".into(), petition: None, seq, problem });
                return Ok(breaks);
            }
            last = seq;
            prev = h;
        }
        drop(log);
        let head: Option<(i64, String)> = sqlx::query("SELECT seq, hash FROM chain_heads WHERE name = $1")
            .bind(ACCESS_CHAIN)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| Ok::<_, StoreError>((r.i("seq")?, r.s("hash")?)))
            .transpose()?;
        if let Some((seq, hash)) = head
            && (seq != last || hash != prev)
        {
            breaks.push(ChainBreak {
                chain: "access_log".into(),
                petition: None,
                seq: last,
                problem: "chain head does not match the last entry".into(),
            });
        }
        Ok(breaks)
    }
}
