//! The file store: one interface (`object_store::ObjectStore`) over two implementations, a
//! directory on this machine (the default, nothing to set up) and S3-compatible object storage
//! (for several Hearth processes on several machines), chosen by `media.storage`.

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use hearth_core::settings::{MediaStorage, Settings};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use secrecy::ExposeSecret;
use std::sync::Arc;

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store could not be set up from the settings (the message says why).
    #[error("the media store is not available: {0}")]
    Unavailable(String),
    /// The store failed an operation.
    #[error("the media store failed: {0}")]
    Failed(#[from] object_store::Error),
}

/// A file being read from the store: its size and its bytes as they arrive.
pub struct StoredFile {
    /// The file's size in bytes.
    pub size: u64,
    /// Its bytes.
    pub body: BoxStream<'static, Result<Bytes, StoreError>>,
}

/// Where pictures are kept, by key (a content hash, plus `.thumbnail`/`.blurred` for the
/// derived files, or `remote/<hash of the URL>` for the cache of other servers' images).
#[derive(Clone)]
pub struct MediaStore {
    inner: Result<Arc<dyn ObjectStore>, String>,
    prefix: Option<Path>,
    kind: &'static str,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStore")
            .field("kind", &self.kind)
            .finish()
    }
}

impl MediaStore {
    /// The store the settings choose. Building never fails here: a store that cannot be set up
    /// (a directory that cannot be made) answers every operation with the reason, so a server
    /// still starts and serves everything but pictures.
    pub fn from_settings(settings: &Settings) -> Self {
        let media = &settings.media;
        match media.storage {
            MediaStorage::Fs => {
                let dir = if media.dir.as_os_str().is_empty() {
                    settings.data_dir.join("media")
                } else {
                    media.dir.clone()
                };
                let inner = std::fs::create_dir_all(&dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))
                    .and_then(|()| {
                        LocalFileSystem::new_with_prefix(&dir)
                            .map_err(|e| format!("cannot use {}: {e}", dir.display()))
                    })
                    .map(|fs| Arc::new(fs) as Arc<dyn ObjectStore>);
                Self {
                    inner,
                    prefix: None,
                    kind: "fs",
                }
            }
            MediaStorage::S3 => {
                let s3 = &media.s3;
                let inner = AmazonS3Builder::new()
                    .with_bucket_name(&s3.bucket)
                    .with_endpoint(s3.endpoint.trim_end_matches('/'))
                    .with_region(&s3.region)
                    .with_access_key_id(&s3.access_key_id)
                    .with_secret_access_key(
                        s3.secret_access_key
                            .as_ref()
                            .map(|s| s.expose_secret().to_owned())
                            .unwrap_or_default(),
                    )
                    .with_allow_http(s3.allow_http)
                    // Path-style addressing: what MinIO, Garage and most self-hosted services
                    // expect, and what works with any bucket name.
                    .with_virtual_hosted_style_request(false)
                    .build()
                    .map(|s3| Arc::new(s3) as Arc<dyn ObjectStore>)
                    .map_err(|e| e.to_string());
                let prefix = Some(s3.prefix.trim_matches('/'))
                    .filter(|p| !p.is_empty())
                    .map(Path::from);
                Self {
                    inner,
                    prefix,
                    kind: "s3",
                }
            }
        }
    }

    /// `fs` or `s3`, for logs and the admin's storage view.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    fn store(&self) -> Result<&Arc<dyn ObjectStore>, StoreError> {
        self.inner
            .as_ref()
            .map_err(|why| StoreError::Unavailable(why.clone()))
    }

    fn path(&self, key: &str) -> Path {
        match &self.prefix {
            Some(prefix) => prefix.clone().join(key),
            None => Path::from(key),
        }
    }

    /// Stores `bytes` under `key`, replacing what was there (keys are content hashes, so it is
    /// the same content).
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
        self.store()?
            .put(&self.path(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// The file under `key`, or `None` when there is none.
    pub async fn get(&self, key: &str) -> Result<Option<StoredFile>, StoreError> {
        match self.store()?.get(&self.path(key)).await {
            Ok(result) => {
                let size = result.meta.size;
                let body = result
                    .into_stream()
                    .map(|chunk| chunk.map_err(StoreError::from))
                    .boxed();
                Ok(Some(StoredFile { size, body }))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// The whole file under `key` in memory, or `None` when there is none.
    pub async fn read(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        match self.store()?.get(&self.path(key)).await {
            Ok(result) => Ok(Some(result.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes the file under `key`; a file that is already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self.store()?.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every key in the store with its size (for the admin's prune and storage views).
    pub async fn list(&self) -> Result<Vec<(String, u64)>, StoreError> {
        Ok(self
            .listing()
            .await?
            .into_iter()
            .map(|(key, meta)| (key, meta.size))
            .collect())
    }

    /// Every key in the store with the seconds since it was written.
    pub async fn list_with_age(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let now = chrono::Utc::now();
        Ok(self
            .listing()
            .await?
            .into_iter()
            .map(|(key, meta)| (key, (now - meta.last_modified).num_seconds()))
            .collect())
    }

    async fn listing(&self) -> Result<Vec<(String, object_store::ObjectMeta)>, StoreError> {
        let store = self.store()?;
        let mut listing = store.list(self.prefix.as_ref());
        let mut keys = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta?;
            let full = meta.location.as_ref();
            let key = match &self.prefix {
                Some(prefix) => full
                    .strip_prefix(prefix.as_ref())
                    .map(|k| k.trim_start_matches('/'))
                    .unwrap_or(full),
                None => full,
            };
            keys.push((key.to_owned(), meta.clone()));
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs_store(dir: &std::path::Path) -> MediaStore {
        MediaStore {
            inner: Ok(Arc::new(LocalFileSystem::new_with_prefix(dir).unwrap())),
            prefix: None,
            kind: "fs",
        }
    }

    #[tokio::test]
    async fn a_file_put_can_be_read_listed_and_deleted_once_or_twice() {
        let dir = tempfile::tempdir().unwrap();
        let store = fs_store(dir.path());
        store.put("abc", b"hello".to_vec()).await.unwrap();
        store.put("remote/def", b"hi".to_vec()).await.unwrap();
        assert_eq!(&store.read("abc").await.unwrap().unwrap()[..], b"hello");
        let mut keys = store.list().await.unwrap();
        keys.sort();
        assert_eq!(keys, vec![("abc".into(), 5), ("remote/def".into(), 2)]);
        store.delete("abc").await.unwrap();
        store.delete("abc").await.unwrap();
        assert!(store.read("abc").await.unwrap().is_none());
        assert!(store.get("abc").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_store_that_could_not_be_set_up_says_why_on_every_operation() {
        let store = MediaStore {
            inner: Err("cannot create /nope: denied".into()),
            prefix: None,
            kind: "fs",
        };
        let err = store.put("abc", vec![1]).await.unwrap_err();
        assert!(err.to_string().contains("/nope"), "{err}");
    }
}
