//! One error type for both webhooks; each variant is one HTTP status and a JSON body.

use lambda_http::{http::StatusCode, Body, Response};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be understood: not JSON, wrong shape, bad values.
    #[error("{0}")]
    BadRequest(String),
    /// The request is not signed by Vonage.
    #[error("{0}")]
    Unauthorized(String),
    #[error("method {0} is not allowed; use GET or POST")]
    MethodNotAllowed(String),
    /// An event by GET while signatures are checked: the signature cannot cover a query.
    #[error("signed events must be sent by POST: set the Event URL's HTTP method to POST in the Vonage dashboard (a GET's query is not covered by the signature)")]
    SignedGet,
    #[error("body is {0} bytes; the limit is {limit}", limit = crate::webhook::MAX_BODY_BYTES)]
    PayloadTooLarge(usize),
    #[error("content type `{0}` is not supported; send application/json")]
    UnsupportedMediaType(String),
    /// DynamoDB could not take the write after the SDK's retries: Vonage should retry.
    #[error("{0}")]
    Unavailable(String),
}

impl Error {
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::MethodNotAllowed(_) | Error::SignedGet => StatusCode::METHOD_NOT_ALLOWED,
            Error::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// `{"error": "..."}` with the variant's status.
    pub fn to_response(&self) -> Response<Body> {
        crate::webhook::json_response(
            self.status(),
            &serde_json::json!({ "error": self.to_string() }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_become_json_with_their_status() {
        let res = Error::BadRequest("body is not JSON".into()).to_response();
        assert_eq!(res.status(), 400);
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(res.body().as_ref(), br#"{"error":"body is not JSON"}"#);
        assert_eq!(Error::Unavailable("x".into()).status(), 503);
        assert_eq!(Error::PayloadTooLarge(300_000).status(), 413);
    }
}
