#![no_main]
//! The answer webhook end to end in-process: request → decision → NCCO JSON. Must never panic,
//! and must never connect a phone number that is not allowed.

use libfuzzer_sys::fuzz_target;
use shared::config::AnswerConfig;
use std::sync::OnceLock;

#[path = "common.rs"]
mod common;

fn config() -> &'static AnswerConfig {
    static CONFIG: OnceLock<AnswerConfig> = OnceLock::new();
    CONFIG.get_or_init(|| AnswerConfig::from_env(&[("VONAGE_NUMBER", "447700900001"), ("ALLOW_UNSIGNED_WEBHOOKS", "true")]).expect("config"))
}

fuzz_target!(|data: &[u8]| {
    let req = common::request(data);
    if let Ok(params) = shared::http::params(&req) {
        if let Ok(answer) = voice_core::answer::answer(&config().settings, &params) {
            let json = serde_json::to_value(&answer.ncco).expect("NCCO serialises");
            for action in json.as_array().expect("array") {
                for endpoint in action["endpoint"].as_array().into_iter().flatten() {
                    if endpoint["type"] == "phone" {
                        let number = endpoint["number"].as_str().expect("number");
                        assert!(number.starts_with("44") && !number.starts_with("449"), "{number}");
                        assert!((7..=15).contains(&number.len()));
                    }
                }
            }
        }
    }
});
