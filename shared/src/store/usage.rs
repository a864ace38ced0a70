//! The per-user ledger (`pk=USER#<user>`, `sk=DAY#<yyyy-mm-dd>`: `calls`, `seconds`, `spend`)
//! and the call items that tie a conversation to its user (`sk=CALL#<conversation>`).
//!
//! Exactly once, with no read before a write and no transaction:
//!
//! - **A call is counted** by one conditional `UpdateItem` of the day's ledger that adds 1 to
//!   `calls` and the call's id to the set `counted`, on condition that the set does not hold it
//!   yet and that the day is under the limits. The check and the count are that one write; a
//!   redelivered answer request finds its id in the set and is told so (the old item comes back
//!   with the failed condition), and is connected again without a second count.
//! - **A leg is charged** by one conditional `UpdateItem` of the same ledger item that adds
//!   `seconds` and `spend` and the leg to the set `charged`, on condition that the set does not
//!   hold the leg. Whatever the order, the number of deliveries or instances, a leg is added
//!   once; and because the guard and the sums are one item, there is no state in which one is
//!   written without the other: a function that dies before the write leaves nothing, and the
//!   redelivery (Vonage delivers again after a 5xx) does the whole job.

use super::keys::{
    call_owner_key, call_sk, conversation_pk, day_sk, leg_sk, user_pk, CALLS_INDEX, CALLS_PK,
    CALLS_SK, PK, SK,
};
use super::{put_if_absent, s, unavailable, written, Item, StoreError};
use crate::usage::{Charge, Limits, NewCall, MAX_USER_LEN};
use aws_sdk_dynamodb::{
    error::DisplayErrorContext,
    operation::update_item::UpdateItemError,
    types::{AttributeValue, ReturnValuesOnConditionCheckFailure},
    Client,
};
use std::collections::HashMap;

/// Ledger attributes.
pub const CALLS: &str = "calls";
pub const SECONDS: &str = "seconds";
pub const SPEND: &str = "spend";
/// The ids of the calls counted, and of the legs charged: the guards of exactly once.
pub const COUNTED: &str = "counted";
pub const CHARGED: &str = "charged";

/// What counting a call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// Counted now: connect.
    New,
    /// Already counted (a redelivered answer request): connect, without counting again.
    Again,
    /// The day's limit is reached: refuse.
    OverLimit,
}

/// Who a conversation's calls are charged to, from its call item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOwner {
    pub user: String,
    pub day: String,
    pub answered_at: String,
}

/// The ledger and call items of the calls table.
#[derive(Clone, Debug)]
pub struct Ledger {
    client: Client,
    table: String,
}

