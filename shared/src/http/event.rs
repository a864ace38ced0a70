//! event-fn's handler: one Vonage event in, stored exactly once, `200` out.

use super::{
    authorization, body_bytes, error_metrics, error_response, json_response, params,
    signed_post_only, status,
};
use crate::config::EventConfig;
use crate::error::Error;
use crate::event::{truncate, CallEvent, CallStatus, Decimal, Timestamp, MAX_FUTURE_SECONDS};
use crate::metrics::{Emf, Unit};
use crate::params::kind_of;
use crate::phone::{party, pseudonym, redact};
use crate::store::usage::Settled;
use crate::store::{Recorded, Store};
use crate::usage::Settlement;
use lambda_http::{
    http::{Method, StatusCode},
    Body, Request, Response,
};
use std::time::Instant;

/// `200` once stored or recognised as a duplicate; `4xx` for a request that cannot be an event
/// (nothing written); `503` when DynamoDB cannot take it, so that Vonage delivers it again.
pub async fn handle_event(
    cfg: &EventConfig,
    store: &Store,
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
                sink.emit(&error_metrics(events(emf), &e));
            }
            return Ok(error_response(&e));
        }
    };
    let moves_leg = event.may_move_leg(&Timestamp::now());
    if !moves_leg {
        tracing::warn!(
            call_uuid = event.uuid.as_deref().unwrap_or(""),
            conversation_uuid = event.conversation_uuid.as_deref().unwrap_or(""),
            timestamp = event.timestamp.as_ref().map(Timestamp::as_str).unwrap_or(""),
            "VOICE EVENT stamped more than {MAX_FUTURE_SECONDS}s ahead of its arrival: kept in the timeline, the leg is left as it is"
        );
    }
    let started = Instant::now();
    let recorded = store.record(&event, &raw, moves_leg).await;
    let latency = started.elapsed();
    let ledgered = match &recorded {
        Ok(recorded) => {
            log_event(&event, *recorded);
            settle(store, &event, moves_leg).await
        }
        Err(_) => Ok(Ledgered::Nothing),
    };
    if let Some(sink) = &cfg.metrics {
        sink.emit(&metrics(&event, &recorded, &ledgered, latency));
    }
    match recorded {
        Ok(recorded) => {
            if let Err(e) = ledgered {
                tracing::error!(
                    call_uuid = event.uuid.as_deref().unwrap_or(""),
                    conversation_uuid = event.conversation_uuid.as_deref().unwrap_or(""),
                    error = %e,
                    "VOICE EVENT stored but not charged, answering 503 so Vonage retries: {e}"
                );
                return Ok(error_response(&Error::Unavailable(
                    "the event is stored but not yet charged to its caller; retry later".into(),
                )));
            }
            let result = match recorded {
                Recorded::New => "stored",
                Recorded::Duplicate => "duplicate",
            };
            Ok(json_response(
                StatusCode::OK,
                &serde_json::json!({ "result": result }),
            ))
        }
        Err(e) => {
            tracing::error!(
                call_uuid = event.uuid.as_deref().unwrap_or(""),
                conversation_uuid = event.conversation_uuid.as_deref().unwrap_or(""),
                status = event.kind.name(),
                error = %e,
                "VOICE EVENT not stored, answering 503 so Vonage retries: {e}"
            );
            Ok(error_response(&Error::Unavailable(
                "the event could not be stored; retry later".into(),
            )))
        }
    }
}

/// What the caller's ledger made of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ledgered {
    /// Not the end of an outbound leg (or stamped too far ahead to move anything).
    Nothing,
    /// The end of a phone leg of a call no app user placed through this answer webhook (a
    /// call made with the Voice API, answered elsewhere, or connected uncounted while the
    /// ledger was down): not charged, counted in `UnownedLegs`.
    Unowned,
    Settled(Settled),
}

