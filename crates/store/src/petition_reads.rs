//! The reads of one petition's page on one connection: the record, whether
//! the caller sees it, and the records beside it (history, notices,
//! attachments, approvals, letters, risk alerts, the dispute it came from,
//! the green channel).
//!
//! The detail page made twelve reads on as many pool acquisitions, eight of
//! them in parallel. On PostgreSQL every acquisition pings the connection
//! first, so each read was two round trips, and on a busy two-core machine
//! a round trip is a wait for a core: the detail's p50 of 8 ms was 3 ms
//! loading, 3 ms of related reads (docs/performance.md, session 41). Here
//! the connection is taken once and the statements follow one another.
//! No transaction: the page shows the record as read, and an act on it is
//! checked against the record's version, not against this read.

use crate::approvals::{Approval, approvals_of_petition_on};
use crate::db::{Result, Store};
use crate::disputes::dispute_of_petition_on;
use crate::documents::{DocumentRow, documents_of_on};
use crate::green_channel::{GreenRow, green_channel_of_on};
use crate::petitions::{
    AttachmentMeta, EventRecord, NoticeRecord, PetitionRecord, Visibility, attachments_on, history_on, notices_on, petition_by_number_on,
    petition_visible_on,
};
use crate::risk::{RiskAlertRow, risk_alerts_of_on};
use sqlx::Any;
use sqlx::pool::PoolConnection;

/// One pooled connection on the primary (a petition's page must show the
/// act its reader has just done), held for the reads of one page.
pub struct PetitionReads {
    conn: PoolConnection<Any>,
}

/// What a petition's page shows beside the record itself.
#[derive(Debug, Default)]
pub struct Related {
    pub history: Vec<EventRecord>,
    pub notices: Vec<NoticeRecord>,
    pub attachments: Vec<AttachmentMeta>,
    pub approvals: Vec<Approval>,
    pub documents: Vec<DocumentRow>,
    pub risk_alerts: Vec<RiskAlertRow>,
    /// The dispute the petition was turned from: its id and the day it was recorded.
    pub dispute: Option<(i64, String)>,
    pub green_channel: Option<GreenRow>,
}

impl Store {
    /// Take a connection for the reads of one petition's page.
    pub async fn petition_reads(&self) -> Result<PetitionReads> {
        Ok(PetitionReads { conn: self.pool.acquire().await? })
    }
}

impl PetitionReads {
    /// The petition numbered `number`, with its deadlines and petitioners.
    pub async fn petition_by_number(&mut self, number: &str) -> Result<Option<PetitionRecord>> {
        petition_by_number_on(&mut self.conn, number).await
    }

    /// Whether a unit of `vis` may see the petition (the lists' rule).
    pub async fn visible(&mut self, petition_id: i64, vis: &Visibility) -> Result<bool> {
        petition_visible_on(&mut self.conn, petition_id, vis).await
    }

    pub async fn history(&mut self, petition_id: i64) -> Result<Vec<EventRecord>> {
        history_on(&mut self.conn, petition_id).await
    }

    pub async fn notices(&mut self, petition_id: i64) -> Result<Vec<NoticeRecord>> {
        notices_on(&mut self.conn, petition_id).await
    }

    pub async fn documents(&mut self, petition_id: i64) -> Result<Vec<DocumentRow>> {
        documents_of_on(&mut self.conn, petition_id).await
    }

    /// Everything the staff page shows beside the record, in one pass.
    pub async fn related(&mut self, rec: &PetitionRecord) -> Result<Related> {
        let c = &mut *self.conn;
        Ok(Related {
            history: history_on(c, rec.id).await?,
            notices: notices_on(c, rec.id).await?,
            attachments: attachments_on(c, rec.id).await?,
            approvals: approvals_of_petition_on(c, rec.id).await?,
            documents: documents_of_on(c, rec.id).await?,
            risk_alerts: risk_alerts_of_on(c, rec.id).await?,
            dispute: dispute_of_petition_on(c, &rec.number).await?,
            green_channel: green_channel_of_on(c, rec.id).await?,
        })
    }
}
