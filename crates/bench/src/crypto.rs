//! The `crypto` scenario, and the signing-rate measurement other scenarios use as their
//! baseline: RSA-2048 PKCS#1 v1.5 SHA-256 signatures made and checked per second, on one core
//! and on all cores, with the `rsa` crate (what activitypub_federation verifies with) and with
//! aws-lc-rs (what Hearth's delivery signs with).

use crate::Bench;
use crate::machine::cores;
use crate::report::{Outcome, Report, Table, rate, ratio};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    KeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A signing string of the size Hearth signs for every delivery.
const MESSAGE: &[u8] = b"(request-target): post /inbox\nhost: lemmy.example:443\ndate: Tue, 01 Dec 2026 12:00:00 GMT\ndigest: SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

/// A key pair in every form the measurements need.
pub struct TestKey {
    /// PKCS#8 PEM, as Hearth stores private keys.
    pub private_pem: String,
    /// SPKI PEM, as Hearth stores public keys.
    pub public_pem: String,
    rsa_private: RsaPrivateKey,
    rsa_public: RsaPublicKey,
    aws: Arc<RsaKeyPair>,
    aws_public: Vec<u8>,
}

impl TestKey {
    /// A fresh RSA-2048 key, made as Hearth makes its actors' keys.
    pub async fn generate() -> anyhow::Result<Self> {
        let (public_pem, private_pem) = hearth_service::keys::generate()
            .await
            .map_err(|e| anyhow::anyhow!("key generation failed: {e}"))?;
        Self::from_pems(public_pem, private_pem)
    }

    /// Parses a PEM pair.
    pub fn from_pems(public_pem: String, private_pem: String) -> anyhow::Result<Self> {
        use rsa::pkcs8::DecodePrivateKey;
        let rsa_private = RsaPrivateKey::from_pkcs8_pem(&private_pem)?;
        let rsa_public = RsaPublicKey::from_public_key_pem(&public_pem)?;
        let aws = hearth_federation::signing::parse_private_key(&private_pem)?;
        let aws_public = aws.public_key().as_ref().to_vec();
        Ok(Self {
            private_pem,
            public_pem,
            rsa_private,
            rsa_public,
            aws: Arc::new(aws),
            aws_public,
        })
    }

    fn aws_sign(&self) -> anyhow::Result<Vec<u8>> {
        let mut signature = vec![0; self.aws.public_modulus_len()];
        self.aws
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                MESSAGE,
                &mut signature,
            )
            .map_err(|_| anyhow::anyhow!("aws-lc-rs signing failed"))?;
        Ok(signature)
    }

    fn rsa_sign(&self) -> anyhow::Result<Vec<u8>> {
        Ok(self
            .rsa_private
            .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(MESSAGE))?)
    }
}

