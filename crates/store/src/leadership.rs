//! Leaders owning cases, triage tracks and escalations (issue 12, item 3;
//! rules in `domain::leadership`). Each write goes with its history event
//! in one transaction.

use crate::db::{Result, RowExt, Store, StoreError, fmt_date, fmt_instant, parse_date, parse_instant};
use crate::petitions::EventDraft;
use chrono::{DateTime, NaiveDate, Utc};
use xinfang_domain::procedure::Case;
use xinfang_domain::unit::UnitId;

/// The owner leader of a petition now.
#[derive(Debug, Clone)]
pub struct LeadRow {
    pub leader_id: i64,
    pub leader_name: String,
    pub leader_unit_id: UnitId,
    pub assigned_at: DateTime<Utc>,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct TrackRow {
    pub track: String,
    pub due_on: Option<NaiveDate>,
    pub set_at: DateTime<Utc>,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct EscalationRow {
    pub id: i64,
    pub to_unit_id: UnitId,
    pub reason: String,
    pub escalated_by: String,
    pub escalated_at: DateTime<Utc>,
    /// (when, by whom, text), oldest first.
    pub records: Vec<(DateTime<Utc>, String, String)>,
}

/// Everything of this kind about one petition.
#[derive(Debug, Clone, Default)]
pub struct Leadership {
    pub lead: Option<LeadRow>,
    pub track: Option<TrackRow>,
    pub escalations: Vec<EscalationRow>,
}

/// A case a leader owns, for the leader's page.
#[derive(Debug, Clone)]
pub struct LedCase {
    pub number: String,
    pub title: String,
    pub state: String,
    pub next_due_on: Option<NaiveDate>,
    pub track: Option<String>,
    pub track_due_on: Option<NaiveDate>,
    pub assigned_at: DateTime<Utc>,
    pub confidential: bool,
    /// The procedure state now, for the leader's access rules (Art. 30:
    /// a claim may since have become a sealed or hidden accusation).
    pub case: Case,
}

impl Store {
    /// Make `leader_id` the owner of the petition (releasing any other),
    /// with its history event.
    pub async fn set_lead(&self, petition_id: i64, leader_id: i64, by: i64, note: &str, event: &EventDraft) -> Result<()> {
        let now = fmt_instant(Utc::now());
        let mut w = self.begin_write().await?;
        sqlx::query("UPDATE petition_leads SET released_at = $1 WHERE petition_id = $2 AND released_at IS NULL")
            .bind(now.clone())
            .bind(petition_id)
            .execute(&mut *w.tx)
            .await?;
        sqlx::query("INSERT INTO petition_leads (petition_id, leader_id, assigned_by, assigned_at, note) VALUES ($1, $2, $3, $4, $5)")
            .bind(petition_id)
            .bind(leader_id)
            .bind(by)
            .bind(now)
            .bind(note.to_string())
            .execute(&mut *w.tx)
            .await?;
        self.insert_event(&mut w, petition_id, event).await?;
        w.commit().await
    }

    /// Set the petition's triage track, with its history event.
    pub async fn set_track(
        &self,
        petition_id: i64,
        track: &str,
        due_on: Option<NaiveDate>,
        by: i64,
        note: &str,
        event: &EventDraft,
    ) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO petition_tracks (petition_id, track, due_on, set_by, set_at, note) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (petition_id) DO UPDATE SET track = excluded.track, due_on = excluded.due_on, set_by = excluded.set_by, set_at = excluded.set_at, note = excluded.note",
        )
        .bind(petition_id)
        .bind(track.to_string())
        .bind(due_on.map(fmt_date))
        .bind(by)
        .bind(fmt_instant(Utc::now()))
        .bind(note.to_string())
        .execute(&mut *w.tx)
        .await?;
        self.insert_event(&mut w, petition_id, event).await?;
        w.commit().await
    }

