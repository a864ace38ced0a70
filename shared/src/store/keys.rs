//! Where items live: the key layout of the one table (a public contract, see docs/table.md).

use super::dynamo::Item;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use voice_core::event::CallEvent;

/// Partition key attribute name.
pub const PK: &str = "pk";
/// Sort key attribute name.
pub const SK: &str = "sk";
/// TTL attribute (epoch seconds), set when `RETENTION_DAYS` is.
pub const EXPIRES_AT: &str = "expires_at";

pub fn conversation_pk(conversation_uuid: &str) -> String {
    format!("CONV#{conversation_uuid}")
}

pub fn leg_sk(uuid: &str) -> String {
    format!("LEG#{uuid}")
}

/// Partition of one app user's items: their profile (token-fn) and, later, their usage.
pub fn user_pk(user: &str) -> String {
    format!("USER#{user}")
}

/// Sort key of a user's profile: the Vonage user made for them.
pub const PROFILE_SK: &str = "PROFILE";

/// Sort key of a user's ledger for one UTC day (`yyyy-mm-dd`).
pub fn day_sk(day: &str) -> String {
    format!("DAY#{day}")
}

/// Sort key of a call in its user's call log: newest last in key order, so one Query read
/// backwards lists a user's calls newest first.
pub fn log_sk(answered_at: &str, conversation_uuid: &str) -> String {
    format!("LOG#{answered_at}#{conversation_uuid}")
}

/// Prefix of every call-log sort key.
pub const LOG_PREFIX: &str = "LOG#";

/// Partition of who placed a conversation's call: its owner item, read with a strongly
/// consistent `GetItem` by the event webhook, and the guards of its phone legs' charges.
pub fn owner_pk(conversation_uuid: &str) -> String {
    format!("OWNER#{conversation_uuid}")
}

/// Sort key of the owner item.
pub const OWNER_SK: &str = "OWNER";

/// Sort key of a phone leg's charge guard, under its conversation's owner partition.
pub fn charged_sk(leg: &str) -> String {
    format!("CHARGED#{leg}")
}

/// Partition of the highest price per minute completed legs to a country calling code
/// carried: what the answer prices a destination by when `RATE_TABLE` has no entry for it.
pub fn rate_pk(country_code: &str) -> String {
    format!("RATE#{country_code}")
}

/// Sort key of a learned rate.
pub const RATE_SK: &str = "RATE";

/// Partition of the events that name neither a conversation nor a leg (a `notify` payload is
/// whatever the NCCO's author chose): one place to find them, with one Query.
pub const NO_CALL_PK: &str = "NOCALL";

/// Where an event's transition item goes: `(pk, sk)`. Deterministic in the event, so a
/// redelivery lands on the same key. A status event is identified by its time, leg and
/// status; every other event (and one without a time) also by its content's fingerprint, since
/// two inputs on one leg may share a millisecond.
pub fn transition_key(event: &CallEvent) -> (String, String) {
    let pk = match (&event.conversation_uuid, &event.uuid) {
        (Some(conv), _) => conversation_pk(conv),
        (None, Some(uuid)) => format!("CALL#{uuid}"),
        (None, None) => NO_CALL_PK.to_string(),
    };
    let time = event
        .timestamp
        .as_ref()
        .map_or("no-timestamp", |t| t.as_str());
    let uuid = event.uuid.as_deref().unwrap_or("-");
    let mut sk = format!("EVENT#{time}#{uuid}#{}", event.kind.name());
    if let Some(fingerprint) = &event.fingerprint {
        sk.push('#');
        sk.push_str(fingerprint);
    }
    (pk, sk)
}

/// The key of a leg item.
pub fn leg_key(conv: &str, uuid: &str) -> Item {
    HashMap::from([
        (PK.to_string(), AttributeValue::S(conversation_pk(conv))),
        (SK.to_string(), AttributeValue::S(leg_sk(uuid))),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::testkit::call_event as event;

    #[test]
    fn transition_keys_follow_the_documented_layout() {
        let e = event(
            json!({"uuid": "u1", "conversation_uuid": "CON-1", "status": "answered",
                             "timestamp": "2021-03-10T10:36:31.604Z"}),
        );
        assert_eq!(
            transition_key(&e),
            (
                "CONV#CON-1".into(),
                "EVENT#2021-03-10T10:36:31.604Z#u1#answered".into()
            )
        );
        let e = event(
            json!({"conversation_uuid": "CON-1", "recording_url": "https://x", "timestamp": "2021-03-10T10:36:31Z"}),
        );
        let (pk, sk) = transition_key(&e);
        assert_eq!(pk, "CONV#CON-1");
        assert!(
            sk.starts_with("EVENT#2021-03-10T10:36:31.000Z#-#record#"),
            "{sk}"
        );
        let e =
            event(json!({"uuid": "u1", "status": "started", "timestamp": "2021-03-10T10:36:31Z"}));
        assert_eq!(transition_key(&e).0, "CALL#u1");
        let e = event(json!({"foo": "bar"}));
        assert_eq!(transition_key(&e).0, NO_CALL_PK);
        let e = event(
            json!({"uuid": "u1", "conversation_uuid_from": "CON-1", "conversation_uuid_to": "CON-2",
                             "timestamp": "2021-03-10T10:36:31Z"}),
        );
        assert_eq!(
            transition_key(&e).0,
            "CONV#CON-2",
            "a transfer is filed where the leg went"
        );
    }

    #[test]
    fn events_without_a_status_or_time_are_told_apart_by_their_content() {
        let key = |value| transition_key(&event(value)).1;
        let a =
            key(json!({"uuid": "u1", "conversation_uuid": "CON-1", "status": "started", "a": 1}));
        let b =
            key(json!({"uuid": "u1", "conversation_uuid": "CON-1", "status": "started", "a": 2}));
        assert_ne!(a, b);
        assert!(a.starts_with("EVENT#no-timestamp#u1#started#"), "{a}");
        let dtmf = key(
            json!({"uuid": "u1", "conversation_uuid": "CON-1", "timestamp": "2020-01-01T14:00:00.000Z",
                              "dtmf": {"digits": "1234"}}),
        );
        let speech = key(
            json!({"uuid": "u1", "conversation_uuid": "CON-1", "timestamp": "2020-01-01T14:00:00.000Z",
                                "speech": {"results": []}}),
        );
        assert_ne!(
            dtmf, speech,
            "two inputs in one millisecond are two transitions"
        );
        let reordered = key(
            json!({"speech": {"results": []}, "timestamp": "2020-01-01T14:00:00.000Z",
                                   "conversation_uuid": "CON-1", "uuid": "u1"}),
        );
        assert_eq!(
            speech, reordered,
            "the fingerprint does not depend on key order"
        );
    }

    #[test]
    fn the_longest_possible_sort_key_fits_dynamodbs_limit() {
        let id = "u".repeat(128);
        let status = "s".repeat(voice_core::event::MAX_STATUS_LEN);
        let e = event(json!({"uuid": id, "conversation_uuid": id, "status": status}));
        let (pk, sk) = transition_key(&e);
        assert!(sk.len() <= 1024 && pk.len() <= 2048, "{} bytes", sk.len());
    }
}
