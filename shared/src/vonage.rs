//! Vonage's Users API, the calls token-fn makes: create a user (with this service's creation
//! mark in its `custom_data`), and, when Vonage says the name is taken, find that user by name
//! and read its mark.
//!
//! HTTPS over hyper and rustls with Mozilla's root certificates compiled in (`webpki-roots`):
//! Vonage's certificates do not chain to the Amazon roots the AWS clients trust, and reading the
//! system's store would cost cold start. Plain `http://` is for 127.0.0.1 only (tests' stand-ins;
//! `config` refuses it anywhere else).

use crate::usecase::ports::VonageError as ApiError;
use crate::usecase::token::{Creation, UserRecord, VonageUsers, CREATED_BY};
use http_body_util::{BodyExt, Full, Limited};
use hyper::{body::Bytes, header, Method, Request, StatusCode};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use voice_core::identity::UserName;

/// Longest a connection to Vonage may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Longest one call to Vonage may take, response included. A token request makes at most two
/// (create, then find), well inside API Gateway's 30 s.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(4);
/// Largest response we read: a user or a one-user page is well under a kilobyte.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Vonage's error code when the name is taken.
pub const DUPLICATE_NAME: &str = "user:error:duplicate-name";

#[derive(Deserialize)]
struct User {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    properties: Option<Properties>,
}

#[derive(Deserialize)]
struct Properties {
    #[serde(default)]
    custom_data: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
struct UserList {
    #[serde(rename = "_embedded", default)]
    embedded: Embedded,
}

#[derive(Deserialize, Default)]
struct Embedded {
    #[serde(default)]
    users: Vec<User>,
}

/// A client for `{base}/v1/users`.
#[derive(Clone, Debug)]
pub struct UsersApi {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    base: String,
}

impl UsersApi {
    /// `base`: `https://api.nexmo.com`, or a stand-in's `http://127.0.0.1:<port>`.
    pub fn new(base: &str) -> Result<Self, String> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.enforce_http(false);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_string(),
        })
    }
}

impl VonageUsers for UsersApi {
    /// Creates the user, marked as this service's (`CREATED_BY`).
    async fn create(
        &self,
        app_token: &str,
        name: &UserName,
        display_name: &str,
    ) -> Result<Creation, ApiError> {
        let body = serde_json::json!({
            "name": name.as_str(),
            "display_name": display_name,
            "properties": { "custom_data": { "created_by": CREATED_BY } },
        });
        let (status, body) = self
            .send(Method::POST, "/v1/users", app_token, Some(body.to_string()))
            .await?;
        match status {
            StatusCode::OK | StatusCode::CREATED => {
                Ok(Creation::Created(parse::<User>(status, &body)?.id))
            }
            _ if is_duplicate(&body) => Ok(Creation::Taken),
            _ => Err(refusal(status, &body)),
        }
    }

    /// The user called `name`, with its creation mark.
    async fn lookup(&self, app_token: &str, name: &UserName) -> Result<UserRecord, ApiError> {
        let id = self.find(app_token, name).await?;
        let (status, body) = self
            .send(Method::GET, &format!("/v1/users/{id}"), app_token, None)
            .await?;
        if status != StatusCode::OK {
            return Err(refusal(status, &body));
        }
        let user = parse::<User>(status, &body)?;
        let created_by = user
            .properties
            .and_then(|p| p.custom_data)
            .and_then(|data| data.get("created_by")?.as_str().map(str::to_string));
        Ok(UserRecord {
            id: user.id,
            created_by,
        })
    }
}

impl UsersApi {
    /// The id of the user called `name`.
    async fn find(&self, app_token: &str, name: &UserName) -> Result<String, ApiError> {
        // A user name is made of URL-safe characters only (`UserName`).
        let path = format!("/v1/users?name={name}");
        let (status, body) = self.send(Method::GET, &path, app_token, None).await?;
        if status != StatusCode::OK {
            return Err(refusal(status, &body));
        }
        parse::<UserList>(status, &body)?
            .embedded
            .users
            .into_iter()
            .find(|user| user.name == name.as_str())
            .map(|user| user.id)
            .ok_or_else(|| ApiError::Refused {
                status: status.as_u16(),
                body: "the name is taken, but no user of that name is listed".into(),
            })
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        app_token: &str,
        body: Option<String>,
    ) -> Result<(StatusCode, Bytes), ApiError> {
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(header::AUTHORIZATION, format!("Bearer {app_token}"))
            .header(header::ACCEPT, "application/json");
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| ApiError::Unavailable(format!("request: {e}")))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| ApiError::Unavailable(error_chain(&e)))?;
            let status = response.status();
            let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
                .collect()
                .await
                .map_err(|e| ApiError::Unavailable(format!("reading the response: {e}")))?
                .to_bytes();
            Ok((status, body))
        };
        let (status, body) = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| {
                ApiError::Unavailable(format!("no answer within {REQUEST_TIMEOUT:?}"))
            })??;
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            return Err(ApiError::Unavailable(format!(
                "{status} {}",
                snippet(&body)
            )));
        }
        Ok((status, body))
    }
}

fn is_duplicate(body: &[u8]) -> bool {
    serde_json::from_slice::<ErrorBody>(body).is_ok_and(|e| e.code == DUPLICATE_NAME)
}

fn parse<T: serde::de::DeserializeOwned>(status: StatusCode, body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::Refused {
        status: status.as_u16(),
        body: format!("unexpected answer ({e}): {}", snippet(body)),
    })
}

fn refusal(status: StatusCode, body: &[u8]) -> ApiError {
    ApiError::Refused {
        status: status.as_u16(),
        body: snippet(body),
    }
}

/// The start of a response body, for an error message.
fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(300).collect()
}

/// An error with its sources: hyper's own message alone says only "client error (Connect)".
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
