//! A local stand-in for Vonage's Users API (`/v1/users`), for token-fn's tests and benchmark.
//!
//! It checks what Vonage would: an `Authorization: Bearer` application token, RS256 under the
//! application's public key, with exactly `application_id`, `iat`, `exp`, `jti` (no `sub`, no
//! `acl`); a JSON body with `name` and `display_name`. Names are unique, as at Vonage: a second
//! create of a name answers 409 `user:error:duplicate-name`. A user keeps the
//! `properties.custom_data` it was created with, and `GET /v1/users/{id}` returns it (the
//! list by name does not). It can be told to fail (`down`).

use crate::http::{response, serve};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{body::Incoming, Method, Request, Response};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

#[derive(Default)]
struct State {
    public_key: Vec<u8>,
    application_id: String,
    /// name → (id, display_name, custom_data)
    users: Mutex<BTreeMap<String, (String, String, Value)>>,
    requests: AtomicUsize,
    creates: AtomicUsize,
    refused: Mutex<Vec<String>>,
    down: AtomicBool,
}

pub struct UsersStandIn {
    addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for UsersStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl UsersStandIn {
    /// Listens on 127.0.0.1; tokens must verify under `public_key` (DER) for `application_id`.
    pub async fn start(public_key: &[u8], application_id: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind stand-in");
        let addr = listener.local_addr().expect("stand-in address");
        let state = Arc::new(State {
            public_key: public_key.to_vec(),
            application_id: application_id.to_string(),
            ..State::default()
        });
        let shared = state.clone();
        let task = tokio::spawn(serve(listener, move |request| {
            handle(request, shared.clone())
        }));
        Self { addr, state, task }
    }

    /// `VONAGE_API_URL` for it.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request it received.
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// Users it created (201s).
    pub fn creates(&self) -> usize {
        self.state.creates.load(Ordering::SeqCst)
    }

    /// The users it holds: name → id.
    pub fn users(&self) -> BTreeMap<String, String> {
        let users = self.state.users.lock().expect("users");
        users
            .iter()
            .map(|(n, (id, _, _))| (n.clone(), id.clone()))
            .collect()
    }

    /// The display name Vonage was given for `name`.
    pub fn display_name(&self, name: &str) -> Option<String> {
        let users = self.state.users.lock().expect("users");
        users.get(name).map(|(_, display, _)| display.clone())
    }

    /// The custom data the user `name` was created with.
    pub fn custom_data(&self, name: &str) -> Option<Value> {
        let users = self.state.users.lock().expect("users");
        users.get(name).map(|(_, _, data)| data.clone())
    }

    /// Requests it refused as malformed or unauthorised, with why: a correct client has none.
    pub fn refused(&self) -> Vec<String> {
        self.state.refused.lock().expect("refused").clone()
    }

    /// Adds a user as if made by hand earlier (the Vonage CLI, the dashboard): no custom data.
    pub fn add_user(&self, name: &str, id: &str) {
        self.add_user_with(name, id, Value::Null);
    }

    /// Adds a user as if created earlier with `custom_data` (by token-fn, in a request that
    /// died before it could remember the user).
    pub fn add_user_with(&self, name: &str, id: &str, custom_data: Value) {
        let mut users = self.state.users.lock().expect("users");
        users.insert(name.into(), (id.into(), name.into(), custom_data));
    }

    /// While `true`, every request answers 503.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }
}

async fn handle(request: Request<Incoming>, state: Arc<State>) -> Response<Full<Bytes>> {
    state.requests.fetch_add(1, Ordering::SeqCst);
    if state.down.load(Ordering::SeqCst) {
        return response(503, &[], r#"{"title":"Service Unavailable"}"#);
    }
    let refuse = |status: u16, why: String| {
        state.refused.lock().expect("refused").push(why.clone());
        response(
            status,
            &[("content-type", "application/json")],
            json!({ "title": "Bad Request", "detail": why }).to_string(),
        )
    };
    let token = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_string();
    let Some((header, claims)) = shared::testkit::rs256_claims(&token, &state.public_key) else {
        return refuse(
            401,
            format!("not an RS256 token of the application's key: {token:?}"),
        );
    };
    let mut keys: Vec<&str> = claims
        .as_object()
        .map(|c| c.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    if header != json!({"alg": "RS256", "typ": "JWT"})
        || keys != ["application_id", "exp", "iat", "jti"]
        || claims["application_id"] != state.application_id.as_str()
    {
        return refuse(401, format!("not an application token: {header} {claims}"));
    }
    let (method, path, query) = (
        request.method().clone(),
        request.uri().path().to_string(),
        request.uri().query().unwrap_or("").to_string(),
    );
    let json_body = request
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes() == b"application/json");
    let body = match request.into_body().collect().await {
        Ok(body) => body.to_bytes(),
        Err(e) => return refuse(400, format!("body: {e}")),
    };
    match (method, path.as_str()) {
        (Method::POST, "/v1/users") => {
            let user: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let (Some(name), Some(display)) =
                (user["name"].as_str(), user["display_name"].as_str())
            else {
                return refuse(400, format!("create without name and display_name: {user}"));
            };
            if !json_body {
                return refuse(415, "create without content-type application/json".into());
            }
            let mut users = state.users.lock().expect("users");
            if users.contains_key(name) {
                return response(
                    409,
                    &[("content-type", "application/json")],
                    json!({
                        "title": "Conflict",
                        "type": "https://developer.nexmo.com/api/conversation#user:error:duplicate-name",
                        "code": "user:error:duplicate-name",
                        "detail": "User already exists",
                    })
                    .to_string(),
                );
            }
            let id = format!("USR-{}", voice_core::token::jti().unwrap_or_default());
            let custom_data = user["properties"]["custom_data"].clone();
            users.insert(
                name.to_string(),
                (id.clone(), display.to_string(), custom_data),
            );
            state.creates.fetch_add(1, Ordering::SeqCst);
            response(
                201,
                &[("content-type", "application/json")],
                json!({ "id": id, "name": name, "display_name": display,
                        "_links": { "self": { "href": format!("/v1/users/{id}") } } })
                .to_string(),
            )
        }
        (Method::GET, "/v1/users") => {
            let name = query.strip_prefix("name=").unwrap_or("");
            let users = state.users.lock().expect("users");
            let found: Vec<Value> = users
                .get(name)
                .map(|(id, display, _)| json!({ "id": id, "name": name, "display_name": display }))
                .into_iter()
                .collect();
            response(
                200,
                &[("content-type", "application/json")],
                json!({ "page_size": 10, "_embedded": { "users": found }, "_links": {} })
                    .to_string(),
            )
        }
        (Method::GET, path) if path.starts_with("/v1/users/") => {
            let id = &path["/v1/users/".len()..];
            let users = state.users.lock().expect("users");
            match users.iter().find(|(_, (user_id, _, _))| user_id == id) {
                Some((name, (id, display, data))) => {
                    let mut user = json!({ "id": id, "name": name, "display_name": display });
                    if !data.is_null() {
                        user["properties"] = json!({ "custom_data": data });
                    }
                    response(
                        200,
                        &[("content-type", "application/json")],
                        user.to_string(),
                    )
                }
                None => response(
                    404,
                    &[("content-type", "application/json")],
                    json!({"title": "Not found", "code": "user:error:not-found"}).to_string(),
                ),
            }
        }
        (method, path) => refuse(404, format!("{method} {path} is not part of the Users API")),
    }
}
