//! One error type for every function; the HTTP edge (`http`) gives each variant its status.

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request cannot be understood: not JSON, wrong shape, bad values.
    #[error("{0}")]
    BadRequest(String),
    /// The request carries no valid credentials: Vonage's signature, or the authorizer's claims.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller is known but may not have what it asks for.
    #[error("{0}")]
    Forbidden(String),
    /// The method, and the ones the route takes.
    #[error("method {0} is not allowed; use {1}")]
    MethodNotAllowed(String, &'static str),
    /// A webhook by GET while signatures are checked: the signature cannot cover a query. The
    /// URL the dashboard setting is for: `Answer URL` or `Event URL`.
    #[error("signed webhooks must be sent by POST: set the {0}'s HTTP method to POST in the Vonage dashboard (a GET's query is not covered by the signature)")]
    SignedGet(&'static str),
    /// The request conflicts with what is already there, and cannot succeed as it is.
    #[error("{0}")]
    Conflict(String),
    #[error("body is {size} bytes; the limit is {limit}")]
    PayloadTooLarge { size: usize, limit: usize },
    #[error("content type `{0}` is not supported; send application/json")]
    UnsupportedMediaType(String),
    /// An upstream service (Vonage) answered, but not as it should: retrying will not help.
    #[error("{0}")]
    BadGateway(String),
    /// DynamoDB or Vonage could not be reached (after the SDK's retries): the caller should retry.
    #[error("{0}")]
    Unavailable(String),
}
