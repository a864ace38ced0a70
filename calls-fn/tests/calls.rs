//! GET /calls against DynamoDB Local: calls placed through the answer webhook and settled
//! through the event webhook, read back by the signed-in user they belong to, and by nobody
//! else; a page at a time; with today's totals, limits and what is left.

use serde_json::{json, Value};
use shared::config::{CallsConfig, LOCAL_SIGN_IN_VAR};
use shared::http::calls::handle_calls;
use shared::store::Store;
use shared::testkit::{
    answer_call, answer_config, local_store, post, send, tutorial_call, ApiGw, LocalSignIn, Vars,
    CONVERSATION, EVENT, PHONE_LEG,
};

fn config(store: &Store, vars: &[(&str, &str)]) -> CallsConfig {
    let env = Vars::new(&[("TABLE_NAME", store.table())]).with(vars);
    CallsConfig::from_env(&env).expect("calls config")
}

/// The response's status, its body, and whether it said `Cache-Control: no-store`.
async fn get(cfg: &CallsConfig, store: &Store, req: ApiGw) -> (u16, Value) {
    let res = handle_calls(cfg, store.ledger(), req.request())
        .await
        .expect("the handler answers every request");
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body = serde_json::from_slice(res.body().as_ref()).unwrap_or(Value::Null);
    (res.status().as_u16(), body)
}

fn as_user(sub: &str) -> ApiGw {
    ApiGw::new("GET", "/calls").claims(json!({ "sub": sub }))
}

fn conversations(page: &Value) -> Vec<String> {
    page["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|call| call["conversation_uuid"].as_str().unwrap().to_string())
        .collect()
}

/// `n` calls of `user` to a UK mobile through the answer webhook, in order.
async fn place(store: &Store, user: &str, n: usize) -> Vec<String> {
    let cfg = answer_config(store.table(), &[]);
    let mut placed = Vec::new();
    for i in 0..n {
        let conversation = format!("CON-{user}-{i:03}");
        answer_call(&cfg, store.ledger(), user, "447700900123", &conversation).await;
        placed.push(conversation);
    }
    placed
}

#[tokio::test]
async fn two_users_each_see_only_their_own_calls_whatever_the_query() {
    let store = local_store().await;
    let alice = place(&store, "alice", 3).await;
    let bob = place(&store, "bob", 2).await;
    let cfg = config(&store, &[]);
    let (status, page) = get(&cfg, &store, as_user("alice")).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["user"], "alice");
    assert_eq!(
        conversations(&page),
        alice.iter().rev().cloned().collect::<Vec<_>>()
    );
    assert_eq!(
        page["calls"][0]["to"], "447700900123",
        "the user's own number, unmasked"
    );
    let (_, page) = get(&cfg, &store, as_user("bob")).await;
    assert_eq!(
        conversations(&page),
        bob.iter().rev().cloned().collect::<Vec<_>>()
    );
    // No parameter names a user.
    for (key, value) in [("user", "bob"), ("sub", "bob"), ("from_user", "bob")] {
        let (status, body) = get(&cfg, &store, as_user("alice").query(key, value)).await;
        assert_eq!(status, 400, "{key}: {body}");
    }
    // A cursor from Bob's pages moves within Alice's calls only.
    let (_, first) = get(&cfg, &store, as_user("bob").query("limit", "1")).await;
    let cursor = first["next"]
        .as_str()
        .expect("bob has a second page")
        .to_string();
    let (status, page) = get(&cfg, &store, as_user("alice").query("cursor", &cursor)).await;
    assert_eq!(status, 200);
    assert!(
        conversations(&page).iter().all(|c| alice.contains(c)),
        "{page}"
    );
    // A claim that maps to Bob's name only by escaping is another user.
    let (_, page) = get(&cfg, &store, as_user("bob ")).await;
    assert_eq!(page["user"], "bob_20");
    assert_eq!(conversations(&page), Vec::<String>::new());
}

