//! Requests exactly as API Gateway's HTTP API hands them to a function, and the expectations
//! tests hold answers and amounts to.

use lambda_http::Request;
use serde_json::{json, Value};
use voice_core::answer::{
    DEFAULT_GREETING, DEFAULT_MAX_CALL_SECONDS, DEFAULT_RING_TIMEOUT_SECONDS, REFUSED_TEXT,
};

/// The webhooks' paths, as the template routes them.
pub const ANSWER: &str = "/voice/answer";
pub const EVENT: &str = "/voice/event";

/// The NCCO the answer webhook gives an app call to `number` under the default configuration
/// with `VONAGE_NUMBER=447700900001`.
pub fn connect_ncco(number: &str) -> Value {
    json!([
        {"action": "talk", "text": DEFAULT_GREETING},
        {"action": "connect", "from": "447700900001", "endpoint": [{"type": "phone", "number": number}],
         "limit": DEFAULT_MAX_CALL_SECONDS, "timeout": DEFAULT_RING_TIMEOUT_SECONDS}
    ])
}

/// The NCCO of a refused destination.
pub fn refused_ncco() -> Value {
    json!([{"action": "talk", "text": REFUSED_TEXT}])
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
