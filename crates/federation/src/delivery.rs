//! Delivery workers: claim due rows of the `delivery` table (`FOR UPDATE SKIP LOCKED`, with a
//! lease), sign and send each outside any lock, and record the outcome: delivered; retried
//! after an exponential, jittered, capped backoff (5xx, 408, 429, timeouts, connection errors,
//! `Retry-After` honoured); failed for good (other 4xx); dead past the horizon. Several
//! processes may run workers on one database; a worker that dies loses nothing, because its
//! leases lapse and another worker claims the rows.

use crate::signing::Signer;
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use hearth_core::Settings;
use hearth_db::federation::ClaimedDelivery;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use url::Url;

/// What a delivery attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The receiver took it (2xx).
    Delivered(u16),
    /// Try again no sooner than the time given (when the receiver said so) or after backoff.
    Retry {
        /// The status, when there was a response.
        status: Option<u16>,
        /// The receiver's `Retry-After`, when it sent one.
        not_before: Option<DateTime<Utc>>,
        /// What went wrong.
        error: String,
    },
    /// The receiver refused it for good (4xx other than 408 and 429).
    Refused {
        /// The status.
        status: u16,
        /// The body's beginning, for the operator.
        error: String,
    },
}

/// Classifies a response by status, as the outbox treats it.
pub fn outcome_of(status: StatusCode, headers: &HeaderMap, body: &str) -> Outcome {
    let code = status.as_u16();
    if status.is_success() {
        return Outcome::Delivered(code);
    }
    let error: String = format!(
        "HTTP {code}: {}",
        body.chars().take(200).collect::<String>()
    );
    if status.is_server_error()
        || status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
    {
        let not_before = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, Utc::now()));
        return Outcome::Retry {
            status: Some(code),
            not_before,
            error,
        };
    }
    Outcome::Refused {
        status: code,
        error,
    }
}

/// `Retry-After` as seconds or as an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u32>() {
        return Some(now + ChronoDuration::seconds(i64::from(secs)));
    }
    DateTime::parse_from_rfc2822(value)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// The wait before attempt `attempts + 1`: `base × 2^(attempts−1)`, jittered down by up to a
/// half so that retries of one burst spread out, and capped.
pub fn backoff(settings: &Settings, attempts: i32) -> Duration {
    let delivery = &settings.federation.delivery;
    let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    let full = delivery
        .backoff_base_ms
        .saturating_mul(1u64 << exponent)
        .min(delivery.backoff_max_secs.saturating_mul(1000));
    let jitter = rand::random_range(0.5..=1.0);
    Duration::from_millis((full as f64 * jitter) as u64)
}

/// Runs delivery workers until `stop`: claims due rows while there is room under
/// `delivery.concurrency`, sends them, and sleeps until a local change is committed
/// (`NOTIFY hearth_outbox`) or the poll interval passes.
pub async fn run(pool: PgPool, settings: Arc<Settings>, stop: CancellationToken) {
    let sender = match Sender::new(pool.clone(), settings.clone()) {
        Ok(sender) => Arc::new(sender),
        Err(e) => {
            tracing::error!(error = ?e, "delivery workers cannot start");
            return;
        }
    };
    let delivery = &settings.federation.delivery;
    let slots = Arc::new(Semaphore::new(delivery.concurrency.max(1)));
    let poll = Duration::from_millis(delivery.poll_interval_ms.max(10));
    let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
        Ok(mut listener) => match listener.listen("hearth_outbox").await {
            Ok(()) => Some(listener),
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN; delivery polls only");
                None
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "cannot LISTEN; delivery polls only");
            None
        }
    };
    let mut running = JoinSet::new();
    tracing::info!(
        concurrency = delivery.concurrency,
        "delivery workers started"
    );
    loop {
        while running.try_join_next().is_some() {}
        let room = slots.available_permits();
        let claimed = if room == 0 {
            Vec::new()
        } else {
            let limit = i64::try_from(room.min(200)).unwrap_or(200);
            match hearth_db::federation::claim_due(&pool, limit, delivery.lease_secs).await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot claim deliveries; retrying");
                    Vec::new()
                }
            }
        };
        let idle = claimed.is_empty();
        for row in claimed {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let sender = sender.clone();
            running.spawn(async move {
                sender.deliver(row).await;
                drop(permit);
            });
        }
        if !idle && slots.available_permits() > 0 {
            continue;
        }
        // Wait for room, news of new rows, or the poll interval.
        let woken = async {
            match listener.as_mut() {
                Some(l) => {
                    if l.recv().await.is_err() {
                        tokio::time::sleep(poll).await;
                    }
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = stop.cancelled() => break,
            () = woken => {}
            () = tokio::time::sleep(poll) => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
    // Let sends in flight finish briefly; any cut short are sent again once their lease lapses.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while running.join_next().await.is_some() {}
    })
    .await;
    running.abort_all();
    tracing::info!("delivery workers stopped");
}

/// Signs and sends deliveries and records how they went.
pub struct Sender {
    pool: PgPool,
    settings: Arc<Settings>,
    signer: Signer,
    client: reqwest::Client,
}

