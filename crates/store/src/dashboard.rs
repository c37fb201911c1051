//! The counts of the supervisor's dashboard and the annual report (issue
//! 12 item 7) that the statistics' facts do not carry: petitions of a set
//! of units — registered at or handled by one of them — by month of
//! receipt and open by state, and the acts of routing and supervision in a
//! period. Each is one grouped query. (The counts by channel, category,
//! topic, area and handling unit come from the facts, or from the
//! precomputed statistics: `web::api::dashboard`.)

use crate::db::{Result, RowExt, Store};
use chrono::NaiveDate;
use sqlx::AssertSqlSafe;
use xinfang_domain::unit::UnitId;

/// Counts keyed by a text (a month, a state, a topic code, an area code…).
pub type Counts = Vec<(String, i64)>;

/// The petitions of `units` received in `[from, to]`, as a subquery of ids.
/// Unit ids are integers from the unit tree, written into the statement.
/// None of `exclude` (petitions the reader may not count, Art. 30).
fn scope(units: &[UnitId], from: NaiveDate, to: NaiveDate, exclude: &[i64]) -> String {
    let ids = crate::db::int_list(units);
    let (f, t) = (from.format("%Y-%m-%d"), to.format("%Y-%m-%d"));
    let left_out = if exclude.is_empty() { String::new() } else { format!(" AND id NOT IN ({})", crate::db::int_list(exclude)) };
    format!(
        "SELECT id FROM petitions WHERE registered_unit_id IN ({ids}) AND received_on BETWEEN '{f}' AND '{t}'{left_out} \
         UNION SELECT id FROM petitions WHERE handling_unit_id IN ({ids}) AND received_on BETWEEN '{f}' AND '{t}'{left_out}"
    )
}

/// Days far enough back and ahead to include every petition (written as
/// plain `YYYY-MM-DD`, so that the text comparison holds).
fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default()
}

fn forever() -> NaiveDate {
    NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default()
}

/// What petitions are counted by: a column or an expression over one.
enum Key {
    /// `YYYY-MM` of receipt, in month order.
    Month,
    Column(&'static str),
}

impl Key {
    fn sql(&self) -> String {
        match self {
            Key::Month => "SUBSTR(received_on, 1, 7)".into(),
            Key::Column(c) => (*c).into(),
        }
    }
}

impl Store {
    async fn counts(&self, sql: String) -> Result<Counts> {
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.os("k")?.unwrap_or_default(), r.i("n")?))).collect()
    }

    /// The petitions of `units` received in `[from, to]` (and, with
    /// `open_only`, not at an end) counted by `key`: one grouped query.
    /// `exclude`: petitions left out (the reader may not count them, Art. 30).
    async fn grouped(
        &self,
        units: &[UnitId],
        from: NaiveDate,
        to: NaiveDate,
        key: Key,
        open_only: bool,
        exclude: &[i64],
    ) -> Result<Counts> {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        let k = key.sql();
        let open = if open_only { " AND state NOT IN ('closed', 'declined', 'redirected', 'not_reaccepted')" } else { "" };
        let order = if matches!(key, Key::Month) { "k" } else { "n DESC, k" };
        self.counts(format!(
            "SELECT {k} AS k, COUNT(*) AS n FROM petitions WHERE id IN ({}){open} GROUP BY {k} ORDER BY {order}",
            scope(units, from, to, exclude)
        ))
        .await
    }

    /// Petitions received per month (`YYYY-MM`), in order; none of `exclude`.
    pub async fn received_by_month(&self, units: &[UnitId], from: NaiveDate, to: NaiveDate, exclude: &[i64]) -> Result<Counts> {
        self.grouped(units, from, to, Key::Month, false, exclude).await
    }

    /// Petitions not yet at an end (`closed`, `declined`, `redirected`,
    /// `not_reaccepted`), by state, whenever received; none of `exclude`.
    pub async fn open_by_state(&self, units: &[UnitId], exclude: &[i64]) -> Result<Counts> {
        self.grouped(units, epoch(), forever(), Key::Column("state"), true, exclude).await
    }

    /// Acts recorded on the petitions of `units` between two instants
    /// (RFC 3339, UTC), by action (`forward`, `assign`, `supervise`,
    /// `reply` …), with `reply` split by the adoption it stated
    /// (`reply:adopted`, …).
    /// None on the petitions of `exclude`.
    pub async fn acts_by_action(
        &self,
        units: &[UnitId],
        from_utc: &str,
        to_utc: &str,
        actions: &[&str],
        exclude: &[i64],
    ) -> Result<Counts> {
        if units.is_empty() || actions.is_empty() {
            return Ok(Vec::new());
        }
        let list = actions.iter().map(|a| format!("'{}'", a.replace('\'', ""))).collect::<Vec<_>>().join(", ");
        let adoption = "CASE WHEN e.action = 'reply' AND e.payload LIKE '%\"adoption\":\"adopted\"%' THEN 'reply:adopted' \
             WHEN e.action = 'reply' AND e.payload LIKE '%\"adoption\":\"partly_adopted\"%' THEN 'reply:partly_adopted' \
             WHEN e.action = 'reply' AND e.payload LIKE '%\"adoption\":\"not_adopted\"%' THEN 'reply:not_adopted' ELSE e.action END";
        self.counts(format!(
            "SELECT {adoption} AS k, COUNT(*) AS n FROM events e WHERE e.petition_id IN ({}) AND e.action IN ({list}) \
             AND e.occurred_at >= '{from_utc}' AND e.occurred_at < '{to_utc}' GROUP BY {adoption} ORDER BY k",
            scope(units, epoch(), forever(), exclude),
            from_utc = from_utc.replace('\'', ""),
            to_utc = to_utc.replace('\'', ""),
        ))
        .await
    }

    /// Supervision cases opened by one of `units` (as supervising unit)
    /// between two instants, by kind, leaving out the cases on the
    /// petitions of `exclude` (the accusations the reader may not count).
    pub async fn supervision_opened_by_kind(&self, units: &[UnitId], from_utc: &str, to_utc: &str, exclude: &[i64]) -> Result<Counts> {
        if units.is_empty() {
            return Ok(Vec::new());
        }
        let ids = crate::db::int_list(units);
        let left_out = if exclude.is_empty() {
            String::new()
        } else {
            format!(" AND (petition_id IS NULL OR petition_id NOT IN ({}))", crate::db::int_list(exclude))
        };
        self.counts(format!(
            "SELECT kind AS k, COUNT(*) AS n FROM supervision_cases WHERE supervising_unit_id IN ({ids}) \
             AND opened_at >= '{}' AND opened_at < '{}'{left_out} GROUP BY kind ORDER BY k",
            from_utc.replace('\'', ""),
            to_utc.replace('\'', ""),
        ))
        .await
    }
}
