//! answer-fn's edge: Vonage's answer request → the use case (`usecase::answer`) → the NCCO,
//! with one EMF document and one log line per request.

use super::{
    authorization, body_bytes, error_metrics, error_response, json_response, params,
    signed_post_only, status,
};
use crate::config::AnswerConfig;
use crate::error::Error;
use crate::metrics::Emf;
use crate::usecase::answer::{answer_call, CallLedger};
use lambda_http::{http::StatusCode, Body, Request, Response};
use voice_core::answer::{Answer, Decision};
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
        sink.emit(&metrics(&result));
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
pub fn metrics(result: &Result<Answer, Error>) -> Emf {
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

/// One line per call, numbers masked, users pseudonymous:
/// `VOICE ANSWER user:ff8d9819fc0e -> ********0000: connect-phone`.
fn log_answer(answer: &Answer) {
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
