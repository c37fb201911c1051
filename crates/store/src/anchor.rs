//! Anchoring the record, so that `verify` sees more than a broken link.
//!
//! * Each event's SM3 hash binds a digest of the petition record as it
//!   stands after the event (`record_digest`): title, content, request,
//!   facts and reasons, category, channel, state, the case, the other
//!   particulars, every petitioner (ciphertexts and keyed hashes) and every
//!   attachment (name, type, size, SHA-256). Changing any of them later no
//!   longer matches the latest event.
//! * An HMAC-SM3 key from the key file (not in the database) MACs every
//!   event, every access-log entry, every chain head, the count of
//!   petitions and every attachment row. Whoever rewrites an event and
//!   recomputes the SM3 chain, cuts the last events and fixes the head, or
//!   deletes a petition with all its rows, cannot recompute these.
//! * Signed checkpoints of all heads go to a table and to a file beside the
//!   database; `verify` compares the database with the newest one, so a
//!   rollback to an older, internally consistent state is seen as well.

use crate::audit::{ACCESS_CHAIN, ChainBreak, access_canonical};
use crate::db::{Result, RowExt, Store, StoreError, fmt_instant};
use crate::heads::{HeadList, HeadListBuilder, hash_prefix};
use crate::petitions::EventHashInput;
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use sqlx::AssertSqlSafe;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use xinfang_crypto::{CHAIN_GENESIS, chain_hash, sm3_hex};

/// `chain_heads` row counting petitions (seq = count, hash = last number).
pub(crate) const PETITIONS_HEAD: &str = "petitions";
/// Checkpoints kept in the table (the file holds the newest).
const KEEP_CHECKPOINTS: i64 = 10;

/// What a MAC covers for one link of a chain (event, head, entry).
pub(crate) fn link_text(name: &str, seq: i64, hash: &str) -> String {
    format!("{name}\u{1f}{seq}\u{1f}{hash}")
}

pub(crate) fn attachment_text(number: &str, id: i64, filename: &str, content_type: &str, size: i64, sha256: &str) -> String {
    format!("{number}\u{1f}{id}\u{1f}{filename}\u{1f}{content_type}\u{1f}{size}\u{1f}{sha256}")
}

/// What a letter's MAC covers: where it belongs, what it is, and its fields
/// as issued (their SHA-256).
pub(crate) fn document_text(number: &str, id: i64, kind: &str, doc_number: &str, issued_on: &str, data: &str) -> String {
    format!("{number}\u{1f}{id}\u{1f}{kind}\u{1f}{doc_number}\u{1f}{issued_on}\u{1f}{}", hex::encode(Sha256::digest(data.as_bytes())))
}

/// What a rendered letter's second MAC covers: the letter and its PDF.
pub(crate) fn document_pdf_text(id: i64, sha256: &str) -> String {
    format!("{id}\u{1f}{sha256}")
}

/// The record of one petition as stored now, field by field.
pub(crate) struct RecordNow {
    /// Field name ("title", "petitioner 1", "attachment 7", …) → canonical JSON.
    pub fields: BTreeMap<String, String>,
    /// Attachment field name → (MAC text, stored MAC).
    pub attachment_macs: BTreeMap<String, (String, Option<String>)>,
}

/// Read the record of a petition on `conn` (inside the writing
/// transaction, so it is the record as it stands after the event).
pub(crate) async fn record_now(conn: &mut AnyConnection, petition_id: i64) -> Result<RecordNow> {
    let r = sqlx::query(
        "SELECT number, title, content, request, facts_and_reasons, category, channel, state, case_json, query_code_hash, litigation_related, topic, jurisdiction, collective, headcount, anonymous, confidential, accused_name, accused_unit, accused_position, registered_unit_id, current_unit_id, handling_unit_id, received_on, registered_at, repeat_of, source_key_id FROM petitions WHERE id = $1",
    )
    .bind(petition_id)
    .fetch_one(&mut *conn)
    .await?;
    let number = r.s("number")?;
    let mut fields = BTreeMap::new();
    for col in ["title", "content", "request", "facts_and_reasons", "category", "channel", "state"] {
        fields.insert(col.to_string(), json!(r.s(col)?).to_string());
    }
    fields.insert("case".into(), json!(r.s("case_json")?).to_string());
    fields.insert(
        "particulars".into(),
        json!([
            number,
            r.s("query_code_hash")?,
            r.i("litigation_related")?,
            r.os("topic")?,
            r.s("jurisdiction")?,
            r.i("collective")?,
            r.i("headcount")?,
            r.i("anonymous")?,
            r.i("confidential")?,
            r.os("accused_name")?,
            r.os("accused_unit")?,
            r.os("accused_position")?,
            r.i("registered_unit_id")?,
            r.i("current_unit_id")?,
            r.oi("handling_unit_id")?,
            r.s("received_on")?,
            r.s("registered_at")?,
            r.os("repeat_of")?,
            r.oi("source_key_id")?
        ])
        .to_string(),
    );
    let people = sqlx::query(
        "SELECT position, kind, name, id_number, phone, address, id_hash, phone_hash, representative FROM petitioners WHERE petition_id = $1 ORDER BY position",
    )
    .bind(petition_id)
    .fetch_all(&mut *conn)
    .await?;
    for p in &people {
        fields.insert(
            format!("petitioner {}", p.i("position")? + 1),
            json!([
                p.s("kind")?,
                p.s("name")?,
                p.os("id_number")?,
                p.os("phone")?,
                p.os("address")?,
                p.os("id_hash")?,
                p.os("phone_hash")?,
                p.i("representative")?
            ])
            .to_string(),
        );
    }
    let files = sqlx::query("SELECT id, filename, content_type, size, sha256, mac FROM attachments WHERE petition_id = $1 ORDER BY id")
        .bind(petition_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut attachment_macs = BTreeMap::new();
    for a in &files {
        let (id, filename, content_type, size, sha256) = (a.i("id")?, a.s("filename")?, a.s("content_type")?, a.i("size")?, a.s("sha256")?);
        let key = format!("attachment {id}");
        fields.insert(key.clone(), json!([filename, content_type, size, sha256]).to_string());
        attachment_macs.insert(key, (attachment_text(&number, id, &filename, &content_type, size, &sha256), a.os("mac")?));
    }
    Ok(RecordNow { fields, attachment_macs })
}

/// The digest an event carries: SM3 of the whole record, and a short SM3
/// of each field so that `verify` can name what changed (the whole-record
/// digest is what the chain relies on).
pub(crate) fn record_digest(fields: &BTreeMap<String, String>) -> String {
    let short: BTreeMap<&str, String> = fields.iter().map(|(k, v)| (k.as_str(), sm3_hex(v.as_bytes())[..16].to_string())).collect();
    json!({"all": whole_digest(fields), "fields": short}).to_string()
}

fn whole_digest(fields: &BTreeMap<String, String>) -> String {
    sm3_hex(json!(fields).to_string().as_bytes())
}

/// Signed summary of every chain head at one moment. The signed body
/// names the heads by their SHA-256; the heads themselves (`HeadList`,
/// compact) are stored beside it, in the table's `heads` column and on
/// the file's second line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub seq: i64,
    pub taken_at: String,
    /// How many petitions existed.
    pub petitions: i64,
    /// Access-log head: (seq, hash).
    pub access_log: (i64, String),
    /// Every petition's number, last event seq and hash prefix.
    pub heads: HeadList,
}

