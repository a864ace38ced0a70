//! event-fn's edge: one Vonage event → the use case (`usecase::event`) → `200` once stored or
//! recognised as a duplicate, `4xx` for a request that cannot be an event (nothing written),
//! `503` when it cannot be stored or settled yet, so that Vonage delivers it again.

use super::{
    authorization, body_bytes, error_metrics, error_response, json_response, params,
    signed_post_only, status,
};
use crate::config::EventConfig;
use crate::error::Error;
use crate::metrics::{Emf, Unit};
use crate::usecase::event::{record_event, EventLog, LedgerOutcome, LegLedger, Recording};
use lambda_http::{
    http::{Method, StatusCode},
    Body, Request, Response,
};
use voice_core::event::{CallEvent, Recorded};
use voice_core::params::kind_of;
use voice_core::privacy::{redact, truncate};
use voice_core::time::Timestamp;
use voice_core::usage::LegEnd;

/// `200 {"result": "stored" | "duplicate"}`, a `4xx`, or a `503`. Never fails: every error
/// becomes a response.
pub async fn handle_event<E: EventLog, L: LegLedger>(
    cfg: &EventConfig,
    events: &E,
    ledger: &L,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let (event, raw) = match parse(cfg, &req) {
        Ok(parsed) => parsed,
        Err(e) => {
            let body = shape(body_bytes(&req));
            let error = redact(&e.to_string());
            let status = status(&e).as_u16();
            tracing::warn!(status, error, body, "VOICE EVENT rejected: {error}");
            if let Some(sink) = &cfg.metrics {
                let emf = Emf::new("event").dimension("Result", "rejected");
                sink.emit(&error_metrics(count_events(emf), &e));
            }
            return Ok(error_response(&e));
        }
    };
    let recording = record_event(events, ledger, &event, &raw, &Timestamp::now()).await;
    if let Some(sink) = &cfg.metrics {
        sink.emit(&metrics(&event, &recording));
    }
    let ids = (
        event.uuid.as_deref().unwrap_or(""),
        event.conversation_uuid.as_deref().unwrap_or(""),
    );
    Ok(match (&recording.recorded, &recording.ledgered) {
        (Ok(recorded), Ok(_)) => {
            let result = match recorded {
                Recorded::New => "stored",
                Recorded::Duplicate => "duplicate",
            };
            json_response(StatusCode::OK, &serde_json::json!({ "result": result }))
        }
        (Ok(_), Err(e)) => {
            tracing::error!(call_uuid = ids.0, conversation_uuid = ids.1, error = %e,
                "VOICE EVENT stored but not charged, answering 503 so Vonage retries: {e}");
            error_response(&Error::Unavailable(
                "the event is stored but not yet charged to its caller; retry later".into(),
            ))
        }
        (Err(e), _) => {
            tracing::error!(call_uuid = ids.0, conversation_uuid = ids.1, status = event.kind.name(),
                error = %e, "VOICE EVENT not stored, answering 503 so Vonage retries: {e}");
            error_response(&Error::Unavailable(
                "the event could not be stored; retry later".into(),
            ))
        }
    })
}

/// `Events` by result (and reason, for rejections) under `Function` and `Function, Result`.
fn count_events(emf: Emf) -> Emf {
    emf.count(
        &[&["Function", "Result"], &["Function", "Result", "Reason"]],
        "Events",
        1,
    )
}

/// One event's metrics: `Events` by result, the DynamoDB latency, for a newly stored
/// `completed` leg its duration and price by direction, `UnownedLegs` for the end of a phone
/// leg no app user placed, and `WebhookErrors` when the event was stored but could not be
/// settled (answered `503` all the same).
pub fn metrics(event: &CallEvent, recording: &Recording) -> Emf {
    let result = match &recording.recorded {
        Ok(Recorded::New) => "stored",
        Ok(Recorded::Duplicate) => "duplicate",
        Err(_) => "unavailable",
    };
    let emf = Emf::new("event")
        .dimension("Result", result)
        .dimension("Reason", "none")
        .millis(&[&["Function"]], "DynamoDbLatency", recording.latency);
    let mut emf = count_events(emf);
    if recording.recorded.is_err() {
        return error_metrics(emf, &Error::Unavailable(String::new()));
    }
    if let (Ok(Recorded::New), Some(LegEnd::Completed { seconds, price })) =
        (&recording.recorded, LegEnd::of(event))
    {
        let direction = match event.direction.as_deref() {
            Some("inbound") => "inbound",
            Some("outbound") => "outbound",
            _ => "unknown",
        };
        let by_direction: &[&[&'static str]] = &[&["Function"], &["Function", "Direction"]];
        emf = emf
            .dimension("Direction", direction)
            .count(by_direction, "CompletedLegs", 1)
            .decimal(by_direction, "LegSeconds", Unit::Seconds, &seconds)
            .decimal(by_direction, "LegPrice", Unit::None, &price);
    }
    match &recording.ledgered {
        Err(e) => error_metrics(emf, &Error::Unavailable(e.to_string())),
        Ok(LedgerOutcome::Unowned) => emf.count(&[&["Function"]], "UnownedLegs", 1),
        Ok(LedgerOutcome::Settled(settled)) if settled.released() => {
            emf.count(&[&["Function"]], "ReservationsReleased", 1)
        }
        Ok(_) => emf,
    }
}

/// The event and what Vonage sent, as it sent it: the body of a POST, the query of a GET.
fn parse(cfg: &EventConfig, req: &Request) -> Result<(CallEvent, String), Error> {
    signed_post_only(&cfg.signature, req, "Event URL")?;
    cfg.signature.verify(authorization(req), body_bytes(req))?;
    let params = params(req)?;
    let event = CallEvent::from_params(&params)?;
    let raw = match *req.method() {
        Method::POST => String::from_utf8_lossy(body_bytes(req)).into_owned(),
        _ => serde_json::Value::Object(params).to_string(),
    };
    Ok((event, raw))
}

/// What a rejected body looked like, for its log line, without its values (they may hold
/// phone numbers and user names): its top-level keys and their kinds, or its size.
fn shape(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => {
            let keys: Vec<String> = map
                .iter()
                .take(40)
                .map(|(k, v)| format!("{}: {}", truncate(k, 40), kind_of(v)))
                .collect();
            format!("{{{}}}", keys.join(", "))
        }
        Ok(other) => kind_of(&other).to_string(),
        Err(_) => format!("{} bytes, not JSON", body.len()),
    }
}
