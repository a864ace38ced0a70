//! The event webhook's payloads: call status changes and the other events Vonage posts to the
//! event URL (input, record, transfer, notify, error).
//!
//! Parsing is lenient where Vonage is loose (numbers as strings, `null` anywhere, unknown
//! statuses and kinds are kept) and strict where a wrong value would corrupt the table
//! (identifiers, timestamps, money).

use crate::decimal::{Decimal, MAX_DURATION_SECONDS, MAX_PLACES, MAX_PRICE};
use crate::params::{id, kind_of, opt_str, InvalidInput, Params};
use crate::privacy::truncate;
use crate::status::CallStatus;
use crate::time::Timestamp;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// What kind of event reached the event URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Status(CallStatus),
    Input,
    Record,
    Transfer,
    Notify,
    Error,
    /// Valid JSON with ids but a shape we do not know: stored raw.
    Unknown,
}

impl EventKind {
    /// Vonage's name for it: the status for status events, the kind otherwise.
    pub fn name(&self) -> &str {
        match self {
            Self::Status(status) => status.as_str(),
            Self::Input => "input",
            Self::Record => "record",
            Self::Transfer => "transfer",
            Self::Notify => "notify",
            Self::Error => "error",
            Self::Unknown => "unknown",
        }
    }

    fn detect(params: &Params, status: Option<String>) -> Self {
        let has = |key: &str| params.get(key).is_some_and(|v| !v.is_null());
        if let Some(status) = status {
            Self::Status(CallStatus::parse(&status))
        } else if params.get("type").and_then(Value::as_str) == Some("transfer")
            || has("conversation_uuid_to")
        {
            Self::Transfer
        } else if has("dtmf") || has("speech") {
            Self::Input
        } else if has("recording_url") {
            Self::Record
        } else if has("payload") {
            Self::Notify
        } else if has("reason") || params.get("type").and_then(Value::as_str) == Some("error") {
            Self::Error
        } else {
            Self::Unknown
        }
    }
}

/// Whether an event was new or a redelivery of one already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    New,
    Duplicate,
}

/// How far ahead of its arrival an event's timestamp may be and still move its leg. Vonage's
/// clocks and ours agree to well within this; an event stamped further ahead is kept in the
/// timeline but cannot freeze the leg in a state no real event could then replace.
pub const MAX_FUTURE_SECONDS: i64 = 3600;

/// Longest `status` we store. Vonage's are at most 12 characters; the bound keeps the
/// transition's sort key well inside DynamoDB's 1,024 bytes.
pub const MAX_STATUS_LEN: usize = 64;

/// One event from the event webhook, with the fields the store uses.
#[derive(Debug, Clone, PartialEq)]
pub struct CallEvent {
    pub kind: EventKind,
    /// The leg: `uuid`, or `call_uuid` on `human`/`machine` events.
    pub uuid: Option<String>,
    /// The conversation; `conversation_uuid_to` stands in for it on transfers.
    pub conversation_uuid: Option<String>,
    pub direction: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub timestamp: Option<Timestamp>,
    pub network: Option<String>,
    pub rate: Option<Decimal>,
    pub price: Option<Decimal>,
    pub duration: Option<Decimal>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub detail: Option<String>,
    pub sip_code: Option<String>,
    pub disconnected_by: Option<String>,
    pub headers: Option<Value>,
    /// A short hash of the parameters in canonical form (sorted keys), for events that carry
    /// no status and time to tell them apart; the same event delivered again hashes the same.
    pub fingerprint: Option<String>,
}

fn decimal(params: &Params, key: &str) -> Result<Option<Decimal>, InvalidInput> {
    match opt_str(params, key)? {
        None => Ok(None),
        Some(text) => Decimal::parse(text.trim()).map(Some).ok_or_else(|| {
            InvalidInput(format!(
                "`{key}` must be a decimal number, not `{}`",
                truncate(&text, 40)
            ))
        }),
    }
}

/// A duration, price or rate: a decimal from 0 to `max`, with at most `MAX_PLACES` places.
fn amount(params: &Params, key: &str, max: u64) -> Result<Option<Decimal>, InvalidInput> {
    let value = decimal(params, key)?;
    if let Some(d) = &value {
        if d.is_negative() || !d.at_most(max) || d.places() > MAX_PLACES {
            return Err(InvalidInput(format!(
                "`{key}` must be from 0 to {max} with at most {MAX_PLACES} decimals, not `{}`",
                truncate(d.as_str(), 40)
            )));
        }
    }
    Ok(value)
}

