//! Who may see a petition through the unit tree, materialised as rows
//! (`petition_viewers`), so that a list is an index range per viewing unit
//! instead of `LIKE` chains over paths (issue 9). Rewritten with every write
//! to the petition, in the same transaction:
//!
//! * every unit a petition touched (`petition_units`) and every unit above
//!   it in its line (the ids of its materialised path);
//! * the petition bureaus of the area it arose in (Art. 14, 40);
//! * for an accusation, the discipline bodies of that area (Art. 22, 30);
//! * never a unit on the accused unit's line above it (Art. 30), and, for
//!   an accusation whose accused is not named yet, only the units
//!   `access::hidden_until_accused_named` lets know it exists — so a list's
//!   count does not reveal it; the other hierarchy and the finer rules stay
//!   with `access::view`, applied to every row read.
//!
//! Each row carries the two sort keys the lists use (registration instant,
//! earliest duty due date with `9999-12-31` for none), so that keyset
//! pagination reads `(unit_id, key, petition_id)` index ranges, and the
//! three filters used most (state, category, topic), each indexed as
//! `(unit_id, filter, registered_at, petition_id)`, so that a filtered page
//! and its count never leave the index (migration 16); and whether the
//! petition is now with the viewing unit (`is_current_unit`), the unit's
//! inbox, in two partial indexes.

use crate::db::{Result, RowExt, Store, WriteTx};
use sqlx::AssertSqlSafe;
use xinfang_domain::access::hidden_until_accused_named;
use xinfang_domain::procedure::Case;

/// The due-date key of a petition with no open duty deadline: sorts last.
pub const NO_DUE: &str = "9999-12-31";

/// Ids on a materialised path "/1/7/42/".
pub(crate) fn path_ids(path: &str) -> impl Iterator<Item = i64> + '_ {
    path.split('/').filter_map(|s| s.parse::<i64>().ok())
}

