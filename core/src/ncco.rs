//! Nexmo Call Control Objects: the JSON array the answer webhook returns to Vonage.
//!
//! Field names and shapes follow Vonage's NCCO reference. Every optional field is skipped when
//! unset, because Vonage rejects `null` where it expects a value.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A whole NCCO: the actions Vonage runs in order.
pub type Ncco = Vec<Action>;

/// One NCCO action, tagged by its `action` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Action {
    Talk(Talk),
    Stream(Stream),
    Input(Input),
    Record(Record),
    Connect(Connect),
    Conversation(Conversation),
    Notify(Notify),
    Wait(Wait),
}

/// HTTP method Vonage uses for an action's `eventUrl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EventMethod {
    Get,
    Post,
}

/// Text-to-speech played into the call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Talk {
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub barge_in: Option<bool>,
    #[serde(rename = "loop", skip_serializing_if = "Option::is_none")]
    pub loop_count: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub style: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub premium: Option<bool>,
}

impl Talk {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }
}

/// An audio file streamed into the call.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stream {
    pub stream_url: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub barge_in: Option<bool>,
    #[serde(rename = "loop", skip_serializing_if = "Option::is_none")]
    pub loop_count: Option<u32>,
}

/// Collects DTMF digits and/or speech; the result goes to `eventUrl`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Input {
    #[serde(rename = "type")]
    pub input_type: Vec<InputType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dtmf: Option<DtmfSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speech: Option<SpeechSettings>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_url: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_method: Option<EventMethod>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputType {
    Dtmf,
    Speech,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DtmfSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_out: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_digits: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submit_on_hash: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpeechSettings {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_on_silence: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_timeout: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub save_audio: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<u32>,
}

/// Records the call; the recording's URL goes to `eventUrl`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub split: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channels: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_on_silence: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_on_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_out: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beep_start: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_url: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_method: Option<EventMethod>,
}

/// Connects the call to one endpoint (Vonage rings the first of the list).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connect {
    pub endpoint: Vec<Endpoint>,
    /// Caller ID shown to the callee: one of our Vonage numbers, E.164 digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_from_number: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub machine_detection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_url: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_method: Option<EventMethod>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ringback_tone: Option<String>,
}

/// Where a `connect` action sends the call, tagged by its `type` field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Endpoint {
    Phone {
        number: String,
        #[serde(rename = "dtmfAnswer", skip_serializing_if = "Option::is_none")]
        dtmf_answer: Option<String>,
        #[serde(rename = "onAnswer", skip_serializing_if = "Option::is_none")]
        on_answer: Option<OnAnswer>,
    },
    App {
        user: String,
    },
    Websocket {
        uri: String,
        #[serde(rename = "content-type")]
        content_type: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        headers: Option<Value>,
    },
    Sip {
        uri: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        headers: Option<Value>,
    },
    Vbc {
        extension: String,
    },
}

impl Endpoint {
    pub fn phone(number: impl Into<String>) -> Self {
        Endpoint::Phone {
            number: number.into(),
            dtmf_answer: None,
            on_answer: None,
        }
    }

    pub fn app(user: impl Into<String>) -> Self {
        Endpoint::App { user: user.into() }
    }
}

/// An NCCO fetched and run for the callee once they answer, before the two are connected.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnAnswer {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ringback_tone: Option<String>,
}

/// Puts the call into a named conversation (conference).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub music_on_hold_url: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_on_enter: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_on_exit: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_speak: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_hear: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mute: Option<bool>,
}

/// Sends a custom payload to `eventUrl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notify {
    pub payload: Value,
    pub event_url: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_method: Option<EventMethod>,
}