fn timestamp(params: &Params, key: &str) -> Result<Option<Timestamp>, InvalidInput> {
    match opt_str(params, key)? {
        None => Ok(None),
        Some(text) => Timestamp::parse(&text).map(Some).ok_or_else(|| {
            InvalidInput(format!(
                "`{key}` must be an RFC 3339 time, not `{}`",
                truncate(&text, 40)
            ))
        }),
    }
}

/// `Unknown` in `from` is Vonage saying it has no caller ID: no value, not a caller named so.
fn party(params: &Params, key: &str) -> Result<Option<String>, InvalidInput> {
    Ok(opt_str(params, key)?.filter(|v| v != "Unknown"))
}

/// `status`, bounded in length (see `MAX_STATUS_LEN`).
fn status(params: &Params) -> Result<Option<String>, InvalidInput> {
    let status = opt_str(params, "status")?;
    if status.as_ref().is_some_and(|s| s.len() > MAX_STATUS_LEN) {
        return Err(InvalidInput(format!(
            "`status` is longer than {MAX_STATUS_LEN} bytes"
        )));
    }
    Ok(status)
}

impl CallEvent {
    pub fn from_params(params: &Params) -> Result<Self, InvalidInput> {
        let kind = EventKind::detect(params, status(params)?);
        let uuid = match id(params, "uuid")? {
            Some(uuid) => Some(uuid),
            None => id(params, "call_uuid")?,
        };
        let conversation_uuid = match id(params, "conversation_uuid")? {
            Some(conv) => Some(conv),
            None => id(params, "conversation_uuid_to")?,
        };
        let headers = match params.get("headers") {
            None | Some(Value::Null) => None,
            Some(h @ Value::Object(_)) => Some(h.clone()),
            Some(other) => {
                return Err(InvalidInput(format!(
                    "`headers` must be an object, not {}",
                    kind_of(other)
                )))
            }
        };
        let timestamp = timestamp(params, "timestamp")?;
        // Keyless events (no status or no time) are told apart by their content instead.
        let fingerprint =
            (!matches!(kind, EventKind::Status(_)) || timestamp.is_none()).then(|| {
                let canonical = Value::Object(params.clone()).to_string();
                hex::encode(&Sha256::digest(canonical.as_bytes())[..8])
            });
        Ok(Self {
            kind,
            uuid,
            conversation_uuid,
            direction: opt_str(params, "direction")?,
            from: party(params, "from")?,
            to: party(params, "to")?,
            timestamp,
            network: opt_str(params, "network")?,
            rate: amount(params, "rate", MAX_PRICE)?,
            price: amount(params, "price", MAX_PRICE)?,
            duration: amount(params, "duration", MAX_DURATION_SECONDS)?,
            start_time: opt_str(params, "start_time")?,
            end_time: opt_str(params, "end_time")?,
            detail: opt_str(params, "detail")?,
            sip_code: opt_str(params, "sip_code")?,
            disconnected_by: opt_str(params, "disconnected_by")?,
            headers,
            fingerprint,
        })
    }

    /// Whether this event may change its leg, given when it arrived: not when it claims a time
    /// more than `MAX_FUTURE_SECONDS` after `received` (a forged or broken clock).
    pub fn may_move_leg(&self, received: &Timestamp) -> bool {
        match (&self.timestamp, received.plus_seconds(MAX_FUTURE_SECONDS)) {
            (Some(at), Some(latest)) => *at <= latest,
            _ => true,
        }
    }

