//! A real S3-compatible server inside the test process (the `s3s` protocol implementation over
//! `s3s-fs`, which keeps objects in a temporary directory), with SigV4 authentication and one
//! bucket, so the S3 store is tested against the wire protocol and not a mock of it.

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnectionBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Where a test instance keeps its pictures: the two stores `media.storage` chooses between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// A directory (a fresh temporary one per instance).
    Fs,
    /// A bucket on an S3-compatible server started for the instance ([`S3Server`]).
    S3,
}

/// The bucket every test server starts with.
pub const BUCKET: &str = "hearth-media";
/// The region the server and Hearth agree on.
pub const REGION: &str = "us-east-1";
/// The access key the server accepts (with [`SECRET_KEY`]); any other request is refused.
pub const ACCESS_KEY: &str = "hearth-test-access";
/// The secret key of [`ACCESS_KEY`].
pub const SECRET_KEY: &str = "hearth-test-secret-key-0123456789";

/// A running S3-compatible server on `127.0.0.1:<free port>`. It stops when dropped, and its
/// directory is removed.
pub struct S3Server {
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    root: tempfile::TempDir,
    accept: JoinHandle<()>,
}

impl S3Server {
    /// Starts a server with [`BUCKET`] already there.
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("a directory for the S3 server");
        // s3s-fs keeps a bucket as a directory under its root: making it is creating the bucket.
        std::fs::create_dir(root.path().join(BUCKET)).expect("the bucket is created");
        let store = s3s_fs::FileSystem::new(root.path()).expect("the S3 file system starts");
        let service = {
            let mut builder = S3ServiceBuilder::new(store);
            builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
            builder.build()
        };
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("a port for the S3 server");
        let address = listener.local_addr().expect("the S3 server's address");
        let accept = tokio::spawn(async move {
            let connections = ConnectionBuilder::new(TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let connection = connections
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        });
        Self {
            endpoint: format!("http://{address}"),
            root,
            accept,
        }
    }

    /// The `HEARTH__MEDIA__…` settings that point an instance at this server's bucket.
    pub fn settings(&self) -> Vec<(String, String)> {
        [
            ("HEARTH__MEDIA__STORAGE", "s3"),
            ("HEARTH__MEDIA__S3__BUCKET", BUCKET),
            ("HEARTH__MEDIA__S3__ENDPOINT", self.endpoint.as_str()),
            ("HEARTH__MEDIA__S3__REGION", REGION),
            ("HEARTH__MEDIA__S3__ACCESS_KEY_ID", ACCESS_KEY),
            ("HEARTH__MEDIA__S3__SECRET_ACCESS_KEY", SECRET_KEY),
            ("HEARTH__MEDIA__S3__ALLOW_HTTP", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// The directory the bucket's objects are kept in (to see that they really went there).
    pub fn bucket_dir(&self) -> std::path::PathBuf {
        self.root.path().join(BUCKET)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.accept.abort();
    }
}
