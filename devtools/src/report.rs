//! `make calls USER=alice`: an app user's calls, newest first (one Query of their call log),
//! refused ones with why, and their days' totals from the ledger.

use shared::store::ledger::Ledger;
use shared::store::StoreError;
use shared::usecase::calls::CallLog;
use std::collections::{BTreeMap, BTreeSet};
use voice_core::privacy::mask;
use voice_core::time::{day_of, Timestamp};

/// How many calls `make calls USER=…` lists.
pub const HISTORY_LIMIT: u32 = 50;

/// The user's calls and the totals of the days they fall on, as plain text tables.
pub async fn user_calls(ledger: &Ledger, user: &str) -> Result<String, StoreError> {
    let rows = ledger.page(user, HISTORY_LIMIT, None).await?.calls;
    let mut out = String::from(
        "ANSWERED                  TO               OUTCOME                 DURATION  PRICE\n",
    );
    let mut days = BTreeSet::new();
    let today = day_of(&Timestamp::now()).to_string();
    let mut refused_today: BTreeMap<&str, usize> = BTreeMap::new();
    for call in &rows {
        let outcome = match (call.outcome.as_deref(), call.reason.as_deref()) {
            (Some(outcome), Some(reason)) => format!("{outcome} ({reason})"),
            (Some(outcome), None) => outcome.to_string(),
            (None, _) => "-".to_string(),
        };
        if let (Some("refused"), true) = (
            call.outcome.as_deref(),
            call.answered_at.starts_with(&today),
        ) {
            *refused_today
                .entry(call.reason.as_deref().unwrap_or("?"))
                .or_default() += 1;
        }
        out += &format!(
            "{:<25} {:<16} {:<23} {:<9} {}\n",
            call.answered_at,
            mask(&call.to),
            outcome,
            call.duration.as_deref().unwrap_or("-"),
            call.price.as_deref().unwrap_or("-"),
        );
        if let Some(day) = call.answered_at.get(..10) {
            days.insert(day.to_string());
        }
    }
    if rows.is_empty() {
        out += &format!("(no calls for {user})\n");
    }
    if !refused_today.is_empty() {
        let reasons: Vec<String> = refused_today
            .iter()
            .map(|(reason, n)| format!("{n} {reason}"))
            .collect();
        out += &format!(
            "\nrefused today: {} ({}; docs/usage.md says what each reason means)\n",
            refused_today.values().sum::<usize>(),
            reasons.join(", ")
        );
    }
    out += "\nDAY          CALLS  SECONDS  SPEND\n";
    for day in days.iter().rev() {
        if let Some(usage) = ledger.day(user, day).await? {
            out += &format!(
                "{day:<12} {:<6} {:<8} {}\n",
                usage.calls, usage.seconds, usage.spend
            );
        }
    }
    Ok(out)
}
