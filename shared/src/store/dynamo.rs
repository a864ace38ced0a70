//! The DynamoDB calls every part of the store shares: attribute values, what an SDK error
//! means (for now, or for good), a put that keeps what is there, and transactions that retry
//! their conflicts.

use crate::usecase::ports::StoreError;
use aws_sdk_dynamodb::{
    config::http::HttpResponse,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::transact_write_items::TransactWriteItemsError,
    types::{AttributeValue, CancellationReason, TransactWriteItem},
    Client,
};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// One DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// Error codes of DynamoDB that say "not now" rather than "never".
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
    "ReplicatedWriteConflictException",
];

/// An SDK error as the store's: transient (no answer, a timeout, throttling, a 5xx) or not.
pub(crate) fn unavailable<E>(err: SdkError<E, HttpResponse>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let transient = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            service.raw().status().is_server_error()
                || service
                    .err()
                    .code()
                    .is_some_and(|code| TRANSIENT_CODES.contains(&code))
        }
        _ => false,
    };
    let text = DisplayErrorContext(&err).to_string();
    if transient {
        StoreError::Unavailable(text)
    } else {
        StoreError::Rejected(text)
    }
}

/// A conditional write's outcome: `true` written, `false` its condition failed (the write was
/// already done, or is not allowed); any other failure is `Unavailable`.
pub(crate) fn written<O, E>(
    result: Result<O, SdkError<E, HttpResponse>>,
) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error().and_then(ProvideErrorMetadata::code)
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(e) => Err(unavailable(e)),
    }
}

/// A string attribute value.
pub(crate) fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

/// Writes `item` unless an item with its key exists: `true` written, `false` it was there.
pub(crate) async fn put_if_absent(
    client: &Client,
    table: &str,
    item: Item,
) -> Result<bool, StoreError> {
    let result = client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", super::keys::PK)
        .send()
        .await;
    written(result)
}

/// How many times a transaction is sent while concurrent transactions on the same items
/// cancel it (DynamoDB's `TransactionConflict`), waiting a little longer each time.
const TRANSACT_ATTEMPTS: u32 = 8;

/// A transaction DynamoDB cancelled because a condition failed: the reason of each item, in
/// the order they were sent.
#[derive(Debug)]
pub(crate) struct Cancelled(Vec<CancellationReason>);

impl Cancelled {
    /// Whether the `index`th item's condition failed.
    pub(crate) fn condition_failed(&self, index: usize) -> bool {
        self.0
            .get(index)
            .and_then(CancellationReason::code)
            .is_some_and(|code| code == "ConditionalCheckFailed")
    }

    /// The `index`th item as it was, when its condition failed and it asked for it back.
    pub(crate) fn item(&self, index: usize) -> Option<&Item> {
        self.0.get(index).and_then(|reason| reason.item.as_ref())
    }
}

/// Sends the items as one `TransactWriteItems`: all written, or none. `Ok(Err(_))` when a
/// condition failed; a conflict with another transaction on the same items (or throttling
/// inside it) is retried.
pub(crate) async fn transact(
    client: &Client,
    items: Vec<TransactWriteItem>,
) -> Result<Result<(), Cancelled>, StoreError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = client
            .transact_write_items()
            .set_transact_items(Some(items.clone()))
            .send()
            .await;
        let cancelled = match result {
            Ok(_) => return Ok(Ok(())),
            Err(SdkError::ServiceError(service))
                if service.err().is_transaction_canceled_exception() =>
            {
                match service.into_err() {
                    TransactWriteItemsError::TransactionCanceledException(e) => {
                        e.cancellation_reasons.unwrap_or_default()
                    }
                    other => return Err(StoreError::Rejected(other.to_string())),
                }
            }
            Err(e) => return Err(unavailable(e)),
        };
        let codes: Vec<&str> = cancelled
            .iter()
            .map(|r| r.code().unwrap_or("None"))
            .collect();
        if codes.contains(&"ConditionalCheckFailed") {
            return Ok(Err(Cancelled(cancelled)));
        }
        let contended = codes.iter().any(|code| {
            matches!(
                *code,
                "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
            )
        });
        if !contended {
            return Err(StoreError::Rejected(format!(
                "transaction cancelled: {codes:?}"
            )));
        }
        if attempt >= TRANSACT_ATTEMPTS {
            return Err(StoreError::Unavailable(format!(
                "transaction cancelled {attempt} times by concurrent writes: {codes:?}"
            )));
        }
        // Back off a little longer each time, spread so that the writers stop colliding.
        let spread = u64::from(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos()
                % 16,
        );
        let wait = u64::from(attempt) * 8 + spread;
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    }
}
