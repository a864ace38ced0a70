//! event-fn's handler: one Vonage event in, stored exactly once, `200` out.

use super::{
    authorization, body_bytes, error_metrics, error_response, json_response, params, status,
};
use crate::config::EventConfig;
use crate::error::Error;
use crate::event::{truncate, CallEvent, CallStatus, Decimal, Timestamp, MAX_FUTURE_SECONDS};
use crate::metrics::{Emf, Unit};
use crate::phone::{mask, redact};
use crate::store::{Recorded, Store};
use crate::usage::Charge;
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
            let body = redact(&truncate(&String::from_utf8_lossy(body_bytes(&req)), 500));
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
    let charged = match &recorded {
        Ok(recorded) => {
            log_event(&event, *recorded);
            charge(store, &event, moves_leg).await
        }
        Err(_) => Ok(()),
    };
    if let Some(sink) = &cfg.metrics {
        sink.emit(&metrics(&event, &recorded, charged.as_ref().err(), latency));
    }
    match recorded {
        Ok(recorded) => {
            if let Err(e) = charged {
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

/// How long after a leg's `completed` its call item may still be missing from the index it is
/// found by (which DynamoDB updates within about a second): until then a missing owner is a
/// `503`, so Vonage delivers the event again; after it, the leg is not an app user's call.
pub const OWNER_GRACE_SECONDS: i64 = 900;

/// Charges a completed outbound phone leg to the app user whose call it is, once (the
/// ledger's guard makes a redelivery, or a concurrent delivery, a no-op). Runs for duplicates
/// too: a delivery that stored the event but died before charging it is finished by the next.
/// An event that may not move its leg (stamped far ahead) charges nothing either.
async fn charge(store: &Store, event: &CallEvent, moves_leg: bool) -> Result<(), Error> {
    let charge = match Charge::of(event) {
        None => return Ok(()),
        Some(_) if !moves_leg => return Ok(()),
        Some(Ok(charge)) => charge,
        Some(Err(reason)) => {
            tracing::warn!(
                call_uuid = event.uuid.as_deref().unwrap_or(""),
                "VOICE EVENT not charged: {reason}"
            );
            return Ok(());
        }
    };
    let ledger = store.ledger();
    let Some(owner) = ledger.owner(&charge.conversation_uuid).await? else {
        let grace = Timestamp::now().plus_seconds(-OWNER_GRACE_SECONDS);
        let recent = matches!((&event.timestamp, &grace), (Some(at), Some(since)) if at >= since);
        if recent {
            return Err(Error::Unavailable(format!(
                "conversation {} has no call item yet: retry later",
                charge.conversation_uuid
            )));
        }
        tracing::warn!(
            call_uuid = charge.leg,
            conversation_uuid = charge.conversation_uuid,
            "VOICE EVENT completed leg belongs to no app user's call: not charged"
        );
        return Ok(());
    };
    let (charged, filed) = tokio::join!(
        ledger.charge(&owner, &charge),
        ledger.file_leg(&owner, &charge)
    );
    filed?;
    if charged? {
        tracing::info!(
            user = mask(&owner.user),
            day = owner.day,
            seconds = charge.seconds.as_str(),
            spend = charge.spend.as_str(),
            "VOICE EVENT leg {} charged to {} for {}",
            charge.leg.get(..8).unwrap_or(&charge.leg),
            mask(&owner.user),
            owner.day
        );
    }
    Ok(())
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
/// newly stored `completed` leg its duration and price by direction, and `WebhookErrors` when
/// the event was stored but could not be charged (answered `503` all the same).
pub fn metrics(
    event: &CallEvent,
    recorded: &Result<Recorded, crate::store::StoreError>,
    charge_error: Option<&Error>,
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
    match charge_error {
        Some(e) => error_metrics(emf, e),
        None => emf,
    }
}

/// The event and what Vonage sent, as it sent it: the body of a POST, the query of a GET.
fn parse(cfg: &EventConfig, req: &Request) -> Result<(CallEvent, String), Error> {
    // A GET's query is not covered by Vonage's signature (`payload_hash` hashes a body), so a
    // signed deployment takes events by POST only.
    if cfg.signature.is_signed() && req.method() == Method::GET {
        return Err(Error::SignedGet);
    }
    cfg.signature.verify(authorization(req), body_bytes(req))?;
    let params = params(req)?;
    let event = CallEvent::from_params(&params)?;
    let raw = match *req.method() {
        Method::POST => String::from_utf8_lossy(body_bytes(req)).into_owned(),
        _ => serde_json::Value::Object(params).to_string(),
    };
    Ok((event, raw))
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
    let to = event.to.as_deref().map(mask).unwrap_or_default();
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
