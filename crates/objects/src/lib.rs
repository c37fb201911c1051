//! Attachment content as content-addressed objects (issue 9, item 4).
//!
//! The petition tables keep an attachment's name, type, size and SHA-256
//! (bound into the record's HMAC anchor); the bytes live here, under the
//! key `sha256/<first two hex digits>/<sha256>`, on the local filesystem
//! (default: `<data dir>/objects`) or in an S3-compatible bucket. The
//! `object_store` dependency stays inside this crate.
//!
//! An upload streams into a temporary object while it is hashed and
//! counted; over the limit it is aborted and the partial object deleted.
//! Only when the caller has checked it is it moved to its final key, so a
//! refused file never appears under a SHA-256.

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("object store configuration: {0}")]
    Config(String),
    #[error("object larger than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("object {0} not found")]
    NotFound(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, ObjectError>;

/// Settings of an S3-compatible store (MinIO, Ceph RGW, a cloud bucket).
#[derive(Debug, Clone, Default)]
pub struct S3Settings {
    /// `http://127.0.0.1:9000`; empty for AWS itself.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Path-style requests (`endpoint/bucket/key`), as most self-hosted
    /// servers need; virtual-hosted style otherwise.
    pub path_style: bool,
}

/// What an upload stored: its SHA-256 (the key) and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub sha256: String,
    pub size: i64,
}

/// The object store attachments live in.
#[derive(Clone)]
pub struct Objects {
    inner: Arc<dyn ObjectStore>,
    /// The directory, for a local store (backup copies it).
    local_root: Option<PathBuf>,
    url: String,
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Objects").field("url", &self.url).finish()
    }
}

/// The key of an object with this SHA-256 (two-digit fan-out keeps local
/// directories small).
pub fn key_of(sha256: &str) -> String {
    format!("sha256/{}/{sha256}", sha256.get(..2).unwrap_or("00"))
}

