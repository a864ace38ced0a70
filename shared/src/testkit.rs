//! The test kit (feature `test-util`): what tests across the workspace build requests, tokens
//! and stores with, so that no test file carries its own copy.
//!
//! - `Vars`: an environment for `config::*::from_env`.
//! - `ApiGw`: a request exactly as API Gateway's HTTP API hands it to a function.
//! - `mint`, `bearer`: webhook tokens signed here, independently of `signature`.
//! - `tutorial_call`, `vonage_docs`: the fixtures, as they are.
//! - `local_store` and friends (with `admin`): a fresh table in DynamoDB Local.

use crate::config::Env;
use lambda_http::Request;
use serde_json::{json, Value};
use std::path::PathBuf;

/// An environment of `(name, value)` pairs; the last of a name wins.
#[derive(Debug, Clone, Default)]
pub struct Vars(Vec<(String, String)>);

impl Vars {
    pub fn new(pairs: &[(&str, &str)]) -> Self {
        Self::default().with(pairs)
    }

    /// `pairs` in the environment `make run` gives the webhooks: unsigned requests allowed
    /// (`ALLOW_UNSIGNED_WEBHOOKS=true`), no metrics.
    pub fn unsigned(pairs: &[(&str, &str)]) -> Self {
        Self::new(&[("ALLOW_UNSIGNED_WEBHOOKS", "true")]).with(pairs)
    }

    pub fn with(mut self, pairs: &[(&str, &str)]) -> Self {
        self.0
            .extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }
}

impl Env for Vars {
    fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}

/// A JWT signed here with `alg` (`HS256`, or anything else for HS512), independently of the code
/// under test.
pub fn mint(alg: &str, secret: &[u8], claims: &Value) -> String {
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use hmac::{KeyInit, Mac};
    use sha2::{Sha256, Sha512};
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
    let message = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = match alg {
        "HS256" => hmac::Hmac::<Sha256>::new_from_slice(secret)
            .map(|mac| mac.chain_update(&message).finalize().into_bytes().to_vec()),
        _ => hmac::Hmac::<Sha512>::new_from_slice(secret)
            .map(|mac| mac.chain_update(&message).finalize().into_bytes().to_vec()),
    }
    .unwrap_or_default();
    format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// `Bearer <HS256 token>` for an `Authorization` header.
pub fn bearer(secret: &str, claims: &Value) -> String {
    format!("Bearer {}", mint("HS256", secret.as_bytes(), claims))
}

/// Claims exactly as Vonage mints them for `body`, issued now: no `exp`.
pub fn vonage_claims(body: &[u8], api_key: &str, application_id: &str) -> Value {
    use sha2::{Digest, Sha256};
    json!({"iat": now(), "jti": "3f5e1a2b-0000-4000-8000-000000000001", "iss": "Vonage",
           "payload_hash": hex::encode(Sha256::digest(body)), "api_key": api_key,
           "application_id": application_id})
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    i64::try_from(seconds).unwrap_or(i64::MAX)
}

/// The workspace's `fixtures/` folder.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

/// The `.json` files of `fixtures/<dir>` whose names start with `prefix`, in name order, as
/// (file name, text).
fn fixture_files(dir: &str, prefix: &str) -> Vec<(String, String)> {
    let dir = fixtures().join(dir);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(prefix) && name.ends_with(".json")
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (name, text)
        })
        .collect()
}

/// The tutorial call's event bodies, in delivery order, as (file name, raw body).
pub fn tutorial_call() -> Vec<(String, String)> {
    fixture_files("tutorial-call", "")
}

/// Vonage's published webhook bodies whose file names start with `prefix` (`event-`,
/// `answer-`), as (file name, text).
pub fn vonage_docs(prefix: &str) -> Vec<(String, String)> {
    fixture_files("vonage-docs", prefix)
}

/// Vonage's two published answer requests as API Gateway delivers them, as (method,
/// request): `answer-get.json` is the query as `[key, value]` pairs, `answer-post.json` the
/// JSON body.
pub fn published_answer_requests() -> Vec<(&'static str, ApiGw)> {
    let mut requests = Vec::new();
    for (name, text) in vonage_docs("answer-") {
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("fixtures/vonage-docs/{name}: {e}"));
        match value.as_array() {
            Some(pairs) => {
                let get = pairs.iter().fold(ApiGw::new("GET", ANSWER), |req, pair| {
                    req.query(
                        pair[0].as_str().unwrap_or(""),
                        pair[1].as_str().unwrap_or(""),
                    )
                });
                requests.push(("GET", get));
            }
            None => requests.push(("POST", ApiGw::new("POST", ANSWER).json(text))),
        }
    }
    requests
}