impl Sender {
    /// A sender with its own HTTP client (same address rules as fetching).
    pub fn new(pool: PgPool, settings: Arc<Settings>) -> anyhow::Result<Self> {
        let timeout = Duration::from_secs(settings.federation.delivery.request_timeout_secs);
        let client = crate::http_client(&settings, timeout)?;
        Ok(Self {
            pool,
            settings,
            signer: Signer::default(),
            client,
        })
    }

    /// Sends one claimed delivery and records the outcome.
    pub async fn deliver(&self, row: ClaimedDelivery) {
        let outcome = self.attempt(&row).await;
        if let Err(e) = self.record(&row, &outcome).await {
            // The lease lapses and the row is attempted again: at least once, never lost.
            tracing::warn!(delivery = row.id, error = %e, "cannot record a delivery outcome");
        }
    }

    async fn attempt(&self, row: &ClaimedDelivery) -> Outcome {
        match self.send(row).await {
            Ok(outcome) => outcome,
            Err(e) => Outcome::Retry {
                status: None,
                not_before: None,
                error: format!("{e:#}"),
            },
        }
    }

    async fn send(&self, row: &ClaimedDelivery) -> anyhow::Result<Outcome> {
        let Some(key) = row.private_key.as_deref() else {
            return Ok(Outcome::Refused {
                status: 0,
                error: format!("{} has no private key to sign with", row.actor_ap_id),
            });
        };
        let inbox = Url::parse(&row.inbox)?;
        let body = serde_json::to_vec(&row.payload)?;
        let signed = self
            .signer
            .sign_post(key, &row.actor_ap_id, &inbox, &body)
            .await?;
        let response = self
            .client
            .post(inbox)
            .header("content-type", "application/activity+json")
            .header("accept", "application/activity+json")
            .header("date", signed.date)
            .header("digest", signed.digest)
            .header("signature", signed.signature)
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        Ok(outcome_of(status, &headers, &text))
    }

    async fn record(&self, row: &ClaimedDelivery, outcome: &Outcome) -> sqlx::Result<()> {
        let pool = &self.pool;
        match outcome {
            Outcome::Delivered(status) => {
                tracing::debug!(delivery = row.id, inbox = %row.inbox, "delivered");
                hearth_db::federation::mark_delivered(pool, row.id, i32::from(*status)).await
            }
            Outcome::Refused { status, error } => {
                tracing::info!(delivery = row.id, inbox = %row.inbox, %error, "delivery refused");
                let status = (*status != 0).then_some(i32::from(*status));
                hearth_db::federation::mark_final(pool, row.id, "failed", status, error).await
            }
            Outcome::Retry {
                status,
                not_before,
                error,
            } => {
                let status = status.map(i32::from);
                let horizon = ChronoDuration::seconds(
                    i64::try_from(self.settings.federation.delivery.dead_after_secs)
                        .unwrap_or(i64::MAX / 2),
                );
                if Utc::now() - row.created_at > horizon {
                    tracing::info!(delivery = row.id, inbox = %row.inbox, %error, "delivery dead");
                    return hearth_db::federation::mark_final(pool, row.id, "dead", status, error)
                        .await;
                }
                let wait = ChronoDuration::from_std(backoff(&self.settings, row.attempts))
                    .unwrap_or(ChronoDuration::hours(1));
                let mut at = Utc::now() + wait;
                if let Some(not_before) = not_before {
                    at = at.max(*not_before);
                }
                tracing::debug!(delivery = row.id, inbox = %row.inbox, %error, retry_at = %at, "delivery failed; will retry");
                hearth_db::federation::mark_retry(pool, row.id, at, status, error).await
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_as_the_outbox_treats_them() {
        let none = HeaderMap::new();
        assert_eq!(
            outcome_of(StatusCode::ACCEPTED, &none, ""),
            Outcome::Delivered(202)
        );
        for status in [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_GATEWAY,
            StatusCode::REQUEST_TIMEOUT,
            StatusCode::TOO_MANY_REQUESTS,
        ] {
            assert!(matches!(
                outcome_of(status, &none, ""),
                Outcome::Retry { .. }
            ));
        }
        for status in [
            StatusCode::BAD_REQUEST,
            StatusCode::UNAUTHORIZED,
            StatusCode::FORBIDDEN,
            StatusCode::GONE,
        ] {
            assert!(matches!(
                outcome_of(status, &none, ""),
                Outcome::Refused { .. }
            ));
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = Utc::now();
        assert_eq!(
            parse_retry_after("2", now),
            Some(now + ChronoDuration::seconds(2))
        );
        let date = parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", now).unwrap();
        assert_eq!(date.to_rfc3339(), "2026-10-21T07:28:00+00:00");
        assert_eq!(parse_retry_after("soon", now), None);
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "30".parse().unwrap());
        match outcome_of(StatusCode::TOO_MANY_REQUESTS, &headers, "") {
            Outcome::Retry {
                not_before: Some(at),
                ..
            } => assert!(at > Utc::now() + ChronoDuration::seconds(25)),
            other => panic!("{other:?}"),
        }
    }
}
