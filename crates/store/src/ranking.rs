//! Monthly rankings and their three-colour warnings (issue 12 item 5), and
//! the letters addressed to a unit rather than about a petition
//! (`unit_documents`: the warning's 督办函 / 交办函 / 提醒函).
//!
//! A ranking is published in one transaction: the ranking, every area's
//! row, and for each warned area its letter (numbered in the issuing
//! bureau's 文号 sequence) and a 限期整改 supervision case whose reply and
//! closing track the rectification. One ranking per bureau and month: the
//! UNIQUE constraint refuses a second (`StoreError::Conflict`), however
//! many nodes run the monthly job.

use crate::db::{Result, RowExt, Store, StoreError, WriteTx, fmt_date, fmt_instant, parse_date, parse_instant};
use crate::documents::{next_doc_number_in, record_pdf_once};
use crate::supervision::{NewSupervisionCase, insert_case_in};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use sqlx::AssertSqlSafe;
use xinfang_domain::letters::LetterKind;
use xinfang_domain::unit::UnitId;

/// A letter to a unit, as drafted (its 文号 is added when written).
#[derive(Debug, Clone)]
pub struct NewUnitLetter {
    /// The 文号 sequence it is numbered in.
    pub kind: LetterKind,
    /// The template it is rendered with (`warning_letter`, …).
    pub template: String,
    pub title: String,
    pub issuer_unit_id: UnitId,
    pub addressee_unit_id: UnitId,
    pub issued_on: NaiveDate,
    /// The template's fields (`issuer` is read for the 文号).
    pub data: Value,
}

/// A unit letter as stored.
#[derive(Debug, Clone)]
pub struct UnitDocumentRow {
    pub id: i64,
    pub kind: String,
    pub template: String,
    pub title: String,
    pub doc_number: String,
    pub issued_on: NaiveDate,
    pub issuer_unit_id: UnitId,
    pub addressee_unit_id: UnitId,
    pub sha256: Option<String>,
    pub size: Option<i64>,
}

/// One area's row of a ranking to publish.
#[derive(Debug, Clone)]
pub struct NewRankingEntry {
    /// The area's division code and name.
    pub area: String,
    pub area_name: String,
    /// The unit that answers for the area (its petition bureau).
    pub unit_id: UnitId,
    pub score: Option<f64>,
    pub rank: Option<i64>,
    pub warning: Option<String>,
    /// Why it has no place (`no_figures`, `too_few_cases`).
    pub unranked: Option<String>,
    /// `{metric: [numerator, denominator]}`.
    pub metrics: Value,
    /// For a warned area: its letter and its rectification case.
    pub letter: Option<NewUnitLetter>,
    pub case: Option<NewSupervisionCase>,
}

#[derive(Debug, Clone)]
pub struct NewRanking {
    /// The ranking bureau.
    pub unit_id: UnitId,
    /// `YYYY-MM`.
    pub month: String,
    pub weights: String,
    /// The least number of cases an area needed to be ranked.
    pub min_cases: i64,
    pub created_at: DateTime<Utc>,
    /// None when the monthly job published it.
    pub created_by: Option<i64>,
    /// Best first, then the unscored.
    pub entries: Vec<NewRankingEntry>,
}

#[derive(Debug, Clone)]
pub struct RankingRow {
    pub id: i64,
    pub unit_id: UnitId,
    pub month: String,
    pub weights: String,
    pub min_cases: i64,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
}

/// A stored row of a ranking, with its letter and the state of its
/// rectification case.
#[derive(Debug, Clone)]
pub struct RankingEntryRow {
    pub position: i64,
    pub area: String,
    pub area_name: String,
    pub unit_id: UnitId,
    pub score: Option<f64>,
    pub rank: Option<i64>,
    pub warning: Option<String>,
    pub unranked: Option<String>,
    pub metrics: Value,
    pub letter_id: Option<i64>,
    pub letter_number: Option<String>,
    pub case_id: Option<i64>,
    pub rectify_by: Option<NaiveDate>,
    pub replied_at: Option<String>,
    pub closed_at: Option<String>,
}

