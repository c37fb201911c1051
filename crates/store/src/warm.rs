//! A new connection runs the statements of the commonest requests once
//! before it serves: a session's token, a petition's page.
//!
//! On PostgreSQL a new backend knows nothing yet: its first statement on a
//! table reads that table's catalog entries, and each statement text is
//! parsed and planned on its first use on that connection (sqlx keeps it
//! prepared per connection afterwards). A petition's page touches a dozen
//! tables, so the first page served by each of a pool's 16 connections
//! paid for all of it: p95 18.5 ms against 7 ms on a warm pool
//! (docs/performance.md, session 42). Warming runs the very statements the
//! requests run — the same text, the same parameter types — for a row
//! that cannot exist, so nothing is read or written.
//!
//! Only after the schema is migrated (`Store::warm_pool` turns it on): a
//! statement prepared before a migration that adds a column to its table
//! would fail afterwards ("cached plan must not change result type").

use crate::db::{Result, Store};
use crate::petitions::Visibility;
use sqlx::AnyConnection;
use std::sync::atomic::Ordering;

/// Run the token lookup and a petition page's reads once on `c`. A failure
/// is logged and otherwise ignored: warming is an optimisation, and the
/// connection is as usable as an unwarmed one.
pub(crate) async fn warm_on(c: &mut AnyConnection) {
    if let Err(e) = statements(c).await {
        tracing::debug!(error = %e, "warming a new connection failed");
    }
}

async fn statements(c: &mut AnyConnection) -> Result<()> {
    use crate::{approvals, disputes, documents, green_channel, petitions as p, risk};
    let now = chrono::Utc::now();
    crate::users::token_row_on(c, "", now, now).await?;
    // No petition is numbered "" or has id 0: each statement finds nothing.
    p::petition_by_number_on(c, "").await?;
    p::deadlines_on(c, 0).await?;
    p::petitioners_on(c, 0).await?;
    // A unit alone, and a unit acting for another (two bound ids).
    p::petition_visible_on(c, 0, &Visibility { unit_ids: vec![0] }).await?;
    p::petition_visible_on(c, 0, &Visibility { unit_ids: vec![0, 0] }).await?;
    p::history_on(c, 0).await?;
    p::notices_on(c, 0).await?;
    p::attachments_on(c, 0).await?;
    approvals::approvals_of_petition_on(c, 0).await?;
    documents::documents_of_on(c, 0).await?;
    risk::risk_alerts_of_on(c, 0).await?;
    disputes::dispute_of_petition_on(c, "").await?;
    green_channel::green_channel_of_on(c, 0).await?;
    Ok(())
}

impl Store {
    /// Warm every connection the pool may hold, and every one it opens
    /// from now on; answers how many connections it warmed. Call once the
    /// schema is migrated; `serve` does it in the background right after
    /// start-up, so the first requests find open, warmed connections
    /// instead of opening them.
    pub async fn warm_pool(&self) -> Result<usize> {
        self.warm.store(true, Ordering::Release);
        // Take as many connections as the pool may hold, all at once: the
        // pool opens the missing ones (each warmed by the connect hook);
        // those already open are warmed here.
        let max = self.pool.options().get_max_connections() as usize;
        let mut held = Vec::with_capacity(max);
        for _ in 0..max {
            match self.pool.try_acquire() {
                Some(c) => held.push(c),
                None if self.pool.size() < self.pool.options().get_max_connections() => held.push(self.pool.acquire().await?),
                None => break,
            }
        }
        // Here a failure is the caller's to see: after migration every one
        // of these statements must run (a test holds it to that).
        for c in &mut held {
            statements(c).await?;
        }
        Ok(held.len())
    }
}