fn valid_sha(sha256: &str) -> bool {
    sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Objects {
    /// A store on the local filesystem, creating the directory.
    pub fn local(root: &Path) -> Result<Objects> {
        std::fs::create_dir_all(root)?;
        let root = root.canonicalize()?;
        let fs = LocalFileSystem::new_with_prefix(&root)?.with_automatic_cleanup(true);
        Ok(Objects { inner: Arc::new(fs), url: format!("file://{}", root.display()), local_root: Some(root) })
    }

    /// `file:///var/lib/xinfang/objects` or `s3://bucket[/prefix]`.
    pub fn open(url: &str, s3: &S3Settings) -> Result<Objects> {
        if let Some(path) = url.strip_prefix("file://") {
            return Objects::local(Path::new(path));
        }
        let Some(rest) = url.strip_prefix("s3://") else {
            return Err(ObjectError::Config(format!("unsupported object_store_url {url} (file:// or s3://)")));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(ObjectError::Config("s3:// URL without a bucket".into()));
        }
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(s3.region.clone().unwrap_or_else(|| "us-east-1".into()))
            .with_virtual_hosted_style_request(!s3.path_style);
        if let Some(e) = &s3.endpoint {
            b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
        }
        if let Some(k) = &s3.access_key_id {
            b = b.with_access_key_id(k);
        }
        if let Some(k) = &s3.secret_access_key {
            b = b.with_secret_access_key(k);
        }
        let store: Arc<dyn ObjectStore> = Arc::new(b.build()?);
        let inner: Arc<dyn ObjectStore> = if prefix.trim_matches('/').is_empty() {
            store
        } else {
            Arc::new(object_store::prefix::PrefixStore::new(store, prefix.trim_matches('/')))
        };
        Ok(Objects { inner, local_root: None, url: url.to_string() })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The directory of a local store.
    pub fn local_root(&self) -> Option<&Path> {
        self.local_root.as_deref()
    }

    /// Start a streamed upload of at most `limit` bytes.
    pub async fn begin(&self, limit: u64) -> Result<Upload> {
        let temp = ObjectPath::from(format!("tmp/{}", hex::encode(rand::random::<[u8; 16]>())));
        let upload = self.inner.put_multipart(&temp).await?;
        Ok(Upload { objects: self.clone(), temp, writer: Some(WriteMultipart::new(upload)), hasher: Sha256::new(), size: 0, limit })
    }

    /// Store bytes already in memory (small JSON uploads, migration).
    pub async fn put_bytes(&self, content: &[u8]) -> Result<Stored> {
        let sha256 = hex::encode(Sha256::digest(content));
        let path = ObjectPath::from(key_of(&sha256));
        if self.inner.head(&path).await.is_err() {
            self.inner.put(&path, PutPayload::from(Bytes::copy_from_slice(content))).await?;
        }
        Ok(Stored { sha256, size: i64::try_from(content.len()).unwrap_or(i64::MAX) })
    }

    /// The object's bytes as a stream (never read whole into memory).
    pub async fn get(&self, sha256: &str) -> Result<BoxStream<'static, Result<Bytes>>> {
        if !valid_sha(sha256) {
            return Err(ObjectError::NotFound(sha256.into()));
        }
        let r = match self.inner.get(&ObjectPath::from(key_of(sha256))).await {
            Err(object_store::Error::NotFound { .. }) => return Err(ObjectError::NotFound(sha256.into())),
            r => r?,
        };
        Ok(r.into_stream().map(|c| c.map_err(ObjectError::from)).boxed())
    }

    pub async fn exists(&self, sha256: &str) -> Result<bool> {
        match self.inner.head(&ObjectPath::from(key_of(sha256))).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Re-hash the stored content (verify): `None` when the object is missing.
    pub async fn rehash(&self, sha256: &str) -> Result<Option<String>> {
        let mut s = match self.get(sha256).await {
            Ok(s) => s,
            Err(ObjectError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut h = Sha256::new();
        while let Some(chunk) = s.next().await {
            h.update(&chunk?);
        }
        Ok(Some(hex::encode(h.finalize())))
    }

    async fn read_path(&self, path: &ObjectPath, limit: u64) -> Result<Vec<u8>> {
        let mut s = self.inner.get(path).await?.into_stream();
        let mut out = Vec::new();
        while let Some(chunk) = s.next().await {
            out.extend_from_slice(&chunk?);
            if out.len() as u64 > limit {
                return Err(ObjectError::TooLarge { limit });
            }
        }
        Ok(out)
    }
}

/// A streamed upload into a temporary object.
pub struct Upload {
    objects: Objects,
    temp: ObjectPath,
    writer: Option<WriteMultipart>,
    hasher: Sha256,
    size: u64,
    limit: u64,
}

impl Upload {
    /// Append a chunk; over the limit the upload is aborted and the
    /// partial object removed.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<()> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            let limit = self.limit;
            self.abort_inner().await;
            return Err(ObjectError::TooLarge { limit });
        }
        self.hasher.update(chunk);
        if let Some(w) = self.writer.as_mut() {
            // Back-pressure: at most a few parts in flight.
            w.wait_for_capacity(4).await?;
            w.write(chunk);
        }
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    async fn abort_inner(&mut self) {
        if let Some(w) = self.writer.take() {
            let _ = w.abort().await;
        }
        let _ = self.objects.inner.delete(&self.temp).await;
    }

    /// Give up: nothing stays behind.
    pub async fn abort(mut self) {
        self.abort_inner().await;
    }

    /// Complete the temporary object; it is not yet under its SHA-256.
    pub async fn finish(mut self) -> Result<Staged> {
        let Some(w) = self.writer.take() else { return Err(ObjectError::Config("upload already aborted".into())) };
        if let Err(e) = w.finish().await {
            let _ = self.objects.inner.delete(&self.temp).await;
            return Err(e.into());
        }
        let sha256 = hex::encode(std::mem::take(&mut self.hasher).finalize());
        Ok(Staged {
            objects: self.objects.clone(),
            temp: self.temp.clone(),
            stored: Stored { sha256, size: i64::try_from(self.size).unwrap_or(i64::MAX) },
        })
    }
}

/// A complete upload waiting for its checks.
pub struct Staged {
    objects: Objects,
    temp: ObjectPath,
    pub stored: Stored,
}

impl Staged {
    /// The whole content, for checks that need it (zip directory, UTF-8).
    pub async fn read_all(&self, limit: u64) -> Result<Vec<u8>> {
        self.objects.read_path(&self.temp, limit).await
    }

    /// Move the object under its SHA-256 (content-addressed: an existing
    /// object with that key already holds the same bytes).
    pub async fn commit(self) -> Result<Stored> {
        let key = ObjectPath::from(key_of(&self.stored.sha256));
        if self.objects.inner.head(&key).await.is_ok() {
            self.objects.inner.delete(&self.temp).await?;
        } else {
            self.objects.inner.rename(&self.temp, &key).await?;
        }
        Ok(self.stored)
    }

    pub async fn discard(self) {
        let _ = self.objects.inner.delete(&self.temp).await;
    }
}

/// Copy every object of a local store into `dest` (backup), or back.
pub fn copy_tree(from: &Path, dest: &Path) -> std::io::Result<u64> {
    let mut n = 0;
    std::fs::create_dir_all(dest)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let name = e.file_name();
        if name == "tmp" {
            continue;
        }
        let target = dest.join(&name);
        if e.file_type()?.is_dir() {
            n += copy_tree(&e.path(), &target)?;
        } else if !target.exists() {
            std::fs::copy(e.path(), &target)?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn streamed_upload_is_content_addressed_and_over_limit_leaves_nothing() -> Result<()> {
        let dir = tempfile::tempdir()?;
        let o = Objects::local(dir.path())?;
        let mut u = o.begin(10).await?;
        u.write(b"hello ").await?;
        u.write(b"world").await.err().ok_or(ObjectError::Config("limit not enforced".into()))?;
        let mut u = o.begin(100).await?;
        u.write(b"hello ").await?;
        u.write(b"world").await?;
        let s = u.finish().await?.commit().await?;
        assert_eq!(s.sha256, hex::encode(Sha256::digest(b"hello world")));
        assert!(dir.path().canonicalize()?.join(key_of(&s.sha256)).exists());
        assert_eq!(o.rehash(&s.sha256).await?, Some(s.sha256.clone()));
        let tmp = dir.path().join("tmp");
        assert!(!tmp.exists() || std::fs::read_dir(&tmp)?.next().is_none());
        Ok(())
    }
}
