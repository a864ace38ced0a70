//! The HTTP edge's errors: each variant answers with one status (`http::status`). The domain
//! and the use cases have errors of their own; they become one of these only here, at the edge.

use crate::usecase::ports::StoreError;
use voice_core::identity::SignInError;
use voice_core::params::InvalidInput;
use voice_core::signature::SignatureError;

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

impl From<InvalidInput> for Error {
    fn from(e: InvalidInput) -> Self {
        Self::BadRequest(e.0)
    }
}

impl From<SignatureError> for Error {
    fn from(e: SignatureError) -> Self {
        Self::Unauthorized(e.0)
    }
}

/// Whatever the store could not do, the caller can retry: a `503`.
impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

/// No identity at all: `401`; an identity that names no user we can serve: `403`.
impl From<SignInError> for Error {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::NoIdentity => Self::Unauthorized(e.to_string()),
            SignInError::NoClaim(_) | SignInError::BadClaim(_) => Self::Forbidden(e.to_string()),
        }
    }
}

#[cfg(feature = "dynamodb")]
impl From<crate::usecase::calls::HistoryError> for Error {
    fn from(e: crate::usecase::calls::HistoryError) -> Self {
        use crate::usecase::calls::HistoryError;
        match e {
            HistoryError::SignIn(e) => e.into(),
            HistoryError::BadLimit | HistoryError::BadCursor => Self::BadRequest(e.to_string()),
            HistoryError::Store(e) => e.into(),
        }
    }
}

#[cfg(feature = "token")]
impl From<crate::usecase::token::TokenError> for Error {
    fn from(e: crate::usecase::token::TokenError) -> Self {
        use crate::usecase::ports::VonageError;
        use crate::usecase::token::TokenError;
        let text = e.to_string();
        match e {
            TokenError::SignIn(e) => e.into(),
            TokenError::Taken => Self::Conflict(text),
            TokenError::Vonage(VonageError::Refused { .. }) => Self::BadGateway(text),
            TokenError::Store(_) | TokenError::Vonage(_) | TokenError::Mint(_) => {
                Self::Unavailable(text)
            }
        }
    }
}
