//! What the use cases' ports answer when the world outside does not do as asked: the table
//! (`StoreError`) and Vonage's APIs (`VonageError`). Each use case declares the small traits it
//! needs in its own module; the store and the Vonage client implement them.

/// The table could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB did not take the request for now: unreachable, timing out, throttling or
    /// conflicting after the retries, a 5xx. The same request may succeed later.
    #[error("DynamoDB: {0}")]
    Unavailable(String),
    /// DynamoDB answered that this request cannot succeed as it is: a validation error, a
    /// missing table, denied permissions. Retrying changes nothing until someone fixes the
    /// cause.
    #[error("DynamoDB refused: {0}")]
    Rejected(String),
    /// An item in the table does not have the shape this code writes.
    #[error("item {pk}/{sk} is malformed: {reason}")]
    Malformed {
        pk: String,
        sk: String,
        reason: String,
    },
}

impl StoreError {
    /// Whether a later attempt may succeed (the only errors `LIMITS_FAIL_OPEN` connects on).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Vonage's API did not do what was asked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VonageError {
    /// Vonage could not be reached, timed out, or answered 5xx/429: a retry may succeed.
    #[error("Vonage Users API unavailable: {0}")]
    Unavailable(String),
    /// Vonage answered, and said no (a bad application token, a name it will not take, …).
    #[error("Vonage Users API refused the request: {status} {body}")]
    Refused { status: u16, body: String },
}