/// Settles the end of an outbound phone leg with the app user whose call it is: a completed
/// leg is charged once (the ledger's guard makes a redelivery, or a concurrent delivery, a
/// no-op), a leg that never connected leaves its outcome in the call log. Runs for
/// duplicates too: a delivery that stored the event but died before settling it is finished by
/// the next. An event that may not move its leg (stamped far ahead) settles nothing.
async fn settle(store: &Store, event: &CallEvent, moves_leg: bool) -> Result<Ledgered, Error> {
    let Some(settlement) = Settlement::of(event).filter(|_| moves_leg) else {
        return Ok(Ledgered::Nothing);
    };
    let ledger = store.ledger();
    // The answer wrote the owner before its NCCO went out, and this read is strongly
    // consistent: no owner means no app user placed this call here.
    let Some(owner) = ledger.owner(&settlement.conversation_uuid).await? else {
        tracing::info!(
            call_uuid = settlement.leg,
            conversation_uuid = settlement.conversation_uuid,
            "VOICE EVENT phone leg of a call no app user placed through this answer webhook: not charged"
        );
        return Ok(Ledgered::Unowned);
    };
    let settled = ledger.settle(&owner, &settlement).await?;
    if settled == Settled::Charged {
        let user = pseudonym(&owner.user);
        tracing::info!(
            user,
            day = owner.day,
            "VOICE EVENT leg {} charged to {user} for {}",
            settlement.leg.get(..8).unwrap_or(&settlement.leg),
            owner.day
        );
    }
    Ok(Ledgered::Settled(settled))
}

/// `Events` by result (and reason, for rejections) under `Function` and `Function, Result`.
fn events(emf: Emf) -> Emf {
    emf.count(
        &[&["Function", "Result"], &["Function", "Result", "Reason"]],
        "Events",
        1,
    )
}

/// One stored (or not) event's metrics: `Events` by result, the DynamoDB latency, for a
/// newly stored `completed` leg its duration and price by direction, `UnownedLegs` for the
/// end of a phone leg no app user placed, and `WebhookErrors` when the event was stored but
/// could not be settled (answered `503` all the same).
pub fn metrics(
    event: &CallEvent,
    recorded: &Result<Recorded, crate::store::StoreError>,
    ledgered: &Result<Ledgered, Error>,
    latency: std::time::Duration,
) -> Emf {
    let result = match recorded {
        Ok(Recorded::New) => "stored",
        Ok(Recorded::Duplicate) => "duplicate",
        Err(_) => "unavailable",
    };
    let emf = Emf::new("event")
        .dimension("Result", result)
        .dimension("Reason", "none")
        .millis(&[&["Function"]], "DynamoDbLatency", latency);
    let mut emf = events(emf);
    if recorded.is_err() {
        return error_metrics(emf, &Error::Unavailable(String::new()));
    }
    if matches!(recorded, Ok(Recorded::New)) && event.status() == Some(&CallStatus::Completed) {
        let direction = match event.direction.as_deref() {
            Some("inbound") => "inbound",
            Some("outbound") => "outbound",
            _ => "unknown",
        };
        let by_direction: &[&[&'static str]] = &[&["Function"], &["Function", "Direction"]];
        emf = emf
            .dimension("Direction", direction)
            .count(by_direction, "CompletedLegs", 1);
        if let Some(duration) = &event.duration {
            emf = emf.decimal(by_direction, "LegSeconds", Unit::Seconds, duration);
        }
        if let Some(price) = &event.price {
            emf = emf.decimal(by_direction, "LegPrice", Unit::None, price);
        }
    }
    match ledgered {
        Err(e) => error_metrics(emf, e),
        Ok(Ledgered::Unowned) => emf.count(&[&["Function"]], "UnownedLegs", 1),
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

/// One line per event that a person can read in the `make run` terminal; the same fields go
/// out as JSON in Lambda.
fn log_event(event: &CallEvent, recorded: Recorded) {
    let leg = event.uuid.as_deref().unwrap_or("-");
    let short_leg = leg.get(..8).unwrap_or(leg);
    let direction = event.direction.as_deref().unwrap_or("-");
    let status = event.kind.name();
    let duration = event.duration.as_ref().map(Decimal::as_str).unwrap_or("");
    let price = event.price.as_ref().map(Decimal::as_str).unwrap_or("");
    let to = event.to.as_deref().map(party).unwrap_or_default();
    let ended = if event.status() == Some(&CallStatus::Completed) {
        format!(" duration={duration}s price={price}")
    } else {
        String::new()
    };
    let duplicate = recorded == Recorded::Duplicate;
    let note = if duplicate { " (duplicate)" } else { "" };
    tracing::info!(
        call_uuid = leg,
        conversation_uuid = event.conversation_uuid.as_deref().unwrap_or(""),
        direction,
        status,
        to,
        duration,
        price,
        duplicate,
        "VOICE EVENT leg {short_leg} {direction} {status}{ended}{note}"
    );
}
