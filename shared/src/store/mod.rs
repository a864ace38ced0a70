//! The DynamoDB table of the event webhook, by concept: `keys` (where items live), `rules`
//! (what one event writes and under which conditions) and, here, the record operation that
//! sends those writes. The read and admin side (`admin`: create the table, read a
//! conversation back) is for tools and tests; the functions do not enable it.
//!
//! Every rule is enforced by DynamoDB itself with condition expressions, never by reading
//! first: concurrent Lambda instances and redeliveries cannot race past them.
//!
//! Per event: the transition `PutItem` (only if its key is new) and the leg `UpdateItem` (only
//! if the event is not older than the leg's status) go out together, so an event costs one
//! round trip of latency. A late event that loses the leg's condition gets the leg's current
//! item back in the same answer (`ReturnValuesOnConditionCheckFailure`), and only when it still
//! has something to add (an outcome such as `busy`, or a missing `from`/`to`) does a second,
//! conditional `UpdateItem` follow.

#[cfg(feature = "admin")]
pub mod admin;
pub mod keys;
#[cfg(feature = "token")]
pub mod profiles;
pub mod rules;
pub mod usage;
mod warm_up;

pub use keys::{conversation_pk, leg_sk, transition_key, EXPIRES_AT, NO_CALL_PK, PK, SK};
pub use rules::{writes, Transition, Writes};
pub use warm_up::warm_up;

use crate::config::{dynamodb_client, ConfigError, EventConfig, ProcessEnv};
use crate::event::CallEvent;
use aws_sdk_dynamodb::{
    config::http::HttpResponse,
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::{transact_write_items::TransactWriteItemsError, update_item::UpdateItemError},
    types::{
        AttributeValue, CancellationReason, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
    },
    Client,
};
use rules::{late_update, LegWrite, Update};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

type Item = HashMap<String, AttributeValue>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB did not take the request for now: unreachable, timing out, throttling or
    /// conflicting after the retries, a 5xx. The same request may succeed later.
    #[error("DynamoDB: {0}")]
    Unavailable(String),
    /// DynamoDB answered that this request cannot succeed as it is: a validation error, a
    /// missing table or index, denied permissions. Retrying changes nothing until someone
    /// fixes the cause.
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

/// Whatever the store could not do, the caller can retry: a `503`.
impl From<StoreError> for crate::error::Error {
    fn from(e: StoreError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl StoreError {
    /// Whether a later attempt may succeed (the only errors `LIMITS_FAIL_OPEN` connects on).
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

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
fn unavailable<E>(err: SdkError<E, HttpResponse>) -> StoreError
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
fn written<O, E>(result: Result<O, SdkError<E, HttpResponse>>) -> Result<bool, StoreError>
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
fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

/// Writes `item` unless an item with its key exists: `true` written, `false` it was there.
async fn put_if_absent(client: &Client, table: &str, item: Item) -> Result<bool, StoreError> {
    let result = client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PK)
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

/// Whether the event was new or a redelivery of one already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    New,
    Duplicate,
}

/// The DynamoDB side of the event webhook.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
    retention_days: Option<u32>,
    ledger: usage::Ledger,
}

impl Store {
    pub fn new(client: Client, cfg: &EventConfig) -> Self {
        Self {
            ledger: usage::Ledger::new(client.clone(), &cfg.table_name),
            client,
            table: cfg.table_name.clone(),
            retention_days: cfg.retention_days,
        }
    }

    /// The per-user ledger in the same table: completed phone legs are charged to it.
    pub fn ledger(&self) -> &usage::Ledger {
        &self.ledger
    }

    /// A store whose client comes from the process environment (`config::dynamodb_client`).
    pub fn from_env(cfg: &EventConfig) -> Result<Self, ConfigError> {
        Ok(Self::new(dynamodb_client(&ProcessEnv, None)?, cfg))
    }

    /// As `from_env`, but talking to `endpoint` (a DynamoDB Local or a proxy in front of one).
    pub fn with_endpoint(cfg: &EventConfig, endpoint: &str) -> Result<Self, ConfigError> {
        Ok(Self::new(
            dynamodb_client(&ProcessEnv, Some(endpoint))?,
            cfg,
        ))
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn expires_at(&self) -> Option<u64> {
        let days = u64::from(self.retention_days?);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        Some(now.saturating_add(days.saturating_mul(86_400)))
    }

    /// Stores one event: its transition item, and its effect on the leg when `moves_leg`
    /// (`CallEvent::may_move_leg`).
    pub async fn record(
        &self,
        event: &CallEvent,
        raw: &str,
        moves_leg: bool,
    ) -> Result<Recorded, StoreError> {
        let Writes { transition, leg } = writes(event, raw, self.expires_at(), moves_leg)?;
        let (transition, leg) = tokio::join!(self.put_transition(transition), async {
            match leg {
                Some(leg) => self.update_leg(event, leg).await,
                None => Ok(()),
            }
        });
        leg?;
        transition
    }

    async fn put_transition(&self, item: Item) -> Result<Recorded, StoreError> {
        Ok(if put_if_absent(&self.client, &self.table, item).await? {
            Recorded::New
        } else {
            Recorded::Duplicate
        })
    }

    /// Moves the leg forward if this event is its newest news; otherwise adds what the late
    /// event still knows (its outcome, missing parties).
    async fn update_leg(&self, event: &CallEvent, leg: LegWrite) -> Result<(), StoreError> {
        let LegWrite {
            conv,
            uuid,
            status,
            at,
            update,
            condition,
        } = leg;
        let (conv, uuid) = (conv.as_str(), uuid.as_str());
        let mut current = match self
            .send_update(conv, uuid, update, Some(condition))
            .await?
        {
            None => return Ok(()),
            Some(current) => current,
        };
        // The leg already holds newer news. Bounded: each lost race means another writer moved
        // the outcome forward, and the outcome can only move forward twice.
        for _ in 0..3 {
            let Some((late, condition)) = late_update(event, &status, &at, &current) else {
                return Ok(());
            };
            match self.send_update(conv, uuid, late, condition).await? {
                None => return Ok(()),
                Some(newer) => current = newer,
            }
        }
        Err(StoreError::Unavailable(format!(
            "leg {uuid}: outcome kept changing under concurrent writes"
        )))
    }

    /// Sends a leg update. `Ok(None)` when applied; `Ok(Some(item))` with the leg as it is
    /// when the condition failed.
    async fn send_update(
        &self,
        conv: &str,
        uuid: &str,
        update: Update,
        condition: Option<String>,
    ) -> Result<Option<Item>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(keys::leg_key(conv, uuid)))
            .update_expression(update.expression())
            .set_condition_expression(condition)
            .set_expression_attribute_names(Some(update.names))
            .set_expression_attribute_values(Some(update.values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(SdkError::ServiceError(service))
                if service.err().is_conditional_check_failed_exception() =>
            {
                match service.into_err() {
                    UpdateItemError::ConditionalCheckFailedException(failed) => {
                        Ok(Some(failed.item.unwrap_or_default()))
                    }
                    _ => Ok(Some(Item::new())),
                }
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}