#[tokio::test]
async fn pagination_over_45_calls_returns_each_once_newest_first() {
    let store = local_store().await;
    let placed = place(&store, "carol", 45).await;
    let cfg = config(&store, &[]);
    let mut seen = Vec::new();
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut req = as_user("carol").query("limit", "15");
        if let Some(cursor) = &cursor {
            req = req.query("cursor", cursor);
        }
        let (status, page) = get(&cfg, &store, req).await;
        assert_eq!(status, 200, "{page}");
        pages.push(page["calls"].as_array().unwrap().len());
        seen.extend(conversations(&page));
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    // 45 is three full pages: the third says there is no fourth (no empty last page).
    assert_eq!(pages, [15, 15, 15]);
    assert_eq!(seen, placed.into_iter().rev().collect::<Vec<_>>());
    // The default page is 20; 1 to 100 are taken, nothing else.
    let (_, page) = get(&cfg, &store, as_user("carol")).await;
    assert_eq!(page["calls"].as_array().unwrap().len(), 20);
    for limit in ["0", "101", "-1", "1.5", "twenty"] {
        let (status, body) = get(&cfg, &store, as_user("carol").query("limit", limit)).await;
        assert_eq!(status, 400, "{limit}: {body}");
    }
    let (status, page) = get(&cfg, &store, as_user("carol").query("limit", "100")).await;
    assert_eq!((status, page["calls"].as_array().unwrap().len()), (200, 45));
    for cursor in ["not-hex", "00", &hex_of("PROFILE"), &"ab".repeat(300)] {
        let (status, body) = get(&cfg, &store, as_user("carol").query("cursor", cursor)).await;
        assert_eq!(status, 400, "{cursor}: {body}");
    }
}

