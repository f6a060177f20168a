//! Signing outgoing requests: draft-cavage HTTP signatures over `(request-target) host date
//! digest`, RSA PKCS#1 v1.5 with SHA-256, computed with aws-lc-rs (the `rsa` crate stays for key
//! generation and PEM). Each private key is parsed once and cached by its PEM, so a rotated key
//! is simply a new entry. The body's digest can be computed once per activity
//! ([`body_digest`], [`Signer::sign_with_digest`]): only the request target, host and date
//! differ between the inboxes of one fan-out. Signatures are made on the signer's own threads,
//! one per core, so tokio workers never stall and a burst of deliveries cannot grow the blocking
//! pool (shared with file IO, up to 512 threads) by a thread per signature in flight.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use tokio::sync::oneshot;
use url::Url;

/// The headers of one signed POST.
#[derive(Debug, Clone)]
pub struct SignedHeaders {
    /// `Host`.
    pub host: String,
    /// `Date`, in HTTP format.
    pub date: String,
    /// `Digest: SHA-256=…` of the body.
    pub digest: String,
    /// `Signature`.
    pub signature: String,
}

/// The `Digest` header value of a body: `SHA-256=` and the base64 of its SHA-256.
pub fn body_digest(body: &[u8]) -> String {
    format!("SHA-256={}", BASE64.encode(Sha256::digest(body)))
}

/// Parsed private keys, by PEM text (keys are few: one per local actor that sends, and small),
/// and the threads that sign with them, started at the first signature.
#[derive(Default, Clone)]
pub struct Signer {
    keys: Arc<Mutex<HashMap<Arc<str>, Arc<RsaKeyPair>>>>,
    pool: Arc<OnceLock<SignPool>>,
}

impl Signer {
    /// Signs a POST of `body` to `inbox` as the actor `actor_id` (key id `<actor>#main-key`).
    pub async fn sign_post(
        &self,
        private_key_pem: &str,
        actor_id: &str,
        inbox: &Url,
        body: &[u8],
    ) -> anyhow::Result<SignedHeaders> {
        self.sign_with_digest(private_key_pem, actor_id, inbox, &body_digest(body))
            .await
    }

    /// Signs a POST to `inbox` as the actor `actor_id` of a body whose `Digest` header value
    /// ([`body_digest`]) was computed already: the fan-out of one activity computes it once.
    pub async fn sign_with_digest(
        &self,
        private_key_pem: &str,
        actor_id: &str,
        inbox: &Url,
        digest: &str,
    ) -> anyhow::Result<SignedHeaders> {
        let key = self.key(private_key_pem).await?;
        let host =
            crate::urls::authority(inbox).ok_or_else(|| anyhow::anyhow!("{inbox} has no host"))?;
        let date = chrono::Utc::now()
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        let target = match inbox.query() {
            Some(query) => format!("{}?{query}", inbox.path()),
            None => inbox.path().to_owned(),
        };
        let signing_string = format!(
            "(request-target): post {target}\nhost: {host}\ndate: {date}\ndigest: {digest}"
        );
        let signature = self.pool()?.sign(key, signing_string).await?;
        Ok(SignedHeaders {
            signature: format!(
                r#"keyId="{actor_id}#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="{signature}""#
            ),
            host,
            date,
            digest: digest.to_owned(),
        })
    }

    /// The signing threads, started the first time.
    fn pool(&self) -> anyhow::Result<&SignPool> {
        if let Some(pool) = self.pool.get() {
            return Ok(pool);
        }
        let started = SignPool::start()?;
        // Two first signatures may race: the loser's threads end as its channel is dropped.
        Ok(self.pool.get_or_init(|| started))
    }

    /// The parsed key for a PEM, parsing it (on the blocking pool) the first time.
    async fn key(&self, pem: &str) -> anyhow::Result<Arc<RsaKeyPair>> {
        if let Some(key) = self.cached(pem) {
            return Ok(key);
        }
        let owned = pem.to_owned();
        let key = tokio::task::spawn_blocking(move || parse_private_key(&owned)).await??;
        let key = Arc::new(key);
        if let Ok(mut keys) = self.keys.lock() {
            keys.insert(Arc::from(pem), key.clone());
        }
        Ok(key)
    }

    fn cached(&self, pem: &str) -> Option<Arc<RsaKeyPair>> {
        self.keys.lock().ok()?.get(pem).cloned()
    }
}

/// One signature to make: the key, the signing string, and where the base64 signature goes.
struct SignJob {
    key: Arc<RsaKeyPair>,
    message: String,
    answer: oneshot::Sender<anyhow::Result<String>>,
}

/// OS threads, one per core, that make signatures: RSA is the costliest step of a delivery
/// (about a millisecond of CPU), so more threads than cores would only queue in the kernel
/// instead of here. The threads end when the last clone of their [`Signer`] is dropped.
struct SignPool {
    jobs: mpsc::Sender<SignJob>,
}

impl SignPool {
    fn start() -> anyhow::Result<Self> {
        let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let (jobs, queue) = mpsc::channel::<SignJob>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("hearth-sign-{n}"))
                .spawn(move || {
                    let rng = SystemRandom::new();
                    loop {
                        // The lock is held only while waiting for a job; the others wait for
                        // the lock, and take the next job as soon as this one has its own.
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        let Ok(job) = job else { return };
                        let _ = job.answer.send(sign(&job.key, &rng, &job.message));
                    }
                })?;
        }
        Ok(Self { jobs })
    }

    async fn sign(&self, key: Arc<RsaKeyPair>, message: String) -> anyhow::Result<String> {
        let (answer, signed) = oneshot::channel();
        self.jobs
            .send(SignJob {
                key,
                message,
                answer,
            })
            .map_err(|_| anyhow::anyhow!("the signing threads have stopped"))?;
        signed
            .await
            .map_err(|_| anyhow::anyhow!("a signing thread stopped"))?
    }
}