fn text(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

impl Ledger {
    pub fn new(client: Client, table: &str) -> Self {
        Self {
            client,
            table: table.to_string(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Counts a call for its user unless the day's limits are reached, and writes the call item
    /// the event webhook will find the user by; the two writes go out together.
    pub async fn count_call(&self, call: &NewCall, limits: &Limits) -> Result<Counted, StoreError> {
        if call.user.is_empty() || call.user.len() > MAX_USER_LEN {
            return Err(StoreError::Malformed {
                pk: "USER#…".into(),
                sk: day_sk(call.day()),
                reason: format!("a user name of {} bytes", call.user.len()),
            });
        }
        let (counted, item) = tokio::join!(self.add_call(call, limits), self.put_call(call));
        item?;
        counted
    }

    async fn add_call(&self, call: &NewCall, limits: &Limits) -> Result<Counted, StoreError> {
        let mut condition = "NOT contains(#counted, :id)".to_string();
        let mut values = HashMap::from([
            (":one".to_string(), AttributeValue::N("1".into())),
            (
                ":ids".to_string(),
                AttributeValue::Ss(vec![call.call_id.clone()]),
            ),
            (":id".to_string(), s(&call.call_id)),
        ]);
        let mut names = HashMap::from([
            ("#calls".to_string(), CALLS.to_string()),
            ("#counted".to_string(), COUNTED.to_string()),
        ]);
        if let Some(max) = limits.max_calls {
            condition.push_str(" AND (attribute_not_exists(#calls) OR #calls < :max_calls)");
            values.insert(":max_calls".into(), AttributeValue::N(max.to_string()));
        }
        if let Some(max) = &limits.max_spend {
            condition.push_str(" AND (attribute_not_exists(#spend) OR #spend < :max_spend)");
            values.insert(":max_spend".into(), AttributeValue::N(max.as_str().into()));
            names.insert("#spend".into(), SPEND.into());
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(&user_pk(&call.user)))
            .key(SK, s(&day_sk(call.day())))
            .update_expression("ADD #calls :one, #counted :ids")
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Counted::New),
            Err(e) => match e.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(failed) => {
                    let already = failed
                        .item
                        .as_ref()
                        .and_then(|item| item.get(COUNTED))
                        .and_then(|ids| ids.as_ss().ok())
                        .is_some_and(|ids| ids.contains(&call.call_id));
                    Ok(if already {
                        Counted::Again
                    } else {
                        Counted::OverLimit
                    })
                }
                other => Err(StoreError::Unavailable(
                    DisplayErrorContext(&other).to_string(),
                )),
            },
        }
    }

    /// The call item: written once (a redelivery keeps the first answer's time).
    async fn put_call(&self, call: &NewCall) -> Result<(), StoreError> {
        let item = HashMap::from([
            (PK.to_string(), s(&user_pk(&call.user))),
            (SK.to_string(), s(&call_sk(&call.call_id))),
            ("user".to_string(), s(&call.user)),
            ("to".to_string(), s(&call.to)),
            ("answered_at".to_string(), s(call.answered_at.as_str())),
            ("day".to_string(), s(call.day())),
            (CALLS_PK.to_string(), s(&call_owner_key(&call.call_id))),
            (CALLS_SK.to_string(), s(call.answered_at.as_str())),
        ]);
        put_if_absent(&self.client, &self.table, item)
            .await
            .map(drop)
    }

    /// The user and day a conversation's calls are charged to, if an app user placed it.
    pub async fn owner(&self, conversation_uuid: &str) -> Result<Option<CallOwner>, StoreError> {
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(CALLS_INDEX)
            .key_condition_expression("#c = :c")
            .expression_attribute_names("#c", CALLS_PK)
            .expression_attribute_values(":c", s(&call_owner_key(conversation_uuid)))
            .limit(1)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(page.items().first().and_then(|item| {
            Some(CallOwner {
                user: text(item, "user")?,
                day: text(item, "day")?,
                answered_at: text(item, "answered_at")?,
            })
        }))
    }

    /// Adds the leg's seconds and spend to its owner's day, once: `false` if it was already.
    pub async fn charge(&self, owner: &CallOwner, charge: &Charge) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(&user_pk(&owner.user)))
            .key(SK, s(&day_sk(&owner.day)))
            .update_expression("ADD #seconds :seconds, #spend :spend, #charged :legs")
            .condition_expression("NOT contains(#charged, :leg)")
            .expression_attribute_names("#seconds", SECONDS)
            .expression_attribute_names("#spend", SPEND)
            .expression_attribute_names("#charged", CHARGED)
            .expression_attribute_values(
                ":seconds",
                AttributeValue::N(charge.seconds.as_str().into()),
            )
            .expression_attribute_values(":spend", AttributeValue::N(charge.spend.as_str().into()))
            .expression_attribute_values(":legs", AttributeValue::Ss(vec![charge.leg.clone()]))
            .expression_attribute_values(":leg", s(&charge.leg))
            .send()
            .await;
        written(result)
    }

    /// Puts the leg in its owner's history (the `Calls` index, under `USER#<user>`). Idempotent.
    pub async fn file_leg(&self, owner: &CallOwner, charge: &Charge) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(&conversation_pk(&charge.conversation_uuid)))
            .key(SK, s(&leg_sk(&charge.leg)))
            .update_expression("SET #user = :user, #at = :at")
            .expression_attribute_names("#user", CALLS_PK)
            .expression_attribute_names("#at", CALLS_SK)
            .expression_attribute_values(":user", s(&user_pk(&owner.user)))
            .expression_attribute_values(":at", s(&owner.answered_at))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
