//! Spend caps during a call, in the table (`voice_core::budget` decides; this writes):
//!
//! - **Reserve** (answer-fn, a spend limit set): read the call's owner item and its user's day
//!   (both strongly consistent, at once); `budget::reserve` says how long the call may last
//!   and what it holds; one transaction writes the owner item (with `limit` and `held`), the
//!   log entry, and the day's new holds and total, `ADD calls 1` and `ADD v 1`, on the
//!   condition that the day's version `v` is still the one read. Any other write to the day
//!   (another answer, a settlement) bumps `v`, so a stale read fails and is read again: the
//!   day's `spend + held` never passes its limit, whatever the concurrency.
//! - **Release** (event-fn): the end of the call's phone leg removes its hold (`REMOVE
//!   holds.<conversation>`, `ADD held -amount`) on the condition that the hold is still there,
//!   in the same transaction that charges a completed leg: exactly once, and never after it
//!   expired and was dropped.
//! - **Learn** (event-fn): a completed leg's `rate` raises its country code's learned rate.

use super::dynamo::{s, transact, written};
use super::items::{
    already, amount_attr, amount_of, call_items, day_budget, holds_attr, n, release_clause, CALLS,
    HELD, HOLDS, VERSION,
};
use super::keys::{day_sk, owner_pk, rate_pk, user_pk, OWNER_SK, PK, RATE_SK, SK};
use super::ledger::Ledger;
use crate::usecase::ports::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use std::time::Duration;
use voice_core::budget::{reserve, DayBudget, Priced, Reservation, Short};
use voice_core::decimal::{Amount, Decimal};
use voice_core::usage::{Counted, Funded, Limits, NewCall};

/// Reads of a day that changed before its write, at most, before the answer gives up (and
/// refuses the call as if the ledger were unreachable, or connects it with
/// `LIMITS_FAIL_OPEN`).
const DAY_ATTEMPTS: u32 = 8;
/// The learned rate's attribute.
const RATE: &str = "rate";

impl Ledger {
    /// Counts a priced call with its reservation (see the module's notes).
    pub(super) async fn count_priced(
        &self,
        call: &NewCall,
        limits: &Limits,
        priced: &Priced,
    ) -> Result<Counted, StoreError> {
        let now = call.answered_at.unix_seconds().ok_or_else(|| {
            StoreError::Rejected(format!("{} is not a time", call.answered_at.as_str()))
        })?;
        let (user_key, day_key) = (user_pk(&call.user), day_sk(call.day()));
        for attempt in 1..=DAY_ATTEMPTS {
            let (owner, day) = tokio::join!(
                self.get(owner_pk(&call.call_id), OWNER_SK, true),
                self.get(user_key.clone(), &day_key, true),
            );
            if let Some(owner) = owner? {
                return Ok(already(Some(&owner), &call.user));
            }
            let day = day_budget(day?.as_ref())?;
            let reservation = match reserve(&day, limits, &call.call_id, priced, now) {
                Ok(reservation) => reservation,
                Err(Short::Calls | Short::TooManyOpen) => return Ok(Counted::OverLimit),
                Err(Short::Budget { .. }) => return Ok(Counted::OverBudget),
            };
            let items = self.reservation_items(call, &day, &reservation)?;
            match transact(&self.client, items).await? {
                Ok(()) => {
                    return Ok(Counted::New(Some(Funded {
                        seconds: reservation.seconds,
                        held: reservation.amount,
                        expired: reservation.expired,
                        committed: reservation.committed,
                    })))
                }
                Err(cancelled) if cancelled.condition_failed(0) => {
                    return Ok(already(cancelled.item(0), &call.user))
                }
                Err(cancelled) if cancelled.condition_failed(2) => {
                    // The day moved between the read and the write: read it again.
                    tokio::time::sleep(Duration::from_millis(u64::from(attempt) * 5)).await;
                }
                Err(_) => {
                    return Err(StoreError::Rejected(
                        "the reservation's transaction was cancelled".into(),
                    ))
                }
            }
        }
        Err(StoreError::Unavailable(format!(
            "the day changed under each of {DAY_ATTEMPTS} reservations"
        )))
    }

