//! The per-user ledger: each app user's days (`USER#<user>` / `DAY#<yyyy-mm-dd>`: `calls`,
//! `seconds`, `spend`), their call log (`USER#<user>` / `LOG#<answered_at>#<conversation>`), and
//! who placed each conversation's call (`OWNER#<conversation>` / `OWNER`).
//!
//! Exactly once, race-free, and every item small whatever the input: no item holds a growing
//! set. Each guard is an item of its own, written in one transaction with what it guards:
//!
//! - **A call is counted** by one `TransactWriteItems`: the owner item, put only if the
//!   conversation has none (the guard: a redelivered answer request finds it and is connected
//!   again without a second count); the call's log entry; and the day's `ADD calls 1` under
//!   the limits' condition. All or nothing, so concurrent answers cannot overshoot a limit.
//! - **A phone leg is charged** by one `TransactWriteItems`: the leg's guard item
//!   (`OWNER#<conversation>` / `CHARGED#<leg>`), put only if absent; the day's `ADD seconds, spend`;
//!   the log entry's duration, price and outcome. Whatever the order, the number of
//!   deliveries or instances, a leg is added once, and no state has the sums without the guard.
//!
//! The event webhook finds a leg's caller by reading the owner item with a strongly consistent
//! `GetItem`: the answer writes it before the NCCO goes out, so a missing owner means the call
//! was not placed by an app user through this answer webhook.

use super::dynamo::{s, transact, unavailable, Item};
use super::items::{
    already, call_items, n, owner_of, refusal_items, release_clause, CALLS, SECONDS, SPEND, VERSION,
};
use super::keys::{charged_sk, day_sk, owner_pk, user_pk, OWNER_SK, PK, SK};
use crate::usecase::answer::CallLedger;
use crate::usecase::event::LegLedger;
use crate::usecase::ports::StoreError;
use aws_sdk_dynamodb::{
    types::{AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update},
    Client,
};
use std::collections::HashMap;
use voice_core::decimal::{Amount, Decimal};
use voice_core::phone::E164;
use voice_core::time::Timestamp;
use voice_core::usage::{
    CallOwner, Counted, LegEnd, Limits, NewCall, RefusedCall, Settled, Settlement,
};

/// The ledger's items in the calls table.
#[derive(Clone, Debug)]
pub struct Ledger {
    pub(super) client: Client,
    pub(super) table: String,
    /// A lower bound of each country's learned rate this instance has seen written: a leg
    /// whose rate is no higher need not ask DynamoDB (`budget::learn_rate`).
    pub(super) rates_seen: std::sync::Arc<std::sync::Mutex<HashMap<String, Amount>>>,
}

