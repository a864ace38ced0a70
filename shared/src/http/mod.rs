//! The HTTP edge: the only code that touches lambda_http. It turns an API Gateway request into
//! domain inputs (parameters, authorization, body bytes) and a domain result or error into a
//! response; each function's handler lives here, one module per function.
//!
//! Vonage sends webhook parameters either as a query string (`GET`) or as a JSON object body
//! (`POST`); both become one JSON object here, so the parsers after this point see one shape.

pub mod answer;
#[cfg(feature = "dynamodb")]
pub mod calls;
pub mod event;
#[cfg(feature = "dynamodb")]
pub mod identity;
pub mod logging;
#[cfg(feature = "token")]
pub mod token;

use crate::error::Error;
use lambda_http::{
    http::{
        header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE},
        HeaderValue, Method, StatusCode,
    },
    Body, Request, RequestExt, Response,
};
use serde::Serialize;
use serde_json::Value;
use voice_core::params::{kind_of, Params};

/// Largest body we read. Vonage's webhooks are a few hundred bytes; this bounds what a hostile
/// client can make us parse and store.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The request's parameters: the query string of a `GET`, the JSON object body of a `POST`.
pub fn params(req: &Request) -> Result<Params, Error> {
    match *req.method() {
        Method::GET => query_params(req),
        Method::POST => json_body(req),
        ref other => Err(Error::MethodNotAllowed(other.to_string(), "GET or POST")),
    }
}

/// A signed deployment takes webhooks by POST only: a GET's query is not covered by Vonage's
/// signature (`payload_hash` hashes a body), so anyone holding one token could send any query
/// under it. `url` names the dashboard setting to fix (`Answer URL`, `Event URL`).
pub fn signed_post_only(
    verifier: &voice_core::signature::Verifier,
    req: &Request,
    url: &'static str,
) -> Result<(), Error> {
    if verifier.is_signed() && req.method() == Method::GET {
        return Err(Error::SignedGet(url));
    }
    Ok(())
}

/// The raw body bytes as received (API Gateway's base64 already undone by lambda_http).
pub fn body_bytes(req: &Request) -> &[u8] {
    req.body().as_ref()
}

/// The `Authorization` header's bytes, for `signature::Verifier::verify`.
pub fn authorization(req: &Request) -> Option<&[u8]> {
    req.headers().get(AUTHORIZATION).map(HeaderValue::as_bytes)
}

/// Query parameters as strings. A key given twice is refused: which of the two Vonage meant
/// cannot be told, and picking one would let a caller smuggle a second `to` past a proxy.
fn query_params(req: &Request) -> Result<Params, Error> {
    let query = req.query_string_parameters();
    let mut params = Params::new();
    for (key, value) in query.iter() {
        if params
            .insert(key.to_string(), Value::String(value.to_string()))
            .is_some()
        {
            return Err(Error::BadRequest(format!(
                "query parameter `{key}` is given more than once"
            )));
        }
    }
    Ok(params)
}

fn json_body(req: &Request) -> Result<Params, Error> {
    if let Some(content_type) = req.headers().get(CONTENT_TYPE) {
        let content_type = content_type.to_str().unwrap_or("(not text)");
        let essence = content_type.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(Error::UnsupportedMediaType(
                content_type.chars().take(100).collect(),
            ));
        }
    }
    let body = body_bytes(req);
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::PayloadTooLarge {
            size: body.len(),
            limit: MAX_BODY_BYTES,
        });
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::BadRequest(
            "body is empty; expected a JSON object".into(),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(Error::BadRequest(format!(
            "body must be a JSON object, not {}",
            kind_of(&other)
        ))),
        Err(e) => Err(Error::BadRequest(format!("body is not valid JSON: {e}"))),
    }
}

