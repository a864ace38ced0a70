//! The work each webhook does per request besides I/O, in process: the answer decision with
//! its NCCO serialised, an event parsed with its DynamoDB writes built, and the EMF metrics
//! document an invocation writes in Lambda.

use criterion::{criterion_group, criterion_main, Criterion};
use lambda_http::Request;
use shared::config::AnswerConfig;
use shared::testkit;
use std::hint::black_box;
use voice_core::event::CallEvent;

const COMPLETED: &str = include_str!("../../fixtures/tutorial-call/04-phone-leg-completed.json");

fn answer_request() -> Request {
    testkit::get(
        testkit::ANSWER,
        &[
            ("to", "447700900000"),
            ("from_user", "Alice"),
            ("uuid", testkit::APP_LEG),
            ("conversation_uuid", testkit::CONVERSATION),
        ],
    )
}

fn event_request() -> Request {
    testkit::post(testkit::EVENT, COMPLETED)
}

fn benches(c: &mut Criterion) {
    let cfg = AnswerConfig::from_env(&testkit::Vars::unsigned(&[(
        "VONAGE_NUMBER",
        "447700900001",
    )]))
    .unwrap();
    let req = answer_request();
    c.bench_function("answer: GET request → decision → NCCO response", |b| {
        b.iter(|| {
            let params = shared::http::params(black_box(&req)).unwrap();
            let answer = voice_core::answer::answer(&cfg.settings, &params).unwrap();
            shared::http::json_response(lambda_http::http::StatusCode::OK, &answer.ncco)
        })
    });
    let req = event_request();
    let received = voice_core::time::Timestamp::now();
    c.bench_function(
        "event: POST body → CallEvent → DynamoDB writes built",
        |b| {
            b.iter(|| {
                let params = shared::http::params(black_box(&req)).unwrap();
                let event = CallEvent::from_params(&params).unwrap();
                let moves_leg = event.may_move_leg(&received);
                shared::store::writes(&event, COMPLETED, Some(1_800_000_000), moves_leg).unwrap()
            })
        },
    );
    let params = shared::http::params(&req).unwrap();
    let event = CallEvent::from_params(&params).unwrap();
    let recording = shared::usecase::event::Recording {
        recorded: Ok(voice_core::event::Recorded::New),
        ledgered: Ok(shared::usecase::event::LedgerOutcome::Settled(
            voice_core::usage::Settled::Charged { released: false },
        )),
        latency: std::time::Duration::from_micros(700),
    };
    c.bench_function(
        "event: EMF metrics document for a stored completed leg",
        |b| {
            b.iter(|| {
                let emf = shared::http::event::metrics(black_box(&event), &recording);
                emf.document("VoiceHooks", 1_700_000_000_000)
            })
        },
    );
}

criterion_group!(hot_paths, benches);
criterion_main!(hot_paths);
