//! Petitions, their history (events), timers (deadlines), notices and
//! attachments. A petition and everything an action changes are written in
//! one transaction: a failure leaves nothing half-written.

use crate::db::{
    Arg, Dialect, Result, RowExt, Sql, Store, StoreError, WriteTx, fmt_date, fmt_instant, parse_date, parse_instant, values_marks,
};
use crate::read_session::ReadSession;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{AnyConnection, AssertSqlSafe};
use xinfang_crypto::{CHAIN_GENESIS, chain_hash};
use xinfang_domain::deadline::{CountingPolicy, DayUnit, Deadline, TimerKind};
use xinfang_domain::petition::{Accused, Category, Channel, PetitionerKind, Registration, State};
use xinfang_domain::procedure::Case;
use xinfang_domain::unit::UnitId;

/// Who did something, as recorded in an event.
#[derive(Debug, Clone, Serialize)]
pub struct ActorRef {
    /// `staff`, `petitioner`, `api_key` or `system`.
    pub kind: &'static str,
    pub user_id: Option<i64>,
    pub unit_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct EventDraft {
    pub action: String,
    pub actor: ActorRef,
    pub occurred_at: DateTime<Utc>,
    pub from_state: Option<State>,
    pub to_state: State,
    pub payload: Value,
    pub reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub filename: String,
    pub content_type: String,
    /// The content's SHA-256, which is also its key in the object store
    /// (the content is stored there before the row is written).
    pub sha256: String,
    pub size: i64,
}

/// A petitioner as stored: personal data already encrypted by the caller,
/// with keyed hashes for search. The store never sees the plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPetitioner {
    pub kind: PetitionerKind,
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub id_hash: Option<String>,
    pub phone_hash: Option<String>,
    pub representative: bool,
}

pub struct NewPetition {
    pub reg: Registration,
    pub petitioners: Vec<StoredPetitioner>,
    pub number_prefix: String,
    /// Secret key of the prefix's public numbering (see `number::public_number`).
    pub number_key: Vec<u8>,
    pub query_code_hash: String,
    /// Every key the petitioner can be recognised by (ID number; name and phone).
    pub identity_keys: Vec<String>,
    pub repeat_of: Option<String>,
    /// The API key it came in with (Open311), if any.
    pub source_key_id: Option<i64>,
    pub case: Case,
    pub event: EventDraft,
    pub notice: Option<String>,
    pub attachments: Vec<NewAttachment>,
    /// Units to index for visibility: (id, tree path).
    pub involved: Vec<(UnitId, String)>,
    /// Tree path of the accused unit (accusations), hidden from its chain.
    pub accused_unit_path: Option<String>,
    pub registered_at: DateTime<Utc>,
    /// Letters and jobs the registration owes (a refusal's notice).
    pub rows: crate::urgent::ActRows,
    /// Its words for the full-text index (`store::fulltext`), written in
    /// the same transaction.
    pub search_tokens: String,
    /// The risk alerts the text raises (issue 13, item 4), written with it:
    /// one for the receiving unit, and for an urgent one a second for the
    /// area's petition bureau (`domain::alerting`).
    pub risk_alerts: Vec<crate::risk::NewRiskAlert>,
    /// The wage-arrears green channel's flag (issue 14, item 5), written with it.
    pub green_channel: Option<crate::green_channel::NewGreenChannel>,
}