    /// The call status, for status events.
    pub fn status(&self) -> Option<&CallStatus> {
        match &self.kind {
            EventKind::Status(status) => Some(status),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decimal::Decimal;
    use serde_json::json;

    fn parse(value: Value) -> Result<CallEvent, InvalidInput> {
        CallEvent::from_params(value.as_object().unwrap())
    }

    #[test]
    fn tutorial_completed_event_keeps_money_exact() {
        let event = parse(json!({
            "headers": {}, "end_time": "2021-03-10T10:36:36.000Z", "uuid": "8aa86e22-8d45-4201-b8d8-3dcd76e76429",
            "network": "23433", "duration": "5", "start_time": "2021-03-10T10:36:31.000Z", "rate": "0.10000000",
            "price": "0.00833333", "from": "Unknown", "to": "447700900000",
            "conversation_uuid": "CON-1a28b1f8-0831-44e6-8d58-42739e7d4c77", "status": "completed",
            "direction": "outbound", "timestamp": "2021-03-10T10:36:35.585Z"
        }))
        .unwrap();
        assert_eq!(event.kind, EventKind::Status(CallStatus::Completed));
        assert_eq!(event.price.unwrap().as_str(), "0.00833333");
        assert_eq!(event.rate.unwrap().as_str(), "0.10000000");
        assert_eq!(event.duration.unwrap().as_str(), "5");
        assert_eq!(event.network.as_deref(), Some("23433"));
        assert_eq!(event.from, None, "`Unknown` is no caller ID");
        assert_eq!(
            event.timestamp.unwrap().as_str(),
            "2021-03-10T10:36:35.585Z"
        );
    }

    #[test]
    fn durations_prices_and_rates_outside_sane_bounds_are_refused() {
        let with = |key: &str, value: &str| {
            parse(
                json!({"uuid": "u1", "conversation_uuid": "CON-1", "status": "completed", key: value}),
            )
        };
        for (key, value) in [
            ("price", "0"),
            ("price", "10000"),
            ("price", "0.000000000001"),
            ("rate", "9999.99"),
            ("duration", "86400"),
            ("duration", "-0"),
        ] {
            assert!(with(key, value).is_ok(), "{key}={value}");
        }
        for (key, value) in [
            ("price", &"9".repeat(38)[..]),
            ("price", "10000.01"),
            ("price", "-1.5"),
            ("price", "0.0000000000001"),
            ("rate", "123456"),
            ("duration", "86401"),
            ("duration", "-5"),
        ] {
            let err = with(key, value).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!("`{key}` must be from 0 to")),
                "{key}={value}: {err}"
            );
        }
    }

    #[test]
    fn numbers_may_arrive_as_json_numbers_and_nulls_anywhere() {
        let event = parse(json!({"uuid": "u1", "conversation_uuid": "CON-1", "status": "completed",
            "duration": 5, "price": 0.5, "rate": null, "sip_code": 200, "network": null, "from": null})).unwrap();
        assert_eq!(event.duration.unwrap().as_str(), "5");
        assert_eq!(event.price.unwrap().as_str(), "0.5");
        assert_eq!(event.rate, None);
        assert_eq!(event.sip_code.as_deref(), Some("200"));
    }

    #[test]
    fn every_documented_status_is_known_and_unknown_ones_are_kept() {
        for name in [
            "started",
            "ringing",
            "answered",
            "machine",
            "human",
            "busy",
            "cancelled",
            "unanswered",
            "rejected",
            "failed",
            "timeout",
            "completed",
            "disconnected",
            "transfer",
        ] {
            let status = CallStatus::parse(name);
            assert!(!matches!(status, CallStatus::Other(_)), "{name}");
            assert_eq!(status.as_str(), name);
        }
        assert_eq!(
            CallStatus::parse("on_hold"),
            CallStatus::Other("on_hold".into())
        );
        assert_eq!(CallStatus::parse("on_hold").as_str(), "on_hold");
    }

    #[test]
    fn status_ranks_order_a_legs_life() {
        use CallStatus::*;
        let order = [Started, Ringing, Answered, Disconnected, Busy, Completed];
        assert!(order.windows(2).all(|w| w[0].rank() < w[1].rank()));
        assert_eq!(Failed.rank(), Busy.rank());
        assert!(Other("x".into()).rank() < Started.rank());
        assert!(Answered.outcome_rank() < Busy.outcome_rank());
        assert_eq!(Completed.outcome_rank(), None);
    }

    #[test]
    fn human_and_machine_events_use_call_uuid() {
        let event = parse(
            json!({"call_uuid": "u1", "conversation_uuid": "CON-1", "status": "human",
                                 "timestamp": "2021-03-10T10:36:21.285Z"}),
        )
        .unwrap();
        assert_eq!(event.uuid.as_deref(), Some("u1"));
        assert_eq!(event.kind, EventKind::Status(CallStatus::Human));
    }

    #[test]
    fn other_event_kinds_are_recognised() {
        let cases = [
            (
                json!({"uuid": "u1", "conversation_uuid": "CON-1", "dtmf": {"digits": "1"}}),
                EventKind::Input,
            ),
            (
                json!({"conversation_uuid": "CON-1", "recording_url": "https://x", "recording_uuid": "r"}),
                EventKind::Record,
            ),
            (
                json!({"uuid": "u1", "conversation_uuid_from": "CON-1", "conversation_uuid_to": "CON-2", "type": "transfer"}),
                EventKind::Transfer,
            ),
            (
                json!({"conversation_uuid": "CON-1", "payload": {"a": 1}}),
                EventKind::Notify,
            ),
            (
                json!({"conversation_uuid": "CON-1", "reason": "Bad NCCO"}),
                EventKind::Error,
            ),
            (
                json!({"conversation_uuid": "CON-1", "something": "new"}),
                EventKind::Unknown,
            ),
        ];
        for (value, kind) in cases {
            assert_eq!(parse(value.clone()).unwrap().kind, kind, "{value}");
        }
        let transfer = parse(json!({"uuid": "u1", "conversation_uuid_from": "CON-1", "conversation_uuid_to": "CON-2"})).unwrap();
        assert_eq!(transfer.conversation_uuid.as_deref(), Some("CON-2"));
    }

