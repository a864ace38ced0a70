#![no_main]
//! The event webhook's parsing: request → parameters → CallEvent. Must never panic; whatever
//! it accepts must have an id and a kind that names itself.

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let req = common::request(data);
    if let Ok(params) = shared::webhook::params(&req) {
        if let Ok(event) = shared::event::CallEvent::from_params(&params) {
            assert!(event.uuid.is_some() || event.conversation_uuid.is_some());
            assert!(!event.kind.name().is_empty());
            if let Some(ts) = &event.timestamp {
                assert_eq!(ts.as_str().len(), 24, "{}", ts.as_str());
            }
        }
    }
});