/// The status each error answers with.
pub fn status(error: &Error) -> StatusCode {
    match error {
        Error::BadRequest(_) => StatusCode::BAD_REQUEST,
        Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::BadGateway(_) => StatusCode::BAD_GATEWAY,
        Error::MethodNotAllowed(..) | Error::SignedGet(_) => StatusCode::METHOD_NOT_ALLOWED,
        Error::Conflict(_) => StatusCode::CONFLICT,
        Error::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// A short, bounded name for the error, for logs and metrics.
pub fn error_kind(error: &Error) -> &'static str {
    match error {
        Error::BadRequest(_) => "bad-request",
        Error::Unauthorized(_) => "unauthorized",
        Error::Forbidden(_) => "forbidden",
        Error::BadGateway(_) => "bad-gateway",
        Error::MethodNotAllowed(..) => "method-not-allowed",
        Error::SignedGet(_) => "signed-get",
        Error::Conflict(_) => "conflict",
        Error::PayloadTooLarge { .. } => "too-large",
        Error::UnsupportedMediaType(_) => "media-type",
        Error::Unavailable(_) => "unavailable",
    }
}

/// The metrics of a request answered with `error`: `WebhookErrors` by status class and kind.
pub fn error_metrics(emf: crate::metrics::Emf, error: &Error) -> crate::metrics::Emf {
    let class = if status(error).is_server_error() {
        "5xx"
    } else {
        "4xx"
    };
    emf.dimension("Status", class)
        .dimension("Reason", error_kind(error))
        .count(
            &[&["Function", "Status"], &["Function", "Status", "Reason"]],
            "WebhookErrors",
            1,
        )
}

/// A credential, or what was asked of a user's own data: no cache on the way may keep it (as
/// OAuth token responses).
pub fn no_store(mut response: Response<Body>) -> Response<Body> {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `{"error": "..."}` with the error's status.
pub fn error_response(error: &Error) -> Response<Body> {
    json_response(
        status(error),
        &serde_json::json!({ "error": error.to_string() }),
    )
}

/// A response with a JSON body.
pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    // Serialising our own types cannot fail: they hold only strings, numbers and maps.
    let body = serde_json::to_string(body).unwrap_or_else(|_| "null".into());
    let mut res = Response::new(Body::Text(body));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn get(query: &[(&str, &str)]) -> Request {
        let mut map: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in query {
            map.entry(k.to_string()).or_default().push(v.to_string());
        }
        Request::default().with_query_string_parameters(map)
    }

    fn post(content_type: Option<&str>, body: impl Into<Body>) -> Request {
        let mut builder = lambda_http::http::Request::builder().method("POST");
        if let Some(ct) = content_type {
            builder = builder.header("content-type", ct);
        }
        builder.body(body.into()).unwrap()
    }

    fn status_of(req: &Request) -> u16 {
        status(&params(req).unwrap_err()).as_u16()
    }

    #[test]
    fn get_parameters_come_from_the_query_string() {
        let params = params(&get(&[("to", "447700900000"), ("from_user", "Alice")])).unwrap();
        assert_eq!(params["to"], "447700900000");
        assert_eq!(params["from_user"], "Alice");
    }

    #[test]
    fn a_repeated_query_key_is_refused() {
        let req = get(&[("to", "447700900000"), ("to", "449099000000")]);
        let err = params(&req).unwrap_err();
        assert_eq!(status_of(&req), 400);
        assert!(err.to_string().contains("`to`"), "{err}");
    }

    #[test]
    fn post_parameters_come_from_a_json_object_body() {
        let req = post(
            Some("application/json; charset=utf-8"),
            r#"{"to":"447700900000"}"#,
        );
        assert_eq!(params(&req).unwrap()["to"], "447700900000");
        let req = post(None, Body::Binary(br#"{"to":"1"}"#.to_vec()));
        assert_eq!(params(&req).unwrap()["to"], "1");
    }

    #[test]
    fn post_bodies_that_are_not_a_json_object_are_refused() {
        for body in ["", "  ", "not json", "[1,2]", "\"x\"", "{\"to\":", "null"] {
            assert_eq!(
                status_of(&post(Some("application/json"), body)),
                400,
                "{body:?}"
            );
        }
        let invalid_utf8 = post(
            Some("application/json"),
            Body::Binary(vec![b'{', 0xff, b'}']),
        );
        assert_eq!(status_of(&invalid_utf8), 400);
    }

    #[test]
    fn post_with_another_content_type_is_refused() {
        let req = post(Some("application/x-www-form-urlencoded"), "to=447700900000");
        assert_eq!(status_of(&req), 415);
    }

    #[test]
    fn bodies_over_the_limit_are_refused() {
        let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        assert_eq!(status_of(&post(Some("application/json"), big)), 413);
    }

    #[test]
    fn other_methods_are_refused() {
        let req = lambda_http::http::Request::builder()
            .method("PUT")
            .body(Body::Empty)
            .unwrap();
        assert_eq!(status_of(&req), 405);
    }

    #[test]
    fn errors_become_json_with_their_status() {
        let res = error_response(&Error::BadRequest("body is not JSON".into()));
        assert_eq!(res.status(), 400);
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(res.body().as_ref(), br#"{"error":"body is not JSON"}"#);
        assert_eq!(status(&Error::Unavailable("x".into())), 503);
        assert_eq!(status(&Error::SignedGet("Event URL")), 405);
        assert_eq!(status(&Error::Conflict("taken".into())), 409);
    }
}
