//! `make bench`: runs the release binaries of the functions the way Lambda runs them, through
//! a local Runtime API, and prints init, first invocation, warm p50/p99, peak RSS and DynamoDB
//! round trips per event; the Python + boto3 peer (`bench/event_peer.py`) goes through the same
//! harness against the same DynamoDB Local.
//!
//! ```text
//! bench <answer-fn binary> <event-fn binary | -> [python | -] [token-fn binary] [calls-fn binary]
//!                                                             (AWS_ENDPOINT_URL_DYNAMODB set)
//! ```
//!
//! Each function starts exactly as Lambda starts it for template.yaml (`devtools::deployed`:
//! Lambda's variables and the template's, so signatures are checked and metrics written), and
//! every request is signed as Vonage signs it. The functions reach DynamoDB Local (and the
//! stand-in) by name, `localhost`, as they reach DynamoDB by name in Lambda: the first
//! connection resolves it.
//!
//! With `-` for event-fn only answer-fn is measured (for comparing builds of it). token-fn is
//! measured with its key in `VONAGE_PRIVATE_KEY` (init without the Secrets Manager fetch) and
//! its user known (a profile in the table: one GetItem and one signature per request); calls-fn
//! with a page of 20 of a user's 30 calls (one Query and one GetItem per request).

use devtools::bench::{dynamodb_local_alone, status_of, us, Figures, WARM};
use devtools::deployed::{required_parameters, Deployed, APPLICATION_ID, SECRET};
use devtools::load;
use devtools::proxy::Proxy;
use devtools::runtime_api::{median_min_max, Function};
use shared::usecase::answer::CallLedger;
use std::path::Path;

/// Cold starts per function, unless `BENCH_COLD_STARTS` says (more for A/B comparisons of
/// init and first invocation, whose spread on a shared machine is wide).
const DEFAULT_COLD_STARTS: usize = 7;

/// `endpoint` with its address given by name (`localhost`), as Lambda's endpoints are.
fn by_name(endpoint: &str) -> String {
    endpoint.replacen("127.0.0.1", "localhost", 1)
}

/// An API Gateway v2 request for `body`, signed as Vonage signs it, as the HTTP API hands it
/// to the function.
fn apigw_post(path: &'static str, body: &str) -> Vec<u8> {
    signed(
        shared::testkit::ApiGw::new("POST", path).json(body),
        body.as_bytes(),
    )
}

/// `request` with Vonage's signature over `body`.
fn signed(request: shared::testkit::ApiGw, body: &[u8]) -> Vec<u8> {
    use shared::testkit::{bearer, vonage_claims};
    let claims = vonage_claims(body, "abcd1234", APPLICATION_ID);
    request
        .header("authorization", &bearer(SECRET, &claims))
        .event()
        .to_string()
        .into_bytes()
}

