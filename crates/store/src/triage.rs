//! The triage rule table an admin edits (issue 13, item 3): one JSON
//! document in the database, so that every node suggests the same.

use crate::db::{Result, Store};

impl Store {
    /// The triage rule table as JSON, if an admin stored one.
    pub async fn triage_rules(&self) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT body FROM triage_rules WHERE id = 1").fetch_optional(&self.pool).await?)
    }

    /// Store the triage rule table (JSON, already validated).
    pub async fn set_triage_rules(&self, body: &str, user_id: i64) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO triage_rules (id, body, updated_at, updated_by) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(body.to_string())
        .bind(crate::db::fmt_instant(chrono::Utc::now()))
        .bind(user_id)
        .execute(&mut *w.tx)
        .await?;
        w.commit().await
    }
}
