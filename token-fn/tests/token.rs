//! POST /token against DynamoDB Local and a stand-in for Vonage's Users API.

use devtools::vonage::UsersStandIn;
use serde_json::{json, Value};
use shared::config::{dynamodb_client, ProcessEnv, TokenConfig};
use shared::http::token::handle_token;
use shared::store::profiles::Profiles;
use shared::store::Store;
use shared::testkit::{item_count, local_store, rsa_key, scan_all, verify_rs256, ApiGw, Vars};
use shared::usecase::token::UserProfiles;
use shared::vonage::UsersApi;
use std::sync::Arc;
use voice_core::token::Minter;

const APP: &str = "aaaaaaaa-bbbb-cccc-dddd-0123456789ab";
const COGNITO_SUB: &str = "0d3e1b6a-7c1f-4d5e-9a8b-2f6c4e1d0a9b";

struct Setup {
    cfg: TokenConfig,
    minter: Minter,
    profiles: Profiles,
    api: UsersApi,
    vonage: UsersStandIn,
    store: Store,
}

async fn setup_with(vars: &[(&str, &str)]) -> Setup {
    let vonage = UsersStandIn::start(&rsa_key().1, APP).await;
    let store = local_store().await;
    let url = vonage.url();
    let env = Vars::new(&[
        ("VONAGE_APPLICATION_ID", APP),
        ("TABLE_NAME", store.table()),
        ("VONAGE_PRIVATE_KEY", "read by the test itself"),
        ("VONAGE_API_URL", &url),
    ])
    .with(vars);
    let cfg = TokenConfig::from_env(&env).expect("config");
    let minter = Minter::new(
        APP,
        rsa_key().0.as_bytes(),
        cfg.ttl_seconds,
        cfg.acl.clone(),
    )
    .expect("minter");
    let profiles = Profiles::new(store.client().clone(), store.table());
    let api = UsersApi::new(&cfg.vonage_api_url).expect("client");
    Setup {
        cfg,
        minter,
        profiles,
        api,
        vonage,
        store,
    }
}

async fn setup() -> Setup {
    setup_with(&[]).await
}

fn signed_in(claims: Value) -> ApiGw {
    ApiGw::new("POST", "/token").claims(claims)
}

async fn send(s: &Setup, req: ApiGw) -> (u16, Value) {
    let res = handle_token(&s.cfg, &s.minter, &s.profiles, &s.api, req.request())
        .await
        .expect("the handler answers every request");
    assert_eq!(res.headers()["content-type"], "application/json");
    if res.status() == 200 {
        assert_eq!(
            res.headers()["cache-control"],
            "no-store",
            "a token is never cached"
        );
    }
    let body = serde_json::from_slice(res.body().as_ref()).unwrap_or(Value::Null);
    (res.status().as_u16(), body)
}

/// The user token in a 200's body, checked with the public key: its claims.
fn token_claims(body: &Value) -> Value {
    let (_, claims) = verify_rs256(body["token"].as_str().expect("token"), &rsa_key().1);
    claims
}

#[tokio::test]
async fn a_signed_in_user_gets_a_token_for_the_vonage_user_made_for_them() {
    let s = setup().await;
    let (status, body) = send(
        &s,
        signed_in(json!({"sub": COGNITO_SUB, "name": "Alice Smith", "email": "alice@example.com"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["expires_at", "token", "user"]);
    assert_eq!(body["user"], COGNITO_SUB);
    let claims = token_claims(&body);
    assert_eq!(claims["sub"], COGNITO_SUB);
    assert_eq!(claims["application_id"], APP);
    assert_eq!(claims["exp"], body["expires_at"]);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        3600
    );
    // Vonage got one well-formed create, and the table remembers the user Vonage made.
    assert_eq!(s.vonage.refused(), Vec::<String>::new());
    assert_eq!(s.vonage.creates(), 1);
    assert_eq!(
        s.vonage.display_name(COGNITO_SUB).as_deref(),
        Some("Alice Smith")
    );
    let id = s.vonage.users()[COGNITO_SUB].clone();
    let profile = s
        .profiles
        .get(&voice_core::identity::UserName::from_claim(COGNITO_SUB).unwrap())
        .await
        .unwrap()
        .expect("profile");
    assert_eq!(profile.vonage_user_id, id);
    let items = scan_all(&s.store).await;
    assert_eq!(
        items[0]["pk"].as_s().unwrap(),
        &format!("USER#{COGNITO_SUB}")
    );
    assert_eq!(items[0]["sk"].as_s().unwrap(), "PROFILE");
    assert_eq!(item_count(&s.store).await, 1);
}

#[tokio::test]
async fn later_requests_read_the_profile_and_make_no_call_to_vonage() {
    let s = setup().await;
    let mut ids = std::collections::HashSet::new();
    for _ in 0..5 {
        let (status, body) = send(&s, signed_in(json!({"sub": "alice"}))).await;
        assert_eq!(status, 200, "{body}");
        ids.insert(token_claims(&body)["jti"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 5);
    assert_eq!(
        s.vonage.requests(),
        1,
        "only the first request calls Vonage"
    );
    assert_eq!(s.vonage.creates(), 1);
    assert_eq!(item_count(&s.store).await, 1);
}

#[tokio::test]
async fn concurrent_first_requests_make_one_vonage_user() {
    let s = Arc::new(setup().await);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { send(&s, signed_in(json!({"sub": "bob"}))).await })
        })
        .collect();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(token_claims(&body)["sub"], "bob");
    }
    assert_eq!(s.vonage.creates(), 1);
    assert_eq!(s.vonage.users().len(), 1);
    assert_eq!(s.vonage.refused(), Vec::<String>::new());
    let items = scan_all(&s.store).await;
    assert_eq!(items.len(), 1);
    let id = items[0]["vonage_user_id"].as_s().unwrap();
    assert_eq!(id, &s.vonage.users()["bob"]);
}