    /// The owner item, the log entry and the day's update of a reservation.
    fn reservation_items(
        &self,
        call: &NewCall,
        day: &DayBudget,
        reservation: &Reservation,
    ) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>, StoreError> {
        let (mut owner, entry) = call_items(call);
        owner.insert(
            "limit".into(),
            AttributeValue::N(reservation.seconds.to_string()),
        );
        if reservation.amount > Amount::ZERO {
            owner.insert("held".into(), amount_attr(reservation.amount));
        }
        let names = HashMap::from([
            ("#calls".to_string(), CALLS.to_string()),
            ("#holds".to_string(), HOLDS.to_string()),
            ("#held".to_string(), HELD.to_string()),
            ("#v".to_string(), VERSION.to_string()),
        ]);
        let mut values = HashMap::from([
            (":one".to_string(), AttributeValue::N("1".into())),
            (":holds".to_string(), holds_attr(&reservation.holds)),
            (":held".to_string(), amount_attr(reservation.held)),
        ]);
        let condition = match day.version {
            Some(version) => {
                values.insert(":v".into(), AttributeValue::N(version.to_string()));
                "#v = :v"
            }
            None => "attribute_not_exists(#v)",
        };
        Ok(vec![
            self.put(owner, Some("attribute_not_exists(#pk)"))?,
            self.put(entry, None)?,
            self.update(
                user_pk(&call.user),
                day_sk(call.day()),
                "SET #holds = :holds, #held = :held ADD #calls :one, #v :one",
                Some(condition.to_string()),
                names,
                values,
            )?,
        ])
    }

    /// Releases `conversation`'s hold of `amount` on `user`'s `day`, unless it was released
    /// (or expired and dropped) before: `true` when released now.
    pub(super) async fn release(
        &self,
        user: &str,
        day: &str,
        conversation: &str,
        amount: Amount,
    ) -> Result<bool, StoreError> {
        let (expression, condition, names, values) = release_clause(conversation, amount);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(&user_pk(user)))
            .key(SK, s(&day_sk(day)))
            .update_expression(format!("ADD #v :one, {expression}"))
            .condition_expression(condition)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        written(result)
    }

    /// Raises the learned rate of `country_code` to `rate` (per minute), if it is higher; a
    /// rate no higher than one this instance already saw stored asks nothing of DynamoDB.
    pub(super) async fn learn_rate(
        &self,
        country_code: &str,
        rate: &Decimal,
    ) -> Result<bool, StoreError> {
        let Some(amount) = Amount::of(rate) else {
            return Ok(false);
        };
        if let Ok(rates) = self.rates_seen.lock() {
            if rates
                .get(country_code)
                .is_some_and(|known| amount <= *known)
            {
                return Ok(false);
            }
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(&rate_pk(country_code)))
            .key(SK, s(RATE_SK))
            .update_expression("SET #rate = :rate")
            .condition_expression("attribute_not_exists(#rate) OR #rate < :rate")
            .expression_attribute_names("#rate", RATE)
            .expression_attribute_values(":rate", n(rate))
            .send()
            .await;
        let raised = written(result)?;
        // Written or not, the stored rate is now at least this one.
        if let Ok(mut rates) = self.rates_seen.lock() {
            let known = rates.entry(country_code.to_string()).or_insert(amount);
            *known = (*known).max(amount);
        }
        Ok(raised)
    }

    /// The learned rate of `country_code`, if any leg taught one (eventually consistent: it
    /// only ever rises, and a moment's lag prices a call at the rate before).
    pub(super) async fn learned(&self, country_code: &str) -> Result<Option<Amount>, StoreError> {
        let item = self.get(rate_pk(country_code), RATE_SK, false).await?;
        Ok(item.and_then(|item| amount_of(item.get(RATE))))
    }
}