/// Holds the call for `timeout` seconds (Vonage accepts 0.1 to 7200).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Wait {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each example is written the way Vonage's NCCO reference writes it; parsing it and
    /// serialising it again must give back exactly the same JSON.
    fn assert_round_trip(example: Value) {
        let action: Action = serde_json::from_value(example.clone()).expect("example parses");
        assert_eq!(serde_json::to_value(&action).unwrap(), example);
    }

    #[test]
    fn talk_round_trips_with_all_options() {
        assert_round_trip(json!({
            "action": "talk", "text": "Hello", "bargeIn": false, "loop": 2,
            "level": 0.5, "language": "en-GB", "style": 1, "premium": true
        }));
    }

    #[test]
    fn stream_round_trips() {
        assert_round_trip(json!({
            "action": "stream", "streamUrl": ["https://example.com/music.mp3"],
            "level": 0.0, "bargeIn": true, "loop": 0
        }));
    }

    #[test]
    fn input_round_trips_with_dtmf_and_speech() {
        assert_round_trip(json!({
            "action": "input", "type": ["dtmf", "speech"],
            "dtmf": {"timeOut": 5, "maxDigits": 4, "submitOnHash": true},
            "speech": {"uuid": ["aaaaaaaa-bbbb-cccc-dddd-0123456789ab"], "endOnSilence": 1.5,
                       "language": "en-US", "context": ["sales", "support"], "startTimeout": 10,
                       "maxDuration": 60, "saveAudio": true, "sensitivity": 90},
            "eventUrl": ["https://example.com/webhooks/input"], "eventMethod": "POST"
        }));
    }

    #[test]
    fn record_round_trips() {
        assert_round_trip(json!({
            "action": "record", "format": "wav", "split": "conversation", "channels": 2,
            "endOnSilence": 3, "endOnKey": "#", "timeOut": 7200, "beepStart": true,
            "eventUrl": ["https://example.com/webhooks/recordings"], "eventMethod": "GET"
        }));
    }

    #[test]
    fn connect_round_trips_with_every_endpoint_type() {
        assert_round_trip(json!({
            "action": "connect", "from": "447700900001", "timeout": 45, "limit": 7200,
            "machineDetection": "continue", "eventType": "synchronous",
            "eventUrl": ["https://example.com/webhooks/event"], "eventMethod": "POST",
            "ringbackTone": "https://example.com/ringback.mp3",
            "endpoint": [
                {"type": "phone", "number": "447700900000", "dtmfAnswer": "2p02p",
                 "onAnswer": {"url": "https://example.com/whisper", "ringbackTone": "https://example.com/tone.mp3"}},
                {"type": "app", "user": "Alice"},
                {"type": "websocket", "uri": "wss://example.com/socket",
                 "content-type": "audio/l16;rate=16000", "headers": {"caller": "Alice"}},
                {"type": "sip", "uri": "sip:alice@example.com", "headers": {"x": "y"}},
                {"type": "vbc", "extension": "1234"}
            ]
        }));
    }

    #[test]
    fn conversation_round_trips() {
        assert_round_trip(json!({
            "action": "conversation", "name": "standup",
            "musicOnHoldUrl": ["https://example.com/hold.mp3"], "startOnEnter": false,
            "endOnExit": true, "record": true,
            "canSpeak": ["6a4d6af0-55a6-4667-be90-8614e4c8e83c"],
            "canHear": ["6a4d6af0-55a6-4667-be90-8614e4c8e83c"], "mute": false
        }));
    }

    #[test]
    fn notify_round_trips() {
        assert_round_trip(json!({
            "action": "notify", "payload": {"foo": "bar"},
            "eventUrl": ["https://example.com/webhooks/notify"], "eventMethod": "POST"
        }));
    }

    #[test]
    fn wait_round_trips() {
        assert_round_trip(json!({"action": "wait", "timeout": 0.5}));
    }

    #[test]
    fn unset_fields_are_omitted_not_null() {
        let ncco: Ncco = vec![
            Action::Talk(Talk::new("Hi")),
            Action::Connect(Connect {
                endpoint: vec![Endpoint::phone("447700900000")],
                ..Connect::default()
            }),
            Action::Wait(Wait::default()),
        ];
        assert_eq!(
            serde_json::to_string(&ncco).unwrap(),
            r#"[{"action":"talk","text":"Hi"},{"action":"connect","endpoint":[{"type":"phone","number":"447700900000"}]},{"action":"wait"}]"#
        );
    }
}
