//! Letters issued on a petition (issue 11). A letter's row is written in
//! the act's transaction with the fields it was filled with and its 文号;
//! a `render_document` job turns those fields into a PDF, which goes to
//! the object store under its SHA-256 and is recorded on the row once.
//! Nothing later changes a rendered letter: `set_document_pdf` writes only
//! where no PDF is recorded yet.

use crate::db::{Result, RowExt, Store, StoreError, WriteTx, fmt_date, fmt_instant, parse_date, parse_instant};
use crate::queue::{NewJob, enqueue_in};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::{Value, json};
use xinfang_domain::letters::{LetterDraft, LetterKind};
use xinfang_domain::unit::UnitId;

/// The job kind that renders a letter.
pub const RENDER_DOCUMENT: &str = "render_document";

/// A letter as listed on the petition.
#[derive(Debug, Clone)]
pub struct DocumentRow {
    pub id: i64,
    pub petition_id: i64,
    pub event_seq: i64,
    pub kind: String,
    pub title: String,
    pub doc_number: String,
    pub issued_on: NaiveDate,
    pub to_petitioner: bool,
    pub issuer_unit_id: UnitId,
    /// None until rendered.
    pub sha256: Option<String>,
    pub size: Option<i64>,
    pub rendered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "id, petition_id, event_seq, kind, title, doc_number, issued_on, to_petitioner, issuer_unit_id, sha256, size, rendered_at, created_at";

/// The 文号 of the `n`th letter of its kind from a unit in `year`:
/// the issuer's name, the kind's character, the year in 〔〕 and the
/// number (GB/T 9704 7.2.4 writes 机关代字〔年份〕序号号).
pub fn doc_number(issuer: &str, kind: LetterKind, year: i32, n: i64) -> String {
    format!("{issuer}{}〔{year}〕{n}号", kind.abbr())
}

/// The next 文号 of `kind` from unit `issuer` (named `issuer_name`) in the
/// year of `on`, taken inside the writing transaction: one sequence per
/// unit, kind and year, whether the letter is about a petition or a unit.
pub(crate) async fn next_doc_number_in(
    w: &mut WriteTx<'_>,
    issuer: UnitId,
    issuer_name: &str,
    kind: LetterKind,
    on: NaiveDate,
) -> Result<String> {
    let year = on.year();
    let n: i64 = sqlx::query_scalar(
        "INSERT INTO doc_numbers (unit_id, kind, year, last_no) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (unit_id, kind, year) DO UPDATE SET last_no = doc_numbers.last_no + 1 RETURNING last_no",
    )
    .bind(issuer)
    .bind(kind.as_str())
    .bind(i64::from(year))
    .fetch_one(&mut *w.tx)
    .await?;
    Ok(doc_number(issuer_name, kind, year, n))
}

/// Write the letters of an act (event `seq` of `petition_id`, whose public
/// number is `number`) inside its transaction: number each, fix its fields
/// and queue its rendering.
pub(crate) async fn issue_in(
    store: &Store,
    w: &mut WriteTx<'_>,
    petition_id: i64,
    number: &str,
    seq: i64,
    letters: &[LetterDraft],
) -> Result<()> {
    let now = fmt_instant(Utc::now());
    for l in letters {
        let issuer = l.data.get("issuer").and_then(Value::as_str).unwrap_or_default();
        let doc_no = next_doc_number_in(w, l.issuer, issuer, l.kind, l.issued_on).await?;
        let mut data = l.data.clone();
        if let Value::Object(m) = &mut data {
            m.insert("doc_number".into(), json!(doc_no));
            m.insert("petition_number".into(), json!(number));
        }
        let data = data.to_string();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO documents (petition_id, event_seq, kind, title, doc_number, issued_on, to_petitioner, issuer_unit_id, data, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(petition_id)
        .bind(seq)
        .bind(l.kind.as_str())
        .bind(l.kind.title())
        .bind(doc_no.clone())
        .bind(fmt_date(l.issued_on))
        .bind(i64::from(l.kind.to_petitioner()))
        .bind(l.issuer)
        .bind(data.clone())
        .bind(now.clone())
        .fetch_one(&mut *w.tx)
        .await?;
        // Anchored like attachments: a letter's fields cannot be changed
        // afterwards without the key (`xinfang verify`).
        let text = crate::anchor::document_text(number, id, l.kind.as_str(), &doc_no, &fmt_date(l.issued_on), &data);
        sqlx::query("UPDATE documents SET mac = $1 WHERE id = $2").bind(store.mac("document", &text)).bind(id).execute(&mut *w.tx).await?;
        enqueue_in(w, &NewJob::now(RENDER_DOCUMENT, format!("document:{id}"), json!({"document_id": id})).for_petition(petition_id))
            .await?;
    }
    Ok(())
}

impl Store {
    /// The letters of a petition, oldest first.
    pub async fn documents_of(&self, petition_id: i64) -> Result<Vec<DocumentRow>> {
        documents_of_on(&mut *self.pool.acquire().await?, petition_id).await
    }

    /// One letter with the fields it was filled with.
    pub async fn document(&self, id: i64) -> Result<Option<(DocumentRow, Value)>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS}, data FROM documents WHERE id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = row else { return Ok(None) };
        let data = serde_json::from_str(&r.s("data")?).map_err(|e| StoreError::Corrupt(format!("document {id}: {e}")))?;
        Ok(Some((document_row(&r)?, data)))
    }

