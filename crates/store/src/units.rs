//! Units and their two hierarchies: the line superior (`parent_id`, whose
//! chain is the materialised `path`) and the territorial government
//! (`gov_id`).

use crate::db::{Result, RowExt, Store, StoreError, WriteTx};
use serde::Serialize;
use sqlx::AssertSqlSafe;
use std::collections::{HashMap, HashSet};
use xinfang_domain::import::{UnitRow, check_unit_links};
use xinfang_domain::unit::{Level, Unit, UnitId, UnitKind, UnitTree};

#[derive(Debug, Clone)]
pub struct NewUnit {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub level: Level,
    pub parent_code: Option<String>,
    /// Code of the people's government at the unit's level.
    pub gov_code: Option<String>,
    pub jurisdiction: String,
}

/// What a unit import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Rows in the file.
    pub rows: usize,
    /// New codes.
    pub inserted: usize,
    /// Existing codes whose name, kind, level, links or area changed.
    pub updated: usize,
    /// Existing codes already exactly as in the file.
    pub unchanged: usize,
    /// Units whose tree path changed: moved ones and everything below them
    /// (their petitions' visibility index is rewritten too).
    pub paths_changed: usize,
}

const UNIT_COLUMNS: &str = "id, code, name, kind, level, parent_id, gov_id, jurisdiction, path";

/// Rows per multi-row statement: 8 parameters each stays far below both
/// engines' limits on bound parameters.
const BATCH: usize = 400;

fn unit_from_row(r: &sqlx::any::AnyRow) -> Result<Unit> {
    let kind = r.s("kind")?;
    let level = r.s("level")?;
    Ok(Unit {
        id: r.i("id")?,
        code: r.s("code")?,
        name: r.s("name")?,
        kind: UnitKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("unit kind {kind}")))?,
        level: Level::parse(&level).ok_or_else(|| StoreError::Corrupt(format!("unit level {level}")))?,
        parent_id: r.oi("parent_id")?,
        gov_id: r.oi("gov_id")?,
        jurisdiction: r.s("jurisdiction")?,
        path: r.s("path")?,
    })
}

/// A unit as it will be written by an import.
struct Planned<'a> {
    code: &'a str,
    name: &'a str,
    kind: UnitKind,
    level: Level,
    parent_id: Option<UnitId>,
    gov_id: Option<UnitId>,
    jurisdiction: &'a str,
    path: String,
}

impl Store {
    pub async fn load_units(&self) -> Result<Vec<Unit>> {
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT {UNIT_COLUMNS} FROM units ORDER BY id"))).fetch_all(&self.pool).await?;
        rows.iter().map(unit_from_row).collect()
    }

    async fn load_units_in(w: &mut WriteTx<'_>) -> Result<Vec<Unit>> {
        let rows = sqlx::query(AssertSqlSafe(format!("SELECT {UNIT_COLUMNS} FROM units ORDER BY id"))).fetch_all(&mut *w.tx).await?;
        rows.iter().map(unit_from_row).collect()
    }