#[tokio::test]
async fn a_vonage_user_this_service_did_not_create_is_never_handed_out() {
    // `support` was made by hand (the inbound app user, say). Someone whose sign-in claim
    // maps to the same name must not get a token for it.
    let s = setup_with(&[("USER_CLAIM", "preferred_username")]).await;
    s.vonage.add_user("support", "USR-made-by-hand");
    let (status, body) = send(
        &s,
        signed_in(json!({"sub": COGNITO_SUB, "preferred_username": "support"})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let error = body["error"].as_str().unwrap();
    assert!(error.contains("not created by this service"), "{error}");
    assert!(error.contains("sign in with another account"), "{error}");
    assert_eq!(s.vonage.creates(), 0);
    assert_eq!(item_count(&s.store).await, 0, "nothing is remembered");
    // Asked again, the same answer.
    let (status, _) = send(
        &s,
        signed_in(json!({"sub": COGNITO_SUB, "preferred_username": "support"})),
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn a_vonage_user_this_service_created_but_never_remembered_is_adopted() {
    // A first request created `Alice` at Vonage, then died before writing her profile.
    let s = setup().await;
    s.vonage.add_user_with(
        "Alice",
        "USR-made-earlier",
        json!({"created_by": shared::usecase::token::CREATED_BY}),
    );
    let (status, body) = send(&s, signed_in(json!({"sub": "Alice"}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(s.vonage.creates(), 0);
    let items = scan_all(&s.store).await;
    assert_eq!(
        items[0]["vonage_user_id"].as_s().unwrap(),
        "USR-made-earlier"
    );
    // And every user it creates carries the mark.
    let (status, _) = send(&s, signed_in(json!({"sub": "Brian"}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        s.vonage.custom_data("Brian"),
        Some(json!({"created_by": shared::usecase::token::CREATED_BY}))
    );
}

#[tokio::test]
async fn without_the_authorizers_claims_there_is_no_token() {
    let s = setup().await;
    // Whatever else the request says about who is calling, only verified claims count.
    let unauthenticated = [
        ApiGw::new("POST", "/token"),
        ApiGw::new("POST", "/token")
            .header("x-user", "alice")
            .header(
                "authorization",
                "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.",
            )
            .query("sub", "alice")
            .json(r#"{"sub":"alice","user":"alice"}"#),
        signed_in(json!({})),
    ];
    for req in unauthenticated {
        let (status, body) = send(&s, req).await;
        assert_eq!(status, 401, "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("authorizer"),
            "{body}"
        );
    }
    let (status, _) = send(&s, ApiGw::new("GET", "/token").claims(json!({"sub": "a"}))).await;
    assert_eq!(status, 405);
    assert_eq!(s.vonage.requests(), 0);
    assert_eq!(item_count(&s.store).await, 0);
}

#[tokio::test]
async fn claims_that_name_no_valid_user_are_forbidden() {
    let s = setup().await;
    for claims in [
        json!({"email": "alice@example.com"}),
        json!({"sub": ""}),
        json!({"sub": "x".repeat(101)}),
        json!({"sub": "|".repeat(40)}),
    ] {
        let (status, body) = send(&s, signed_in(claims.clone())).await;
        assert_eq!(status, 403, "{claims}: {body}");
    }
    assert_eq!(s.vonage.requests(), 0);
    assert_eq!(item_count(&s.store).await, 0);
}

#[tokio::test]
async fn user_claim_picks_the_claim_and_the_mapping_escapes_it() {
    let s = setup_with(&[("USER_CLAIM", "email")]).await;
    let (status, body) = send(
        &s,
        signed_in(json!({"sub": COGNITO_SUB, "email": "alice@example.com"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"], "alice_40example.com");
    assert_eq!(token_claims(&body)["sub"], "alice_40example.com");
    assert!(s.vonage.users().contains_key("alice_40example.com"));
}

#[tokio::test]
async fn vonage_down_is_a_503_that_records_nothing_and_a_retry_succeeds() {
    let s = setup().await;
    s.vonage.set_down(true);
    let (status, body) = send(&s, signed_in(json!({"sub": "carol"}))).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(item_count(&s.store).await, 0);
    s.vonage.set_down(false);
    let (status, _) = send(&s, signed_in(json!({"sub": "carol"}))).await;
    assert_eq!(status, 200);
    assert_eq!(item_count(&s.store).await, 1);
}

#[tokio::test]
async fn vonage_unreachable_is_a_503() {
    let mut s = setup().await;
    s.api = UsersApi::new("http://127.0.0.1:9").unwrap();
    let (status, body) = send(&s, signed_in(json!({"sub": "dave"}))).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(item_count(&s.store).await, 0);
}

#[tokio::test]
async fn vonage_refusing_our_application_token_is_a_502() {
    let mut s = setup().await;
    // Vonage knows the application by another public key: it answers 401 to the create.
    s.vonage = UsersStandIn::start(&[0u8; 8], APP).await;
    s.api = UsersApi::new(&s.vonage.url()).unwrap();
    let (status, body) = send(&s, signed_in(json!({"sub": "erin"}))).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(item_count(&s.store).await, 0);
}

#[tokio::test]
async fn dynamodb_unreachable_is_a_503() {
    let mut s = setup().await;
    let client = dynamodb_client(&ProcessEnv, Some("http://127.0.0.1:9")).unwrap();
    s.profiles = Profiles::new(client, s.store.table());
    let (status, body) = send(&s, signed_in(json!({"sub": "frank"}))).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        s.vonage.requests(),
        0,
        "no user is made that cannot be remembered"
    );
}
