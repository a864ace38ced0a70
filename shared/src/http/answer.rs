//! answer-fn's edge: Vonage's answer request → the use case (`usecase::answer`) → the NCCO,
//! with one EMF document and one log line per request.

use super::{
    authorization, body_bytes, error_metrics, error_response, json_response, params,
    signed_post_only, status,
};
use crate::config::AnswerConfig;
use crate::error::Error;
use crate::metrics::{Emf, Unit};
use crate::usecase::answer::{answer_call, Answered, CallLedger};
use lambda_http::{http::StatusCode, Body, Request, Response};
use voice_core::answer::Decision;
use voice_core::budget::percent_of;
use voice_core::privacy::redact;
use voice_core::time::Timestamp;

/// `200` with the NCCO, or a `4xx` JSON error. Never fails: every error becomes a response,
/// so nothing reaches the runtime as an invocation error.
pub async fn handle_answer<L: CallLedger>(
    cfg: &AnswerConfig,
    ledger: Option<&L>,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let result = async {
        signed_post_only(&cfg.signature, &req, "Answer URL")?;
        cfg.signature
            .verify(authorization(&req), body_bytes(&req))?;
        let params = params(&req)?;
        Ok::<_, Error>(answer_call(cfg, ledger, &params, Timestamp::now()).await?)
    }
    .await;
    if let Some(sink) = &cfg.metrics {
        sink.emit(&metrics(cfg, &result));
    }
    Ok(match result {
        Ok(answered) => {
            log_answer(&answered);
            json_response(StatusCode::OK, &answered.answer.ncco)
        }
        Err(e) => {
            let error = redact(&e.to_string());
            let status = status(&e).as_u16();
            tracing::warn!(status, error, "VOICE ANSWER rejected: {error}");
            error_response(&e)
        }
    })
}

/// `Answers` by decision and refusal reason, or `WebhookErrors` by kind; for a call funded
/// under a spend limit, `Reservations` (by where the rate came from), `ReservationsExpired`
/// (holds it found expired and dropped) and `SpendOfLimit` (the user's spend and holds, as a
/// percentage of the limit: its `Maximum` is the user closest to it).
pub fn metrics(cfg: &AnswerConfig, result: &Result<Answered, Error>) -> Emf {
    let emf = Emf::new("answer");
    match result {
        Ok(Answered {
            answer,
            funded,
            rate_source,
        }) => {
            let reason = match &answer.decision {
                Decision::Refuse(refusal) => refusal.code(),
                _ => "none",
            };
            let mut emf = emf
                .dimension("Decision", answer.decision.label())
                .dimension("Reason", reason)
                .count(
                    &[
                        &["Function", "Decision"],
                        &["Function", "Decision", "Reason"],
                    ],
                    "Answers",
                    1,
                );
            if let (Some(funded), Some(limit)) = (funded, &cfg.limits.max_spend) {
                emf = emf
                    .dimension("RateSource", rate_source.map_or("none", |s| s.code()))
                    .count(
                        &[&["Function"], &["Function", "RateSource"]],
                        "Reservations",
                        1,
                    )
                    .count(
                        &[&["Function"]],
                        "ReservationsExpired",
                        funded.expired as u64,
                    )
                    .whole(
                        &[&["Function"]],
                        "SpendOfLimit",
                        Unit::Percent,
                        percent_of(funded.committed, limit),
                    );
            }
            emf
        }
        Err(e) => error_metrics(emf, e),
    }
}

/// One line per call, numbers masked, users pseudonymous:
/// `VOICE ANSWER user:ff8d9819fc0e -> ********0000: connect-phone`.
fn log_answer(answered: &Answered) {
    let answer = &answered.answer;
    let (caller, destination) = (answer.caller(), answer.destination());
    let call_uuid = answer.request.uuid.as_deref().unwrap_or("");
    let conversation_uuid = answer.request.conversation_uuid.as_deref().unwrap_or("");
    let decision = answer.decision.label();
    match &answer.decision {
        Decision::Refuse(reason) => tracing::warn!(
            call_uuid, conversation_uuid, caller, destination, decision, %reason,
            reason_code = reason.code(),
            "VOICE ANSWER {caller} -> {destination}: refused ({reason})"
        ),
        _ => match &answered.funded {
            Some(funded) => {
                let (limit, held) = (funded.seconds, funded.held.to_decimal());
                let held = held.as_str();
                tracing::info!(
                    call_uuid, conversation_uuid, caller, destination, decision, limit, held,
                    "VOICE ANSWER {caller} -> {destination}: {decision} for up to {limit}s (holds {held})"
                )
            }
            None => tracing::info!(
                call_uuid,
                conversation_uuid,
                caller,
                destination,
                decision,
                "VOICE ANSWER {caller} -> {destination}: {decision}"
            ),
        },
    }
}