fn hex_of(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_settled_call_shows_its_outcome_and_exact_price_and_today_what_is_left() {
    let store = local_store().await;
    let answer = answer_config(
        store.table(),
        &[
            ("MAX_CALLS_PER_USER_PER_DAY", "3"),
            ("MAX_SPEND_PER_USER_PER_DAY", "0.50"),
            ("RATE_TABLE", "44:0.10"),
        ],
    );
    answer_call(
        &answer,
        store.ledger(),
        "dave",
        "447700900000",
        CONVERSATION,
    )
    .await;
    for (_, body) in tutorial_call() {
        let (status, response) = send(&store, post(EVENT, &body)).await;
        assert_eq!(status, 200, "{response}");
    }
    // A refused call is in the log too, with why.
    answer_call(
        &answer,
        store.ledger(),
        "dave",
        "449098790000",
        "CON-premium",
    )
    .await;
    let cfg = config(
        &store,
        &[
            ("MAX_CALLS_PER_USER_PER_DAY", "3"),
            ("MAX_SPEND_PER_USER_PER_DAY", "0.50"),
        ],
    );
    let (status, page) = get(&cfg, &store, as_user("dave")).await;
    assert_eq!(status, 200, "{page}");
    let refused = &page["calls"][0];
    assert_eq!(
        (
            &refused["conversation_uuid"],
            &refused["outcome"],
            &refused["reason"]
        ),
        (&json!("CON-premium"), &json!("refused"), &json!("blocked"))
    );
    let call = &page["calls"][1];
    assert_eq!(call["conversation_uuid"], CONVERSATION);
    assert_eq!(call["outcome"], "answered");
    assert_eq!(call["duration"], "5");
    assert_eq!(call["price"], "0.00833333", "exact, as a string");
    assert!(call["ended_at"].is_string(), "{call}");
    let today = &page["today"];
    assert_eq!(today["calls"], 1, "the refused call is not counted");
    assert_eq!(today["seconds"], "5");
    assert_eq!(today["spend"], "0.00833333");
    assert_eq!(today["max_calls"], 3);
    assert_eq!(today["max_spend"], "0.50");
    assert_eq!(today["calls_left"], 2);
    assert_eq!(
        today["held"], "0",
        "the call's reservation was released when it ended"
    );
    assert_eq!(today["spend_left"], "0.49166667");
    assert_eq!(
        call["leg"],
        json!(null),
        "the leg's id is not the app's business"
    );
    // make calls USER=dave shows the refusal and why.
    let report = devtools::report::user_calls(store.ledger(), "dave")
        .await
        .unwrap();
    assert!(report.contains("refused (blocked)"), "{report}");
    assert!(report.contains("refused today: 1 (1 blocked;"), "{report}");
    assert!(
        !report.contains("447700900000"),
        "numbers are masked in a terminal: {report}"
    );
    let _ = PHONE_LEG;
}

#[tokio::test]
async fn without_verified_claims_it_is_a_401_and_other_methods_a_405() {
    let store = local_store().await;
    place(&store, "erin", 1).await;
    let cfg = config(&store, &[]);
    // No authorizer ran: whatever the headers say.
    let unsigned = ApiGw::new("GET", "/calls").header("authorization", "Bearer x.y.z");
    let (status, body) = get(&cfg, &store, unsigned).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("JWT authorizer"),
        "{body}"
    );
    // Claims without the user claim: known, but nobody we can name.
    let (status, _) = get(
        &cfg,
        &store,
        ApiGw::new("GET", "/calls").claims(json!({"email": "e@x"})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = get(
        &cfg,
        &store,
        ApiGw::new("POST", "/calls").claims(json!({"sub": "erin"})),
    )
    .await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn under_make_run_a_local_sign_in_token_is_checked_as_the_authorizer_would() {
    let store = local_store().await;
    place(&store, "frank", 2).await;
    let local = LocalSignIn::new("calls-sign-in", 0x5a);
    let cfg = config(&store, &[(LOCAL_SIGN_IN_VAR, &local.file())]);
    let token = local.token("frank", 0);
    let signed_in = ApiGw::new("GET", "/calls").header("authorization", &format!("Bearer {token}"));
    let (status, page) = get(&cfg, &store, signed_in).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(conversations(&page).len(), 2);
    // Another key's token, an expired one, and none: each a 401.
    let forged = LocalSignIn::new("calls-sign-in-other", 1).token("frank", 0);
    let expired = local.token("frank", 7200);
    for token in [forged, expired] {
        let req = ApiGw::new("GET", "/calls").header("authorization", &format!("Bearer {token}"));
        let (status, body) = get(&cfg, &store, req).await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, _) = get(&cfg, &store, ApiGw::new("GET", "/calls")).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_refused_call_is_kept_once_and_its_redeliveries_are_refused_again() {
    let store = local_store().await;
    let answer = answer_config(store.table(), &[("MAX_CALLS_PER_USER_PER_DAY", "1")]);
    let connects = |ncco: &Value| ncco.to_string().contains("\"connect\"");
    let first = answer_call(&answer, store.ledger(), "judy", "447700900000", "CON-j1").await;
    assert!(connects(&first), "{first}");
    // Over the limit, and a blocked destination: each asked for three times.
    for _ in 0..3 {
        let over = answer_call(&answer, store.ledger(), "judy", "447700900000", "CON-j2").await;
        assert!(!connects(&over), "{over}");
        let blocked = answer_call(&answer, store.ledger(), "judy", "449098790000", "CON-j3").await;
        assert!(!connects(&blocked), "{blocked}");
    }
    let cfg = config(&store, &[("MAX_CALLS_PER_USER_PER_DAY", "1")]);
    let (_, page) = get(&cfg, &store, as_user("judy")).await;
    let calls = page["calls"].as_array().unwrap();
    let summary: Vec<(String, String)> = calls
        .iter()
        .map(|c| {
            (
                c["conversation_uuid"].as_str().unwrap().to_string(),
                c["reason"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("CON-j3".to_string(), "blocked".to_string()),
            ("CON-j2".to_string(), "limit".to_string()),
            ("CON-j1".to_string(), "-".to_string()),
        ]
    );
    assert_eq!(page["today"]["calls"], 1, "refusals are not counted");
    assert_eq!(page["today"]["calls_left"], 0);
}