/// `function` as deployed with `parameters` besides the required ones, on `table` at `endpoint`.
fn deployed(function: &str, parameters: &[(&str, &str)], table: &str, endpoint: &str) -> Deployed {
    let mut all = required_parameters();
    all.extend_from_slice(parameters);
    Deployed::new(function, &all, table).dynamodb(endpoint)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cold_starts: usize = std::env::var("BENCH_COLD_STARTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_COLD_STARTS);
    let [answer_bin, event_bin, python, token_bin, calls_bin] =
        [0, 1, 2, 3, 4].map(|i| args.get(i).cloned().unwrap_or_default());
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .expect("run under scripts/dynamodb-local.sh (make bench)");
    let functions_endpoint = by_name(&endpoint);
    let table = "bench-calls";
    let cfg = shared::config::EventConfig::unsigned(table);
    shared::store::Store::from_env(&cfg)
        .expect("store from the environment")
        .create_table()
        .await
        .expect("create table");

    // Distinct events only: each warm invocation is a new event (a transition put and a leg update).
    let plans: Vec<Vec<String>> = (0..3 * cold_starts as u64)
        .map(|seed| {
            let plan = load::synthesize(60, WARM + 1, 0, 1000 + seed);
            let mut seen = std::collections::HashSet::new();
            plan.deliveries
                .into_iter()
                .filter(|b| seen.insert(b.clone()))
                .collect()
        })
        .collect();
    let event =
        |plan: usize, i: usize| apigw_post("/voice/event", &plans[plan][i % plans[plan].len()]);
    // An app user's answer request, by POST as a signed deployment takes it.
    let answer = |user: &str, conversation: &str| {
        let body = serde_json::json!({"to": "447700900000", "from_user": user,
            "conversation_uuid": conversation, "uuid": format!("app-{conversation}")});
        apigw_post("/voice/answer", &body.to_string())
    };

    println!("Local Lambda Runtime API, {cold_starts} cold starts per function, {WARM} warm invocations after each;");
    println!(
        "median (min–max) over the cold starts; warm p99 over all {} warm invocations.\n",
        cold_starts * WARM
    );
    println!("| function | init (exec → first /next) | first invocation | warm p50 | warm p99 | peak RSS |");
    println!("|---|---|---|---|---|---|");
    // DynamoDB Local is a JVM: warm it up before measuring anything (its JIT competes for the
    // CPU), then alternate the Rust function and its Python peer so that neither meets a
    // colder emulator than the other.
    let warm_up = shared::store::Store::from_env(&cfg).expect("store from the environment");
    for body in plans[3 * cold_starts - 1].iter().take(WARM) {
        let event =
            voice_core::event::CallEvent::from_params(&serde_json::from_str(body).expect("JSON"))
                .expect("event");
        warm_up
            .record(&event, body, true)
            .await
            .expect("warm-up write");
    }
    let mut no_ledger = Figures::default();
    for _ in 0..cold_starts {
        let command = deployed("AnswerFunction", &[], table, &functions_endpoint)
            .edited("TABLE_NAME", None)
            .command(&answer_bin);
        no_ledger
            .cold_start(command, |i| answer("Alice", &format!("CON-no-ledger-{i}")))
            .await;
    }
    no_ledger.print("answer-fn, no ledger (TABLE_NAME removed)");
    // With the ledger: every invocation a new call of one of 50 app users, so each is the
    // ledger's conditional write (and the call item, alongside) on DynamoDB Local.
    // Limits on: the call limit's condition, and a spend limit's reservation (the owner item
    // and the day read first, then the transaction), every call funded.
    let limits_on = [
        ("MaxCallsPerUserPerDay", "1000000"),
        ("MaxSpendPerUserPerDay", "1000000"),
        ("RateTable", "44:0.10"),
    ];
    for (label, limits) in [
        ("answer-fn, ledger, limits off", &[][..]),
        ("answer-fn, ledger, limits on", &limits_on[..]),
    ] {
        let mut figures = Figures::default();
        for run in 0..cold_starts {
            let command =
                deployed("AnswerFunction", limits, table, &functions_endpoint).command(&answer_bin);
            figures
                .cold_start(command, |i| {
                    let tag = label.replace([' ', ','], "-");
                    // 50 users a cold start, so that no user has more calls under way
                    // than a user may (budget::MAX_OPEN_HOLDS).
                    answer(
                        &format!("bench-user-{run}-{:02}", i % 50),
                        &format!("CON-{tag}-{run}-{i}"),
                    )
                })
                .await;
        }
        figures.print(label);
    }
    // What was measured with limits on is calls funded by a reservation, not refusals.
    let ledger = shared::store::ledger::Ledger::new(
        shared::config::dynamodb_client(&shared::config::ProcessEnv, None).expect("client"),
        table,
    );
    let today = voice_core::time::day_of(&voice_core::time::Timestamp::now()).to_string();
    let day = shared::usecase::calls::CallLog::day(&ledger, "bench-user-0-00", &today)
        .await
        .expect("the day")
        .expect("calls counted");
    assert!(
        day.held != "0" && !day.held.is_empty(),
        "no call was funded: {day:?}"
    );
    if event_bin == "-" {
        return;
    }
    if !token_bin.is_empty() {
        token_fn(&token_bin, table, &functions_endpoint, cold_starts).await;
    }
    if !calls_bin.is_empty() {
        calls_fn(&calls_bin, table, &functions_endpoint, cold_starts).await;
    }

    let event_command =
        |endpoint: &str| deployed("EventFunction", &[], table, endpoint).command(&event_bin);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench/event_peer.py");
    let with_peer = Path::new(&python).exists();
    let (mut rust, mut peer) = (Figures::default(), Figures::default());
    for run in 0..cold_starts {
        rust.cold_start(event_command(&functions_endpoint), |i| event(run, i))
            .await;
        if with_peer {
            let mut command =
                deployed("EventFunction", &[], table, &functions_endpoint).command(&python);
            command.arg(&script);
            peer.cold_start(command, |i| event(cold_starts + run, i))
                .await;
        }
    }
    rust.print("event-fn (DynamoDB Local)");
    if with_peer {
        peer.print("Python + boto3 peer (same job)");
    }

    // Round trips: the same function through a counting proxy in front of DynamoDB Local.
    let upstream = endpoint
        .trim_start_matches("http://")
        .parse()
        .expect("endpoint address");
    let proxy = Proxy::start(upstream).await;
    // Completed legs of calls an app user placed cost the ledger's lookup and charge on top:
    // answer those calls first, then count the two kinds of event apart.
    let bodies = &plans[2 * cold_starts];
    let (completed, others): (Vec<&String>, Vec<&String>) = bodies
        .iter()
        .partition(|b| b.contains(r#""status":"completed""#));
    let conversations = completed.iter().map(|body| {
        let event: serde_json::Value = serde_json::from_str(body).expect("JSON");
        event["conversation_uuid"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    });
    count_calls(table, "bench-user", conversations).await;
    let mut function = Function::start(event_command(&proxy.endpoint())).await;
    function.init().await;
    for (kind, group) in [("not completed", &others), ("completed", &completed)] {
        proxy.reset_counts();
        let n = group.len().min(200);
        for body in group.iter().take(n) {
            let (_, outcome) = function.invoke(apigw_post("/voice/event", body)).await;
            assert!(outcome.ok && status_of(&outcome.body) == 200);
        }
        println!(
            "DynamoDB requests per event (event-fn, {n} distinct {kind} events through a counting proxy): {:.2} {:?}",
            proxy.requests() as f64 / n as f64,
            proxy.by_operation()
        );
    }
    first_invocation_without_dynamodb_local(
        &event_bin,
        &|i| event(2 * cold_starts, i),
        cold_starts,
    )
    .await;
    dynamodb_local_alone(upstream, table).await;
    if with_peer {
        let (rust_p50, _, _) = median_min_max(&mut rust.warm_p50);
        let (peer_p50, _, _) = median_min_max(&mut peer.warm_p50);
        println!(
            "warm event p50: event-fn {} µs, Python + boto3 {} µs: {:.1}× faster",
            us(rust_p50),
            us(peer_p50),
            peer_p50.as_secs_f64() / rust_p50.as_secs_f64()
        );
    }
}

/// `user`'s calls `conversations`, counted in the ledger of `table` as the answer counts them.
async fn count_calls(table: &str, user: &str, conversations: impl Iterator<Item = String>) {
    let ledger = shared::store::ledger::Ledger::new(
        shared::config::dynamodb_client(&shared::config::ProcessEnv, None).expect("client"),
        table,
    );
    for call_id in conversations {
        let call = voice_core::usage::NewCall {
            user: user.into(),
            call_id,
            to: "447700900000".into(),
            answered_at: voice_core::time::Timestamp::now(),
            priced: None,
        };
        ledger
            .count_call(&call, &Default::default())
            .await
            .expect("the call counted");
    }
}

/// The parameters that deploy the token service and the call history.
const TOKEN_SERVICE: [(&str, &str); 3] = [
    (
        "AuthIssuer",
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Bench",
    ),
    ("AuthAudience", "android-client"),
    (
        "VonagePrivateKeySecretArn",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-AbCdEf",
    ),
];

/// calls-fn: a signed-in user with 30 calls today asks for the first page of 20.
async fn calls_fn(binary: &str, table: &str, endpoint: &str, cold_starts: usize) {
    let conversations = (0..30).map(|i| format!("CON-history-{i:02}"));
    count_calls(table, "bench-history", conversations).await;
    let request = shared::testkit::ApiGw::new("GET", "/calls")
        .claims(serde_json::json!({ "sub": "bench-history" }))
        .event()
        .to_string()
        .into_bytes();
    let mut figures = Figures::default();
    for _ in 0..cold_starts {
        let command = deployed("CallsFunction", &TOKEN_SERVICE, table, endpoint).command(binary);
        figures.cold_start(command, |_| request.clone()).await;
    }
    figures.print("calls-fn (a page of 20 calls, DynamoDB Local)");
}

/// token-fn: a signed-in user whose Vonage user is already known, so each request is one
/// DynamoDB GetItem and one RS256 signature; the Users API stand-in must see no request.
async fn token_fn(binary: &str, table: &str, endpoint: &str, cold_starts: usize) {
    use shared::store::profiles::Profiles;
    use shared::usecase::token::UserProfiles;
    use voice_core::identity::Profile;
    use voice_core::identity::UserName;
    const APP: &str = APPLICATION_ID;
    let (pem, public) = shared::testkit::rsa_key();
    let vonage = devtools::vonage::UsersStandIn::start(public, APP).await;
    let client = shared::config::dynamodb_client(&shared::config::ProcessEnv, None)
        .expect("client from the environment");
    let user = UserName::from_claim("bench-user").expect("a user name");
    Profiles::new(client, table)
        .remember(&Profile {
            name: user.clone(),
            vonage_user_id: "USR-bench".into(),
            created_at: 0,
        })
        .await
        .expect("the profile");
    let request = shared::testkit::ApiGw::new("POST", "/token")
        .claims(serde_json::json!({ "sub": "bench-user" }))
        .event()
        .to_string()
        .into_bytes();
    let mut figures = Figures::default();
    for _ in 0..cold_starts {
        // As deployed, but with the key in the environment rather than fetched from Secrets
        // Manager: init is measured without a stand-in's round trip, and the Users API at
        // the stand-in (it must see no request).
        let mut command =
            deployed("TokenFunction", &TOKEN_SERVICE, table, endpoint).command(binary);
        command
            .env_remove("VONAGE_PRIVATE_KEY_SECRET")
            .env("VONAGE_PRIVATE_KEY", pem)
            .env("VONAGE_API_URL", vonage.url());
        figures.cold_start(command, |_| request.clone()).await;
    }
    figures.print("token-fn (user known, DynamoDB Local)");
    assert_eq!(vonage.requests(), 0, "a known user needs no Vonage call");
}

/// event-fn against a stand-in that answers every DynamoDB request at once with `{}`: what the
/// first invocation costs the function itself, apart from DynamoDB Local's own warm-up of each
/// new connection (which the Python peer pays as well).
async fn first_invocation_without_dynamodb_local(
    binary: &str,
    event: &dyn Fn(usize) -> Vec<u8>,
    cold_starts: usize,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let endpoint = by_name(&format!(
        "http://{}",
        listener.local_addr().expect("address")
    ));
    let server = tokio::spawn(devtools::http::serve(listener, |_| async {
        devtools::http::response(200, &[("content-type", "application/x-amz-json-1.0")], "{}")
    }));
    let mut figures = Figures::default();
    for _ in 0..cold_starts {
        let command = deployed("EventFunction", &[], "bench-calls", &endpoint).command(binary);
        figures.cold_start(command, event).await;
    }
    println!();
    figures.print("event-fn (a DynamoDB stand-in that answers at once)");
    let (first, _, _) = median_min_max(&mut figures.first);
    let (p50, _, _) = median_min_max(&mut figures.warm_p50);
    println!(
        "first invocation / warm p50 against the stand-in: {:.1}×",
        first.as_secs_f64() / p50.as_secs_f64()
    );
    server.abort();
}