#[derive(Debug, Clone)]
pub struct PetitionRecord {
    pub id: i64,
    pub number: String,
    pub query_code_hash: String,
    pub channel: Channel,
    pub category: Category,
    pub litigation_related: bool,
    pub topic: Option<String>,
    pub jurisdiction: String,
    pub title: String,
    pub content: String,
    pub request: String,
    pub facts_and_reasons: String,
    pub collective: bool,
    pub headcount: i64,
    pub anonymous: bool,
    pub confidential: bool,
    pub accused: Option<Accused>,
    pub state: State,
    pub registered_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub repeat_of: Option<String>,
    pub version: i64,
    pub case: Case,
    pub petitioners: Vec<StoredPetitioner>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventRecord {
    pub seq: i64,
    pub action: String,
    pub actor_kind: String,
    pub actor_user_id: Option<i64>,
    pub actor_username: Option<String>,
    pub actor_unit_id: Option<i64>,
    pub occurred_at: String,
    pub recorded_at: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub payload: Value,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NoticeRecord {
    pub event_seq: i64,
    pub created_at: String,
    pub body: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttachmentMeta {
    pub id: i64,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

#[derive(Debug, Clone, Default)]
pub struct PetitionFilter {
    pub states: Vec<String>,
    pub current_unit: Option<i64>,
    pub category: Option<String>,
    pub channel: Option<String>,
    pub topic: Vec<String>,
    pub numbers: Vec<String>,
    /// Only these petitions (by id): a search's window of candidates.
    pub ids: Vec<i64>,
    pub source_key_id: Option<i64>,
    /// Keyed hashes of a petitioner's identity number or phone to search by.
    pub petitioner_id_hash: Option<String>,
    pub petitioner_phone_hash: Option<String>,
    /// Words typed in the inbox search: a petition matches when a
    /// petitioner has exactly this name (index `petitioners_name`) or its
    /// title contains every word — among the viewer's `TEXT_SEARCH_ROWS`
    /// most recently registered petitions (older ones are found by number,
    /// phone or identity number, which are indexed).
    pub text: Option<String>,
    /// Full-text search (issue 13): only petitions whose indexed words
    /// match (`store::fulltext`).
    pub fulltext: Option<crate::fulltext::FullText>,
    /// The caller does not need the total (it is then -1): a search ranks
    /// a window and counts what it keeps.
    pub skip_total: bool,
    /// Above how many matches a full-text search is "common" (default
    /// `fulltext::COMMON_MATCHES`; a setting).
    pub common_matches: Option<i64>,
    /// Registration date range, local dates, inclusive.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub overdue: Option<bool>,
    pub today: Option<NaiveDate>,
    pub sort_by_due: bool,
    pub limit: i64,
    pub offset: i64,
    /// Keyset pagination: rows after this one in the list's order.
    pub after: Option<Cursor>,
    /// Read each row's body too (`PetitionSummary::body`).
    pub with_body: bool,
}

impl PetitionFilter {
    /// Whether filters other than the words drop matching petitions (a
    /// search then reads a larger first window of candidates).
    pub fn narrows_search(&self) -> bool {
        !self.states.is_empty()
            || self.current_unit.is_some()
            || self.category.is_some()
            || self.channel.is_some()
            || !self.topic.is_empty()
            || !self.numbers.is_empty()
            || self.source_key_id.is_some()
            || self.petitioner_id_hash.is_some()
            || self.petitioner_phone_hash.is_some()
            || self.text.is_some()
            || self.from.is_some()
            || self.to.is_some()
            || self.overdue.is_some()
    }
}

/// Which petitions a viewer may see: those listed for its unit (or for the
/// unit it acts for, a government's office for its government) in
/// `petition_viewers` — see `viewers.rs` for what puts a unit there.
#[derive(Debug, Clone)]
pub struct Visibility {
    /// The viewing unit first, then the unit it acts for, if any.
    pub unit_ids: Vec<i64>,
}

/// Most rows a list counts exactly; beyond it the total is reported as
/// `TOTAL_CAP + 1`, meaning "more than TOTAL_CAP" (an exact `COUNT(*)` over a
/// province bureau's million rows would cost more than the page).
pub const TOTAL_CAP: i64 = 10_000;

/// How many of a viewer's most recent petitions a text search (name or
/// title words) reads: the bound that keeps it cheap however many
/// petitions a unit sees.
pub const TEXT_SEARCH_ROWS: i64 = 20_000;

/// Where a keyset page starts: after the row with this sort key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: i64,
}

#[derive(Debug, Clone)]
pub struct PetitionSummary {
    pub id: i64,
    pub confidential: bool,
    /// The procedure state (for the viewer's access rules).
    pub case: Case,
    pub number: String,
    pub title: String,
    pub state: String,
    pub category: String,
    pub channel: String,
    pub topic: Option<String>,
    pub jurisdiction: String,
    pub current_unit_id: i64,
    pub registered_at: String,
    pub updated_at: String,
    pub received_on: String,
    pub next_due_on: Option<String>,
    /// Which timer (T1…T10) sets `next_due_on`.
    pub next_due_kind: Option<String>,
    /// The first petition's number, for a 重件.
    pub repeat_of: Option<String>,
    /// Content, request and facts and reasons, read only when the filter
    /// asks (`with_body`: a search ranks by them).
    pub body: Option<String>,
}

/// A petition found by identity key, for repeat and Art. 19/36 checks.
#[derive(Debug, Clone)]
pub struct MatterCandidate {
    pub id: i64,
    pub number: String,
    /// The case, without its deadlines.
    pub case: Case,
    /// Its earliest open duty deadline (kept on the row with every write):
    /// whether the unit handling it is still within its time (Art. 19 para 3).
    pub next_due_on: Option<chrono::NaiveDate>,
    pub request: String,
    pub facts_and_reasons: String,
    /// The petitioner asked for confidentiality (the match is then not shown
    /// to units that would see only the hidden identity).
    pub confidential: bool,
    /// What a form sent again repeats word for word (see
    /// `web::intake`: the same submission twice is one petition).
    pub channel: String,
    pub title: String,
    pub content: String,
    pub registered_at: DateTime<Utc>,
}

/// The fields of an event that its hash covers, exactly as stored.
pub struct EventHashInput<'a> {
    pub number: &'a str,
    pub seq: i64,
    pub action: &'a str,
    pub actor_kind: &'a str,
    pub actor_user_id: Option<i64>,
    pub actor_unit_id: Option<i64>,
    pub occurred_at: &'a str,
    pub recorded_at: &'a str,
    pub from_state: Option<&'a str>,
    pub to_state: &'a str,
    pub payload: &'a str,
    pub reason: Option<&'a str>,
    /// Digest of the petition record after the event (migration 6 on;
    /// events written before carry none and hash as they always did).
    pub record_digest: Option<&'a str>,
}

impl EventHashInput<'_> {
    /// A JSON array: unambiguous, and the same on every engine.
    pub fn canonical(&self) -> String {
        let mut fields = serde_json::json!([
            self.number,
            self.seq,
            self.action,
            self.actor_kind,
            self.actor_user_id,
            self.actor_unit_id,
            self.occurred_at,
            self.recorded_at,
            self.from_state,
            self.to_state,
            self.payload,
            self.reason
        ]);
        if let (Some(d), Some(list)) = (self.record_digest, fields.as_array_mut()) {
            list.push(Value::String(d.to_string()));
        }
        fields.to_string()
    }
}

fn bool_i(b: bool) -> i64 {
    i64::from(b)
}

pub(crate) fn case_json_without_deadlines(case: &Case) -> Result<String> {
    let mut c = case.clone();
    c.deadlines.clear();
    serde_json::to_string(&c).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// Next number in a prefix's sequence (atomic on both engines).
    async fn next_seq(&self, w: &mut WriteTx<'_>, prefix: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO number_sequences (prefix, last) VALUES ($1, 1) ON CONFLICT (prefix) DO UPDATE SET last = number_sequences.last + 1 RETURNING last",
        )
        .bind(prefix.to_string())
        .fetch_one(&mut *w.tx)
        .await?)
    }

    /// Store a new petition with its petitioners, first event, timers,
    /// notice and attachments; returns (id, number). Durable on return. On
    /// SQLite, petitions arriving together share one commit (see
    /// `group_commit`).
    pub async fn insert_petition(&self, p: NewPetition) -> Result<(i64, String)> {
        match &self.intake_queue {
            Some(queue) => queue.submit(self, p).await,
            None => self.insert_petition_alone(&p).await,
        }
    }

    /// `insert_petition` in a transaction of its own.
    pub(crate) async fn insert_petition_alone(&self, p: &NewPetition) -> Result<(i64, String)> {
        let mut w = self.begin_write().await?;
        let done = self.insert_petition_in(&mut w, p).await?;
        w.commit().await?;
        Ok(done)
    }

    /// The rows of a new petition, inside the caller's write transaction.
    pub(crate) async fn insert_petition_in(&self, w: &mut WriteTx<'_>, p: &NewPetition) -> Result<(i64, String)> {
        let seq = self.next_seq(w, &p.number_prefix).await?;
        let number = xinfang_domain::number::public_number(&p.number_prefix, seq, &p.number_key);
        let reg = &p.reg;
        let accused = reg.accused.clone().unwrap_or_default();
        let now = fmt_instant(p.registered_at);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO petitions (number, query_code_hash, channel, category, litigation_related, topic, jurisdiction, title, content, request, facts_and_reasons, collective, headcount, anonymous, confidential, accused_name, accused_unit, accused_position, state, registered_unit_id, current_unit_id, handling_unit_id, received_on, registered_at, updated_at, identity_key, repeat_of, source_key_id, case_json, next_due_on, event_head_hash, accused_unit_path, next_due_kind, version, event_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, 1, 1) RETURNING id",
        )
        .bind(number.clone())
        .bind(p.query_code_hash.clone())
        .bind(reg.channel.as_str())
        .bind(reg.category.as_str())
        .bind(bool_i(reg.litigation_related))
        .bind(reg.topic.clone())
        .bind(reg.jurisdiction.clone())
        .bind(reg.title.clone())
        .bind(reg.content.clone())
        .bind(reg.request.clone())
        .bind(reg.facts_and_reasons.clone())
        .bind(bool_i(reg.collective))
        .bind(i64::from(reg.headcount))
        .bind(bool_i(reg.anonymous))
        .bind(bool_i(reg.confidential))
        .bind(accused.name.clone())
        .bind(accused.unit.clone())
        .bind(accused.position.clone())
        .bind(p.case.state.as_str())
        .bind(p.case.registered_unit)
        .bind(p.case.current_unit)
        .bind(p.case.handling_unit)
        .bind(fmt_date(reg.received_on))
        .bind(now.clone())
        .bind(now)
        .bind(p.identity_keys.first().cloned())
        .bind(p.repeat_of.clone())
        .bind(p.source_key_id)
        .bind(case_json_without_deadlines(&p.case)?)
        .bind(p.case.next_duty_due().map(fmt_date))
        .bind(CHAIN_GENESIS)
        .bind(p.accused_unit_path.clone())
        .bind(p.case.next_duty_deadline().map(|d| d.kind.as_str()))
        .fetch_one(&mut *w.tx)
        .await?;
        // Petitioners and identity keys: one multi-row statement each.
        for (n, chunk) in p.petitioners.chunks(50).enumerate() {
            let sql = format!(
                "INSERT INTO petitioners (petition_id, position, kind, name, id_number, phone, address, id_hash, phone_hash, representative) VALUES {}",
                values_marks(chunk.len(), 10, 1)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (i, pt) in chunk.iter().enumerate() {
                q = q
                    .bind(id)
                    .bind((n * 50 + i) as i64)
                    .bind(pt.kind.as_str())
                    .bind(pt.name.clone())
                    .bind(pt.id_number.clone())
                    .bind(pt.phone.clone())
                    .bind(pt.address.clone())
                    .bind(pt.id_hash.clone())
                    .bind(pt.phone_hash.clone())
                    .bind(bool_i(pt.representative));
            }
            q.execute(&mut *w.tx).await?;
        }
        for chunk in p.identity_keys.chunks(200) {
            let sql = format!("INSERT INTO petition_identities (petition_id, identity_key) VALUES {}", values_marks(chunk.len(), 2, 1));
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for k in chunk {
                q = q.bind(id).bind(k.clone());
            }
            q.execute(&mut *w.tx).await?;
        }
        for a in &p.attachments {
            self.insert_attachment(w, id, &number, a, p.registered_at).await?;
        }
        for a in &p.risk_alerts {
            self.insert_risk_alert(w, id, a, p.registered_at).await?;
        }
        if let Some(g) = &p.green_channel {
            crate::green_channel::insert(w, id, g, p.registered_at).await?;
        }
        let mut event = p.event.clone();
        event.from_state = None;
        let seq = self.write_effects(w, id, &p.case, &event, p.notice.as_deref(), &p.involved, Some(&number)).await?;
        // After the viewer rows, which the index entry carries.
        self.index_petition_text(w, id, &p.search_tokens).await?;
        self.write_act_rows(w, id, Some(&number), seq, &p.rows).await?;
        self.count_petition(w, &number).await?;
        Ok((id, number))
    }

    /// One attachment row with its HMAC anchor (name, type, size, SHA-256).
    pub(crate) async fn insert_attachment(
        &self,
        w: &mut WriteTx<'_>,
        petition_id: i64,
        number: &str,
        a: &NewAttachment,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let size = a.size;
        // The content is in the object store under its SHA-256; the BLOB
        // column stays empty (it only holds content from before issue 9).
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO attachments (petition_id, filename, content_type, size, sha256, content, created_at, in_objects) VALUES ($1, $2, $3, $4, $5, $6, $7, 1) RETURNING id",
        )
        .bind(petition_id)
        .bind(a.filename.clone())
        .bind(a.content_type.clone())
        .bind(size)
        .bind(a.sha256.clone())
        .bind(Vec::<u8>::new())
        .bind(fmt_instant(at))
        .fetch_one(&mut *w.tx)
        .await?;
        let mac = self.mac("attachment", &crate::anchor::attachment_text(number, id, &a.filename, &a.content_type, size, &a.sha256));
        sqlx::query("UPDATE attachments SET mac = $1 WHERE id = $2").bind(mac).bind(id).execute(&mut *w.tx).await?;
        Ok(id)
    }

    /// Apply a transition: new case, one event, timers, notice, visibility.
    /// Fails with `Conflict` if someone else changed the petition first.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_transition(
        &self,
        petition_id: i64,
        expected_version: i64,
        case: &Case,
        event: &EventDraft,
        notice: Option<&str>,
        involved: &[(UnitId, String)],
        evaluation: Option<(&str, &str, &str)>,
        accused_unit_path: Option<&str>,
    ) -> Result<i64> {
        let rows = crate::urgent::ActRows::default();
        self.apply_transition_with(petition_id, expected_version, case, event, notice, involved, evaluation, accused_unit_path, &rows).await
    }

    /// `apply_transition` plus rows of other tables the act writes (Art. 25
    /// report rows, which carry the event's seq), in the same transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_transition_with(
        &self,
        petition_id: i64,
        expected_version: i64,
        case: &Case,
        event: &EventDraft,
        notice: Option<&str>,
        involved: &[(UnitId, String)],
        evaluation: Option<(&str, &str, &str)>,
        accused_unit_path: Option<&str>,
        rows: &crate::urgent::ActRows,
    ) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE petitions SET state = $1, category = $2, litigation_related = $3, current_unit_id = $4, handling_unit_id = $5, case_json = $6, updated_at = $7, next_due_on = $8, accused_unit_path = $9, next_due_kind = $10, version = version + 1 WHERE id = $11 AND version = $12",
        )
        .bind(case.state.as_str())
        .bind(case.category.as_str())
        .bind(bool_i(case.litigation_related))
        .bind(case.current_unit)
        .bind(case.handling_unit)
        .bind(case_json_without_deadlines(case)?)
        .bind(fmt_instant(Utc::now()))
        .bind(case.next_duty_due().map(fmt_date))
        .bind(accused_unit_path.map(String::from))
        .bind(case.next_duty_deadline().map(|d| d.kind.as_str()))
        .bind(petition_id)
        .bind(expected_version)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict);
        }
        if let Some(place) = &rows.jurisdiction {
            sqlx::query("UPDATE petitions SET jurisdiction = $1 WHERE id = $2")
                .bind(place.clone())
                .bind(petition_id)
                .execute(&mut *w.tx)
                .await?;
        }
        if let Some(topic) = &rows.topic {
            sqlx::query("UPDATE petitions SET topic = $1 WHERE id = $2").bind(topic.clone()).bind(petition_id).execute(&mut *w.tx).await?;
        }
        if let Some(hash) = &rows.query_code_hash {
            sqlx::query("UPDATE petitions SET query_code_hash = $1 WHERE id = $2")
                .bind(hash.clone())
                .bind(petition_id)
                .execute(&mut *w.tx)
                .await?;
        }
        let seq = self.write_effects(&mut w, petition_id, case, event, notice, involved, None).await?;
        self.insert_urgent_reports(&mut w, petition_id, seq, &rows.urgent_reports).await?;
        self.write_act_rows(&mut w, petition_id, None, seq, rows).await?;
        if let Some((document, rating, reason)) = evaluation {
            sqlx::query("INSERT INTO evaluations (petition_id, document, rating, reason, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(petition_id)
                .bind(document.to_string())
                .bind(rating.to_string())
                .bind(reason.to_string())
                .bind(fmt_instant(Utc::now()))
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await?;
        Ok(seq)
    }

    /// The letters and jobs of an act, in its transaction.
    async fn write_act_rows(
        &self,
        w: &mut WriteTx<'_>,
        petition_id: i64,
        number: Option<&str>,
        seq: i64,
        rows: &crate::urgent::ActRows,
    ) -> Result<()> {
        if !rows.letters.is_empty() {
            let number = match number {
                Some(n) => n.to_string(),
                None => sqlx::query_scalar("SELECT number FROM petitions WHERE id = $1").bind(petition_id).fetch_one(&mut *w.tx).await?,
            };
            crate::documents::issue_in(self, w, petition_id, &number, seq, &rows.letters).await?;
        }
        for job in &rows.jobs {
            crate::queue::enqueue_in(w, job).await?;
        }
        for case in &rows.supervision_cases {
            crate::supervision::insert_case_in(w, case, Some(seq)).await?;
        }
        Ok(())
    }

    /// Record an event that changes no state (e.g. a refused repeat).
    pub async fn append_event(&self, petition_id: i64, event: &EventDraft) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let seq = self.insert_event(&mut w, petition_id, event).await?;
        w.commit().await?;
        Ok(seq)
    }

    /// Staff's 初件 / 重件 finding: the case (its `repeat` and verdict), the
    /// link to the first petition (`repeat_of`, which the metrics read) and
    /// the event, in one transaction. `Conflict` if the petition changed
    /// since it was read.
    pub async fn record_repeat_finding(
        &self,
        petition_id: i64,
        expected_version: i64,
        case: &Case,
        repeat_of: Option<&str>,
        event: &EventDraft,
    ) -> Result<i64> {
        let mut w = self.begin_write().await?;
        let n = sqlx::query(
            "UPDATE petitions SET case_json = $1, repeat_of = $2, updated_at = $3, version = version + 1 WHERE id = $4 AND version = $5",
        )
        .bind(case_json_without_deadlines(case)?)
        .bind(repeat_of.map(String::from))
        .bind(fmt_instant(Utc::now()))
        .bind(petition_id)
        .bind(expected_version)
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::Conflict);
        }
        let seq = self.insert_event(&mut w, petition_id, event).await?;
        w.commit().await?;
        Ok(seq)
    }

    /// Append an event to the petition's hash chain. Bumping the chain head
    /// on the petition row first serialises appends to one petition on both
    /// engines (a row lock on PostgreSQL, the write gate on SQLite).
    pub(crate) async fn insert_event(&self, w: &mut WriteTx<'_>, petition_id: i64, e: &EventDraft) -> Result<i64> {
        self.insert_event_at(w, petition_id, e, None).await
    }

    /// `insert_event`; `first`: the number of a petition being inserted
    /// (its row already says `event_seq = 1` and the chain starts at the
    /// genesis hash, so the head need not be read).
    async fn insert_event_at(&self, w: &mut WriteTx<'_>, petition_id: i64, e: &EventDraft, first: Option<&str>) -> Result<i64> {
        let (number, seq, prev) = match first {
            Some(number) => (number.to_string(), 1, CHAIN_GENESIS.to_string()),
            None => {
                let head = sqlx::query(
                    "UPDATE petitions SET event_seq = event_seq + 1 WHERE id = $1 RETURNING number, event_seq, event_head_hash",
                )
                .bind(petition_id)
                .fetch_one(&mut *w.tx)
                .await?;
                (head.s("number")?, head.i("event_seq")?, head.s("event_head_hash")?)
            }
        };
        let recorded_at = fmt_instant(Utc::now());
        let payload = e.payload.to_string();
        // Everything the act changed is already written in this
        // transaction: the digest is the record as it stands after it.
        let digest = crate::anchor::record_digest(&crate::anchor::record_now(&mut w.tx, petition_id).await?.fields);
        let record = EventHashInput {
            number: &number,
            seq,
            action: &e.action,
            actor_kind: e.actor.kind,
            actor_user_id: e.actor.user_id,
            actor_unit_id: e.actor.unit_id,
            occurred_at: &fmt_instant(e.occurred_at),
            recorded_at: &recorded_at,
            from_state: e.from_state.map(|s| s.as_str()),
            to_state: e.to_state.as_str(),
            payload: &payload,
            reason: e.reason.as_deref(),
            record_digest: Some(&digest),
        };
        let hash = chain_hash(&prev, record.canonical().as_bytes());
        let link = crate::anchor::link_text(&number, seq, &hash);
        sqlx::query(
            "INSERT INTO events (petition_id, seq, action, actor_kind, actor_user_id, actor_unit_id, occurred_at, recorded_at, from_state, to_state, payload, reason, prev_hash, hash, record_digest, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(petition_id)
        .bind(seq)
        .bind(e.action.clone())
        .bind(e.actor.kind)
        .bind(e.actor.user_id)
        .bind(e.actor.unit_id)
        .bind(fmt_instant(e.occurred_at))
        .bind(recorded_at)
        .bind(e.from_state.map(|s| s.as_str()))
        .bind(e.to_state.as_str())
        .bind(payload)
        .bind(e.reason.clone())
        .bind(prev)
        .bind(hash.clone())
        .bind(digest)
        .bind(self.mac("event", &link))
        .execute(&mut *w.tx)
        .await?;
        sqlx::query("UPDATE petitions SET event_head_hash = $1, event_head_mac = $2 WHERE id = $3")
            .bind(hash)
            .bind(self.mac("head", &link))
            .bind(petition_id)
            .execute(&mut *w.tx)
            .await?;
        Ok(seq)
    }

    /// Everything an act writes besides the petition row: its event,
    /// timers, notice, units and viewers. `fresh`: the number of a petition
    /// being inserted (its first event; nothing to replace).
    #[allow(clippy::too_many_arguments)]
    async fn write_effects(
        &self,
        w: &mut WriteTx<'_>,
        petition_id: i64,
        case: &Case,
        event: &EventDraft,
        notice: Option<&str>,
        involved: &[(UnitId, String)],
        fresh: Option<&str>,
    ) -> Result<i64> {
        let seq = self.insert_event_at(w, petition_id, event, fresh).await?;
        // Timers are rewritten as a set; a timer keeps the event that started it.
        if fresh.is_none() {
            sqlx::query("DELETE FROM deadlines WHERE petition_id = $1").bind(petition_id).execute(&mut *w.tx).await?;
        }
        let deadlines: Vec<(usize, &Deadline)> = case.deadlines.iter().enumerate().collect();
        for chunk in deadlines.chunks(50) {
            let sql = format!(
                "INSERT INTO deadlines (petition_id, seq, kind, start_event_seq, started_on, length, day_unit, pauses, extension_days, policy, due_on, provisional, met_at) VALUES {}",
                values_marks(chunk.len(), 13, 1)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (i, d) in chunk {
                let start_seq = d.start_event.parse::<i64>().unwrap_or(seq);
                q = q
                    .bind(petition_id)
                    .bind(*i as i64)
                    .bind(d.kind.as_str())
                    .bind(start_seq)
                    .bind(fmt_date(d.started_on))
                    .bind(i64::from(d.length))
                    .bind(d.day_unit.as_str())
                    .bind(serde_json::to_string(&d.pauses).map_err(|e| StoreError::Corrupt(e.to_string()))?)
                    .bind(i64::from(d.extension_days))
                    .bind(d.policy.as_str())
                    .bind(fmt_date(d.due_on))
                    .bind(bool_i(d.provisional))
                    .bind(d.met_at.map(fmt_instant));
            }
            q.execute(&mut *w.tx).await?;
        }
        if let Some(body) = notice {
            sqlx::query("INSERT INTO notices (petition_id, event_seq, created_at, body) VALUES ($1, $2, $3, $4)")
                .bind(petition_id)
                .bind(seq)
                .bind(fmt_instant(Utc::now()))
                .bind(body.to_string())
                .execute(&mut *w.tx)
                .await?;
        }
        for (unit_id, path) in involved {
            sqlx::query("INSERT INTO petition_units (petition_id, unit_id, unit_path) VALUES ($1, $2, $3) ON CONFLICT (petition_id, unit_id) DO NOTHING")
                .bind(petition_id)
                .bind(*unit_id)
                .bind(path.clone())
                .execute(&mut *w.tx)
                .await?;
        }
        self.refresh_viewers(w, petition_id, fresh.is_some()).await?;
        Ok(seq)
    }

    pub async fn petition_by_number(&self, number: &str) -> Result<Option<PetitionRecord>> {
        petition_by_number_on(&mut *self.pool.acquire().await?, number).await
    }

    /// Up to `limit` petition ids after `after_id`, in id order: for
    /// commands that walk every petition in batches.
    pub async fn petition_ids_after(&self, after_id: i64, limit: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM petitions WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Add to these petitions the identity keys they do not hold yet (keyed
    /// hashes, see `web::intake::identity_keys`), in one write; returns how
    /// many were added. Nothing is removed.
    pub async fn add_identity_keys(&self, rows: &[(i64, Vec<String>)]) -> Result<usize> {
        if rows.is_empty() {
            return Ok(0);
        }
        let mut w = self.begin_write().await?;
        let mut held: std::collections::HashSet<(i64, String)> = std::collections::HashSet::new();
        let mut sql = Sql::new("SELECT petition_id, identity_key FROM petition_identities WHERE petition_id IN (");
        sql.ints(&rows.iter().map(|(id, _)| *id).collect::<Vec<_>>()).push(")");
        for r in sqlx::query_with(AssertSqlSafe(sql.text.as_str()), args(&sql)).fetch_all(&mut *w.tx).await? {
            held.insert((r.i("petition_id")?, r.s("identity_key")?));
        }
        let missing: Vec<(i64, &String)> = rows
            .iter()
            .flat_map(|(id, keys)| keys.iter().map(move |k| (*id, k)))
            .filter(|(id, k)| !held.contains(&(*id, (*k).clone())))
            .collect();
        for chunk in missing.chunks(200) {
            let sql = format!("INSERT INTO petition_identities (petition_id, identity_key) VALUES {}", values_marks(chunk.len(), 2, 1));
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (id, k) in chunk {
                q = q.bind(*id).bind((*k).clone());
            }
            q.execute(&mut *w.tx).await?;
        }
        w.commit().await?;
        Ok(missing.len())
    }

    /// Remove every identity key of these petitions (a record as kept
    /// before keys existed: for tests and repairs), in one write.
    pub async fn remove_identity_keys(&self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut w = self.begin_write().await?;
        let mut sql = Sql::new("DELETE FROM petition_identities WHERE petition_id IN (");
        sql.ints(ids);
        sql.push(")");
        sqlx::query_with(AssertSqlSafe(sql.text.as_str()), args(&sql)).execute(&mut *w.tx).await?;
        w.commit().await
    }

    /// The petitioners of several petitions in one query (no N+1).
    pub async fn petitioners_of(&self, ids: &[i64]) -> Result<std::collections::HashMap<i64, Vec<StoredPetitioner>>> {
        self.petitioners_of_on(&self.pool, ids).await
    }

    /// `petitioners_of` on the given pool (the primary's or the replica's).
    pub(crate) async fn petitioners_of_on(
        &self,
        pool: &sqlx::AnyPool,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<StoredPetitioner>>> {
        let mut out: std::collections::HashMap<i64, Vec<StoredPetitioner>> = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut sql = Sql::new(
            "SELECT petition_id, kind, name, id_number, phone, address, id_hash, phone_hash, representative FROM petitioners WHERE petition_id IN (",
        );
        sql.ints(ids);
        sql.push(") ORDER BY petition_id, position");
        for r in sql.query().fetch_all(pool).await? {
            out.entry(r.i("petition_id")?).or_default().push(stored_petitioner(&r)?);
        }
        Ok(out)
    }

    /// When the latest event took effect (for back-dated entries).
    pub async fn last_event_at(&self, petition_id: i64) -> Result<Option<DateTime<Utc>>> {
        let s: Option<String> = sqlx::query_scalar("SELECT MAX(occurred_at) FROM events WHERE petition_id = $1")
            .bind(petition_id)
            .fetch_one(&self.pool)
            .await?;
        s.map(|s| parse_instant(&s)).transpose()
    }

    pub async fn history(&self, petition_id: i64) -> Result<Vec<EventRecord>> {
        history_on(&mut *self.pool.acquire().await?, petition_id).await
    }

    pub async fn notices(&self, petition_id: i64) -> Result<Vec<NoticeRecord>> {
        notices_on(&mut *self.pool.acquire().await?, petition_id).await
    }

    pub async fn attachments(&self, petition_id: i64) -> Result<Vec<AttachmentMeta>> {
        attachments_on(&mut *self.pool.acquire().await?, petition_id).await
    }

    /// Earlier petitions of the same petitioner, recognised by any of its
    /// identity keys (an ID number on one, name and phone on the next).
    pub async fn same_petitioner(&self, keys: &[String]) -> Result<Vec<MatterCandidate>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
        let list = marks.join(", ");
        let sql = format!(
            "SELECT id, number, case_json, request, facts_and_reasons, confidential, next_due_on, channel, title, content, registered_at FROM petitions WHERE id IN (SELECT petition_id FROM petition_identities WHERE identity_key IN ({list})) ORDER BY id"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for k in keys {
            q = q.bind(k.clone());
        }
        let rows = q.fetch_all(&self.pool).await?;
        let out: Vec<MatterCandidate> = rows
            .iter()
            .map(|r| {
                Ok(MatterCandidate {
                    id: r.i("id")?,
                    number: r.s("number")?,
                    case: serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    request: r.s("request")?,
                    facts_and_reasons: r.s("facts_and_reasons")?,
                    confidential: r.i("confidential")? != 0,
                    next_due_on: r.os("next_due_on")?.map(|d| parse_date(&d)).transpose()?,
                    channel: r.s("channel")?,
                    title: r.s("title")?,
                    content: r.s("content")?,
                    registered_at: parse_instant(&r.s("registered_at")?)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(out)
    }

    /// A unit may see a petition (the same rule as the listing).
    pub async fn petition_visible(&self, petition_id: i64, vis: &Visibility) -> Result<bool> {
        petition_visible_on(&mut *self.pool.acquire().await?, petition_id, vis).await
    }

    /// One page of visible petitions and the total count (capped: see
    /// `TOTAL_CAP`). With a visibility, the page is read from the viewer
    /// index of the unit, in the list's order, from `after` on.
    /// On the primary; `reader().list_petitions` for a list that may come
    /// from the read replica.
    pub async fn list_petitions(&self, f: &PetitionFilter, vis: Option<&Visibility>) -> Result<(Vec<PetitionSummary>, i64)> {
        self.list_petitions_on(&self.pool, f, vis).await
    }

    /// `list_petitions` on the given pool (the primary's or the replica's),
    /// its statements on one connection (with words: in a `ReadSession`).
    pub(crate) async fn list_petitions_on(
        &self,
        pool: &sqlx::AnyPool,
        f: &PetitionFilter,
        vis: Option<&Visibility>,
    ) -> Result<(Vec<PetitionSummary>, i64)> {
        let mut session =
            if f.fulltext.is_some() { ReadSession::begin(pool, self.dialect).await? } else { ReadSession::plain(pool).await? };
        let out = self.list_in(session.conn(), f, vis).await?;
        session.finish().await?;
        Ok(out)
    }

    /// `list_petitions_on`'s statements, on `db`.
    async fn list_in(
        &self,
        db: &mut sqlx::AnyConnection,
        f: &PetitionFilter,
        vis: Option<&Visibility>,
    ) -> Result<(Vec<PetitionSummary>, i64)> {
        // One viewing unit: drive the query from its index range. A
        // government's office (two units) or no visibility: from petitions.
        let single = vis.and_then(|v| match v.unit_ids.as_slice() {
            [one] => Some(*one),
            _ => None,
        });
        let (from, mut wh, reg_col, due_col) = list_where(self.dialect, f, vis, single, Drive::from_viewers(single));
        if let Some(ft) = &f.fulltext {
            let id_col = if from.starts_with("petition_viewers") { "v.petition_id" } else { "p.id" };
            let viewers = vis.map(|v| v.unit_ids.as_slice());
            let ft = &self.pruned(db, ft, viewers).await?;
            // Only SQLite's plan depends on it.
            let common = self.dialect == Dialect::Sqlite
                && self.is_common(db, ft, f.common_matches.unwrap_or(crate::fulltext::COMMON_MATCHES), viewers).await?;
            ft.push_condition(&mut wh, self.dialect, id_col, common, viewers);
        }
        // A filter on viewer keys alone (the unit's inbox, state, category,
        // topic, dates, deadline) is counted from the viewer index without
        // touching petitions.
        // The unit's own inbox is counted from its partial index: without
        // statistics SQLite's planner takes the primary key's range of the
        // unit (every petition it has ever seen: 1,000,000 rows for a
        // province bureau) once a state filter is added.
        let inbox = single.is_some() && f.current_unit == single;
        let count_from = if vis.is_some() && single.is_some() && !wh.text.contains("p.") {
            if inbox && self.dialect == Dialect::Sqlite {
                "petition_viewers v INDEXED BY petition_viewers_inbox_due"
            } else {
                "petition_viewers v"
            }
        } else {
            from
        };
        let count_sql = format!("SELECT COUNT(*) FROM (SELECT 1 FROM {count_from}{} LIMIT {}) t", wh.text, TOTAL_CAP + 1);
        let total: i64 = if f.skip_total {
            -1
        } else {
            sqlx::query_scalar_with(AssertSqlSafe(count_sql.as_str()), args(&wh)).fetch_one(&mut *db).await?
        };
        // Driven from the viewer rows, the tie-breaker is their own
        // petition_id, so that the index delivers the order (no sort).
        let id_col = if from.starts_with("petition_viewers") { "v.petition_id" } else { "p.id" };
        let (order, key_col, cmp) = if f.sort_by_due {
            (format!("{due_col}, {id_col}"), due_col, ">")
        } else {
            (format!("{reg_col} DESC, {id_col} DESC"), reg_col, "<")
        };
        let mut sql = Sql { text: String::new(), args: wh.args.clone() };
        let body_cols = if f.with_body { ", p.content, p.request, p.facts_and_reasons" } else { "" };
        sql.push(&format!(
            "SELECT p.id, p.confidential, p.case_json, p.number, p.title, p.state, p.category, p.channel, p.topic, p.jurisdiction, p.current_unit_id, p.registered_at, p.updated_at, p.received_on, p.next_due_on, p.next_due_kind, p.repeat_of{body_cols} FROM {from}{}",
            wh.text
        ));
        if let Some(c) = &f.after {
            sql.push(&format!(" AND ({key_col} {cmp} ")).bind(Arg::S(c.key.clone()));
            sql.push(&format!(" OR ({key_col} = ")).bind(Arg::S(c.key.clone()));
            sql.push(&format!(" AND {id_col} {cmp} ")).bind(Arg::I(c.id)).push("))");
        }
        sql.push(&format!(" ORDER BY {order} LIMIT ")).bind(Arg::I(f.limit));
        if f.after.is_none() {
            sql.push(" OFFSET ").bind(Arg::I(f.offset));
        }
        let rows = sql.query().fetch_all(&mut *db).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(PetitionSummary {
                id: r.i("id")?,
                confidential: r.b("confidential")?,
                case: serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                number: r.s("number")?,
                title: r.s("title")?,
                state: r.s("state")?,
                category: r.s("category")?,
                channel: r.s("channel")?,
                topic: r.os("topic")?,
                jurisdiction: r.s("jurisdiction")?,
                current_unit_id: r.i("current_unit_id")?,
                registered_at: r.s("registered_at")?,
                updated_at: r.s("updated_at")?,
                received_on: r.s("received_on")?,
                next_due_on: r.os("next_due_on")?,
                next_due_kind: r.os("next_due_kind")?,
                repeat_of: r.os("repeat_of")?,
                body: if f.with_body {
                    Some(crate::fulltext::body_text(&r.s("content")?, &r.s("request")?, &r.s("facts_and_reasons")?))
                } else {
                    None
                },
            })
        }
        Ok((out, total))
    }
}

/// The first window of candidates a search reads from the index is twice
/// its page (400 for the API's 200) when other filters narrow the search,
/// and an eighth more than the page when they do not; each next one is
/// twice as large, up to `SEARCH_WINDOW_MAX`.
const SEARCH_WINDOW_MAX: i64 = 6_400;

/// The most candidates a search reads from the index before it answers
/// with what it found (only a search whose other filters drop nearly
/// every match of its words gets there).
pub const SEARCH_SCAN_CAP: i64 = 50_000;

impl Store {
    /// A full-text search: the `f.limit` newest petitions (by id, which is
    /// registration order) that match `f.fulltext`, that the caller sees
    /// and that the other filters of `f` take, newest first.
    ///
    /// The index hands over the newest matches the caller's units see, in
    /// windows, and each window goes through the list's own query (viewer
    /// rows, filters, `access` judged by the caller); it stops once the
    /// page is full. So the cost follows
    /// the page and the filters, not how many petitions hold a common word:
    /// the province bureau's newest 200 of 150,000 matches are one window.
    pub(crate) async fn search_petitions_on(
        &self,
        pool: &sqlx::AnyPool,
        f: &PetitionFilter,
        vis: Option<&Visibility>,
    ) -> Result<Vec<PetitionSummary>> {
        let Some(ft) = &f.fulltext else { return Ok(Vec::new()) };
        let viewers = vis.map(|v| v.unit_ids.as_slice());
        let mut session = ReadSession::begin(pool, self.dialect).await?;
        let db = session.conn();
        let ft = &self.pruned(db, ft, viewers).await?;
        // Other filters drop candidates: start with twice the page. With
        // the words alone only what `access` refuses is dropped (rarely):
        // an eighth more than the page, which halves the rows PostgreSQL
        // reads from the table for a common word (docs/performance.md).
        let first = if f.narrows_search() { 2 * f.limit } else { f.limit + f.limit / 8 };
        let (mut out, mut before, mut scanned, mut window) = (Vec::new(), None, 0i64, first.clamp(1, SEARCH_WINDOW_MAX));
        while (out.len() as i64) < f.limit && scanned < SEARCH_SCAN_CAP {
            let ids = self.fulltext_candidates(db, ft, viewers, before, window).await?;
            let Some(last) = ids.last().copied() else { break };
            scanned += ids.len() as i64;
            let full = ids.len() as i64 == window;
            let page = PetitionFilter {
                fulltext: None,
                ids,
                skip_total: true,
                limit: f.limit - out.len() as i64,
                offset: 0,
                after: None,
                sort_by_due: false,
                ..f.clone()
            };
            let (mut rows, _) = self.list_in(db, &page, vis).await?;
            rows.sort_by_key(|r| std::cmp::Reverse(r.id));
            out.append(&mut rows);
            if !full {
                break;
            }
            before = Some(last);
            window = (window * 2).min(SEARCH_WINDOW_MAX);
        }
        session.finish().await?;
        Ok(out)
    }
}

impl PetitionSummary {
    /// Where the next keyset page starts after this row, in the list's order.
    pub fn cursor(&self, sort_by_due: bool) -> Cursor {
        let key = if sort_by_due {
            self.next_due_on.clone().unwrap_or_else(|| crate::viewers::NO_DUE.to_string())
        } else {
            self.registered_at.clone()
        };
        Cursor { key, id: self.id }
    }
}

fn stored_petitioner(r: &sqlx::any::AnyRow) -> Result<StoredPetitioner> {
    let kind = r.s("kind")?;
    Ok(StoredPetitioner {
        kind: PetitionerKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("petitioner kind {kind}")))?,
        name: r.s("name")?,
        id_number: r.os("id_number")?,
        phone: r.os("phone")?,
        address: r.os("address")?,
        id_hash: r.os("id_hash")?,
        phone_hash: r.os("phone_hash")?,
        representative: r.b("representative")?,
    })
}

fn beijing_day_start(d: NaiveDate) -> String {
    let start = d.and_hms_opt(0, 0, 0).unwrap_or_default() - chrono::Duration::hours(8);
    fmt_instant(DateTime::from_naive_utc_and_offset(start, Utc))
}

/// Which table a list query is driven from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drive {
    /// One viewing unit's index range in `petition_viewers`.
    Viewers,
    /// `petitions`, visibility as a subquery (several viewing units, or none).
    Petitions,
}

impl Drive {
    fn from_viewers(single: Option<i64>) -> Drive {
        if single.is_some() { Drive::Viewers } else { Drive::Petitions }
    }
}

/// The FROM and WHERE of a petition list driven from `drive`, with the
/// columns its registration and due-date keys are read from.
fn list_where(
    dialect: Dialect,
    f: &PetitionFilter,
    vis: Option<&Visibility>,
    single: Option<i64>,
    drive: Drive,
) -> (&'static str, Sql, &'static str, &'static str) {
    let (from, reg_col, due_col) = match drive {
        // A few petitions asked for by number (a list's 重件 links): from
        // their numbers, each checked against the unit's viewer row.
        // SQLite otherwise walks the unit's whole range in list order
        // (17 ms for a county department's 57,000 rows at 1,000,000
        // petitions); its CROSS JOIN keeps the order of the tables.
        Drive::Viewers if !f.numbers.is_empty() && dialect == Dialect::Sqlite => {
            ("petitions p CROSS JOIN petition_viewers v ON v.petition_id = p.id", "v.registered_at", "v.due_key")
        }
        Drive::Viewers => ("petition_viewers v JOIN petitions p ON p.id = v.petition_id", "v.registered_at", "v.due_key"),
        Drive::Petitions => ("petitions p", "p.registered_at", "COALESCE(p.next_due_on, '9999-12-31')"),
    };
    // The filters the viewer rows carry (migration 16) are read from them
    // when the query drives from them: index ranges, no join per row.
    let t = if drive == Drive::Viewers { "v" } else { "p" };
    let mut wh = Sql::new(" WHERE 1 = 1");
    // The viewing unit's own inbox ("now with this unit"): the viewer rows
    // flagged as such, in their partial indexes (the literal `= 1` is what
    // lets both engines use them).
    let inbox = drive == Drive::Viewers && single.is_some() && f.current_unit == single;
    match (drive, single, vis) {
        (Drive::Viewers, Some(u), _) => {
            wh.push(" AND v.unit_id = ").bind(Arg::I(u));
            if inbox {
                wh.push(" AND v.is_current_unit = 1");
            }
        }
        (_, _, Some(v)) => {
            wh.push(" AND p.id IN (SELECT petition_id FROM petition_viewers WHERE ");
            viewer_in(&mut wh, "unit_id", &v.unit_ids);
            wh.push(")");
        }
        _ => {}
    }
    in_list(&mut wh, &format!("{t}.state"), &f.states);
    in_list(&mut wh, &format!("{t}.topic"), &f.topic);
    in_list(&mut wh, "p.number", &f.numbers);
    if !f.ids.is_empty() {
        let id_col = if drive == Drive::Viewers { "v.petition_id" } else { "p.id" };
        match dialect {
            // One array parameter: the statement's text is the same for
            // every window, so the connection's prepared statement serves
            // the next search instead of a new one per count of ids.
            Dialect::Postgres => {
                let list = f.ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                wh.push(&format!(" AND {id_col} = ANY(CAST(")).bind(Arg::S(format!("{{{list}}}"))).push(" AS BIGINT[]))");
            }
            Dialect::Sqlite => {
                wh.push(&format!(" AND {id_col} IN ("));
                wh.ints(&f.ids);
                wh.push(")");
            }
        }
    }
    if let Some(u) = f.current_unit
        && !inbox
    {
        wh.push(" AND p.current_unit_id = ").bind(Arg::I(u));
    }
    if let Some(h) = &f.petitioner_id_hash {
        wh.push(" AND EXISTS (SELECT 1 FROM petitioners pt WHERE pt.petition_id = p.id AND pt.id_hash = ")
            .bind(Arg::S(h.clone()))
            .push(")");
    }
    if let Some(h) = &f.petitioner_phone_hash {
        wh.push(" AND EXISTS (SELECT 1 FROM petitioners pt WHERE pt.petition_id = p.id AND pt.phone_hash = ")
            .bind(Arg::S(h.clone()))
            .push(")");
    }
    // Words are looked up in the full-text index when the caller built a
    // query for it (`fulltext`); `text` alone is the older bounded scan.
    if let Some(text) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty() && f.fulltext.is_none()) {
        let words: Vec<&str> = text.split_whitespace().take(5).collect();
        // Bounded: only the viewer's most recent rows are read for a text
        // search (a name is looked up by its index, a title word is not).
        if let Some(u) = vis.and_then(|v| v.unit_ids.first()) {
            wh.push(&format!(" AND {reg_col} >= COALESCE((SELECT w2.registered_at FROM petition_viewers w2 WHERE w2.unit_id = "))
                .bind(Arg::I(*u))
                .push(" ORDER BY w2.registered_at DESC LIMIT 1 OFFSET ")
                .bind(Arg::I(TEXT_SEARCH_ROWS - 1))
                .push("), '')");
        }
        wh.push(" AND (p.id IN (SELECT pn.petition_id FROM petitioners pn WHERE pn.name = ").bind(Arg::S(text.to_string())).push(")");
        wh.push(" OR (");
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                wh.push(" AND ");
            }
            let escaped = w.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            wh.push("p.title LIKE ").bind(Arg::S(format!("%{escaped}%"))).push(" ESCAPE '\\'");
        }
        wh.push("))");
    }
    if let Some(k) = f.source_key_id {
        wh.push(" AND p.source_key_id = ").bind(Arg::I(k));
    }
    if let Some(c) = &f.category {
        wh.push(&format!(" AND {t}.category = ")).bind(Arg::S(c.clone()));
    }
    if let Some(c) = &f.channel {
        wh.push(" AND p.channel = ").bind(Arg::S(c.clone()));
    }

    // Registration instants are UTC; the filter's dates are Beijing days.
    if let Some(d) = f.from {
        wh.push(&format!(" AND {reg_col} >= ")).bind(Arg::S(beijing_day_start(d)));
    }
    if let Some(d) = f.to.and_then(|d| d.succ_opt()) {
        wh.push(&format!(" AND {reg_col} < ")).bind(Arg::S(beijing_day_start(d)));
    }
    if let (Some(overdue), Some(today)) = (f.overdue, f.today) {
        if overdue {
            wh.push(&format!(" AND {due_col} < ")).bind(Arg::S(fmt_date(today)));
        } else {
            wh.push(&format!(" AND {due_col} >= ")).bind(Arg::S(fmt_date(today)));
        }
    }
    (from, wh, reg_col, due_col)
}

fn in_list(sql: &mut Sql, col: &str, values: &[String]) {
    if values.is_empty() {
        return;
    }
    sql.push(&format!(" AND {col} IN (")).texts(values).push(")");
}

/// `col IN (ids)` for the viewing units (written into the statement:
/// `Sql::ints`).
pub(crate) fn viewer_in(sql: &mut Sql, col: &str, ids: &[i64]) {
    sql.push(&format!("{col} IN ("));
    sql.ints(ids);
    sql.push(")");
}

pub(crate) fn args(sql: &Sql) -> sqlx::any::AnyArguments {
    use sqlx::Arguments;
    let mut a = sqlx::any::AnyArguments::default();
    for v in &sql.args {
        // Adding a plain i64 or String cannot fail.
        let _ = match v {
            Arg::I(i) => a.add(*i),
            Arg::S(s) => a.add(s.clone()),
        };
    }
    a
}

/// `Store::petition_by_number` on a connection already held: the row, then
/// its deadlines and petitioners, one statement after another (on one
/// connection a statement is a round trip; three connections were three
/// pings more).
pub(crate) async fn petition_by_number_on(c: &mut AnyConnection, number: &str) -> Result<Option<PetitionRecord>> {
    let row = sqlx::query("SELECT * FROM petitions WHERE number = $1").bind(number.to_string()).fetch_optional(&mut *c).await?;
    let Some(r) = row else { return Ok(None) };
    let id = r.i("id")?;
    let mut case: Case = serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    case.deadlines = deadlines_on(&mut *c, id).await?;
    let petitioners = petitioners_on(&mut *c, id).await?;
    let parse = |col: &str, v: String| StoreError::Corrupt(format!("{col} {v}"));
    let channel = r.s("channel")?;
    let category = r.s("category")?;
    let state = r.s("state")?;
    // The accused unit's code lives in the case (it may be designated later).
    let accused =
        Accused { name: r.os("accused_name")?, unit: r.os("accused_unit")?, position: r.os("accused_position")?, unit_code: None };
    let has_accused = accused != Accused::default();
    Ok(Some(PetitionRecord {
        id,
        number: r.s("number")?,
        query_code_hash: r.s("query_code_hash")?,
        channel: Channel::parse(&channel).ok_or_else(|| parse("channel", channel.clone()))?,
        category: Category::parse(&category).ok_or_else(|| parse("category", category.clone()))?,
        litigation_related: r.b("litigation_related")?,
        topic: r.os("topic")?,
        jurisdiction: r.s("jurisdiction")?,
        title: r.s("title")?,
        content: r.s("content")?,
        request: r.s("request")?,
        facts_and_reasons: r.s("facts_and_reasons")?,
        collective: r.b("collective")?,
        headcount: r.i("headcount")?,
        anonymous: r.b("anonymous")?,
        confidential: r.b("confidential")?,
        accused: has_accused.then_some(accused),
        state: State::parse(&state).ok_or_else(|| parse("state", state.clone()))?,
        registered_at: parse_instant(&r.s("registered_at")?)?,
        updated_at: parse_instant(&r.s("updated_at")?)?,
        repeat_of: r.os("repeat_of")?,
        version: r.i("version")?,
        case,
        petitioners,
    }))
}

async fn petitioners_on(c: &mut AnyConnection, petition_id: i64) -> Result<Vec<StoredPetitioner>> {
    let rows = sqlx::query(
        "SELECT kind, name, id_number, phone, address, id_hash, phone_hash, representative FROM petitioners WHERE petition_id = $1 ORDER BY position",
    )
    .bind(petition_id)
    .fetch_all(c)
    .await?;
    rows.iter().map(stored_petitioner).collect()
}

async fn deadlines_on(c: &mut AnyConnection, petition_id: i64) -> Result<Vec<Deadline>> {
    let rows = sqlx::query("SELECT * FROM deadlines WHERE petition_id = $1 ORDER BY seq").bind(petition_id).fetch_all(c).await?;
    rows.iter()
        .map(|r| {
            let kind = r.s("kind")?;
            let unit = r.s("day_unit")?;
            let policy = r.s("policy")?;
            let bad = |what: &str, v: &str| StoreError::Corrupt(format!("deadline {what} {v}"));
            Ok(Deadline {
                kind: TimerKind::parse(&kind).ok_or_else(|| bad("kind", &kind))?,
                start_event: r.i("start_event_seq")?.to_string(),
                started_on: parse_date(&r.s("started_on")?)?,
                length: u32::try_from(r.i("length")?).map_err(|_| bad("length", ""))?,
                day_unit: DayUnit::parse(&unit).ok_or_else(|| bad("unit", &unit))?,
                pauses: serde_json::from_str(&r.s("pauses")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                extension_days: u32::try_from(r.i("extension_days")?).map_err(|_| bad("extension", ""))?,
                policy: CountingPolicy::parse(&policy).ok_or_else(|| bad("policy", &policy))?,
                due_on: parse_date(&r.s("due_on")?)?,
                provisional: r.b("provisional")?,
                met_at: r.os("met_at")?.map(|s| parse_instant(&s)).transpose()?,
            })
        })
        .collect()
}

pub(crate) async fn history_on(c: &mut AnyConnection, petition_id: i64) -> Result<Vec<EventRecord>> {
    let rows = sqlx::query(
        "SELECT e.*, u.username AS actor_username FROM events e LEFT JOIN users u ON u.id = e.actor_user_id WHERE e.petition_id = $1 ORDER BY e.seq",
    )
        .bind(petition_id)
        .fetch_all(c)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(EventRecord {
                seq: r.i("seq")?,
                action: r.s("action")?,
                actor_kind: r.s("actor_kind")?,
                actor_user_id: r.oi("actor_user_id")?,
                actor_username: r.os("actor_username")?,
                actor_unit_id: r.oi("actor_unit_id")?,
                occurred_at: r.s("occurred_at")?,
                recorded_at: r.s("recorded_at")?,
                from_state: r.os("from_state")?,
                to_state: r.s("to_state")?,
                payload: serde_json::from_str(&r.s("payload")?).unwrap_or(Value::Null),
                reason: r.os("reason")?,
            })
        })
        .collect()
}