impl Ledger {
    pub fn new(client: Client, table: &str) -> Self {
        Self {
            client,
            table: table.to_string(),
            rates_seen: Default::default(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// One item by its key, read strongly consistent when `consistent`.
    pub(super) async fn get(
        &self,
        pk: String,
        sk: &str,
        consistent: bool,
    ) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(&pk))
            .key(SK, s(sk))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    pub(super) fn put(
        &self,
        item: Item,
        condition: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut put = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some(condition) = condition {
            put = put
                .condition_expression(condition)
                .expression_attribute_names("#pk", PK)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
        }
        let put = put
            .build()
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    pub(super) fn update(
        &self,
        pk: String,
        sk: String,
        expression: &str,
        condition: Option<String>,
        names: HashMap<String, String>,
        values: HashMap<String, AttributeValue>,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(&pk))
            .key(SK, s(&sk))
            .update_expression(expression)
            .set_condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| StoreError::Rejected(e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

impl CallLedger for Ledger {
    /// Counts a call for its user unless the day's limits are reached; with it, the owner
    /// item the event webhook finds the user by and the call's log entry. One transaction.
    /// A priced call (a spend limit applies) is counted with its reservation (`budget`).
    async fn count_call(&self, call: &NewCall, limits: &Limits) -> Result<Counted, StoreError> {
        if let (Some(priced), Some(_)) = (&call.priced, &limits.max_spend) {
            return self.count_priced(call, limits, priced).await;
        }
        let (owner, entry) = call_items(call);
        let mut condition = Vec::new();
        let mut names = HashMap::from([
            ("#calls".to_string(), CALLS.to_string()),
            ("#v".to_string(), VERSION.to_string()),
        ]);
        let mut values = HashMap::from([(":one".to_string(), AttributeValue::N("1".into()))]);
        if let Some(max) = limits.max_calls {
            condition.push("(attribute_not_exists(#calls) OR #calls < :max_calls)");
            values.insert(":max_calls".into(), AttributeValue::N(max.to_string()));
        }
        if let Some(max) = &limits.max_spend {
            condition.push("(attribute_not_exists(#spend) OR #spend < :max_spend)");
            values.insert(":max_spend".into(), n(max));
            names.insert("#spend".into(), SPEND.into());
        }
        let items = vec![
            self.put(owner, Some("attribute_not_exists(#pk)"))?,
            self.put(entry, None)?,
            self.update(
                user_pk(&call.user),
                day_sk(call.day()),
                "ADD #calls :one, #v :one",
                (!condition.is_empty()).then(|| condition.join(" AND ")),
                names,
                values,
            )?,
        ];
        Ok(match transact(&self.client, items).await? {
            Ok(()) => Counted::New(None),
            Err(cancelled) if cancelled.condition_failed(0) => {
                already(cancelled.item(0), &call.user)
            }
            Err(_) => Counted::OverLimit,
        })
    }

    async fn learned_rate(&self, country_code: &str) -> Result<Option<Amount>, StoreError> {
        self.learned(country_code).await
    }

    /// Keeps a refused call in its user's call log, with why; once per conversation (its
    /// owner item, marked refused, is the guard), and a redelivered answer request for it is
    /// refused again (`Counted::Refused`).
    async fn record_refusal(&self, call: &RefusedCall) -> Result<(), StoreError> {
        let (owner, entry) = refusal_items(call);
        let items = vec![
            self.put(owner, Some("attribute_not_exists(#pk)"))?,
            self.put(entry, None)?,
        ];
        // Already recorded (a redelivered request): nothing more to do.
        transact(&self.client, items).await.map(drop)
    }
}

impl LegLedger for Ledger {
    /// The user and day a conversation's calls are charged to, if an app user placed it
    /// through the answer webhook: a strongly consistent read of its owner item.
    async fn owner(&self, conversation_uuid: &str) -> Result<Option<CallOwner>, StoreError> {
        let item = self
            .get(owner_pk(conversation_uuid), OWNER_SK, true)
            .await?;
        item.as_ref().map(owner_of).transpose()
    }

    /// Settles a leg of `owner`'s call: a completed leg's duration and price are added to the
    /// day, once, and the call's log entry gets them with its outcome; a leg that never
    /// connected leaves its outcome in the log entry. Either releases the call's reservation,
    /// once; a completed leg's rate teaches its destination's country code.
    async fn settle(
        &self,
        owner: &CallOwner,
        settlement: &Settlement,
    ) -> Result<Settled, StoreError> {
        let hold = owner.held.filter(|held| *held > Amount::ZERO);
        let LegEnd::Completed { seconds, price } = &settlement.end else {
            let released = match hold {
                Some(held) => {
                    self.release(&owner.user, &owner.day, &settlement.conversation_uuid, held)
                        .await?
                }
                None => false,
            };
            self.note(owner, settlement).await?;
            return Ok(Settled::Noted { released });
        };
        let mut settled = self.charge(owner, settlement, seconds, price, hold).await?;
        if settled.is_none() && hold.is_some() {
            // Its hold expired and was dropped, or a not-connected event released it: charge
            // the price alone.
            settled = self.charge(owner, settlement, seconds, price, None).await?;
        }
        let settled = settled.unwrap_or(Settled::AlreadyCharged);
        if let (Settled::Charged { .. }, Some(rate)) = (settled, &settlement.rate) {
            let country = owner.to.as_deref().and_then(|to| E164::parse(to).ok());
            if let Some(country) = country.filter(|_| !rate.is_zero() && !rate.is_negative()) {
                self.learn_rate(country.country_code(), rate).await?;
            }
        }
        Ok(settled)
    }
}

impl Ledger {
    /// One transaction: the leg's guard, the day's `ADD seconds, spend` (and the release of
    /// `hold`, on the condition that it is still held), the log entry. `None` when only the
    /// hold's condition failed.
    async fn charge(
        &self,
        owner: &CallOwner,
        settlement: &Settlement,
        seconds: &Decimal,
        price: &Decimal,
        hold: Option<Amount>,
    ) -> Result<Option<Settled>, StoreError> {
        let ended_at = settlement.at.as_ref().map_or("", Timestamp::as_str);
        let names = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let guard = HashMap::from([
            (PK.to_string(), s(&owner_pk(&settlement.conversation_uuid))),
            (SK.to_string(), s(&charged_sk(&settlement.leg))),
            ("user".to_string(), s(&owner.user)),
            ("ended_at".to_string(), s(ended_at)),
        ]);
        let mut expression = "ADD #seconds :seconds, #spend :spend, #v :one".to_string();
        let mut day_names = names(&[("#seconds", SECONDS), ("#spend", SPEND), ("#v", VERSION)]);
        let mut day_values = HashMap::from([
            (":seconds".to_string(), n(seconds)),
            (":spend".to_string(), n(price)),
            (":one".to_string(), AttributeValue::N("1".into())),
        ]);
        let mut condition = None;
        if let Some(held) = hold {
            let (release, held_condition, more_names, more_values) =
                release_clause(&settlement.conversation_uuid, held);
            expression = format!("{expression}, {release}");
            condition = Some(held_condition);
            day_names.extend(more_names);
            day_values.extend(more_values);
        }
        let day = self.update(
            user_pk(&owner.user),
            day_sk(&owner.day),
            &expression,
            condition,
            day_names,
            day_values,
        )?;
        // A not-connected status the leg reported says more than "unanswered".
        let entry = self.update(
            user_pk(&owner.user),
            owner.log_sk.clone(),
            "SET #leg = :leg, #duration = :seconds, #price = :price, #ended = :ended, \
             #outcome = if_not_exists(#outcome, :outcome)",
            None,
            names(&[
                ("#leg", "leg"),
                ("#duration", "duration"),
                ("#price", "price"),
                ("#ended", "ended_at"),
                ("#outcome", "outcome"),
            ]),
            HashMap::from([
                (":leg".to_string(), s(&settlement.leg)),
                (":seconds".to_string(), n(seconds)),
                (":price".to_string(), n(price)),
                (":ended".to_string(), s(ended_at)),
                (":outcome".to_string(), s(settlement.outcome())),
            ]),
        )?;
        let items = vec![
            self.put(guard, Some("attribute_not_exists(#pk)"))?,
            day,
            entry,
        ];
        Ok(match transact(&self.client, items).await? {
            Ok(()) => Some(Settled::Charged {
                released: hold.is_some(),
            }),
            Err(cancelled) if cancelled.condition_failed(0) => Some(Settled::AlreadyCharged),
            Err(_) => None,
        })
    }

    /// A leg that never connected: its status is the call's outcome in the log entry.
    async fn note(&self, owner: &CallOwner, settlement: &Settlement) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(&user_pk(&owner.user)))
            .key(SK, s(&owner.log_sk))
            .update_expression("SET #leg = :leg, #outcome = :outcome")
            .expression_attribute_names("#leg", "leg")
            .expression_attribute_names("#outcome", "outcome")
            .expression_attribute_values(":leg", s(&settlement.leg))
            .expression_attribute_values(":outcome", s(settlement.outcome()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
