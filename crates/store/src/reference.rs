//! Reference data: 行政区划 divisions, topics (内容分类) and the holiday
//! calendar. All imports are idempotent upserts so they can be re-run.

use crate::db::{Result, RowExt, Store, StoreError, WriteTx, fmt_date, fmt_instant, parse_date};
use chrono::Utc;
use serde::Serialize;
use sqlx::AssertSqlSafe;
use xinfang_domain::calendar::{DayKind, HolidayCalendar, SpecialDay};

#[derive(Debug, Clone, Serialize)]
pub struct Division {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    /// 1 province, 2 city, 3 county, 4 township.
    pub level: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Topic {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub sort: i64,
}

/// Level of a division code by its length (2, 4, 6, 9 digits).
pub fn division_level(code: &str) -> i64 {
    match code.len() {
        0..=2 => 1,
        3..=4 => 2,
        5..=6 => 3,
        7..=9 => 4,
        // 村、社区 (issue 14).
        _ => 5,
    }
}

const BATCH: usize = 200;

impl Store {
    /// Upsert divisions in batches inside one transaction.
    pub async fn import_divisions(&self, rows: &[Division]) -> Result<usize> {
        let mut w = self.begin_write().await?;
        for chunk in rows.chunks(BATCH) {
            let mut sql = String::from("INSERT INTO divisions (code, name, parent_code, level) VALUES ");
            for i in 0..chunk.len() {
                let b = i * 4;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
            }
            sql.push_str(
                " ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, level = excluded.level",
            );
            let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
            for d in chunk {
                q = q.bind(d.code.clone()).bind(d.name.clone()).bind(d.parent_code.clone()).bind(d.level);
            }
            q.execute(&mut *w.tx).await?;
        }
        w.commit().await?;
        Ok(rows.len())
    }

    pub async fn divisions(&self, parent: Option<&str>) -> Result<Vec<Division>> {
        let rows = match parent {
            Some(p) => {
                sqlx::query("SELECT code, name, parent_code, level FROM divisions WHERE parent_code = $1 ORDER BY code")
                    .bind(p.to_string())
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("SELECT code, name, parent_code, level FROM divisions WHERE parent_code IS NULL ORDER BY code")
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter()
            .map(|r| Ok(Division { code: r.s("code")?, name: r.s("name")?, parent_code: r.os("parent_code")?, level: r.i("level")? }))
            .collect()
    }

    pub async fn division(&self, code: &str) -> Result<Option<Division>> {
        let row = sqlx::query("SELECT code, name, parent_code, level FROM divisions WHERE code = $1")
            .bind(code.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(Division { code: r.s("code")?, name: r.s("name")?, parent_code: r.os("parent_code")?, level: r.i("level")? }))
            .transpose()
    }

    /// Whether `code` may be named as a petition's jurisdiction: it is a
    /// known division, or no divisions are loaded at all (one query, on
    /// every intake).
    pub async fn jurisdiction_known(&self, code: &str) -> Result<bool> {
        let known: i64 = sqlx::query_scalar(
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM divisions WHERE code = $1) OR NOT EXISTS (SELECT 1 FROM divisions) THEN 1 ELSE 0 END",
        )
        .bind(code.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(known == 1)
    }

    pub async fn division_count(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM divisions").fetch_one(&self.pool).await?)
    }

    pub async fn upsert_topics(&self, topics: &[Topic]) -> Result<()> {
        let mut w = self.begin_write().await?;
        for t in topics {
            sqlx::query(
                "INSERT INTO topics (code, name, parent_code, sort, active) VALUES ($1, $2, $3, $4, 1) ON CONFLICT (code) DO UPDATE SET name = excluded.name, parent_code = excluded.parent_code, sort = excluded.sort",
            )
            .bind(t.code.clone())
            .bind(t.name.clone())
            .bind(t.parent_code.clone())
            .bind(t.sort)
            .execute(&mut *w.tx)
            .await?;
        }
        w.commit().await
    }

    pub async fn topics(&self) -> Result<Vec<Topic>> {
        let rows = sqlx::query("SELECT code, name, parent_code, sort FROM topics WHERE active = 1 ORDER BY sort, code")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok(Topic { code: r.s("code")?, name: r.s("name")?, parent_code: r.os("parent_code")?, sort: r.i("sort")? }))
            .collect()
    }

    pub async fn topic(&self, code: &str) -> Result<Option<Topic>> {
        let row = sqlx::query("SELECT code, name, parent_code, sort FROM topics WHERE active = 1 AND code = $1")
            .bind(code.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| Ok(Topic { code: r.s("code")?, name: r.s("name")?, parent_code: r.os("parent_code")?, sort: r.i("sort")? })).transpose()
    }

    /// Replace the calendar data of `years` with `days` (one transaction).
    pub async fn import_calendar(&self, years: &[i32], days: &[SpecialDay], source: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        for y in years {
            sqlx::query("DELETE FROM calendar_days WHERE day >= $1 AND day <= $2")
                .bind(format!("{y:04}-01-01"))
                .bind(format!("{y:04}-12-31"))
                .execute(&mut *w.tx)
                .await?;
            sqlx::query(
                "INSERT INTO calendar_years (year, source, imported_at) VALUES ($1, $2, $3) ON CONFLICT (year) DO UPDATE SET source = excluded.source, imported_at = excluded.imported_at",
            )
            .bind(i64::from(*y))
            .bind(source.to_string())
            .bind(fmt_instant(Utc::now()))
            .execute(&mut *w.tx)
            .await?;
        }
        for chunk in days.chunks(BATCH) {
            let mut sql = String::from("INSERT INTO calendar_days (day, kind, name) VALUES ");
            for i in 0..chunk.len() {
                let b = i * 3;
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("(${}, ${}, ${})", b + 1, b + 2, b + 3));
            }
            sql.push_str(" ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name");
            let mut q = sqlx::query(AssertSqlSafe(sql.as_str()));
            for d in chunk {
                q = q.bind(fmt_date(d.date)).bind(kind_str(d.kind)).bind(d.name.clone());
            }
            q.execute(&mut *w.tx).await?;
        }
        bump_calendar_version(&mut w).await?;
        w.commit().await
    }