pub(crate) async fn notices_on(c: &mut AnyConnection, petition_id: i64) -> Result<Vec<NoticeRecord>> {
    let rows = sqlx::query("SELECT event_seq, created_at, body FROM notices WHERE petition_id = $1 ORDER BY id")
        .bind(petition_id)
        .fetch_all(c)
        .await?;
    rows.iter().map(|r| Ok(NoticeRecord { event_seq: r.i("event_seq")?, created_at: r.s("created_at")?, body: r.s("body")? })).collect()
}

pub(crate) async fn attachments_on(c: &mut AnyConnection, petition_id: i64) -> Result<Vec<AttachmentMeta>> {
    let rows = sqlx::query("SELECT id, filename, content_type, size, sha256 FROM attachments WHERE petition_id = $1 ORDER BY id")
        .bind(petition_id)
        .fetch_all(c)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(AttachmentMeta {
                id: r.i("id")?,
                filename: r.s("filename")?,
                content_type: r.s("content_type")?,
                size: r.i("size")?,
                sha256: r.s("sha256")?,
            })
        })
        .collect()
}

/// `Store::petition_visible` on a connection already held.
pub(crate) async fn petition_visible_on(c: &mut AnyConnection, petition_id: i64, vis: &Visibility) -> Result<bool> {
    let mut sql = Sql::new("SELECT COUNT(*) FROM petition_viewers v WHERE v.petition_id = ");
    sql.bind(Arg::I(petition_id));
    sql.push(" AND ");
    viewer_in(&mut sql, "v.unit_id", &vis.unit_ids);
    let n: i64 = sqlx::query_scalar_with(AssertSqlSafe(sql.text.as_str()), args(&sql)).fetch_one(c).await?;
    Ok(n > 0)
}
