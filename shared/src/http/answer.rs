//! answer-fn's handler: Vonage's answer request in, the NCCO out; with a ledger, each call
//! connected for an app user is counted, and refused over the user's daily limits.

use super::{
    authorization, body_bytes, error_metrics, error_response, json_response, params,
    signed_post_only, status,
};
use crate::answer::{answer, Answer, Decision, Refusal};
use crate::config::AnswerConfig;
use crate::event::Timestamp;
use crate::metrics::Emf;
use crate::phone::{pseudonym, redact};
use crate::store::usage::{Counted, Ledger};
use crate::usage::NewCall;
use lambda_http::{http::StatusCode, Body, Request, Response};

/// `200` with the NCCO, or a `4xx` JSON error. Never fails: every error becomes a response,
/// so nothing reaches the runtime as an invocation error.
pub async fn handle_answer(
    cfg: &AnswerConfig,
    ledger: Option<&Ledger>,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let result = signed_post_only(&cfg.signature, &req, "Answer URL")
        .and_then(|()| cfg.signature.verify(authorization(&req), body_bytes(&req)))
        .and_then(|()| params(&req))
        .and_then(|params| answer(cfg, &params));
    let result = match (result, ledger) {
        (Ok(answer), Some(ledger)) => Ok(count(cfg, ledger, answer).await),
        (result, _) => result,
    };
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

/// Counts the call in its user's ledger; over a limit the call is refused instead. When the
/// ledger cannot be reached for now (unreachable, timing out, throttling) the call is refused
/// too, unless `LIMITS_FAIL_OPEN` connects it uncounted; when DynamoDB refuses the write for
/// good (a missing table, permissions), it is refused whatever `LIMITS_FAIL_OPEN` says.
async fn count(cfg: &AnswerConfig, ledger: &Ledger, answer: Answer) -> Answer {
    let Some(call) = NewCall::of(&answer, Timestamp::now()) else {
        return answer;
    };
    let user = pseudonym(&call.user);
    let call_id = call.call_id.as_str();
    match ledger.count_call(&call, &cfg.limits).await {
        Ok(Counted::New) => answer,
        Ok(Counted::Again) => {
            tracing::info!(
                user,
                call_id,
                "VOICE ANSWER redelivered: the call was counted already"
            );
            answer
        }
        Ok(Counted::OverLimit) => answer.overruled(cfg, Decision::Refuse(Refusal::Limit)),
        Ok(Counted::OtherUser) => {
            tracing::warn!(
                user,
                call_id,
                "VOICE ANSWER the conversation was answered for another app user already"
            );
            answer.overruled(cfg, Decision::Refuse(Refusal::OtherUser))
        }
        Err(e) if e.is_transient() && cfg.limits_fail_open => {
            let error = redact(&e.to_string());
            tracing::warn!(
                user,
                error,
                "VOICE ANSWER ledger unreachable, connecting uncounted (LIMITS_FAIL_OPEN): {error}"
            );
            answer
        }
        Err(e) if e.is_transient() => {
            let error = redact(&e.to_string());
            tracing::warn!(user, error, "VOICE ANSWER ledger unreachable: {error}");
            answer.overruled(cfg, Decision::Refuse(Refusal::LimitsUnavailable))
        }
        Err(e) => {
            let error = redact(&e.to_string());
            tracing::error!(
                user,
                error,
                "VOICE ANSWER ledger refused the call's write, refusing the call: {error}"
            );
            answer.overruled(cfg, Decision::Refuse(Refusal::LedgerError))
        }
    }
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
