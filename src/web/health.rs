//! Probes for load balancers and orchestrators, plain text, no session:
//! `GET /healthz` (the process answers; no database, so benchmarks measure the
//! server alone) and `GET /readyz` (the database answers and holds every
//! migration this server needs, and the server is not stopping).

use actix_web::http::header::{CONTENT_TYPE, RETRY_AFTER};
use actix_web::{HttpResponse, web};

use crate::state::AppState;
use crate::web::draining::Draining;

/// When a probe told "not ready" may ask again, in seconds.
const RETRY_AFTER_SECONDS: &str = "5";

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok")
}

pub async fn readyz(state: web::Data<AppState>, draining: web::Data<Draining>) -> HttpResponse {
    if draining.is_on() {
        return not_ready("stopping");
    }
    match state.db.readiness().await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ready"),
        Err(why) => {
            tracing::warn!(reason = %why, "not ready");
            not_ready(why.public_reason())
        }
    }
}

fn not_ready(reason: &str) -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header((CONTENT_TYPE, "text/plain; charset=utf-8"))
        .insert_header((RETRY_AFTER, RETRY_AFTER_SECONDS))
        .body(format!("not ready: {reason}"))
}
