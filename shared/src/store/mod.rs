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
    error::{DisplayErrorContext, ProvideErrorMetadata, SdkError},
    operation::update_item::UpdateItemError,
    types::{AttributeValue, ReturnValuesOnConditionCheckFailure},
    Client,
};
use rules::{late_update, LegWrite, Update};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

type Item = HashMap<String, AttributeValue>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB did not take the request (unreachable, throttled after retries, timed out, …).
    #[error("DynamoDB: {0}")]
    Unavailable(String),
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

fn unavailable<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(DisplayErrorContext(&err).to_string())
}

/// A conditional write's outcome: `true` written, `false` its condition failed (the write was
/// already done, or is not allowed); any other failure is `Unavailable`.
fn written<O, E, R>(result: Result<O, SdkError<E, R>>) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
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
            Err(e) => match e.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(failed) => {
                    Ok(Some(failed.item.unwrap_or_default()))
                }
                other => Err(StoreError::Unavailable(
                    DisplayErrorContext(&other).to_string(),
                )),
            },
        }
    }
}
