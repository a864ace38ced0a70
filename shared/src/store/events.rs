//! The event webhook's writes: one event's transition and its effect on its leg, sent
//! together (`rules` builds them; DynamoDB's conditions enforce them).

use super::dynamo::{put_if_absent, unavailable, Item};
use super::keys;
use super::ledger::Ledger;
use super::rules::{late_update, writes, LegWrite, Update, Writes};
use crate::config::{dynamodb_client, ConfigError, EventConfig, ProcessEnv};
use crate::usecase::event::EventLog;
use crate::usecase::ports::StoreError;
use aws_sdk_dynamodb::{
    error::SdkError, operation::update_item::UpdateItemError,
    types::ReturnValuesOnConditionCheckFailure, Client,
};
use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};
use voice_core::event::{CallEvent, Recorded};

/// The DynamoDB side of the event webhook.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
    retention_days: Option<u32>,
    ledger: Ledger,
}

impl Store {
    pub fn new(client: Client, cfg: &EventConfig) -> Self {
        Self {
            ledger: Ledger::new(client.clone(), &cfg.table_name),
            client,
            table: cfg.table_name.clone(),
            retention_days: cfg.retention_days,
        }
    }

    /// The per-user ledger in the same table: completed phone legs are charged to it.
    pub fn ledger(&self) -> &Ledger {
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

impl EventLog for Store {
    fn record(
        &self,
        event: &CallEvent,
        raw: &str,
        moves_leg: bool,
    ) -> impl Future<Output = Result<Recorded, StoreError>> + Send {
        Store::record(self, event, raw, moves_leg)
    }
}
