//! `make calls USER=alice`: an app user's calls, newest first (one Query of their call log),
//! and their days' totals from the ledger.

use shared::store::ledger::Ledger;
use shared::store::StoreError;
use std::collections::BTreeSet;
use voice_core::privacy::mask;

/// How many calls `make calls USER=…` lists.
pub const HISTORY_LIMIT: i32 = 50;

/// The user's calls and the totals of the days they fall on, as plain text tables.
pub async fn user_calls(ledger: &Ledger, user: &str) -> Result<String, StoreError> {
    let rows = ledger.history(user, HISTORY_LIMIT).await?;
    let mut out =
        String::from("ANSWERED                  TO               OUTCOME     DURATION  PRICE\n");
    let mut days = BTreeSet::new();
    for call in &rows {
        out += &format!(
            "{:<25} {:<16} {:<11} {:<9} {}\n",
            call.answered_at,
            mask(&call.to),
            call.outcome.as_deref().unwrap_or("-"),
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