/// What the MAC of a checkpoint covers. Checkpoints written before the
/// compact heads carried the heads in the body (`heads_map`); they are
/// still read.
#[derive(Serialize, Deserialize)]
struct CheckpointBody {
    seq: i64,
    taken_at: String,
    petitions: i64,
    access_log: (i64, String),
    #[serde(default, skip_serializing_if = "Option::is_none")]
    heads_sha256: Option<String>,
    #[serde(default, rename = "heads", skip_serializing_if = "Option::is_none")]
    heads_map: Option<BTreeMap<String, (i64, String)>>,
}

impl CheckpointBody {
    /// The checkpoint, with its heads from the body (older format) or from
    /// `heads` (checked against the signed SHA-256).
    fn into_checkpoint(self, heads: Option<HeadList>) -> std::result::Result<Checkpoint, String> {
        let heads = match (self.heads_map, &self.heads_sha256, heads) {
            (Some(map), _, _) => {
                HeadList::from_unsorted(map.into_iter().map(|(n, (s, h))| (n, s, h)).collect()).map_err(|e| e.to_string())?
            }
            (None, Some(sha), Some(list)) if list.sha256() == *sha => list,
            (None, Some(_), Some(_)) => return Err("its heads do not match the signed checkpoint".into()),
            (None, _, _) => return Err("its heads are missing".into()),
        };
        Ok(Checkpoint { seq: self.seq, taken_at: self.taken_at, petitions: self.petitions, access_log: self.access_log, heads })
    }
}

#[derive(Serialize, Deserialize)]
struct SignedCheckpoint {
    body: String,
    mac: String,
}

/// The outcome of `verify_record`.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// Every finding, each naming what changed.
    pub breaks: Vec<ChainBreak>,
    /// Whether MACs and checkpoint signatures were checked (key present).
    pub authenticated: bool,
    /// The checkpoint compared against, if any.
    pub checkpoint: Option<i64>,
}

struct Head {
    number: String,
    seq: i64,
    hash: String,
    mac: Option<String>,
}

/// One petition's walk through its events.
struct Walk {
    pid: i64,
    seq: i64,
    hash: String,
    broken: bool,
    digest: Option<String>,
}

fn brk(chain: &str, petition: Option<&str>, seq: i64, what: impl Into<String>, problem: impl Into<String>) -> ChainBreak {
    ChainBreak { chain: chain.into(), petition: petition.map(String::from), seq, what: what.into(), problem: problem.into() }
}