    /// Record the rendered PDF of letter `id` (already in the object store
    /// under `sha256`). Written once: false if it had one already (the
    /// caller then serves the recorded one).
    pub async fn set_document_pdf(&self, id: i64, sha256: &str, size: i64) -> Result<bool> {
        let mac = self.mac("document-pdf", &crate::anchor::document_pdf_text(id, sha256));
        record_pdf_once(self, "documents", id, sha256, size, mac).await
    }
}

/// Record the rendered PDF of row `id` of a letters table (`documents`,
/// `unit_documents`) with its MAC, once: false if it had one already.
pub(crate) async fn record_pdf_once(store: &Store, table: &str, id: i64, sha256: &str, size: i64, pdf_mac: Option<String>) -> Result<bool> {
    let mut w = store.begin_write().await?;
    let sql = format!("UPDATE {table} SET sha256 = $1, size = $2, rendered_at = $3, pdf_mac = $4 WHERE id = $5 AND sha256 IS NULL");
    let n = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(sha256.to_string())
        .bind(size)
        .bind(fmt_instant(Utc::now()))
        .bind(pdf_mac)
        .bind(id)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
    w.commit().await?;
    Ok(n == 1)
}

fn document_row(r: &sqlx::any::AnyRow) -> Result<DocumentRow> {
    Ok(DocumentRow {
        id: r.i("id")?,
        petition_id: r.i("petition_id")?,
        event_seq: r.i("event_seq")?,
        kind: r.s("kind")?,
        title: r.s("title")?,
        doc_number: r.s("doc_number")?,
        issued_on: parse_date(&r.s("issued_on")?)?,
        to_petitioner: r.b("to_petitioner")?,
        issuer_unit_id: r.i("issuer_unit_id")?,
        sha256: r.os("sha256")?,
        size: r.oi("size")?,
        rendered_at: r.os("rendered_at")?.as_deref().map(parse_instant).transpose()?,
        created_at: parse_instant(&r.s("created_at")?)?,
    })
}

/// `Store::documents_of` on a connection already held.
pub(crate) async fn documents_of_on(c: &mut sqlx::AnyConnection, petition_id: i64) -> Result<Vec<DocumentRow>> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM documents WHERE petition_id = $1 ORDER BY id")))
        .bind(petition_id)
        .fetch_all(c)
        .await?;
    rows.iter().map(document_row).collect()
}
