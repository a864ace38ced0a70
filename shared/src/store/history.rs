//! A user's call log and days, read back: `GET /calls` and `make calls`. One Query of the
//! user's partition per page, and one `GetItem` of a day; nothing of anybody else's.

use super::dynamo::{s, unavailable, Item};
use super::items::{record_of, CALLS, HELD, SECONDS, SPEND};
use super::keys::{day_sk, user_pk, LOG_PREFIX, PK, SK};
use super::ledger::Ledger;
use crate::usecase::calls::{CallLog, CallPage};
use crate::usecase::ports::StoreError;
use aws_sdk_dynamodb::types::AttributeValue;
use std::collections::HashMap;
use voice_core::usage::DayTotals;

impl CallLog for Ledger {
    /// Up to `limit` of the user's calls, newest first, after the call-log key `after`: one
    /// Query of their partition, read backwards. It asks for one call more than the page holds,
    /// so `next` is given only when another call follows (never a last, empty page).
    async fn page(
        &self,
        user: &str,
        limit: u32,
        after: Option<&str>,
    ) -> Result<CallPage, StoreError> {
        let start = after.map(|sk| {
            HashMap::from([(PK.to_string(), s(&user_pk(user))), (SK.to_string(), s(sk))])
        });
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :log)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#sk", SK)
            .expression_attribute_values(":pk", s(&user_pk(user)))
            .expression_attribute_values(":log", s(LOG_PREFIX))
            .scan_index_forward(false)
            .consistent_read(true)
            .limit(i32::try_from(limit.saturating_add(1)).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        let items = page.items();
        let shown = items
            .len()
            .min(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = (items.len() > shown)
            .then(|| {
                items
                    .get(shown.checked_sub(1)?)?
                    .get(SK)?
                    .as_s()
                    .ok()
                    .cloned()
            })
            .flatten();
        Ok(CallPage {
            calls: items.iter().take(shown).map(record_of).collect(),
            next,
        })
    }

    /// The user's totals on `day` (`yyyy-mm-dd`), read consistently.
    async fn day(&self, user: &str, day: &str) -> Result<Option<DayTotals>, StoreError> {
        let item = self.get(user_pk(user), &day_sk(day), true).await?;
        let number = |item: &Item, name: &str| match item.get(name) {
            Some(AttributeValue::N(n)) => n.clone(),
            _ => "0".into(),
        };
        Ok(item.map(|item| DayTotals {
            calls: number(&item, CALLS),
            seconds: number(&item, SECONDS),
            spend: number(&item, SPEND),
            held: number(&item, HELD),
        }))
    }
}