impl Store {
    /// MAC the heads written before anchoring existed (a database upgraded
    /// to migration 6), once: only while the petitions counter is missing
    /// and no checkpoint was ever taken. Returns whether it did.
    pub async fn adopt_unanchored(&self) -> Result<bool> {
        if self.anchor.is_none() {
            return Ok(false);
        }
        let mut w = self.begin_write().await?;
        let counter: Option<i64> =
            sqlx::query_scalar("SELECT seq FROM chain_heads WHERE name = $1").bind(PETITIONS_HEAD).fetch_optional(&mut *w.tx).await?;
        let checkpoints: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM checkpoints").fetch_one(&mut *w.tx).await?;
        if counter.is_some() || checkpoints > 0 {
            return Ok(false);
        }
        let events: Vec<(i64, String)> =
            sqlx::query("SELECT e.id, p.number, e.seq, e.hash FROM events e JOIN petitions p ON p.id = e.petition_id WHERE e.mac IS NULL")
                .fetch_all(&mut *w.tx)
                .await?
                .iter()
                .map(|r| Ok((r.i("id")?, self.mac("event", &link_text(&r.s("number")?, r.i("seq")?, &r.s("hash")?)).unwrap_or_default())))
                .collect::<Result<_>>()?;
        for (id, mac) in events {
            sqlx::query("UPDATE events SET mac = $1 WHERE id = $2").bind(mac).bind(id).execute(&mut *w.tx).await?;
        }
        let heads: Vec<(i64, String)> =
            sqlx::query("SELECT id, number, event_seq, event_head_hash FROM petitions WHERE event_head_mac IS NULL")
                .fetch_all(&mut *w.tx)
                .await?
                .iter()
                .map(|r| {
                    Ok((
                        r.i("id")?,
                        self.mac("head", &link_text(&r.s("number")?, r.i("event_seq")?, &r.s("event_head_hash")?)).unwrap_or_default(),
                    ))
                })
                .collect::<Result<_>>()?;
        for (id, mac) in heads {
            sqlx::query("UPDATE petitions SET event_head_mac = $1 WHERE id = $2").bind(mac).bind(id).execute(&mut *w.tx).await?;
        }
        let entries: Vec<(i64, String)> = sqlx::query("SELECT seq, hash FROM access_log WHERE mac IS NULL")
            .fetch_all(&mut *w.tx)
            .await?
            .iter()
            .map(|r| {
                let seq = r.i("seq")?;
                Ok((seq, self.mac("access", &link_text(ACCESS_CHAIN, seq, &r.s("hash")?)).unwrap_or_default()))
            })
            .collect::<Result<_>>()?;
        for (seq, mac) in entries {
            sqlx::query("UPDATE access_log SET mac = $1 WHERE seq = $2").bind(mac).bind(seq).execute(&mut *w.tx).await?;
        }
        if let Some(r) =
            sqlx::query("SELECT seq, hash FROM chain_heads WHERE name = $1").bind(ACCESS_CHAIN).fetch_optional(&mut *w.tx).await?
        {
            let mac = self.mac("access-head", &link_text(ACCESS_CHAIN, r.i("seq")?, &r.s("hash")?));
            sqlx::query("UPDATE chain_heads SET mac = $1 WHERE name = $2").bind(mac).bind(ACCESS_CHAIN).execute(&mut *w.tx).await?;
        }
        let files: Vec<(i64, String)> = sqlx::query(
            "SELECT a.id, p.number, a.filename, a.content_type, a.size, a.sha256 FROM attachments a JOIN petitions p ON p.id = a.petition_id WHERE a.mac IS NULL",
        )
        .fetch_all(&mut *w.tx)
        .await?
        .iter()
        .map(|r| {
            let id = r.i("id")?;
            let text = attachment_text(&r.s("number")?, id, &r.s("filename")?, &r.s("content_type")?, r.i("size")?, &r.s("sha256")?);
            Ok((id, self.mac("attachment", &text).unwrap_or_default()))
        })
        .collect::<Result<_>>()?;
        for (id, mac) in files {
            sqlx::query("UPDATE attachments SET mac = $1 WHERE id = $2").bind(mac).bind(id).execute(&mut *w.tx).await?;
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM petitions").fetch_one(&mut *w.tx).await?;
        let last: Option<String> =
            sqlx::query_scalar("SELECT number FROM petitions ORDER BY id DESC LIMIT 1").fetch_optional(&mut *w.tx).await?;
        let last = last.unwrap_or_default();
        sqlx::query("INSERT INTO chain_heads (name, seq, hash, mac) VALUES ($1, $2, $3, $4)")
            .bind(PETITIONS_HEAD)
            .bind(count)
            .bind(last.clone())
            .bind(self.mac("petitions", &link_text(PETITIONS_HEAD, count, &last)))
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(true)
    }

    /// Count a new petition in the MAC'd counter (same transaction as the
    /// insert). Without the counter row (a store never anchored) nothing
    /// is counted and `verify` reports the counter missing.
    pub(crate) async fn count_petition(&self, w: &mut crate::db::WriteTx<'_>, number: &str) -> Result<()> {
        let count: Option<i64> = sqlx::query_scalar("UPDATE chain_heads SET seq = seq + 1, hash = $1 WHERE name = $2 RETURNING seq")
            .bind(number.to_string())
            .bind(PETITIONS_HEAD)
            .fetch_optional(&mut *w.tx)
            .await?;
        if let Some(count) = count {
            sqlx::query("UPDATE chain_heads SET mac = $1 WHERE name = $2")
                .bind(self.mac("petitions", &link_text(PETITIONS_HEAD, count, number)))
                .bind(PETITIONS_HEAD)
                .execute(&mut *w.tx)
                .await?;
        }
        Ok(())
    }

    /// The newest checkpoint of the table and of the file; signatures are
    /// checked when the key is held. Disagreements become findings. The
    /// file's heads are only hashed (streamed) unless the file is the one
    /// used, so a scheduled checkpoint holds one list of heads in memory.
    async fn latest_checkpoint(&self, file: Option<&Path>, breaks: &mut Vec<ChainBreak>) -> Result<Option<Checkpoint>> {
        let signed_body = |signed: &SignedCheckpoint, whence: &str, breaks: &mut Vec<ChainBreak>| -> Option<CheckpointBody> {
            if let Some(expected) = self.mac("checkpoint", &signed.body)
                && expected != signed.mac
            {
                breaks.push(brk("checkpoints", None, 0, whence, "checkpoint signature does not match (forged or altered)"));
                return None;
            }
            match serde_json::from_str::<CheckpointBody>(&signed.body) {
                Ok(b) => Some(b),
                Err(e) => {
                    breaks.push(brk("checkpoints", None, 0, whence, format!("checkpoint unreadable: {e}")));
                    None
                }
            }
        };
        let into = |body: CheckpointBody, heads: Option<Vec<u8>>, whence: &str, breaks: &mut Vec<ChainBreak>| -> Option<Checkpoint> {
            match heads.map(HeadList::from_bytes).transpose().map_err(|e| e.to_string()).and_then(|h| body.into_checkpoint(h)) {
                Ok(c) => Some(c),
                Err(e) => {
                    breaks.push(brk("checkpoints", None, 0, whence, format!("checkpoint unreadable: {e}")));
                    None
                }
            }
        };
        let row = sqlx::query("SELECT body, mac, heads FROM checkpoints ORDER BY seq DESC LIMIT 1").fetch_optional(&self.pool).await?;
        let table = match row {
            Some(r) => {
                let signed = SignedCheckpoint { body: r.s("body")?, mac: r.s("mac")? };
                let heads: Option<Vec<u8>> = r.try_get("heads")?;
                signed_body(&signed, "table", breaks).map(|b| (signed, b, heads))
            }
            None => None,
        };
        let from_file = match file {
            Some(path) if path.exists() => match read_checkpoint_header(path) {
                Ok((signed, heads_sha)) => signed_body(&signed, "file", breaks).and_then(|b| match (&b.heads_sha256, heads_sha) {
                    (Some(want), Some(got)) if *want != got => {
                        breaks.push(brk("checkpoints", None, b.seq, "file", "the heads in the checkpoint file do not match its signature"));
                        None
                    }
                    _ => Some((signed, b, path)),
                }),
                Err(e) => {
                    breaks.push(brk("checkpoints", None, 0, "file", format!("{}: {e}", path.display())));
                    None
                }
            },
            _ => None,
        };
        let file_heads = |path: &Path, breaks: &mut Vec<ChainBreak>| match read_checkpoint_heads(path) {
            Ok(h) => h,
            Err(e) => {
                breaks.push(brk("checkpoints", None, 0, "file", format!("{}: {e}", path.display())));
                None
            }
        };
        Ok(match (table, from_file) {
            (Some((_, t, _)), Some((_, f, path))) if f.seq > t.seq => {
                breaks.push(brk(
                    "checkpoints",
                    None,
                    f.seq,
                    "table",
                    format!("checkpoint {} in the file is missing from the database (newest there: {})", f.seq, t.seq),
                ));
                let heads = file_heads(path, breaks);
                into(f, heads, "file", breaks)
            }
            (Some((ts, t, _)), Some((fs, f, path))) if f.seq == t.seq && (fs.body != ts.body || fs.mac != ts.mac) => {
                breaks.push(brk("checkpoints", None, f.seq, "table", format!("checkpoint {} differs between file and database", f.seq)));
                let heads = file_heads(path, breaks);
                into(f, heads, "file", breaks)
            }
            (Some((_, t, heads)), _) => into(t, heads, "table", breaks),
            (None, Some((_, f, path))) => {
                breaks.push(brk(
                    "checkpoints",
                    None,
                    f.seq,
                    "table",
                    format!("checkpoint {} in the file is missing from the database (no checkpoint there)", f.seq),
                ));
                let heads = file_heads(path, breaks);
                into(f, heads, "file", breaks)
            }
            (None, None) => None,
        })
    }

    /// Take a signed checkpoint of every head, into the table and (if
    /// given) the file. Refused — nothing is blessed — when a head's MAC
    /// does not match, the petition count is off, or anything went
    /// backwards since the previous checkpoint.
    pub async fn take_checkpoint(&self, file: Option<&Path>) -> Result<Checkpoint> {
        // Two takers at once (the scheduled job on one node, `verify` or a
        // job on another) both number theirs after the same previous one;
        // the second insert then meets the first's number. It simply takes
        // the next one.
        let mut tries = 0;
        loop {
            match self.take_checkpoint_once(file).await {
                Err(StoreError::Db(sqlx::Error::Database(e))) if e.is_unique_violation() && tries < 5 => tries += 1,
                other => return other,
            }
        }
    }

    async fn take_checkpoint_once(&self, file: Option<&Path>) -> Result<Checkpoint> {
        if self.anchor.is_none() {
            return Err(StoreError::Corrupt("a checkpoint needs the key file".into()));
        }
        let mut problems = Vec::new();
        let previous = self.latest_checkpoint(file, &mut problems).await?;
        if let Some(p) = problems.first() {
            return Err(StoreError::Corrupt(format!("checkpoint refused: {p}")));
        }
        // The heads, the access-log head and the petition counter from one
        // snapshot of a read transaction — not under the write gate: at
        // 1,000,000 petitions the read takes seconds, and every write
        // (a login, a submission) would wait for it.
        let mut tx = self.pool.begin().await?;
        if self.dialect == crate::db::Dialect::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
        }
        // In number order (byte order on both engines), streamed, compared
        // with the previous checkpoint's heads in the same pass.
        let order = if self.dialect == crate::db::Dialect::Postgres { "number COLLATE \"C\"" } else { "number" };
        let mut builder = HeadListBuilder::default();
        let mut before = previous.as_ref().map(|p| p.heads.iter().peekable());
        let went_back = |number: &str| {
            StoreError::Corrupt(format!(
                "checkpoint refused: petition {number} lost events or disappeared since checkpoint {}",
                previous.as_ref().map_or(0, |p| p.seq)
            ))
        };
        {
            let mut rows = sqlx::query(AssertSqlSafe(format!(
                "SELECT number, event_seq, event_head_hash, event_head_mac FROM petitions ORDER BY {order}"
            )))
            .fetch(&mut *tx);
            while let Some(r) = rows.try_next().await? {
                let (number, seq, hash) = (r.s("number")?, r.i("event_seq")?, r.s("event_head_hash")?);
                if self.mac("head", &link_text(&number, seq, &hash)) != r.os("event_head_mac")? {
                    return Err(StoreError::Corrupt(format!("checkpoint refused: the head of petition {number} is not authenticated")));
                }
                if let Some(prev) = before.as_mut() {
                    while let Some(e) = prev.next_if(|e| e.as_ref().map_or(true, |e| e.number.as_bytes() <= number.as_bytes())) {
                        let e = e?;
                        if e.number != number || e.seq > seq {
                            return Err(went_back(&e.number));
                        }
                    }
                }
                builder.push(&number, seq, &hash)?;
            }
        }
        if let Some(e) = before.as_mut().and_then(Iterator::next) {
            return Err(went_back(&e?.number));
        }
        drop(before);
        let heads = builder.finish();
        let access =
            sqlx::query("SELECT seq, hash, mac FROM chain_heads WHERE name = $1").bind(ACCESS_CHAIN).fetch_optional(&mut *tx).await?;
        let access_log = match access {
            Some(r) => {
                let (seq, hash) = (r.i("seq")?, r.s("hash")?);
                if self.mac("access-head", &link_text(ACCESS_CHAIN, seq, &hash)) != r.os("mac")? {
                    return Err(StoreError::Corrupt("checkpoint refused: the access-log head is not authenticated".into()));
                }
                (seq, hash)
            }
            None => (0, CHAIN_GENESIS.to_string()),
        };
        let counter =
            sqlx::query("SELECT seq, hash, mac FROM chain_heads WHERE name = $1").bind(PETITIONS_HEAD).fetch_optional(&mut *tx).await?;
        let counted = match counter {
            Some(r) if self.mac("petitions", &link_text(PETITIONS_HEAD, r.i("seq")?, &r.s("hash")?)) == r.os("mac")? => r.i("seq")?,
            _ => return Err(StoreError::Corrupt("checkpoint refused: the petition counter is missing or not authenticated".into())),
        };
        tx.commit().await?;
        let petitions = heads.len() as i64;
        if petitions != counted {
            return Err(StoreError::Corrupt(format!("checkpoint refused: {petitions} petitions stored, {counted} registered")));
        }
        if let Some(p) = &previous
            && (access_log.0 < p.access_log.0 || petitions < p.petitions)
        {
            return Err(StoreError::Corrupt(format!("checkpoint refused: the record went back since checkpoint {}", p.seq)));
        }
        drop(previous);
        let mut w = self.begin_write().await?;
        let table_max: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM checkpoints").fetch_one(&mut *w.tx).await?;
        let seq = table_max.unwrap_or(0) + 1;
        let taken_at = fmt_instant(chrono::Utc::now());
        let body = serde_json::to_string(&CheckpointBody {
            seq,
            taken_at: taken_at.clone(),
            petitions,
            access_log: access_log.clone(),
            heads_sha256: Some(heads.sha256()),
            heads_map: None,
        })
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mac = self.mac("checkpoint", &body).unwrap_or_default();
        sqlx::query("INSERT INTO checkpoints (seq, taken_at, body, mac, heads) VALUES ($1, $2, $3, $4, $5)")
            .bind(seq)
            .bind(taken_at.clone())
            .bind(body.clone())
            .bind(mac.clone())
            .bind(heads.as_bytes().to_vec())
            .execute(&mut *w.tx)
            .await?;
        sqlx::query("DELETE FROM checkpoints WHERE seq <= $1").bind(seq - KEEP_CHECKPOINTS).execute(&mut *w.tx).await?;
        w.commit().await?;
        if let Some(path) = file {
            write_checkpoint_file(path, &SignedCheckpoint { body, mac }, &heads)
                .map_err(|e| StoreError::Corrupt(format!("checkpoint file {}: {e}", path.display())))?;
        }
        Ok(Checkpoint { seq, taken_at, petitions, access_log, heads })
    }

