//! The record as the statistics read it (docs/metrics.md): one row of
//! facts per petition of a set of units, from the petition row, its timers,
//! its events and its evaluations, in two queries whatever the number of
//! petitions. What counts is decided in `xinfang_domain::metrics`.

use crate::db::{Result, RowExt, Store, StoreError, parse_date, parse_instant};
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use std::collections::HashMap;
use xinfang_domain::local_date;
use xinfang_domain::metrics::{EvaluationFact, Facts};
use xinfang_domain::petition::{Category, Rating};
use xinfang_domain::unit::UnitId;

/// Which petitions to read: those registered at, or handled by, one of
/// `units`, received on or before `received_until`, optionally of one
/// topic (a code and the codes under it) or one channel.
#[derive(Debug, Clone, Default)]
pub struct FactsFilter {
    pub units: Vec<UnitId>,
    pub received_until: Option<NaiveDate>,
    pub topic: Option<String>,
    pub channel: Option<String>,
    /// Read the facts from the precomputed statistics' snapshots when they
    /// were built for this fingerprint and at most this many petitions
    /// changed since (those are read from the record): the same facts,
    /// without the per-petition subqueries (`store::aggregates`).
    pub snapshots: Option<(String, usize)>,
    /// Petitions left out: those the reader may not count (Art. 30,
    /// `store::screen`).
    pub exclude: Vec<i64>,
}

/// One petition's facts with the keys a table may be grouped by.
#[derive(Debug, Clone)]
pub struct PetitionFacts {
    pub id: i64,
    pub topic: Option<String>,
    pub channel: String,
    pub state: String,
    /// The division the matter arose in.
    pub jurisdiction: String,
    pub facts: Facts,
}

fn local_day(instant: Option<String>) -> Result<Option<NaiveDate>> {
    instant.map(|s| parse_instant(&s).map(local_date)).transpose()
}

impl Store {
    /// The facts of every petition the filter selects. Two statements: the
    /// petitions with their timers and events (correlated subqueries on the
    /// `(petition_id, seq)` keys), then their evaluations.
    /// `f.exclude` must be sorted.
    pub async fn statistics_facts(&self, f: &FactsFilter) -> Result<Vec<PetitionFacts>> {
        if f.units.is_empty() {
            return Ok(Vec::new());
        }
        // Unit ids are integers from the unit tree: written into the
        // statement, so that one statement serves any number of units.
        let ids = crate::db::int_list(&f.units);
        let mut binds: Vec<String> = Vec::new();
        let mut until = String::new();
        if let Some(d) = f.received_until {
            binds.push(d.format("%Y-%m-%d").to_string());
            until = format!(" AND received_on <= ${}", binds.len());
        }
        let scope = format!(
            "SELECT id FROM petitions WHERE registered_unit_id IN ({ids}){until} \
             UNION SELECT id FROM petitions WHERE handling_unit_id IN ({ids}){until}"
        );
        let scope_binds = binds.len();
        if let Some((fingerprint, max_changed)) = &f.snapshots
            && let Some(out) = self.facts_from_snapshots(&scope, &binds, fingerprint, *max_changed).await?
        {
            let topic_ok =
                |p: &PetitionFacts| f.topic.as_deref().is_none_or(|t| p.topic.as_deref().is_some_and(|pt| pt == t || pt.starts_with(t)));
            let channel_ok = |p: &PetitionFacts| f.channel.as_deref().is_none_or(|c| p.channel == c);
            let excluded = |p: &PetitionFacts| f.exclude.binary_search(&p.id).is_ok();
            return Ok(out.into_iter().filter(|p| topic_ok(p) && channel_ok(p) && !excluded(p)).collect());
        }
        let mut extra = String::new();
        if let Some(t) = &f.topic {
            binds.push(t.clone());
            let n = binds.len();
            binds.push(format!("{t}%"));
            extra.push_str(&format!(" AND (p.topic = ${n} OR p.topic LIKE ${})", n + 1));
        }
        if let Some(c) = &f.channel {
            binds.push(c.clone());
            extra.push_str(&format!(" AND p.channel = ${}", binds.len()));
        }
        let mut conn = self.pool.acquire().await?;
        let mut out = facts_of(&mut conn, &scope, &binds, scope_binds, &extra).await?;
        out.retain(|p| f.exclude.binary_search(&p.id).is_err());
        Ok(out)
    }
}