    /// Set one day (an admin correction). It does not make its year
    /// covered: one known day says nothing about the other 364, and only an
    /// import of the whole year (`import_calendar`) declares coverage.
    pub async fn set_calendar_day(&self, day: &SpecialDay, source: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3) ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name")
            .bind(fmt_date(day.date))
            .bind(kind_str(day.kind))
            .bind(day.name.clone())
            .execute(&mut *w.tx)
            .await?;
        tracing::info!(day = %day.date, source, "calendar day set");
        bump_calendar_version(&mut w).await?;
        w.commit().await
    }

    pub async fn delete_calendar_day(&self, date: chrono::NaiveDate) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query("DELETE FROM calendar_days WHERE day = $1").bind(fmt_date(date)).execute(&mut *w.tx).await?.rows_affected();
        if n > 0 {
            bump_calendar_version(&mut w).await?;
        }
        w.commit().await?;
        Ok(n > 0)
    }

    /// The calendar's version: changes with every import, set or delete.
    /// One primary-key read, cheap enough to check before every act.
    pub async fn calendar_version(&self) -> Result<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT version FROM calendar_version WHERE id = 1").fetch_optional(&self.pool).await?;
        Ok(v.unwrap_or(0))
    }

    pub async fn load_calendar(&self) -> Result<HolidayCalendar> {
        let years: Vec<i64> = sqlx::query_scalar("SELECT year FROM calendar_years").fetch_all(&self.pool).await?;
        let rows = sqlx::query("SELECT day, kind, name FROM calendar_days").fetch_all(&self.pool).await?;
        let mut days = Vec::with_capacity(rows.len());
        for r in &rows {
            let kind = match r.s("kind")?.as_str() {
                "holiday" => DayKind::Holiday,
                "workday" => DayKind::Workday,
                other => return Err(StoreError::Corrupt(format!("calendar kind {other}"))),
            };
            days.push(SpecialDay { date: parse_date(&r.s("day")?)?, kind, name: r.s("name")? });
        }
        Ok(HolidayCalendar::new(years.into_iter().filter_map(|y| i32::try_from(y).ok()), days))
    }
}

/// Every calendar write bumps the version in its own transaction, so a
/// node that sees the new version also sees the new days.
async fn bump_calendar_version(w: &mut WriteTx<'_>) -> Result<()> {
    sqlx::query("UPDATE calendar_version SET version = version + 1 WHERE id = 1").execute(&mut *w.tx).await?;
    Ok(())
}

fn kind_str(k: DayKind) -> &'static str {
    match k {
        DayKind::Holiday => "holiday",
        DayKind::Workday => "workday",
    }
}