/// The webhooks' paths, as the template routes them.
pub const ANSWER: &str = "/voice/answer";
pub const EVENT: &str = "/voice/event";

pub const CONVERSATION: &str = "CON-1a28b1f8-0831-44e6-8d58-42739e7d4c77";
pub const APP_LEG: &str = "2da93da3-bcac-47ee-b48e-4a18fae7db08";
pub const PHONE_LEG: &str = "8aa86e22-8d45-4201-b8d8-3dcd76e76429";

/// The EMF documents (lines with an `_aws` member) among a function's stdout lines.
pub fn emf_documents(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter(|line| serde_json::from_str::<Value>(line).is_ok_and(|v| v.get("_aws").is_some()))
        .map(str::to_string)
        .collect()
}

/// Validates EMF documents with `scripts/check_emf.py` (the published schema and the
/// specification's other rules), run by the project's venv; panics with its verdict if not.
pub fn assert_valid_emf(documents: &[String]) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make test` (it installs the venv)",
        python.display()
    );
    let mut child = Command::new(python)
        .arg(root.join("scripts/check_emf.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("scripts/check_emf.py");
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(documents.join("\n").as_bytes())
            .expect("write documents");
    }
    let output = child.wait_with_output().expect("check_emf.py");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The EMF documents of a function's stdout, after checking there is exactly one per
/// invocation and each is valid: (lines as written, parsed).
pub fn emf_per_invocation(stdout: &str, invocations: usize) -> (Vec<String>, Vec<Value>) {
    let documents = emf_documents(stdout);
    assert_eq!(
        documents.len(),
        invocations,
        "one document per invocation:\n{stdout}"
    );
    assert_valid_emf(&documents);
    let parsed = documents
        .iter()
        .map(|d| serde_json::from_str(d).unwrap_or(Value::Null))
        .collect();
    (documents, parsed)
}

/// A `CallEvent` parsed from JSON parameters.
pub fn call_event(params: Value) -> crate::event::CallEvent {
    let params = params.as_object().cloned().unwrap_or_default();
    crate::event::CallEvent::from_params(&params).expect("a valid event")
}

/// The NCCO the answer webhook gives an app call to `number` under the default configuration
/// with `VONAGE_NUMBER=447700900001`.
pub fn connect_ncco(number: &str) -> Value {
    json!([
        {"action": "talk", "text": crate::config::DEFAULT_GREETING},
        {"action": "connect", "from": "447700900001", "endpoint": [{"type": "phone", "number": number}],
         "limit": crate::config::DEFAULT_MAX_CALL_SECONDS, "timeout": crate::config::DEFAULT_RING_TIMEOUT_SECONDS}
    ])
}

/// The NCCO of a refused destination.
pub fn refused_ncco() -> Value {
    json!([{"action": "talk", "text": crate::answer::REFUSED_TEXT}])
}

/// A decimal's text without trailing fractional zeros (`0.10000000` → `0.1`), to compare
/// decimals by value: DynamoDB Local returns them as written, DynamoDB normalises them.
pub fn trim_zeros(decimal: &str) -> &str {
    if decimal.contains('.') {
        decimal.trim_end_matches('0').trim_end_matches('.')
    } else {
        decimal
    }
}

/// A decimal as an exact count of 10⁻⁸ (Vonage's prices have at most 8 decimals), to add
/// decimals exactly; `None` for more places or for text that is not a decimal.
pub fn scaled(decimal: &str) -> Option<i128> {
    let (int, frac) = decimal.split_once('.').unwrap_or((decimal, ""));
    if frac.len() > 8 {
        return None;
    }
    let int: i128 = int.parse().ok()?;
    let frac: i128 = format!("{frac:0<8}").parse().ok()?;
    int.checked_mul(100_000_000)?.checked_add(frac)
}

/// JSON arrays nested `depth` deep, to try a parser's recursion limit.
pub fn nested_json(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

/// An event body just over the 256 KiB the edge reads.
pub fn oversized_body() -> String {
    format!(
        r#"{{"uuid":"u1","conversation_uuid":"CON-1","detail":"{}"}}"#,
        "x".repeat(300 * 1024)
    )
}

/// A POST of `body` to `path` as Vonage sends it.
pub fn post(path: &'static str, body: &str) -> Request {
    ApiGw::new("POST", path).json(body).request()
}

/// A GET of `path` with `params` as its query string.
pub fn get(path: &'static str, params: &[(&str, &str)]) -> Request {
    params
        .iter()
        .fold(ApiGw::new("GET", path), |req, (k, v)| req.query(k, v))
        .request()
}

/// A request exactly as API Gateway's HTTP API (payload v2) hands it to the function, parsed
/// by lambda_http itself: the path every request takes in production.
pub struct ApiGw {
    pub method: &'static str,
    pub path: &'static str,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Send the body base64-encoded even if it is text (API Gateway may do so).
    pub base64: bool,
    /// The claims a JWT authorizer verified (`requestContext.authorizer.jwt.claims`).
    pub claims: Option<Value>,
}

impl ApiGw {
    pub fn new(method: &'static str, path: &'static str) -> Self {
        Self {
            method,
            path,
            query: vec![],
            headers: vec![],
            body: None,
            base64: false,
            claims: None,
        }
    }

    /// As if API Gateway's JWT authorizer verified a token with these claims.
    pub fn claims(mut self, claims: Value) -> Self {
        self.claims = Some(claims);
        self
    }

    pub fn query(mut self, key: &str, value: &str) -> Self {
        self.query.push((key.into(), value.into()));
        self
    }

    pub fn header(mut self, key: &str, value: &str) -> Self {
        self.headers.push((key.to_ascii_lowercase(), value.into()));
        self
    }

    pub fn json(self, body: impl Into<Vec<u8>>) -> Self {
        self.header("content-type", "application/json").body(body)
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    pub fn base64(mut self) -> Self {
        self.base64 = true;
        self
    }

    /// The API Gateway event JSON. Bodies that are not UTF-8 go base64-encoded, as API
    /// Gateway sends them.
    pub fn event(&self) -> Value {
        use base64::{engine::general_purpose::STANDARD, Engine};
        let raw_query: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", percent(k), percent(v)))
            .collect();
        let headers: serde_json::Map<String, Value> = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let (body, base64) = match &self.body {
            None => (Value::Null, false),
            Some(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) if !self.base64 => (Value::String(text.into()), false),
                _ => (Value::String(STANDARD.encode(bytes)), true),
            },
        };
        let mut event = serde_json::json!({
            "version": "2.0",
            "routeKey": format!("{} {}", self.method, self.path),
            "rawPath": self.path,
            "rawQueryString": raw_query.join("&"),
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012", "apiId": "local", "domainName": "127.0.0.1",
                "domainPrefix": "local", "requestId": "test", "routeKey": format!("{} {}", self.method, self.path),
                "stage": "$default", "time": "10/Mar/2021:10:36:21 +0000", "timeEpoch": 1615372581285u64,
                "http": {"method": self.method, "path": self.path, "protocol": "HTTP/1.1",
                         "sourceIp": "127.0.0.1", "userAgent": "test"}
            },
            "body": body,
            "isBase64Encoded": base64
        });
        if let Some(claims) = &self.claims {
            event["requestContext"]["authorizer"] =
                serde_json::json!({ "jwt": { "claims": claims, "scopes": null } });
        }
        event
    }

    pub fn request(&self) -> Request {
        lambda_http::request::from_str(&self.event().to_string())
            .expect("valid API Gateway v2 event")
    }
}

fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(feature = "admin")]
pub use self::store::*;

/// A table of one's own in DynamoDB Local (started by `make test`), and what tests read back.
#[cfg(feature = "admin")]
mod store {
    use crate::config::EventConfig;
    use crate::store::Store;
    use lambda_http::Request;
    use serde_json::Value;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// One DynamoDB item.
    pub type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

    /// A store on a fresh table in DynamoDB Local.
    pub async fn local_store() -> Store {
        local_store_with(None).await
    }

    pub async fn local_store_with(retention_days: Option<u32>) -> Store {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
        assert!(
            endpoint.starts_with("http://127.0.0.1:"),
            "these tests need DynamoDB Local: run them with `make test` (AWS_ENDPOINT_URL_DYNAMODB is `{endpoint}`)"
        );
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let table = format!(
            "calls-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let store = Store::from_env(&EventConfig {
            retention_days,
            ..EventConfig::unsigned(&table)
        })
        .expect("store from the environment");
        store
            .create_table()
            .await
            .expect("create table in DynamoDB Local");
        store
    }

    /// Sends a request through the event handler, unsigned: (status, JSON body).
    pub async fn send(store: &Store, req: Request) -> (u16, Value) {
        send_with(&EventConfig::unsigned(store.table()), store, req).await
    }

    /// Sends a request through the event handler configured by `cfg`: (status, JSON body).
    pub async fn send_with(cfg: &EventConfig, store: &Store, req: Request) -> (u16, Value) {
        let res = crate::http::event::handle_event(cfg, store, req)
            .await
            .expect("the handler answers every request");
        let body = serde_json::from_slice(res.body().as_ref()).unwrap_or(Value::Null);
        (res.status().as_u16(), body)
    }

    /// The answer webhook's settings for a test: our number, the ledger in `table`, and `vars`.
    pub fn answer_config(table: &str, vars: &[(&str, &str)]) -> crate::config::AnswerConfig {
        let env =
            super::Vars::unsigned(&[("VONAGE_NUMBER", "447700900001"), ("TABLE_NAME", table)])
                .with(vars);
        crate::config::AnswerConfig::from_env(&env).expect("answer config")
    }

    /// An app user's call to `to` through the answer webhook with `ledger`: the NCCO.
    pub async fn answer_call(
        cfg: &crate::config::AnswerConfig,
        ledger: &crate::store::usage::Ledger,
        user: &str,
        to: &str,
        conversation_uuid: &str,
    ) -> Value {
        let req = super::get(
            super::ANSWER,
            &[
                ("from_user", user),
                ("to", to),
                ("conversation_uuid", conversation_uuid),
                ("uuid", &format!("app-{conversation_uuid}")),
            ],
        );
        let res = crate::http::answer::handle_answer(cfg, Some(ledger), req)
            .await
            .expect("the handler answers every request");
        assert_eq!(res.status(), 200);
        serde_json::from_slice(res.body().as_ref()).expect("an NCCO")
    }

    /// Every item in the table (one page: these tables are small).
    pub async fn scan_all(store: &Store) -> Vec<Item> {
        let out = store
            .client()
            .scan()
            .table_name(store.table())
            .send()
            .await
            .expect("scan");
        out.items().to_vec()
    }

    /// How many items the table holds, for "nothing was written" checks.
    pub async fn item_count(store: &Store) -> usize {
        scan_all(store).await.len()
    }
}

#[cfg(feature = "token")]
pub use self::rsa::*;

/// Test keys for token-fn, and checking its tokens with the public key.
#[cfg(feature = "token")]
mod rsa {
    use serde_json::Value;
    use std::sync::OnceLock;

    /// A 2048-bit RSA key made once per test process: (PKCS#8 PEM, public key DER).
    pub fn rsa_key() -> &'static (String, Vec<u8>) {
        static KEY: OnceLock<(String, Vec<u8>)> = OnceLock::new();
        KEY.get_or_init(|| {
            use aws_lc_rs::encoding::AsDer;
            use aws_lc_rs::rsa::{KeyPair, KeySize};
            use aws_lc_rs::signature::KeyPair as _;
            use base64::{engine::general_purpose::STANDARD, Engine};
            let pair = KeyPair::generate(KeySize::Rsa2048).expect("RSA key");
            let der = pair.as_der().expect("PKCS#8");
            let body = STANDARD.encode(der.as_ref());
            let lines: Vec<&str> = body
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
                .collect();
            let pem = format!(
                "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                lines.join("\n")
            );
            (pem, pair.public_key().as_ref().to_vec())
        })
    }

    /// The header and claims of an RS256 token whose signature `public_der` verifies; panics
    /// otherwise.
    pub fn verify_rs256(token: &str, public_der: &[u8]) -> (Value, Value) {
        rs256_claims(token, public_der)
            .unwrap_or_else(|| panic!("not an RS256 token of this key: {token}"))
    }

    /// As `verify_rs256`, `None` for a token that does not verify.
    pub fn rs256_claims(token: &str, public_der: &[u8]) -> Option<(Value, Value)> {
        use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
        use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
        let parts: Vec<&str> = token.split('.').collect();
        let [header, claims, signature] = parts[..] else {
            return None;
        };
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_der)
            .verify(format!("{header}.{claims}").as_bytes(), &signature)
            .ok()?;
        let part = |text: &str| -> Option<Value> {
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).ok()?).ok()
        };
        Some((part(header)?, part(claims)?))
    }
}
