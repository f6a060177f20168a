//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers and
//! its migrations are current) probes for load balancers and orchestrators.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use hearth_service::ServiceContext;
use serde_json::json;
use std::time::Duration;

/// Always 200 while the process runs.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// 200 when the database answers within two seconds and every migration is applied; else 503.
pub async fn readyz(State(ctx): State<ServiceContext>) -> impl IntoResponse {
    let check = tokio::time::timeout(
        Duration::from_secs(2),
        hearth_db::migrations::status(&ctx.pool),
    )
    .await;
    let response = match check {
        Ok(Ok(status)) if status.is_current() => (
            StatusCode::OK,
            Json(json!({
                "status": "ready",
                "database": "ok",
                "migrations": { "applied": status.applied, "expected": status.expected },
            })),
        ),
        Ok(Ok(status)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "error": "migrations_pending",
                "message": format!("{} of {} migrations applied; run `hearth migrate`.", status.applied, status.expected),
                "migrations": { "applied": status.applied, "expected": status.expected },
            })),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: database error");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(
                    json!({ "error": "database_unavailable", "message": "The database does not answer." }),
                ),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({ "error": "database_unavailable", "message": "The database did not answer within 2 s." }),
            ),
        ),
    };
    let mut response = response.into_response();
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        // Load balancers and people retry; the database usually comes back within seconds.
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(hearth_core::error::UNAVAILABLE_RETRY_AFTER_SECS),
        );
    }
    response
}