    #[test]
    fn an_event_that_names_no_call_is_accepted() {
        let event = parse(json!({"foo": "bar"})).unwrap();
        assert_eq!((event.uuid, event.conversation_uuid), (None, None));
        assert_eq!(event.kind, EventKind::Unknown);
        assert!(event.fingerprint.is_some());
    }

    #[test]
    fn a_time_whose_utc_form_leaves_year_9999_is_refused_not_a_panic() {
        assert_eq!(Timestamp::parse("9999-12-31T23:59:59-23:59"), None);
        assert_eq!(Timestamp::parse("0000-01-01T00:00:00+23:59"), None);
        let err = parse(
            json!({"uuid": "u1", "conversation_uuid": "CON-1", "status": "completed",
                               "timestamp": "9999-12-31T23:59:59-23:59"}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("`timestamp`"), "{err}");
        let last = Timestamp::parse("9999-12-31T23:59:59.999Z").unwrap();
        assert_eq!(last.plus_seconds(1), None);
    }

    #[test]
    fn a_leg_moves_only_for_events_at_most_an_hour_ahead_of_arrival() {
        let received = Timestamp::parse("2021-03-10T10:00:00Z").unwrap();
        let at = |ts: &str| {
            parse(json!({"uuid": "u1", "conversation_uuid": "CON-1", "status": "completed", "timestamp": ts}))
                .unwrap()
        };
        assert!(at("2021-03-10T09:00:00Z").may_move_leg(&received));
        assert!(at("2021-03-10T11:00:00Z").may_move_leg(&received));
        assert!(!at("2021-03-10T11:00:01Z").may_move_leg(&received));
        assert!(!at("9999-12-30T00:00:00Z").may_move_leg(&received));
    }

    #[test]
    fn timestamps_are_normalised_to_utc_milliseconds() {
        assert_eq!(
            Timestamp::parse("2021-03-10T10:36:21Z").unwrap().as_str(),
            "2021-03-10T10:36:21.000Z"
        );
        assert_eq!(
            Timestamp::parse("2021-03-10T11:36:21.2851+01:00")
                .unwrap()
                .as_str(),
            "2021-03-10T10:36:21.285Z"
        );
        assert_eq!(Timestamp::parse("yesterday"), None);
    }

    #[test]
    fn decimals_are_plain_and_bounded() {
        for ok in ["0", "5", "0.00833333", "-1.5", "10"] {
            assert_eq!(Decimal::parse(ok).unwrap().as_str(), ok);
        }
        for bad in [
            "",
            "-",
            "1.",
            ".5",
            "1e5",
            "5x",
            "NaN",
            "0x10",
            "1.2.3",
            &"9".repeat(39),
        ] {
            assert_eq!(Decimal::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn malformed_fields_are_rejected_with_the_field_named() {
        let cases = [
            (
                json!({"conversation_uuid": "CON-1", "uuid": "u1", "duration": "5s"}),
                "`duration`",
            ),
            (
                json!({"conversation_uuid": "CON-1", "uuid": "u1", "price": "free"}),
                "`price`",
            ),
            (
                json!({"conversation_uuid": "CON-1", "uuid": "u1", "timestamp": "soon"}),
                "`timestamp`",
            ),
            (
                json!({"conversation_uuid": "CON-1", "uuid": "a#b"}),
                "`uuid`",
            ),
            (
                json!({"conversation_uuid": ["CON-1"], "uuid": "u1"}),
                "`conversation_uuid`",
            ),
            (
                json!({"conversation_uuid": "CON-1", "uuid": "u1", "status": 7.5e300}),
                "",
            ),
            (
                json!({"conversation_uuid": "CON-1", "uuid": "u1", "headers": "x"}),
                "`headers`",
            ),
            (
                json!({"conversation_uuid": "CON-1", "uuid": "u1", "status": "s".repeat(MAX_STATUS_LEN + 1)}),
                "`status` is longer",
            ),
        ];
        for (value, needle) in cases {
            match parse(value.clone()) {
                Err(e) => assert!(e.to_string().contains(needle), "{value}: {e}"),
                // A number as status is kept as an unknown status: lenient, not an error.
                Ok(event) => assert!(
                    matches!(event.kind, EventKind::Status(CallStatus::Other(_))),
                    "{value}"
                ),
            }
        }
    }
}