    /// Every hash chain (backward compatible name): `verify_record`
    /// without a checkpoint file.
    pub async fn verify_chains(&self) -> Result<Vec<ChainBreak>> {
        Ok(self.verify_record(None).await?.breaks)
    }

    /// Check the whole record: every event chain and the record its latest
    /// event rests on, attachment contents against their SHA-256, the
    /// access log, the MACs (with the key), the petition count, and the
    /// newest checkpoint (table and `checkpoint_file`). Each finding names
    /// the petition and the field, event or entry.
    pub async fn verify_record(&self, checkpoint_file: Option<&Path>) -> Result<Verification> {
        let mut breaks = Vec::new();
        let checkpoint = self.latest_checkpoint(checkpoint_file, &mut breaks).await?;
        let cp_heads: HashMap<String, (i64, [u8; crate::heads::HASH_BYTES])> = match &checkpoint {
            Some(c) => c.heads.iter().map(|e| e.map(|e| (e.number, (e.seq, e.hash)))).collect::<Result<_>>()?,
            None => HashMap::new(),
        };
        let heads: HashMap<i64, Head> = sqlx::query("SELECT id, number, event_seq, event_head_hash, event_head_mac FROM petitions")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.i("id")?,
                    Head { number: r.s("number")?, seq: r.i("event_seq")?, hash: r.s("event_head_hash")?, mac: r.os("event_head_mac")? },
                ))
            })
            .collect::<Result<_>>()?;
        let number_of = |pid: i64| heads.get(&pid).map(|h| h.number.clone()).unwrap_or_else(|| format!("#{pid}"));

        let mut walks: Vec<Walk> = Vec::new();
        let mut rows = sqlx::query(AssertSqlSafe(
            "SELECT e.petition_id, e.seq, e.action, e.actor_kind, e.actor_user_id, e.actor_unit_id, e.occurred_at, e.recorded_at, e.from_state, e.to_state, e.payload, e.reason, e.record_digest, e.mac, e.prev_hash, e.hash FROM events e ORDER BY e.petition_id, e.seq",
        ))
        .fetch(&self.pool);
        while let Some(r) = rows.try_next().await? {
            let pid = r.i("petition_id")?;
            if walks.last().is_none_or(|w| w.pid != pid) {
                walks.push(Walk { pid, seq: 0, hash: CHAIN_GENESIS.to_string(), broken: false, digest: None });
            }
            let Some(w) = walks.last_mut() else { continue };
            if w.broken {
                continue;
            }
            let number = number_of(pid);
            let seq = r.i("seq")?;
            let (prev, hash) = (r.s("prev_hash")?, r.s("hash")?);
            let (action, actor_kind, occurred_at, recorded_at, to_state, payload) =
                (r.s("action")?, r.s("actor_kind")?, r.s("occurred_at")?, r.s("recorded_at")?, r.s("to_state")?, r.s("payload")?);
            let (from_state, reason, digest) = (r.os("from_state")?, r.os("reason")?, r.os("record_digest")?);
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
                record_digest: digest.as_deref(),
            };
            let mac = r.os("mac")?;
            let expected_mac = self.mac("event", &link_text(&number, seq, &hash));
            let problem = if seq != w.seq + 1 {
                Some(format!("event {seq} follows event {}", w.seq))
            } else if prev != w.hash {
                Some("link to the previous event is broken".to_string())
            } else if chain_hash(&prev, input.canonical().as_bytes()) != hash {
                Some("event content does not match its hash".to_string())
            } else if expected_mac.is_some() && mac.is_none() {
                Some("event is not anchored (written without the key)".to_string())
            } else if expected_mac.is_some() && expected_mac != mac {
                Some("event was rewritten and the chain recomputed: its HMAC anchor does not match".to_string())
            } else if let Some((cp_seq, cp_hash)) = cp_heads.get(number.as_str())
                && *cp_seq == seq
                && *cp_hash != hash_prefix(&hash)
            {
                Some(format!("event differs from checkpoint {}", checkpoint.as_ref().map_or(0, |c| c.seq)))
            } else {
                None
            };
            if let Some(problem) = problem {
                breaks.push(brk("events", Some(&number), seq, format!("event {seq}"), problem));
                w.broken = true;
                continue;
            }
            w.seq = seq;
            w.hash = hash;
            w.digest = digest;
        }
        drop(rows);

        let cp_no = checkpoint.as_ref().map_or(0, |c| c.seq);
        let mut conn = self.pool.acquire().await?;
        let mut walked = HashSet::new();
        for w in &walks {
            walked.insert(w.pid);
            let Some(head) = heads.get(&w.pid) else { continue };
            if w.broken {
                continue;
            }
            let number = head.number.as_str();
            if head.seq != w.seq || head.hash != w.hash {
                breaks.push(brk("events", Some(number), w.seq, format!("event {}", w.seq), "chain head does not match the last event"));
                continue;
            }
            if let Some(expected) = self.mac("head", &link_text(number, head.seq, &head.hash))
                && Some(&expected) != head.mac.as_ref()
            {
                breaks.push(brk(
                    "events",
                    Some(number),
                    head.seq + 1,
                    format!("event {}", head.seq + 1),
                    format!(
                        "the chain ends at event {} but that is not the head last written (HMAC): event {} onwards deleted, or the head rewritten",
                        head.seq,
                        head.seq + 1
                    ),
                ));
                continue;
            }
            if let Some((cp_seq, _)) = cp_heads.get(number)
                && *cp_seq > head.seq
            {
                breaks.push(brk(
                    "events",
                    Some(number),
                    head.seq + 1,
                    format!("event {}", head.seq + 1),
                    format!("events {}–{cp_seq} are missing (checkpoint {cp_no} saw them)", head.seq + 1),
                ));
                continue;
            }
            if let Some(stored) = &w.digest {
                self.compare_record(&mut conn, w.pid, number, head.seq, stored, &mut breaks).await?;
            }
        }
        drop(conn);
        // A petition whose every event was deleted.
        for (pid, h) in &heads {
            if h.seq > 0 && !walked.contains(pid) {
                breaks.push(brk("events", Some(&h.number), 1, "event 1", "events are missing"));
            }
        }
        // Petitions deleted with all their rows.
        let present: HashSet<&str> = heads.values().map(|h| h.number.as_str()).collect();
        for number in cp_heads.keys().filter(|n| !present.contains(n.as_str())) {
            breaks.push(brk("petitions", Some(number), 0, "petition", format!("petition missing (checkpoint {cp_no} had it)")));
        }
        self.verify_counter(heads.len() as i64, checkpoint.as_ref(), &mut breaks).await?;
        self.verify_attachment_contents(&heads, &mut breaks).await?;
        self.verify_documents(&heads, &mut breaks).await?;
        self.verify_access_log(checkpoint.as_ref(), &mut breaks).await?;
        Ok(Verification { breaks, authenticated: self.anchor.is_some(), checkpoint: checkpoint.map(|c| c.seq) })
    }

    /// Compare the record as stored now with the digest its latest event
    /// carries; name each field that differs.
    async fn compare_record(
        &self,
        conn: &mut AnyConnection,
        pid: i64,
        number: &str,
        seq: i64,
        stored: &str,
        breaks: &mut Vec<ChainBreak>,
    ) -> Result<()> {
        let Ok(stored) = serde_json::from_str::<serde_json::Value>(stored) else {
            breaks.push(brk("record", Some(number), seq, "record", "record digest unreadable"));
            return Ok(());
        };
        let mut now = record_now(conn, pid).await?;
        let then: BTreeMap<String, String> = stored["fields"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
            .unwrap_or_default();
        // A document filed after the latest event (evidence for a late
        // entry) is in no digest yet; its own MAC vouches for it.
        for (key, (text, mac)) in &now.attachment_macs {
            if then.contains_key(key) {
                continue;
            }
            match self.mac("attachment", text) {
                Some(expected) if Some(&expected) != mac.as_ref() => {
                    breaks.push(brk("record", Some(number), seq, key.clone(), "attachment added outside the record (no valid HMAC)"));
                }
                _ => {}
            }
            now.fields.remove(key);
        }
        if stored["all"].as_str() == Some(whole_digest(&now.fields).as_str()) {
            return Ok(());
        }
        let mut named = false;
        for key in then.keys().chain(now.fields.keys()).collect::<std::collections::BTreeSet<_>>() {
            let problem = match (then.get(key), now.fields.get(key)) {
                (Some(_), None) => "deleted",
                (None, Some(_)) => "added",
                (Some(a), Some(v)) if *a != sm3_hex(v.as_bytes())[..16] => "changed",
                _ => continue,
            };
            named = true;
            breaks.push(brk("record", Some(number), seq, key.clone(), format!("{problem} after event {seq}")));
        }
        if !named {
            breaks.push(brk("record", Some(number), seq, "record", format!("record changed after event {seq}")));
        }
        Ok(())
    }

    async fn verify_counter(&self, stored: i64, checkpoint: Option<&Checkpoint>, breaks: &mut Vec<ChainBreak>) -> Result<()> {
        let before = breaks.len();
        let row =
            sqlx::query("SELECT seq, hash, mac FROM chain_heads WHERE name = $1").bind(PETITIONS_HEAD).fetch_optional(&self.pool).await?;
        match row {
            None if self.anchor.is_some() => breaks.push(brk("petitions", None, 0, "count", "the petition counter is missing")),
            None => {}
            Some(r) => {
                let (count, last) = (r.i("seq")?, r.s("hash")?);
                if let Some(expected) = self.mac("petitions", &link_text(PETITIONS_HEAD, count, &last))
                    && Some(expected) != r.os("mac")?
                {
                    breaks.push(brk("petitions", None, 0, "count", "the petition counter is not authenticated (rewritten)"));
                } else if stored < count {
                    breaks.push(brk(
                        "petitions",
                        None,
                        0,
                        "count",
                        format!("{} petition(s) deleted: {count} registered, {stored} stored", count - stored),
                    ));
                } else if stored > count {
                    breaks.push(brk("petitions", None, 0, "count", format!("{} petition(s) added outside the record", stored - count)));
                }
            }
        }
        if breaks.len() == before
            && let Some(cp) = checkpoint
            && stored < cp.petitions
        {
            breaks.push(brk(
                "petitions",
                None,
                0,
                "count",
                format!("{} petition(s) missing since checkpoint {}", cp.petitions - stored, cp.seq),
            ));
        }
        Ok(())
    }

    /// Each attachment's bytes against its recorded SHA-256, re-hashed
    /// from the object store (streamed) or from a BLOB not yet migrated. A
    /// row whose content is in the object store must have an empty BLOB:
    /// bytes written there afterwards were written outside xinfang.
    async fn verify_attachment_contents(&self, heads: &HashMap<i64, Head>, breaks: &mut Vec<ChainBreak>) -> Result<()> {
        let mut files = sqlx::query("SELECT id, petition_id, sha256, in_objects, content FROM attachments ORDER BY id").fetch(&self.pool);
        while let Some(r) = files.try_next().await? {
            let (id, sha256) = (r.i("id")?, r.s("sha256")?);
            let content: Vec<u8> = sqlx::Row::try_get(&r, "content")?;
            let blob_differs = hex::encode(Sha256::digest(&content)) != sha256;
            let problem = if r.i("in_objects")? == 1 {
                match self.objects()?.rehash(&sha256).await? {
                    None => Some("content missing from the object store"),
                    Some(h) if h != sha256 => Some("content does not match its SHA-256"),
                    Some(_) if !content.is_empty() && blob_differs => Some("content does not match its SHA-256"),
                    Some(_) => None,
                }
            } else {
                blob_differs.then_some("content does not match its SHA-256")
            };
            if let Some(p) = problem {
                let number = heads.get(&r.i("petition_id")?).map(|h| h.number.clone());
                breaks.push(brk("attachments", number.as_deref(), id, format!("attachment {id}"), p));
            }
        }
        Ok(())
    }

    /// Each letter: its fields against the MAC taken when it was issued, its
    /// PDF's SHA-256 against the MAC taken when it was rendered, and the PDF
    /// in the object store against that SHA-256.
    async fn verify_documents(&self, heads: &HashMap<i64, Head>, breaks: &mut Vec<ChainBreak>) -> Result<()> {
        let mut docs =
            sqlx::query("SELECT id, petition_id, kind, doc_number, issued_on, data, sha256, mac, pdf_mac FROM documents ORDER BY id")
                .fetch(&self.pool);
        while let Some(r) = docs.try_next().await? {
            let (id, pid) = (r.i("id")?, r.i("petition_id")?);
            let number = heads.get(&pid).map(|h| h.number.clone());
            let text = document_text(
                number.as_deref().unwrap_or_default(),
                id,
                &r.s("kind")?,
                &r.s("doc_number")?,
                &r.s("issued_on")?,
                &r.s("data")?,
            );
            let what = format!("document {id}");
            if let Some(expected) = self.mac("document", &text)
                && Some(expected) != r.os("mac")?
            {
                breaks.push(brk("documents", number.as_deref(), id, what.clone(), "letter changed after it was issued (no valid HMAC)"));
                continue;
            }
            let Some(sha256) = r.os("sha256")? else { continue };
            if let Some(expected) = self.mac("document-pdf", &document_pdf_text(id, &sha256))
                && Some(expected) != r.os("pdf_mac")?
            {
                breaks.push(brk("documents", number.as_deref(), id, what, "the letter's PDF was replaced (no valid HMAC)"));
                continue;
            }
            match self.objects()?.rehash(&sha256).await? {
                None => breaks.push(brk("documents", number.as_deref(), id, what, "the letter's PDF is missing from the object store")),
                Some(h) if h != sha256 => {
                    breaks.push(brk("documents", number.as_deref(), id, what, "the letter's PDF does not match its SHA-256"))
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    async fn verify_access_log(&self, checkpoint: Option<&Checkpoint>, breaks: &mut Vec<ChainBreak>) -> Result<()> {
        let mut prev = CHAIN_GENESIS.to_string();
        let mut last = 0;
        let cp = checkpoint.map(|c| (c.seq, c.access_log.0, c.access_log.1.as_str()));
        let mut log = sqlx::query(AssertSqlSafe(
            "SELECT seq, user_id, unit_id, at, petition_id, fields, reason, prev_hash, hash, mac FROM access_log ORDER BY seq",
        ))
        .fetch(&self.pool);
        while let Some(r) = log.try_next().await? {
            let seq = r.i("seq")?;
            let record =
                access_canonical(seq, r.i("user_id")?, r.i("unit_id")?, &r.s("at")?, r.i("petition_id")?, &r.s("fields")?, &r.s("reason")?);
            let (p, h) = (r.s("prev_hash")?, r.s("hash")?);
            let expected_mac = self.mac("access", &link_text(ACCESS_CHAIN, seq, &h));
            let problem = if seq != last + 1 {
                Some(if seq == last + 2 {
                    format!("entry {} deleted (entry {seq} follows entry {last})", last + 1)
                } else {
                    format!("entries {}–{} deleted (entry {seq} follows entry {last})", last + 1, seq - 1)
                })
            } else if p != prev {
                Some("link to the previous entry is broken".into())
            } else if chain_hash(&p, record.as_bytes()) != h {
                Some("entry content does not match its hash".into())
            } else if expected_mac.is_some() && expected_mac != r.os("mac")? {
                Some("entry was rewritten and the chain recomputed: its HMAC anchor does not match".into())
            } else if let Some((n, cp_seq, cp_hash)) = cp
                && cp_seq == seq
                && cp_hash != h
            {
                Some(format!("entry differs from checkpoint {n}"))
            } else {
                None
            };
            if let Some(problem) = problem {
                // A gap names the first missing entry.
                let at = if seq > last + 1 { last + 1 } else { seq };
                breaks.push(brk(ACCESS_CHAIN, None, at, format!("entry {at}"), problem));
                return Ok(());
            }
            last = seq;
            prev = h;
        }
        drop(log);
        let head =
            sqlx::query("SELECT seq, hash, mac FROM chain_heads WHERE name = $1").bind(ACCESS_CHAIN).fetch_optional(&self.pool).await?;
        if let Some(r) = head {
            let (seq, hash) = (r.i("seq")?, r.s("hash")?);
            if seq != last || hash != prev {
                let what = if seq > last { format!("entry {}", last + 1) } else { format!("entry {last}") };
                breaks.push(brk(
                    ACCESS_CHAIN,
                    None,
                    last,
                    what,
                    format!("chain head (entry {seq}) does not match the last entry ({last}): entries deleted or the head rewritten"),
                ));
                return Ok(());
            }
            if let Some(expected) = self.mac("access-head", &link_text(ACCESS_CHAIN, seq, &hash))
                && Some(expected) != r.os("mac")?
            {
                breaks.push(brk(
                    ACCESS_CHAIN,
                    None,
                    last + 1,
                    format!("entry {}", last + 1),
                    format!("the log ends at entry {last} but that is not the head last written (HMAC): entry {} onwards deleted, or the head rewritten", last + 1),
                ));
                return Ok(());
            }
        }
        if let Some((n, cp_seq, _)) = cp
            && cp_seq > last
        {
            breaks.push(brk(
                ACCESS_CHAIN,
                None,
                last + 1,
                format!("entry {}", last + 1),
                format!("entries {}–{cp_seq} are missing (checkpoint {n} saw them)", last + 1),
            ));
        }
        Ok(())
    }
}

/// The checkpoint file: the signed body as JSON on the first line, the
/// heads in hex on the second (a file written before the compact heads
/// has the first line only, its heads inside the body).
fn write_checkpoint_file(path: &Path, signed: &SignedCheckpoint, heads: &HeadList) -> std::io::Result<()> {
    let first = serde_json::to_string(signed).map_err(std::io::Error::other)?;
    let mut text = String::with_capacity(first.len() + 2 + heads.as_bytes().len() * 2);
    text.push_str(&first);
    text.push('\n');
    text.push_str(&hex::encode(heads.as_bytes()));
    text.push('\n');
    write_private(path, &text)
}

/// The first line of a checkpoint file, and the SHA-256 of the heads on
/// its second line (hex-decoded as it streams; None when there is none).
fn read_checkpoint_header(path: &Path) -> std::result::Result<(SignedCheckpoint, Option<String>), String> {
    use std::io::{BufRead, Read};
    let mut r = std::io::BufReader::new(std::fs::File::open(path).map_err(|e| e.to_string())?);
    let mut first = String::new();
    r.read_line(&mut first).map_err(|e| e.to_string())?;
    let signed: SignedCheckpoint = serde_json::from_str(first.trim_end()).map_err(|e| e.to_string())?;
    let mut hasher = Sha256::new();
    let (mut seen, mut carry) = (false, None::<u8>);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = r.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        let mut digits: Vec<u8> = carry.take().into_iter().collect();
        digits.extend(buf[..n].iter().copied().filter(|b| !b.is_ascii_whitespace()));
        if digits.len() % 2 == 1 {
            carry = digits.pop();
        }
        seen |= !digits.is_empty();
        hasher.update(hex::decode(&digits).map_err(|e| e.to_string())?);
    }
    if carry.is_some() {
        return Err("the heads are cut short".into());
    }
    Ok((signed, seen.then(|| hex::encode(hasher.finalize()))))
}

/// The heads on the second line of a checkpoint file (None: older format).
fn read_checkpoint_heads(path: &Path) -> std::result::Result<Option<Vec<u8>>, String> {
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(std::fs::File::open(path).map_err(|e| e.to_string())?).lines();
    lines.next();
    match lines.next() {
        Some(line) => Ok(Some(hex::decode(line.map_err(|e| e.to_string())?.trim()).map_err(|e| e.to_string())?)),
        None => Ok(None),
    }
}

/// Write `text` to `path` atomically (a sibling file renamed over it),
/// readable by the owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(&tmp)?;
    std::io::Write::write_all(&mut f, text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
}
