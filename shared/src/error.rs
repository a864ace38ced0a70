//! One error type for every webhook; the HTTP edge (`http`) gives each variant its status.

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
    #[error("body is {size} bytes; the limit is {limit}")]
    PayloadTooLarge { size: usize, limit: usize },
    #[error("content type `{0}` is not supported; send application/json")]
    UnsupportedMediaType(String),
    /// DynamoDB could not take the write after the SDK's retries: Vonage should retry.
    #[error("{0}")]
    Unavailable(String),
}