pub(crate) async fn insert_unit_letter_in(store: &Store, w: &mut WriteTx<'_>, l: &NewUnitLetter, source: &str) -> Result<(i64, String)> {
    let issuer = l.data.get("issuer").and_then(Value::as_str).unwrap_or_default().to_string();
    let doc_no = next_doc_number_in(w, l.issuer_unit_id, &issuer, l.kind, l.issued_on).await?;
    let mut data = l.data.clone();
    if let Value::Object(m) = &mut data {
        m.insert("doc_number".into(), json!(doc_no));
    }
    let data = data.to_string();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO unit_documents (kind, template, title, doc_number, issued_on, issuer_unit_id, addressee_unit_id, source, data, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(l.kind.as_str())
    .bind(l.template.clone())
    .bind(l.title.clone())
    .bind(doc_no.clone())
    .bind(fmt_date(l.issued_on))
    .bind(l.issuer_unit_id)
    .bind(l.addressee_unit_id)
    .bind(source.to_string())
    .bind(data.clone())
    .bind(fmt_instant(Utc::now()))
    .fetch_one(&mut *w.tx)
    .await?;
    // Anchored like a petition's letters: its fields cannot be changed
    // afterwards without the key.
    let text = format!("unit-document\n{id}\n{}\n{doc_no}\n{}\n{data}", l.template, fmt_date(l.issued_on));
    sqlx::query("UPDATE unit_documents SET mac = $1 WHERE id = $2")
        .bind(store.mac("unit-document", &text))
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
    Ok((id, doc_no))
}

const UNIT_DOC_COLUMNS: &str = "id, kind, template, title, doc_number, issued_on, issuer_unit_id, addressee_unit_id, sha256, size";

fn unit_document_row(r: &sqlx::any::AnyRow) -> Result<UnitDocumentRow> {
    Ok(UnitDocumentRow {
        id: r.i("id")?,
        kind: r.s("kind")?,
        template: r.s("template")?,
        title: r.s("title")?,
        doc_number: r.s("doc_number")?,
        issued_on: parse_date(&r.s("issued_on")?)?,
        issuer_unit_id: r.i("issuer_unit_id")?,
        addressee_unit_id: r.i("addressee_unit_id")?,
        sha256: r.os("sha256")?,
        size: r.oi("size")?,
    })
}

fn score_text(s: Option<f64>) -> Option<String> {
    s.map(|v| format!("{v:.6}"))
}

impl Store {
    /// Publish a ranking with its warnings, letters and rectification
    /// cases. `Conflict` if the bureau has one for the month already.
    pub async fn publish_ranking(&self, r: &NewRanking) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO rankings (unit_id, month, weights, min_cases, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (unit_id, month) DO NOTHING RETURNING id",
        )
        .bind(r.unit_id)
        .bind(r.month.clone())
        .bind(r.weights.clone())
        .bind(r.min_cases)
        .bind(fmt_instant(r.created_at))
        .bind(r.created_by)
        .fetch_optional(&mut *w.tx)
        .await?;
        let Some(id) = id else { return Err(StoreError::Conflict) };
        for (i, e) in r.entries.iter().enumerate() {
            let letter = match &e.letter {
                Some(l) => Some(insert_unit_letter_in(self, &mut w, l, &format!("ranking:{id}:{}", e.area)).await?),
                None => None,
            };
            let case_id = match &e.case {
                Some(c) => Some(insert_case_in(&mut w, c, None).await?),
                None => None,
            };
            sqlx::query(
                "INSERT INTO ranking_entries (ranking_id, position, area, area_name, unit_id, score, rank_no, warning, unranked, metrics, letter_id, case_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(id)
            .bind(i as i64 + 1)
            .bind(e.area.clone())
            .bind(e.area_name.clone())
            .bind(e.unit_id)
            .bind(score_text(e.score))
            .bind(e.rank)
            .bind(e.warning.clone())
            .bind(e.unranked.clone())
            .bind(e.metrics.to_string())
            .bind(letter.as_ref().map(|l| l.0))
            .bind(case_id)
            .execute(&mut *w.tx)
            .await?;
        }
        w.commit().await?;
        Ok(id)
    }

    /// The rankings a bureau published, newest month first.
    pub async fn rankings_of(&self, unit_id: UnitId, limit: i64) -> Result<Vec<RankingRow>> {
        let rows = sqlx::query(
            "SELECT r.id, r.unit_id, r.month, r.weights, r.min_cases, r.created_at, u.display_name AS created_by FROM rankings r \
             LEFT JOIN users u ON u.id = r.created_by WHERE r.unit_id = $1 ORDER BY r.month DESC LIMIT $2",
        )
        .bind(unit_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(ranking_row).collect()
    }

    pub async fn ranking(&self, id: i64) -> Result<Option<RankingRow>> {
        let row = sqlx::query(
            "SELECT r.id, r.unit_id, r.month, r.weights, r.min_cases, r.created_at, u.display_name AS created_by FROM rankings r \
             LEFT JOIN users u ON u.id = r.created_by WHERE r.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(ranking_row).transpose()
    }

    /// The ranking a bureau published for a month, if any.
    pub async fn ranking_for(&self, unit_id: UnitId, month: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM rankings WHERE unit_id = $1 AND month = $2")
            .bind(unit_id)
            .bind(month.to_string())
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A ranking's rows in order, with letters and rectification state.
    pub async fn ranking_entries(&self, ranking_id: i64) -> Result<Vec<RankingEntryRow>> {
        let rows = sqlx::query(
            "SELECT e.position, e.area, e.area_name, e.unit_id, e.score, e.rank_no, e.warning, e.unranked, e.metrics, e.letter_id, d.doc_number, \
                    e.case_id, c.rectify_by, c.replied_at, c.closed_at \
             FROM ranking_entries e LEFT JOIN unit_documents d ON d.id = e.letter_id LEFT JOIN supervision_cases c ON c.id = e.case_id \
             WHERE e.ranking_id = $1 ORDER BY e.position",
        )
        .bind(ranking_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let metrics = serde_json::from_str(&r.s("metrics")?).map_err(|e| StoreError::Corrupt(format!("ranking metrics: {e}")))?;
                Ok(RankingEntryRow {
                    position: r.i("position")?,
                    area: r.s("area")?,
                    area_name: r.s("area_name")?,
                    unit_id: r.i("unit_id")?,
                    score: r.os("score")?.and_then(|s| s.parse().ok()),
                    rank: r.oi("rank_no")?,
                    warning: r.os("warning")?,
                    unranked: r.os("unranked")?,
                    metrics,
                    letter_id: r.oi("letter_id")?,
                    letter_number: r.os("doc_number")?,
                    case_id: r.oi("case_id")?,
                    rectify_by: r.os("rectify_by")?.map(|s| parse_date(&s)).transpose()?,
                    replied_at: r.os("replied_at")?,
                    closed_at: r.os("closed_at")?,
                })
            })
            .collect()
    }

    /// One unit letter with its fields.
    pub async fn unit_document(&self, id: i64) -> Result<Option<(UnitDocumentRow, Value)>> {
        let row = sqlx::query(AssertSqlSafe(format!("SELECT {UNIT_DOC_COLUMNS}, data FROM unit_documents WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = row else { return Ok(None) };
        let data = serde_json::from_str(&r.s("data")?).map_err(|e| StoreError::Corrupt(format!("unit document {id}: {e}")))?;
        Ok(Some((unit_document_row(&r)?, data)))
    }

    /// Record the rendered PDF of unit letter `id` once (false if it had one).
    pub async fn set_unit_document_pdf(&self, id: i64, sha256: &str, size: i64) -> Result<bool> {
        let mac = self.mac("unit-document-pdf", &format!("unit-document-pdf\n{id}\n{sha256}"));
        record_pdf_once(self, "unit_documents", id, sha256, size, mac).await
    }
}

fn ranking_row(r: &sqlx::any::AnyRow) -> Result<RankingRow> {
    Ok(RankingRow {
        id: r.i("id")?,
        unit_id: r.i("unit_id")?,
        month: r.s("month")?,
        weights: r.s("weights")?,
        min_cases: r.i("min_cases")?,
        created_at: parse_instant(&r.s("created_at")?)?,
        created_by: r.os("created_by")?,
    })
}