/// The facts of the petitions whose ids `scope` (a subquery) selects, on
/// one connection (a transaction's, for a consistent read); `binds` are
/// the scope's placeholders followed by those of `extra` (a condition on
/// `p`), of which the first `scope_binds` belong to the scope.
pub(crate) async fn facts_of(
    conn: &mut AnyConnection,
    scope: &str,
    binds: &[String],
    scope_binds: usize,
    extra: &str,
) -> Result<Vec<PetitionFacts>> {
    // The events of the petitions in scope, read once and folded per
    // petition; the first handling timer and the registration timer by
    // their keys; "brought back" through `petitions_repeat_of`.
    let sql = format!(
        "SELECT p.id, p.number, p.state, p.jurisdiction, p.registered_unit_id, p.handling_unit_id, p.received_on, p.channel, p.category, \
                    p.litigation_related, p.topic, CAST(CASE WHEN p.repeat_of IS NULL THEN 0 ELSE 1 END AS BIGINT) AS is_repeat, \
                    ev.refused, ev.answered_at, ev.delivered_at, ev.closed_at, ev.reviews, \
                    a.due_on AS acceptance_due, h.due_on AS handling_due, h.met_at AS handling_met_at, \
                    (SELECT COUNT(*) FROM petitions r WHERE r.repeat_of = p.number) AS brought_back \
             FROM petitions p \
             LEFT JOIN (SELECT e.petition_id, \
                    CAST(MAX(CASE WHEN e.from_state IS NULL AND e.to_state IN ('declined', 'not_reaccepted') THEN 1 ELSE 0 END) AS BIGINT) AS refused, \
                    MIN(CASE WHEN e.action IN ('accept', 'decline') THEN e.occurred_at END) AS answered_at, \
                    MIN(CASE WHEN e.action = 'deliver' THEN e.occurred_at END) AS delivered_at, \
                    MIN(CASE WHEN e.to_state = 'closed' THEN e.occurred_at END) AS closed_at, \
                    CAST(SUM(CASE WHEN e.action = 'request_review' THEN 1 ELSE 0 END) AS BIGINT) AS reviews \
                FROM events e WHERE e.petition_id IN ({scope}) GROUP BY e.petition_id) ev ON ev.petition_id = p.id \
             LEFT JOIN deadlines a ON a.petition_id = p.id \
                AND a.seq = (SELECT MIN(x.seq) FROM deadlines x WHERE x.petition_id = p.id AND x.kind IN ('T1', 'T2')) \
             LEFT JOIN deadlines h ON h.petition_id = p.id \
                AND h.seq = (SELECT MIN(x.seq) FROM deadlines x WHERE x.petition_id = p.id AND x.kind IN ('T6', 'S1')) \
             WHERE p.id IN ({scope}){extra} ORDER BY p.id"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for b in binds {
        q = q.bind(b.clone());
    }
    // Streamed: a county's thirteen months are tens of thousands of rows,
    // and a buffered row (every column, by name) weighs several times the
    // facts folded from it (issue 9's memory target).
    let mut out = Vec::new();
    let mut index: HashMap<i64, usize> = HashMap::new();
    let mut rows = q.fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        let category = r.s("category")?;
        let facts = Facts {
            registered_unit: r.i("registered_unit_id")?,
            handling_unit: r.oi("handling_unit_id")?,
            received_on: parse_date(&r.s("received_on")?)?,
            category: Category::parse(&category).ok_or_else(|| StoreError::Corrupt(format!("bad category {category}")))?,
            litigation_related: r.i("litigation_related")? != 0,
            repeat: r.i("is_repeat")? != 0,
            refused_at_intake: r.oi("refused")?.unwrap_or(0) != 0,
            acceptance_due: r.os("acceptance_due")?.map(|s| parse_date(&s)).transpose()?,
            answered_on: local_day(r.os("answered_at")?)?,
            handling_due: r.os("handling_due")?.map(|s| parse_date(&s)).transpose()?,
            handling_met_on: local_day(r.os("handling_met_at")?)?,
            delivered_on: local_day(r.os("delivered_at")?)?,
            closed_on: local_day(r.os("closed_at")?)?,
            review_requested: r.oi("reviews")?.unwrap_or(0) > 0,
            brought_back: r.i("brought_back")? > 0,
            evaluations: Vec::new(),
        };
        let id = r.i("id")?;
        index.insert(id, out.len());
        out.push(PetitionFacts {
            id,
            topic: r.os("topic")?,
            channel: r.s("channel")?,
            state: r.s("state")?,
            jurisdiction: r.s("jurisdiction")?,
            facts,
        });
    }
    drop(rows);

    let sql = format!(
        "SELECT v.petition_id, v.document, v.rating, v.created_at FROM evaluations v \
             WHERE v.petition_id IN ({scope}) ORDER BY v.petition_id, v.created_at, v.id"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    // The scope's own placeholders only (topic and channel were filtered above).
    for b in binds.iter().take(scope_binds) {
        q = q.bind(b.clone());
    }
    let mut rows = q.fetch(&mut *conn);
    while let Some(r) = rows.try_next().await? {
        let Some(&i) = index.get(&r.try_get::<i64, _>(0)?) else { continue };
        let rating: String = r.try_get(2)?;
        let document: String = r.try_get(1)?;
        let on = local_day(Some(r.try_get::<String, _>(3)?))?.unwrap_or_default();
        out[i].facts.evaluations.push(EvaluationFact {
            on,
            rating: Rating::parse(&rating).ok_or_else(|| StoreError::Corrupt(format!("bad rating {rating}")))?,
            first_instance: matches!(document.as_str(), "decision_letter" | "reply"),
        });
    }
    Ok(out)
}