    async fn unit_id_path(w: &mut WriteTx<'_>, code: &str, what: &str) -> Result<(i64, String)> {
        let row = sqlx::query("SELECT id, path FROM units WHERE code = $1")
            .bind(code.to_string())
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("{what} unit {code} not found")))?;
        Ok((row.i("id")?, row.s("path")?))
    }

    /// Insert a unit below its parent and beside its government (by code);
    /// returns the stored unit.
    pub async fn insert_unit(&self, w: &mut WriteTx<'_>, u: &NewUnit) -> Result<Unit> {
        let parent = match &u.parent_code {
            Some(code) => Some(Self::unit_id_path(w, code, "parent").await?),
            None => None,
        };
        let gov_id = match &u.gov_code {
            Some(code) => Some(Self::unit_id_path(w, code, "government").await?.0),
            None => None,
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO units (code, name, kind, level, parent_id, gov_id, jurisdiction, path) VALUES ($1, $2, $3, $4, $5, $6, $7, '') RETURNING id",
        )
        .bind(u.code.clone())
        .bind(u.name.clone())
        .bind(u.kind.as_str())
        .bind(u.level.as_str())
        .bind(parent.as_ref().map(|p| p.0))
        .bind(gov_id)
        .bind(u.jurisdiction.clone())
        .fetch_one(&mut *w.tx)
        .await?;
        let path = format!("{}{id}/", parent.as_ref().map(|p| p.1.as_str()).unwrap_or("/"));
        sqlx::query("UPDATE units SET path = $1 WHERE id = $2").bind(path.clone()).bind(id).execute(&mut *w.tx).await?;
        crate::nodes::bump_units_version(w).await?;
        Ok(Unit {
            id,
            code: u.code.clone(),
            name: u.name.clone(),
            kind: u.kind,
            level: u.level,
            parent_id: parent.map(|p| p.0),
            gov_id,
            jurisdiction: u.jurisdiction.clone(),
            path,
        })
    }

    /// Link a stored unit to its government (both by code).
    pub async fn set_unit_government(&self, w: &mut WriteTx<'_>, code: &str, gov_code: &str) -> Result<()> {
        let (gov_id, _) = Self::unit_id_path(w, gov_code, "government").await?;
        sqlx::query("UPDATE units SET gov_id = $1 WHERE code = $2").bind(gov_id).bind(code.to_string()).execute(&mut *w.tx).await?;
        crate::nodes::bump_units_version(w).await?;
        Ok(())
    }

    /// Import units in one transaction: new codes are inserted, existing
    /// ones updated (name, kind, level, both links, area); links may point
    /// later in the file or at stored units. Unknown links and cycles
    /// refuse the whole file (`StoreError::Rejected`, by line). Paths are
    /// recomputed for every unit whose line chain changed, and the
    /// petitions' visibility index follows. Writes go in multi-row
    /// statements: a province of ~7,000 units is a few dozen round trips.
    pub async fn import_units(&self, rows: &[UnitRow]) -> Result<ImportSummary> {
        let mut w = self.begin_write().await?;
        let before = UnitTree::new(Self::load_units_in(&mut w).await?);
        check_unit_links(rows, &before).map_err(StoreError::Rejected)?;
        let code_of = |id: Option<UnitId>| id.and_then(|i| before.get(i)).map(|u| u.code.as_str());
        let mut summary = ImportSummary { rows: rows.len(), ..ImportSummary::default() };
        let mut touched: Vec<&UnitRow> = Vec::new();
        for r in rows {
            match before.by_code(&r.code) {
                None => {
                    summary.inserted += 1;
                    touched.push(r);
                }
                Some(u) => {
                    let same = u.name == r.name
                        && u.kind == r.kind
                        && u.level == r.level
                        && u.jurisdiction == r.jurisdiction
                        && code_of(u.parent_id) == r.parent_code.as_deref()
                        && code_of(u.gov_id) == r.gov_code.as_deref();
                    if same {
                        summary.unchanged += 1;
                    } else {
                        summary.updated += 1;
                        touched.push(r);
                    }
                }
            }
        }
        if touched.is_empty() {
            w.commit().await?;
            return Ok(summary);
        }

        // 1. New codes get ids first (without links), so links can name them.
        let fresh: Vec<&UnitRow> = touched.iter().copied().filter(|r| before.by_code(&r.code).is_none()).collect();
        for chunk in fresh.chunks(BATCH) {
            let mut sql = String::from("INSERT INTO units (code, name, kind, level, jurisdiction, path) VALUES ");
            for i in 0..chunk.len() {
                let b = i * 5;
                sql.push_str(&format!("{}(${}, ${}, ${}, ${}, ${}, '')", if i > 0 { "," } else { "" }, b + 1, b + 2, b + 3, b + 4, b + 5));
            }
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                q = q.bind(r.code.clone()).bind(r.name.clone()).bind(r.kind.as_str()).bind(r.level.as_str()).bind(r.jurisdiction.clone());
            }
            q.execute(&mut *w.tx).await?;
        }
        let mut id_of: HashMap<String, UnitId> = before.all().map(|u| (u.code.clone(), u.id)).collect();
        if !fresh.is_empty() {
            for r in sqlx::query("SELECT id, code FROM units").fetch_all(&mut *w.tx).await? {
                id_of.insert(r.s("code")?, r.i("id")?);
            }
        }
        let resolve = |code: &Option<String>| -> Result<Option<UnitId>> {
            code.as_ref()
                .map(|c| id_of.get(c).copied().ok_or_else(|| StoreError::Corrupt(format!("unit {c} vanished during import"))))
                .transpose()
        };

        // 2. The line parent of every unit after the import, then the paths.
        let mut parent_of: HashMap<UnitId, Option<UnitId>> = before.all().map(|u| (u.id, u.parent_id)).collect();
        let mut links: HashMap<UnitId, (Option<UnitId>, Option<UnitId>)> = HashMap::new();
        for r in &touched {
            let id = id_of.get(&r.code).copied().ok_or_else(|| StoreError::Corrupt(format!("unit {} vanished during import", r.code)))?;
            let (p, g) = (resolve(&r.parent_code)?, resolve(&r.gov_code)?);
            parent_of.insert(id, p);
            links.insert(id, (p, g));
        }
        let paths = paths_of(&parent_of)?;

        // 3. Write the touched rows and every stored unit whose path moved.
        let mut plan: Vec<Planned> = Vec::new();
        let mut moved: Vec<(UnitId, String, String)> = Vec::new();
        for r in &touched {
            let id = id_of[&r.code];
            let (parent_id, gov_id) = links[&id];
            let path = paths[&id].clone();
            if let Some(old) = before.get(id)
                && old.path != path
            {
                moved.push((id, old.path.clone(), path.clone()));
            }
            let (code, name, kind, level, jurisdiction) = (r.code.as_str(), r.name.as_str(), r.kind, r.level, r.jurisdiction.as_str());
            plan.push(Planned { code, name, kind, level, parent_id, gov_id, jurisdiction, path });
        }
        let in_file: HashSet<&str> = touched.iter().map(|r| r.code.as_str()).collect();
        for u in before.all().filter(|u| !in_file.contains(u.code.as_str())) {
            let path = &paths[&u.id];
            if *path != u.path {
                moved.push((u.id, u.path.clone(), path.clone()));
                plan.push(Planned {
                    code: &u.code,
                    name: &u.name,
                    kind: u.kind,
                    level: u.level,
                    parent_id: u.parent_id,
                    gov_id: u.gov_id,
                    jurisdiction: &u.jurisdiction,
                    path: path.clone(),
                });
            }
        }
        summary.paths_changed = moved.len();
        for chunk in plan.chunks(BATCH) {
            let mut sql = String::from("INSERT INTO units (code, name, kind, level, parent_id, gov_id, jurisdiction, path) VALUES ");
            for i in 0..chunk.len() {
                let b = i * 8;
                let ps: Vec<String> = (1..=8).map(|k| format!("${}", b + k)).collect();
                sql.push_str(&format!("{}({})", if i > 0 { "," } else { "" }, ps.join(", ")));
            }
            sql.push_str(
                " ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, level = excluded.level, parent_id = excluded.parent_id, gov_id = excluded.gov_id, jurisdiction = excluded.jurisdiction, path = excluded.path",
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for p in chunk {
                q = q
                    .bind(p.code.to_string())
                    .bind(p.name.to_string())
                    .bind(p.kind.as_str())
                    .bind(p.level.as_str())
                    .bind(p.parent_id)
                    .bind(p.gov_id)
                    .bind(p.jurisdiction.to_string())
                    .bind(p.path.clone());
            }
            q.execute(&mut *w.tx).await?;
        }

        // 4. Visibility follows the tree: petitions that touched a moved
        // unit, and accusations against one, carry its new path.
        let moved_ids: Vec<UnitId> = moved.iter().map(|m| m.0).collect();
        for chunk in moved_ids.chunks(BATCH) {
            let list: Vec<String> = (1..=chunk.len()).map(|k| format!("${k}")).collect();
            let sql = format!(
                "UPDATE petition_units SET unit_path = (SELECT path FROM units WHERE units.id = petition_units.unit_id) WHERE unit_id IN ({})",
                list.join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(&mut *w.tx).await?;
        }
        // Only units that existed before can be named in an accusation; a
        // plain re-import moves nothing, so this loop is usually empty.
        for (_, old, new) in &moved {
            sqlx::query("UPDATE petitions SET accused_unit_path = $1 WHERE accused_unit_path = $2")
                .bind(new.clone())
                .bind(old.clone())
                .execute(&mut *w.tx)
                .await?;
        }
        crate::nodes::bump_units_version(&mut w).await?;
        w.commit().await?;
        // Units that moved (or new bureaus of an area) change who sees what.
        if !moved.is_empty() || summary.inserted > 0 {
            self.rebuild_viewers().await?;
        }
        Ok(summary)
    }

    pub async fn unit_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM units").fetch_one(&self.pool).await?)
    }
}

