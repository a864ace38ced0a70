//! answer-fn's handler: Vonage's answer request in, the NCCO out.

use super::{
    authorization, body_bytes, error_metrics, error_response, json_response, params, status,
};
use crate::answer::{answer, Answer, Decision};
use crate::config::AnswerConfig;
use crate::metrics::Emf;
use crate::phone::redact;
use lambda_http::{http::StatusCode, Body, Request, Response};

/// `200` with the NCCO, or a `4xx` JSON error. Never fails: every error becomes a response,
/// so nothing reaches the runtime as an invocation error.
pub async fn handle_answer(
    cfg: &AnswerConfig,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let result = cfg
        .signature
        .verify(authorization(&req), body_bytes(&req))
        .and_then(|()| params(&req))
        .and_then(|params| answer(cfg, &params));
    if cfg.metrics {
        metrics(&result).emit();
    }
    Ok(match result {
        Ok(answer) => {
            log_answer(&answer);
            json_response(StatusCode::OK, &answer.ncco)
        }
        Err(e) => {
            let error = redact(&e.to_string());
            let status = status(&e).as_u16();
            tracing::warn!(status, error, "VOICE ANSWER rejected: {error}");
            error_response(&e)
        }
    })
}

/// `Answers` by decision and refusal reason, or `WebhookErrors` by kind.
pub fn metrics(result: &Result<Answer, crate::error::Error>) -> Emf {
    let emf = Emf::new("answer");
    match result {
        Ok(answer) => {
            let reason = match &answer.decision {
                Decision::Refuse(refusal) => refusal.code(),
                _ => "none",
            };
            emf.dimension("Decision", answer.decision.label())
                .dimension("Reason", reason)
                .count(
                    &[
                        &["Function", "Decision"],
                        &["Function", "Decision", "Reason"],
                    ],
                    "Answers",
                    1,
                )
        }
        Err(e) => error_metrics(emf, e),
    }
}

/// One line per call, numbers masked: `VOICE ANSWER alice -> ********0000: connect-phone`.
fn log_answer(answer: &Answer) {
    let (caller, destination) = (answer.caller(), answer.destination());
    let call_uuid = answer.request.uuid.as_deref().unwrap_or("");
    let conversation_uuid = answer.request.conversation_uuid.as_deref().unwrap_or("");
    let decision = answer.decision.label();
    match &answer.decision {
        Decision::Refuse(reason) => tracing::warn!(
            call_uuid, conversation_uuid, caller, destination, decision, %reason,
            "VOICE ANSWER {caller} -> {destination}: refused ({reason})"
        ),
        _ => tracing::info!(
            call_uuid,
            conversation_uuid,
            caller,
            destination,
            decision,
            "VOICE ANSWER {caller} -> {destination}: {decision}"
        ),
    }
}