/// The base64 RSA PKCS#1 v1.5 SHA-256 signature of `message`.
fn sign(key: &RsaKeyPair, rng: &SystemRandom, message: &str) -> anyhow::Result<String> {
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(&RSA_PKCS1_SHA256, rng, message.as_bytes(), &mut signature)
        .map_err(|_| anyhow::anyhow!("signing failed"))?;
    Ok(BASE64.encode(signature))
}

/// Parses a PKCS#8 PEM private key (as `generate_actor_keypair` writes it) for aws-lc-rs.
pub fn parse_private_key(pem: &str) -> anyhow::Result<RsaKeyPair> {
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(pem)?;
    let der = key.to_pkcs8_der()?;
    RsaKeyPair::from_pkcs8(der.as_bytes()).map_err(|e| anyhow::anyhow!("unusable RSA key: {e}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use rsa::Pkcs1v15Sign;
    use rsa::pkcs8::DecodePublicKey;

    /// PKCS#1 v1.5 is deterministic: what aws-lc-rs signs, the `rsa` crate (the library's
    /// verifier) accepts.
    #[tokio::test]
    async fn aws_lc_signatures_verify_with_the_rsa_crate() {
        let keys = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
        let signer = Signer::default();
        let inbox = Url::parse("http://localhost:8536/inbox?x=1").unwrap();
        let headers = signer
            .sign_post(
                &keys.private_key,
                "http://localhost:8001/u/alice",
                &inbox,
                b"{}",
            )
            .await
            .unwrap();
        assert_eq!(headers.host, "localhost:8536");
        assert!(headers.signature.starts_with(
            r#"keyId="http://localhost:8001/u/alice#main-key",algorithm="rsa-sha256""#
        ));
        let encoded = headers
            .signature
            .rsplit("signature=\"")
            .next()
            .unwrap()
            .trim_end_matches('"');
        let signature = BASE64.decode(encoded).unwrap();
        let public = rsa::RsaPublicKey::from_public_key_pem(&keys.public_key).unwrap();
        let message = format!(
            "(request-target): post /inbox?x=1\nhost: localhost:8536\ndate: {}\ndigest: {}",
            headers.date, headers.digest
        );
        public
            .verify(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(message.as_bytes()),
                &signature,
            )
            .expect("the rsa crate accepts the aws-lc signature");
        // The key is parsed once.
        assert_eq!(signer.keys.lock().unwrap().len(), 1);
    }

    /// The `signature="…"` part of a `Signature` header, decoded.
    fn signature_bytes(headers: &SignedHeaders) -> Vec<u8> {
        let encoded = headers
            .signature
            .rsplit("signature=\"")
            .next()
            .unwrap()
            .trim_end_matches('"');
        BASE64.decode(encoded).unwrap()
    }

    /// A signature over a digest computed once for the whole fan-out is the one `sign_post`
    /// makes, and the `rsa` crate accepts both; signatures made at once on the signing threads
    /// each answer their own request.
    #[tokio::test]
    async fn signatures_over_a_precomputed_digest_match_sign_post() {
        let keys = activitypub_federation::http_signatures::generate_actor_keypair().unwrap();
        let public = rsa::RsaPublicKey::from_public_key_pem(&keys.public_key).unwrap();
        let signer = Signer::default();
        let actor = "http://localhost:8001/c/main";
        let body = br#"{"type":"Announce","id":"http://localhost:8001/activities/1"}"#;
        let digest = body_digest(body);
        assert_eq!(
            digest,
            format!("SHA-256={}", BASE64.encode(Sha256::digest(body)))
        );
        let verify = |headers: &SignedHeaders, path: &str, host: &str| {
            assert_eq!(headers.digest, digest);
            assert_eq!(headers.host, host);
            let message = format!(
                "(request-target): post {path}\nhost: {host}\ndate: {}\ndigest: {digest}",
                headers.date
            );
            public
                .verify(
                    Pkcs1v15Sign::new::<Sha256>(),
                    &Sha256::digest(message.as_bytes()),
                    &signature_bytes(headers),
                )
                .expect("the rsa crate accepts the signature");
        };
        let inbox = Url::parse("http://localhost:8536/inbox").unwrap();
        // PKCS#1 v1.5 is deterministic: within one second (the date's resolution) both ways give
        // the same header. A second boundary between the two changes the date; retried once.
        let mut same = false;
        for _ in 0..2 {
            let whole = signer
                .sign_post(&keys.private_key, actor, &inbox, body)
                .await
                .unwrap();
            let split = signer
                .sign_with_digest(&keys.private_key, actor, &inbox, &digest)
                .await
                .unwrap();
            verify(&whole, "/inbox", "localhost:8536");
            verify(&split, "/inbox", "localhost:8536");
            if whole.date == split.date {
                assert_eq!(whole.signature, split.signature);
                same = true;
                break;
            }
        }
        assert!(same, "two attempts straddled a second boundary");

        // Many inboxes of one fan-out at once, through the signing threads.
        let signed = futures_util::future::join_all((0..16).map(|n| {
            let (signer, key, digest) = (signer.clone(), keys.private_key.clone(), digest.clone());
            async move {
                let inbox = Url::parse(&format!("http://s{n}.example:80{n:02}/inbox")).unwrap();
                signer
                    .sign_with_digest(&key, actor, &inbox, &digest)
                    .await
                    .unwrap()
            }
        }))
        .await;
        for (n, headers) in signed.iter().enumerate() {
            verify(headers, "/inbox", &format!("s{n}.example:80{n:02}"));
        }
        assert_eq!(signer.keys.lock().unwrap().len(), 1);
    }
}
