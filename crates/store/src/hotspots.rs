//! Counts behind the hot spots (issue 13, item 5): petitions a unit sees,
//! per topic, area (township, or the finest code given) and Beijing day,
//! since an instant — one grouped read of the unit's viewer rows. Repeat
//! petitions (重件) come one row per matter, so that a group filing the same
//! matter again and again is counted once (`xinfang_web::hotspots::cells`).

use crate::db::{Arg, Dialect, Result, RowExt, Sql, Store, StoreError};
use xinfang_domain::procedure::Case;

/// Digits of the area a petition is counted in: the township's code.
pub const AREA_DIGITS: i64 = 9;

/// One group of the read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCount {
    pub topic: String,
    pub area: String,
    /// Beijing date, `YYYY-MM-DD`.
    pub day: String,
    /// Petitions of the group: first petitions (初件) when `matter` is
    /// `None`, else repeats of that one matter.
    pub n: i64,
    /// For repeats: the earlier petition they name in `repeat_of`.
    pub matter: Option<String>,
    /// For repeats whose named petition is of the same topic and registered
    /// since the same instant: that petition's area and Beijing day (it is
    /// then counted itself, and the matter must not be counted twice).
    pub first: Option<(String, String)>,
}

impl Store {
    fn beijing_day(&self, col: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("date({col}, '+8 hours')"),
            Dialect::Postgres => format!("to_char(CAST({col} AS timestamp) + interval '8 hours', 'YYYY-MM-DD')"),
        }
    }

    /// Petitions with a topic that `unit_ids` see, registered at or after
    /// `since` (an instant), per topic, area and Beijing day; none of
    /// `exclude` (the reader may not count them, Art. 30).
    pub async fn topic_area_days(&self, unit_ids: &[i64], since: &str, exclude: &[i64]) -> Result<Vec<DayCount>> {
        if unit_ids.is_empty() {
            return Ok(Vec::new());
        }
        let day = self.beijing_day("v.registered_at");
        let first_day = self.beijing_day("f.registered_at");
        // Only repeats find a first petition; the join reads one row of the
        // unique number index for each.
        let mut sql = Sql::new(&format!(
            "SELECT v.topic AS topic, substr(p.jurisdiction, 1, {AREA_DIGITS}) AS area, {day} AS day, p.repeat_of AS matter, \
             substr(f.jurisdiction, 1, {AREA_DIGITS}) AS first_area, {first_day} AS first_day, COUNT(DISTINCT v.petition_id) AS n \
             FROM petition_viewers v JOIN petitions p ON p.id = v.petition_id \
             LEFT JOIN petitions f ON f.number = p.repeat_of AND f.topic = v.topic AND f.registered_at >= "
        ));
        sql.bind(Arg::S(since.to_string()));
        // Ids are integers, written into the statement. A first petition
        // left out does not stand for its repeats' matter either.
        let left_out = crate::db::int_list(exclude);
        if !exclude.is_empty() {
            sql.push(&format!(" AND f.id NOT IN ({left_out})"));
        }
        sql.push(" WHERE ");
        crate::petitions::viewer_in(&mut sql, "v.unit_id", unit_ids);
        sql.push(" AND v.registered_at >= ").bind(Arg::S(since.to_string()));
        sql.push(" AND v.topic IS NOT NULL");
        if !exclude.is_empty() {
            sql.push(&format!(" AND v.petition_id NOT IN ({left_out})"));
        }
        sql.push(" GROUP BY 1, 2, 3, 4, 5, 6");
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let first = match (r.os("first_area")?, r.os("first_day")?) {
                    (Some(a), Some(d)) => Some((a, d)),
                    _ => None,
                };
                Ok(DayCount { topic: r.s("topic")?, area: r.s("area")?, day: r.s("day")?, n: r.i("n")?, matter: r.os("matter")?, first })
            })
            .collect()
    }

    /// The newest petitions behind one cell since `since`; `area` is a
    /// division code of any level (its petitions' codes begin with it).
    /// Each as (number, confidential, procedure state): the reader's access
    /// rules decide which numbers may be named (Art. 30).
    pub async fn topic_area_numbers(
        &self,
        unit_ids: &[i64],
        since: &str,
        topic: &str,
        area: &str,
        limit: i64,
    ) -> Result<Vec<(String, String, bool, Case)>> {
        if unit_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(
            "SELECT DISTINCT p.number, p.title, v.registered_at, p.confidential, p.case_json FROM petition_viewers v JOIN petitions p ON p.id = v.petition_id WHERE ",
        );
        crate::petitions::viewer_in(&mut sql, "v.unit_id", unit_ids);
        sql.push(" AND v.registered_at >= ").bind(Arg::S(since.to_string()));
        sql.push(" AND v.topic = ").bind(Arg::S(topic.to_string()));
        sql.push(&format!(" AND substr(p.jurisdiction, 1, {}) = ", area.len())).bind(Arg::S(area.to_string()));
        sql.push(" ORDER BY v.registered_at DESC LIMIT ").bind(Arg::I(limit));
        let rows = sql.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let case: Case = serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                Ok((r.s("number")?, r.s("title")?, r.b("confidential")?, case))
            })
            .collect()
    }
}