/// Runs `op` on `threads` threads for `duration`; returns successful operations per second.
fn ops_per_second<F>(threads: usize, duration: Duration, op: F) -> f64
where
    F: Fn() -> bool + Sync,
{
    let done = AtomicU64::new(0);
    let started = Instant::now();
    let deadline = started + duration;
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                let mut n = 0u64;
                while Instant::now() < deadline {
                    if op() {
                        n += 1;
                    }
                }
                done.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Which measurement.
#[derive(Debug, Clone, Copy)]
pub enum Operation {
    /// aws-lc-rs signing.
    AwsSign,
    /// `rsa` crate signing.
    RsaSign,
    /// aws-lc-rs verification.
    AwsVerify,
    /// `rsa` crate verification with the key already parsed.
    RsaVerify,
    /// `rsa` crate verification with the PEM parsed every time (what activitypub_federation
    /// does for every incoming activity).
    RsaVerifyPem,
}

/// Operations per second of `operation` on `threads` threads for `duration` (blocking).
pub fn measure(
    key: &TestKey,
    operation: Operation,
    threads: usize,
    duration: Duration,
) -> anyhow::Result<f64> {
    let aws_signature = key.aws_sign()?;
    let rsa_signature = key.rsa_sign()?;
    anyhow::ensure!(
        aws_signature == rsa_signature,
        "PKCS#1 v1.5 is deterministic: both libraries must make the same signature"
    );
    let digest = Sha256::digest(MESSAGE);
    Ok(match operation {
        Operation::AwsSign => ops_per_second(threads, duration, || key.aws_sign().is_ok()),
        Operation::RsaSign => ops_per_second(threads, duration, || key.rsa_sign().is_ok()),
        Operation::AwsVerify => ops_per_second(threads, duration, || {
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &key.aws_public)
                .verify(MESSAGE, &aws_signature)
                .is_ok()
        }),
        Operation::RsaVerify => ops_per_second(threads, duration, || {
            key.rsa_public
                .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &rsa_signature)
                .is_ok()
        }),
        Operation::RsaVerifyPem => ops_per_second(threads, duration, || {
            RsaPublicKey::from_public_key_pem(&key.public_pem)
                .map(|public| {
                    public
                        .verify(
                            Pkcs1v15Sign::new::<Sha256>(),
                            &Sha256::digest(MESSAGE),
                            &rsa_signature,
                        )
                        .is_ok()
                })
                .unwrap_or(false)
        }),
    })
}

/// The fan-out baseline: aws-lc-rs signatures per second on one core, measured now, and the
/// same times the number of cores.
pub async fn sign_baseline(duration: Duration) -> anyhow::Result<(f64, f64)> {
    let key = TestKey::generate().await?;
    let per_core =
        tokio::task::spawn_blocking(move || measure(&key, Operation::AwsSign, 1, duration))
            .await??;
    Ok((per_core, per_core * cores() as f64))
}

/// The scenario.
pub async fn run(_bench: &Bench) -> anyhow::Result<Report> {
    let key = Arc::new(TestKey::generate().await?);
    let all = cores();
    let duration = Duration::from_millis(1500);
    let rows = [
        ("sign", "aws-lc-rs", Operation::AwsSign),
        ("sign", "rsa crate", Operation::RsaSign),
        ("verify", "aws-lc-rs", Operation::AwsVerify),
        ("verify", "rsa crate", Operation::RsaVerify),
        (
            "verify incl. PEM parse (as the inbox does)",
            "rsa crate",
            Operation::RsaVerifyPem,
        ),
    ];
    let mut table = Table::new(&[
        "operation",
        "library",
        "1 core",
        &format!("all {all} cores"),
        "µs per op (1 core)",
    ]);
    let mut figures = Vec::new();
    for (name, library, operation) in rows {
        let key = key.clone();
        let (one, many) = tokio::task::spawn_blocking(move || {
            Ok::<_, anyhow::Error>((
                measure(&key, operation, 1, duration)?,
                measure(&key, operation, all, duration)?,
            ))
        })
        .await??;
        table.row(vec![
            name.to_owned(),
            library.to_owned(),
            rate(one),
            rate(many),
            format!("{:.0}", 1e6 / one.max(1e-9)),
        ]);
        figures.push(many);
    }
    let (aws_sign_all, rsa_sign_all) = (figures[0], figures[1]);
    let outcome = Outcome {
        scenario: "crypto",
        value: aws_sign_all.round(),
        unit: "signatures/s",
        baseline: rsa_sign_all.round(),
        goal: 1.0,
        met: aws_sign_all >= rsa_sign_all,
    };
    Ok(Report::new(
        "RSA-2048 PKCS#1 v1.5 SHA-256 signatures, made and checked per second.",
        table,
        outcome,
    )
    .note(format!(
        "aws-lc-rs signs {}× as fast as the rsa crate on all cores; the fan-out goal is 0.5 × the aws-lc-rs one-core rate × {all} cores.",
        ratio(aws_sign_all / rsa_sign_all.max(1e-9))
    ))
    .note("The RESULT value is aws-lc-rs signatures/s on all cores; the baseline the rsa crate's; goal: aws-lc-rs at least as fast."))
}
