//! What both webhooks share at the HTTP edge: turning a request into its parameters, and
//! building JSON responses.
//!
//! Vonage sends webhook parameters either as a query string (`GET`) or as a JSON object body
//! (`POST`); both arrive here as one JSON object so the parsers after this point see one shape.

use crate::error::Error;
use lambda_http::{
    http::{header::CONTENT_TYPE, Method, StatusCode},
    Body, Request, RequestExt, Response,
};
use serde::Serialize;
use serde_json::{Map, Value};

/// Largest body we read. Vonage's webhooks are a few hundred bytes; this bounds what a hostile
/// client can make us parse and store.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The webhook's parameters, as a JSON object.
pub type Params = Map<String, Value>;

/// The request's parameters: the query string of a `GET`, the JSON object body of a `POST`.
pub fn params(req: &Request) -> Result<Params, Error> {
    match *req.method() {
        Method::GET => query_params(req),
        Method::POST => json_body(req),
        ref other => Err(Error::MethodNotAllowed(other.to_string())),
    }
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

/// The raw body bytes as received (API Gateway's base64 already undone by lambda_http).
pub fn body_bytes(req: &Request) -> &[u8] {
    req.body().as_ref()
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
        return Err(Error::PayloadTooLarge(body.len()));
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

/// "a string", "an array", … for error messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An optional string parameter. Numbers are taken as their decimal text (some clients send
/// digits unquoted); `null` and `""` are absent; anything else is an error naming the field.
pub fn opt_str(params: &Params, key: &str) -> Result<Option<String>, Error> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(Error::BadRequest(format!(
            "`{key}` must be a string, not {}",
            kind_of(other)
        ))),
    }
}

/// A `200` (or other status) response with a JSON body.
pub fn json_response(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    // Serialising our own types cannot fail: they hold only strings, numbers and maps.
    let body = serde_json::to_string(body).unwrap_or_else(|_| "null".into());
    let mut res = Response::new(Body::Text(body));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        lambda_http::http::HeaderValue::from_static("application/json"),
    );
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

    #[test]
    fn get_parameters_come_from_the_query_string() {
        let params = params(&get(&[("to", "447700900000"), ("from_user", "Alice")])).unwrap();
        assert_eq!(params["to"], "447700900000");
        assert_eq!(params["from_user"], "Alice");
    }

    #[test]
    fn a_repeated_query_key_is_refused() {
        let err = params(&get(&[("to", "447700900000"), ("to", "449099000000")])).unwrap_err();
        assert_eq!(err.status(), 400);
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
                params(&post(Some("application/json"), body))
                    .unwrap_err()
                    .status(),
                400,
                "{body:?}"
            );
        }
        let invalid_utf8 = post(
            Some("application/json"),
            Body::Binary(vec![b'{', 0xff, b'}']),
        );
        assert_eq!(params(&invalid_utf8).unwrap_err().status(), 400);
    }

    #[test]
    fn post_with_another_content_type_is_refused() {
        let req = post(Some("application/x-www-form-urlencoded"), "to=447700900000");
        assert_eq!(params(&req).unwrap_err().status(), 415);
    }

    #[test]
    fn bodies_over_the_limit_are_refused() {
        let big = format!(r#"{{"x":"{}"}}"#, "a".repeat(MAX_BODY_BYTES));
        assert_eq!(
            params(&post(Some("application/json"), big))
                .unwrap_err()
                .status(),
            413
        );
    }

    #[test]
    fn other_methods_are_refused() {
        let req = lambda_http::http::Request::builder()
            .method("PUT")
            .body(Body::Empty)
            .unwrap();
        assert_eq!(params(&req).unwrap_err().status(), 405);
    }

    #[test]
    fn string_fields_accept_numbers_and_treat_null_and_empty_as_absent() {
        let params: Params =
            serde_json::from_str(r#"{"a":"x","b":447700900000,"c":null,"d":"","e":{}}"#).unwrap();
        assert_eq!(opt_str(&params, "a").unwrap().as_deref(), Some("x"));
        assert_eq!(
            opt_str(&params, "b").unwrap().as_deref(),
            Some("447700900000")
        );
        assert_eq!(opt_str(&params, "c").unwrap(), None);
        assert_eq!(opt_str(&params, "d").unwrap(), None);
        assert_eq!(opt_str(&params, "missing").unwrap(), None);
        assert!(opt_str(&params, "e").is_err());
    }
}