/// The materialised line path of every unit, "/root/…/id/", from each
/// unit's parent. A parent loop (checked before, so only on corrupt data)
/// is an error rather than a hang.
fn paths_of(parent_of: &HashMap<UnitId, Option<UnitId>>) -> Result<HashMap<UnitId, String>> {
    let mut paths: HashMap<UnitId, String> = HashMap::with_capacity(parent_of.len());
    for &start in parent_of.keys() {
        // Climb to the first unit with a known path (or a root), then
        // come back down.
        let mut chain = Vec::new();
        let mut cur = Some(start);
        while let Some(id) = cur {
            if paths.contains_key(&id) {
                break;
            }
            if chain.len() > parent_of.len() {
                return Err(StoreError::Corrupt(format!("unit {start} is its own line ancestor")));
            }
            chain.push(id);
            cur = parent_of.get(&id).copied().flatten();
        }
        let mut prefix = cur.and_then(|id| paths.get(&id).cloned()).unwrap_or_else(|| "/".into());
        for id in chain.into_iter().rev() {
            prefix = format!("{prefix}{id}/");
            paths.insert(id, prefix.clone());
        }
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_line_parents_and_loops_are_errors() {
        let parents = HashMap::from([(1, None), (2, Some(1)), (3, Some(2)), (4, Some(1))]);
        let paths = paths_of(&parents).expect("paths");
        assert_eq!(paths[&3], "/1/2/3/");
        assert_eq!(paths[&4], "/1/4/");
        assert!(paths_of(&HashMap::from([(1, Some(2)), (2, Some(1))])).is_err());
    }
}
