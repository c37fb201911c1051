//! Attachment content in the object store (issue 9): rows keep name, type,
//! size and SHA-256 (anchored in the record); the bytes are read as a
//! stream from `xinfang_objects`, or from the BLOB column for rows written
//! before the move (`migrate_attachments` empties those).

use crate::db::{Result, RowExt, Store, StoreError};
use crate::petitions::AttachmentMeta;
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};
use xinfang_objects::Objects;

/// An attachment's bytes, as a stream of chunks.
pub type ContentStream = BoxStream<'static, Result<Bytes>>;

impl Store {
    /// The same store, with the object store attachment content lives in.
    pub fn with_objects(mut self, objects: Objects) -> Store {
        self.objects = Some(objects);
        self.own_intake_queue();
        self
    }

    pub fn objects(&self) -> Result<&Objects> {
        self.objects.as_ref().ok_or_else(|| StoreError::Corrupt("no object store configured for attachments".into()))
    }

    /// One attachment's metadata and its content as a stream (never read
    /// whole into memory when it is in the object store).
    pub async fn attachment_stream(&self, petition_id: i64, id: i64) -> Result<Option<(AttachmentMeta, ContentStream)>> {
        let Some(r) =
            sqlx::query("SELECT id, filename, content_type, size, sha256, in_objects FROM attachments WHERE petition_id = $1 AND id = $2")
                .bind(petition_id)
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
        else {
            return Ok(None);
        };
        let meta = AttachmentMeta {
            id: r.i("id")?,
            filename: r.s("filename")?,
            content_type: r.s("content_type")?,
            size: r.i("size")?,
            sha256: r.s("sha256")?,
        };
        let body: ContentStream = if r.i("in_objects")? == 1 {
            self.objects()?.get(&meta.sha256).await?.map(|c| c.map_err(StoreError::from)).boxed()
        } else {
            // Fallback for content not yet migrated.
            let blob: Vec<u8> = sqlx::query_scalar("SELECT content FROM attachments WHERE id = $1").bind(id).fetch_one(&self.pool).await?;
            stream::once(async move { Ok(Bytes::from(blob)) }).boxed()
        };
        Ok(Some((meta, body)))
    }

    /// Move BLOB content into the object store, one row at a time, and
    /// empty the column. A row is switched only after its object is stored
    /// and its SHA-256 checked, so an interrupted run is simply run again.
    /// Returns how many rows were moved.
    pub async fn migrate_attachments(&self) -> Result<u64> {
        let objects = self.objects()?.clone();
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM attachments WHERE in_objects = 0 ORDER BY id").fetch_all(&self.pool).await?;
        let mut moved = 0;
        for id in ids {
            let r = sqlx::query("SELECT sha256, content FROM attachments WHERE id = $1").bind(id).fetch_one(&self.pool).await?;
            let content: Vec<u8> = sqlx::Row::try_get(&r, "content")?;
            let stored = objects.put_bytes(&content).await?;
            if stored.sha256 != r.s("sha256")? {
                // Tampered or damaged content stays where verify reports it.
                tracing::warn!(attachment = id, "BLOB does not match its SHA-256; left in place");
                continue;
            }
            let mut w = self.begin_write().await?;
            sqlx::query("UPDATE attachments SET in_objects = 1, content = $1 WHERE id = $2 AND in_objects = 0")
                .bind(Vec::<u8>::new())
                .bind(id)
                .execute(&mut *w.tx)
                .await?;
            w.commit().await?;
            moved += 1;
        }
        Ok(moved)
    }
}