impl Store {
    /// Recompute the viewers of one petition (inside its write); `fresh`:
    /// the petition is being inserted, so it has no rows to replace.
    pub(crate) async fn refresh_viewers(&self, w: &mut WriteTx<'_>, petition_id: i64, fresh: bool) -> Result<()> {
        // The petition's keys and every unit it touched, in one read.
        let rows = sqlx::query(
            "SELECT p.jurisdiction, p.category, p.state, p.topic, p.current_unit_id, p.accused_unit_path, p.registered_at, p.next_due_on, u.unit_path, \
             CASE WHEN p.category = 'accusation' AND p.accused_unit_path IS NULL THEN p.case_json END AS unnamed_case \
             FROM petitions p LEFT JOIN petition_units u ON u.petition_id = p.id WHERE p.id = $1",
        )
        .bind(petition_id)
        .fetch_all(&mut *w.tx)
        .await?;
        let Some(row) = rows.first() else { return Err(crate::db::StoreError::Corrupt(format!("petition {petition_id} vanished"))) };
        let (jurisdiction, category) = (row.s("jurisdiction")?, row.s("category")?);
        let accused_path = row.os("accused_unit_path")?;
        let (registered_at, due) = (row.s("registered_at")?, row.os("next_due_on")?.unwrap_or_else(|| NO_DUE.to_string()));
        let (state, topic, current) = (row.s("state")?, row.os("topic")?, row.i("current_unit_id")?);
        let paths: Vec<String> = rows.iter().map(|r| r.os("unit_path")).collect::<Result<Vec<_>>>()?.into_iter().flatten().collect();
        let mut ids: Vec<i64> = paths.iter().flat_map(|p| path_ids(p).collect::<Vec<_>>()).collect();
        // The bureaus (and for accusations the discipline bodies) of the
        // area: units whose jurisdiction is a prefix of the petition's
        // (the empty one included, as a unit over the whole country).
        let kinds = if category == "accusation" { "('petition_bureau', 'discipline_body')" } else { "('petition_bureau')" };
        let prefixes: Vec<&str> =
            std::iter::once("").chain(jurisdiction.char_indices().map(|(i, c)| &jurisdiction[..i + c.len_utf8()])).collect();
        let marks: Vec<String> = (1..=prefixes.len()).map(|i| format!("${i}")).collect();
        let mut q = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT id FROM units WHERE jurisdiction IN ({}) AND kind IN {kinds}",
            marks.join(", ")
        )));
        for p in &prefixes {
            q = q.bind(p.to_string());
        }
        let area: Vec<i64> = q.fetch_all(&mut *w.tx).await?;
        ids.extend(area);
        // The accused unit and its line above it never see it.
        if let Some(accused) = accused_path.as_deref() {
            let chain: Vec<i64> = path_ids(accused).collect();
            ids.retain(|id| !chain.contains(id));
        }
        ids.sort_unstable();
        ids.dedup();
        if let Some(json) = row.os("unnamed_case")? {
            let case: Case = serde_json::from_str(&json).map_err(|e| crate::db::StoreError::Corrupt(e.to_string()))?;
            let discipline = self.discipline_bodies_among(w, &ids).await?;
            ids.retain(|id| !hidden_until_accused_named(&case, *id, discipline.contains(id)));
        }
        if !fresh {
            let mut before: Vec<i64> = sqlx::query_scalar("DELETE FROM petition_viewers WHERE petition_id = $1 RETURNING unit_id")
                .bind(petition_id)
                .fetch_all(&mut *w.tx)
                .await?;
            before.sort_unstable();
            // The search index holds the viewers too (store::fulltext); a
            // new petition's entry is written after its viewer rows.
            if before != ids {
                self.index_viewers(w, petition_id, &ids).await?;
            }
        }
        for chunk in ids.chunks(200) {
            let mut sql = String::from(
                "INSERT INTO petition_viewers (unit_id, petition_id, registered_at, due_key, state, category, topic, is_current_unit) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, $1, $2, $3, $4, $5, $6, ${})", 2 * i + 7, 2 * i + 8));
            }
            let mut q = sqlx::query(AssertSqlSafe(sql))
                .bind(petition_id)
                .bind(registered_at.clone())
                .bind(due.clone())
                .bind(state.clone())
                .bind(category.clone())
                .bind(topic.clone());
            for id in chunk {
                q = q.bind(*id).bind(i64::from(*id == current));
            }
            q.execute(&mut *w.tx).await?;
        }
        Ok(())
    }

    /// Which of `ids` are discipline bodies.
    async fn discipline_bodies_among(&self, w: &mut WriteTx<'_>, ids: &[i64]) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let mut q = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT id FROM units WHERE kind = 'discipline_body' AND id IN ({})",
            marks.join(", ")
        )));
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&mut *w.tx).await?)
    }

    /// Refresh the viewers of every accusation whose accused is not named
    /// (`refresh_viewers` now leaves out the units it is hidden from), once,
    /// on a database whose rows were written before: in batches of one
    /// transaction each. Returns the petitions rewritten.
    pub async fn refresh_unnamed_accusations(&self) -> Result<i64> {
        self.refresh_viewers_where("category = 'accusation' AND accused_unit_path IS NULL AND").await
    }

    /// Rebuild the viewers of every petition (after a unit import moved
    /// units, or on a database written before the table existed), in
    /// batches of one transaction each. Returns the petitions rewritten.
    pub async fn rebuild_viewers(&self) -> Result<i64> {
        self.refresh_viewers_where("").await
    }

    /// `refresh_viewers` for every petition matching `condition` (SQL
    /// ending in `AND`, or empty; a constant of this module, never input),
    /// 500 a transaction, by id.
    async fn refresh_viewers_where(&self, condition: &'static str) -> Result<i64> {
        let mut after = 0i64;
        let mut done = 0i64;
        loop {
            let ids: Vec<i64> =
                sqlx::query_scalar(AssertSqlSafe(format!("SELECT id FROM petitions WHERE {condition} id > $1 ORDER BY id LIMIT 500")))
                    .bind(after)
                    .fetch_all(&self.pool)
                    .await?;
            let Some(last) = ids.last().copied() else { break };
            let mut w = self.begin_write().await?;
            for id in &ids {
                self.refresh_viewers(&mut w, *id, false).await?;
            }
            w.commit().await?;
            done += i64::try_from(ids.len()).unwrap_or(0);
            after = last;
        }
        Ok(done)
    }

    /// Whether the viewer table was never filled on a database that has
    /// petitions (one written before it existed): `rebuild_viewers` once.
    pub async fn viewers_missing(&self) -> Result<bool> {
        let any_viewer: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM petition_viewers LIMIT 1) t").fetch_one(&self.pool).await?;
        let any_petition: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM petitions LIMIT 1) t").fetch_one(&self.pool).await?;
        Ok(any_viewer == 0 && any_petition > 0)
    }
}
