#![no_main]
//! The event webhook's parsing: request → parameters → CallEvent. Must never panic; whatever
//! it accepts has a kind that names itself, a bounded status, and an identity for its key (ids
//! and a time, or a fingerprint of its content).

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let req = common::request(data);
    if let Ok(params) = shared::http::params(&req) {
        if let Ok(event) = voice_core::event::CallEvent::from_params(&params) {
            assert!(!event.kind.name().is_empty());
            assert!(event.kind.name().len() <= voice_core::event::MAX_STATUS_LEN);
            if event.status().is_none() || event.timestamp.is_none() {
                assert!(event.fingerprint.is_some());
            }
            if let Some(ts) = &event.timestamp {
                assert_eq!(ts.as_str().len(), 24, "{}", ts.as_str());
            }
        }
    }
});
