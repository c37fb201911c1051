//! Units of the 四纵三横 tree.

use crate::db::{Result, RowExt, Store, StoreError, WriteTx};
use xinfang_domain::unit::{Level, Unit, UnitKind};

#[derive(Debug, Clone)]
pub struct NewUnit {
    pub code: String,
    pub name: String,
    pub kind: UnitKind,
    pub level: Level,
    pub parent_code: Option<String>,
    pub jurisdiction: String,
}

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
        jurisdiction: r.s("jurisdiction")?,
        path: r.s("path")?,
    })
}

impl Store {
    pub async fn load_units(&self) -> Result<Vec<Unit>> {
        let rows = sqlx::query("SELECT id, code, name, kind, level, parent_id, jurisdiction, path FROM units ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(unit_from_row).collect()
    }

    /// Insert a unit below its parent (by code); returns the stored unit.
    pub async fn insert_unit(&self, w: &mut WriteTx<'_>, u: &NewUnit) -> Result<Unit> {
        let parent = match &u.parent_code {
            Some(code) => {
                let row = sqlx::query("SELECT id, path FROM units WHERE code = $1")
                    .bind(code.clone())
                    .fetch_optional(&mut *w.tx)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt(format!("parent unit {code} not found")))?;
                Some((row.i("id")?, row.s("path")?))
            }
            None => None,
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO units (code, name, kind, level, parent_id, jurisdiction, path) VALUES ($1, $2, $3, $4, $5, $6, '') RETURNING id",
        )
        .bind(u.code.clone())
        .bind(u.name.clone())
        .bind(u.kind.as_str())
        .bind(u.level.as_str())
        .bind(parent.as_ref().map(|p| p.0))
        .bind(u.jurisdiction.clone())
        .fetch_one(&mut *w.tx)
        .await?;
        let path = format!("{}{id}/", parent.as_ref().map(|p| p.1.as_str()).unwrap_or("/"));
        sqlx::query("UPDATE units SET path = $1 WHERE id = $2").bind(path.clone()).bind(id).execute(&mut *w.tx).await?;
        Ok(Unit {
            id,
            code: u.code.clone(),
            name: u.name.clone(),
            kind: u.kind,
            level: u.level,
            parent_id: parent.map(|p| p.0),
            jurisdiction: u.jurisdiction.clone(),
            path,
        })
    }

    pub async fn unit_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM units").fetch_one(&self.pool).await?)
    }
}