    /// Escalate the petition to `to_unit` (the joint conference, whose tree
    /// path is `to_unit_path`), with its history event; the conference may
    /// open the petition from then on. Returns the escalation's id.
    pub async fn escalate(
        &self,
        petition_id: i64,
        (to_unit, to_unit_path): (UnitId, &str),
        by: i64,
        reason: &str,
        event: &EventDraft,
    ) -> Result<i64> {
        let mut w = self.begin_write().await?;
        sqlx::query("INSERT INTO petition_units (petition_id, unit_id, unit_path) VALUES ($1, $2, $3) ON CONFLICT (petition_id, unit_id) DO NOTHING")
            .bind(petition_id)
            .bind(to_unit)
            .bind(to_unit_path.to_string())
            .execute(&mut *w.tx)
            .await?;
        self.refresh_viewers(&mut w, petition_id, false).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO escalations (petition_id, to_unit_id, reason, escalated_by, escalated_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(petition_id)
        .bind(to_unit)
        .bind(reason.to_string())
        .bind(by)
        .bind(fmt_instant(Utc::now()))
        .fetch_one(&mut *w.tx)
        .await?;
        self.insert_event(&mut w, petition_id, event).await?;
        w.commit().await?;
        Ok(id)
    }

    /// Add a coordination record to escalation `id` of the petition;
    /// false if the escalation is not the petition's.
    pub async fn add_escalation_record(&self, petition_id: i64, id: i64, by: i64, text: &str, event: &EventDraft) -> Result<bool> {
        let mut w = self.begin_write().await?;
        let ours: Option<i64> = sqlx::query_scalar("SELECT id FROM escalations WHERE id = $1 AND petition_id = $2")
            .bind(id)
            .bind(petition_id)
            .fetch_optional(&mut *w.tx)
            .await?;
        if ours.is_none() {
            return Ok(false);
        }
        sqlx::query("INSERT INTO escalation_records (escalation_id, recorded_by, recorded_at, text) VALUES ($1, $2, $3, $4)")
            .bind(id)
            .bind(by)
            .bind(fmt_instant(Utc::now()))
            .bind(text.to_string())
            .execute(&mut *w.tx)
            .await?;
        self.insert_event(&mut w, petition_id, event).await?;
        w.commit().await?;
        Ok(true)
    }

    /// The owner, track and escalations of a petition (three reads).
    pub async fn leadership(&self, petition_id: i64) -> Result<Leadership> {
        let lead = sqlx::query(
            "SELECT l.leader_id, u.display_name, u.unit_id, l.assigned_at, l.note FROM petition_leads l JOIN users u ON u.id = l.leader_id \
             WHERE l.petition_id = $1 AND l.released_at IS NULL",
        )
        .bind(petition_id)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| -> Result<LeadRow> {
            Ok(LeadRow {
                leader_id: r.i("leader_id")?,
                leader_name: r.s("display_name")?,
                leader_unit_id: r.i("unit_id")?,
                assigned_at: parse_instant(&r.s("assigned_at")?)?,
                note: r.s("note")?,
            })
        })
        .transpose()?;
        let track = sqlx::query("SELECT track, due_on, set_at, note FROM petition_tracks WHERE petition_id = $1")
            .bind(petition_id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| -> Result<TrackRow> {
                Ok(TrackRow {
                    track: r.s("track")?,
                    due_on: r.os("due_on")?.as_deref().map(parse_date).transpose()?,
                    set_at: parse_instant(&r.s("set_at")?)?,
                    note: r.s("note")?,
                })
            })
            .transpose()?;
        let rows = sqlx::query(
            "SELECT e.id, e.to_unit_id, e.reason, u.display_name AS by_name, e.escalated_at, r.recorded_at, ru.display_name AS record_by, r.text \
             FROM escalations e JOIN users u ON u.id = e.escalated_by \
             LEFT JOIN escalation_records r ON r.escalation_id = e.id LEFT JOIN users ru ON ru.id = r.recorded_by \
             WHERE e.petition_id = $1 ORDER BY e.id, r.id",
        )
        .bind(petition_id)
        .fetch_all(&self.pool)
        .await?;
        let mut escalations: Vec<EscalationRow> = Vec::new();
        for r in &rows {
            let id = r.i("id")?;
            if escalations.last().is_none_or(|e| e.id != id) {
                escalations.push(EscalationRow {
                    id,
                    to_unit_id: r.i("to_unit_id")?,
                    reason: r.s("reason")?,
                    escalated_by: r.s("by_name")?,
                    escalated_at: parse_instant(&r.s("escalated_at")?)?,
                    records: Vec::new(),
                });
            }
            if let (Some(at), Some(text)) = (r.os("recorded_at")?, r.os("text")?)
                && let Some(e) = escalations.last_mut()
            {
                e.records.push((parse_instant(&at)?, r.os("record_by")?.unwrap_or_default(), text));
            }
        }
        Ok(Leadership { lead, track, escalations })
    }

    /// Active users of the given units with one of `roles`:
    /// (username, display name, unit id), for a leader picker.
    pub async fn users_in_units(&self, units: &[UnitId], roles: &[&str]) -> Result<Vec<(String, String, UnitId)>> {
        if units.is_empty() || roles.is_empty() {
            return Ok(Vec::new());
        }
        let um: Vec<String> = (1..=units.len()).map(|i| format!("${i}")).collect();
        let rm: Vec<String> = (units.len() + 1..=units.len() + roles.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT username, display_name, unit_id FROM users WHERE active = 1 AND unit_id IN ({}) AND role IN ({}) ORDER BY unit_id, display_name",
            um.join(", "),
            rm.join(", ")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for u in units {
            q = q.bind(*u);
        }
        for r in roles {
            q = q.bind(r.to_string());
        }
        let rows = q.fetch_all(&self.pool).await?;
        rows.iter().map(|r| Ok((r.s("username")?, r.s("display_name")?, r.i("unit_id")?))).collect()
    }

    /// The cases `leader_id` owns now, the nearest due first.
    pub async fn led_by(&self, leader_id: i64) -> Result<Vec<LedCase>> {
        let rows = sqlx::query(
            "SELECT p.number, p.title, p.state, p.next_due_on, p.confidential, p.case_json, t.track, t.due_on AS track_due_on, l.assigned_at \
             FROM petition_leads l JOIN petitions p ON p.id = l.petition_id LEFT JOIN petition_tracks t ON t.petition_id = p.id \
             WHERE l.leader_id = $1 AND l.released_at IS NULL ORDER BY COALESCE(p.next_due_on, '9999-12-31'), p.number",
        )
        .bind(leader_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LedCase {
                    number: r.s("number")?,
                    title: r.s("title")?,
                    state: r.s("state")?,
                    next_due_on: r.os("next_due_on")?.as_deref().map(parse_date).transpose()?,
                    track: r.os("track")?,
                    track_due_on: r.os("track_due_on")?.as_deref().map(parse_date).transpose()?,
                    assigned_at: parse_instant(&r.s("assigned_at")?)?,
                    confidential: r.b("confidential")?,
                    case: serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }

    /// A petition's procedure state and confidentiality, for an access
    /// check on someone other than the caller (a leader to own it);
    /// None when there is no such petition.
    pub async fn petition_access(&self, petition_id: i64) -> Result<Option<(Case, bool)>> {
        let row =
            sqlx::query("SELECT case_json, confidential FROM petitions WHERE id = $1").bind(petition_id).fetch_optional(&self.pool).await?;
        row.map(|r| -> Result<(Case, bool)> {
            let case: Case = serde_json::from_str(&r.s("case_json")?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok((case, r.b("confidential")?))
        })
        .transpose()
    }
}
