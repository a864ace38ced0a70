//! calls-fn's use case: the signed-in app user's own call history, newest first, a page at a
//! time, with today's totals, the limits that apply and what is left of them.

use super::ports::StoreError;
use std::collections::HashMap;
use std::future::Future;
use voice_core::decimal::{Amount, Decimal};
use voice_core::identity::{SignInError, UserName};
use voice_core::time::{day_of, Timestamp};
use voice_core::usage::{CallRecord, DayTotals, Limits};

/// Calls a page shows unless `limit` says, and the most it shows.
pub const DEFAULT_PAGE: u32 = 20;
pub const MAX_PAGE: u32 = 100;
/// Longest cursor taken, in characters (a call-log key, hex-encoded).
const MAX_CURSOR_CHARS: usize = 512;

/// One page of a user's call log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallPage {
    pub calls: Vec<CallRecord>,
    /// Where the next page starts (a call-log sort key), if there is one.
    pub next: Option<String>,
}

/// What the call history needs of the ledger: one user's call log and days, and nothing of
/// anybody else's.
pub trait CallLog {
    /// Up to `limit` of `user`'s calls, newest first, after the call-log key `after`.
    fn page(
        &self,
        user: &str,
        limit: u32,
        after: Option<&str>,
    ) -> impl Future<Output = Result<CallPage, StoreError>> + Send;

    /// `user`'s totals on `day` (`yyyy-mm-dd`).
    fn day(
        &self,
        user: &str,
        day: &str,
    ) -> impl Future<Output = Result<Option<DayTotals>, StoreError>> + Send;
}

/// What the app asked for: `?limit=` and `?cursor=`, as sent.
#[derive(Debug, Clone, Default)]
pub struct PageQuery<'a> {
    pub limit: Option<&'a str>,
    pub cursor: Option<&'a str>,
}

/// Today, for the user: what they used, the limits, what is left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Today {
    pub day: String,
    pub totals: DayTotals,
    pub limits: Limits,
    /// Calls left today, when calls are limited.
    pub calls_left: Option<u64>,
    /// Spend left today for a new call, when spend is limited: the limit less the spend and
    /// what open calls hold (never below 0).
    pub spend_left: Option<Decimal>,
}

/// One page of the history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub user: UserName,
    pub calls: Vec<CallRecord>,
    /// The cursor of the next page: opaque to the app.
    pub next: Option<String>,
    pub today: Today,
}

/// Why no history.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    #[error(transparent)]
    SignIn(#[from] SignInError),
    #[error("`limit` must be a whole number from 1 to {MAX_PAGE}")]
    BadLimit,
    #[error("`cursor` is not one this service gave out")]
    BadCursor,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The page of the calls of the user the verified `claims` name (by `user_claim`, as the token
/// service names them), with today's totals. Identity comes from the claims only: no query
/// names a user, and a cursor only moves within the user's own calls.
pub async fn call_history<C: CallLog>(
    user_claim: &str,
    claims: Option<&HashMap<String, String>>,
    log: &C,
    limits: &Limits,
    query: PageQuery<'_>,
    now: &Timestamp,
) -> Result<History, HistoryError> {
    let user = UserName::signed_in(claims, user_claim)?;
    let limit = match query.limit {
        None => DEFAULT_PAGE,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or(HistoryError::BadLimit)?,
    };
    let after = query.cursor.map(decode_cursor).transpose()?;
    let day = day_of(now).to_string();
    let (page, totals) = tokio::join!(
        log.page(user.as_str(), limit, after.as_deref()),
        log.day(user.as_str(), &day),
    );
    let (page, totals) = (
        page?,
        totals?.unwrap_or_else(|| DayTotals {
            calls: "0".into(),
            seconds: "0".into(),
            spend: "0".into(),
            held: "0".into(),
        }),
    );
    let calls_left = limits.max_calls.map(|max| {
        let used = totals.calls.parse::<u64>().unwrap_or(0);
        u64::from(max).saturating_sub(used)
    });
    // What is left for a new call: the limit less what completed calls cost and what open
    // calls hold.
    let spend_left = limits.max_spend.as_ref().and_then(|max| {
        let exact = |text: &str| Decimal::parse(text).and_then(|d| Amount::of(&d));
        let left = Amount::of(max)?
            .checked_sub(exact(&totals.spend)?)?
            .checked_sub(exact(&totals.held)?)?;
        Some(left.max(Amount::ZERO).to_decimal())
    });
    Ok(History {
        user,
        calls: page.calls,
        next: page.next.as_deref().map(encode_cursor),
        today: Today {
            day,
            totals,
            limits: limits.clone(),
            calls_left,
            spend_left,
        },
    })
}

/// A call-log key as an opaque cursor.
fn encode_cursor(sk: &str) -> String {
    hex::encode(sk.as_bytes())
}

/// The call-log key a cursor stands for; only a call-log key (`LOG#…`) passes.
fn decode_cursor(cursor: &str) -> Result<String, HistoryError> {
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(HistoryError::BadCursor);
    }
    hex::decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|sk| sk.starts_with("LOG#"))
        .ok_or(HistoryError::BadCursor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::MemoryLedger;

    fn claims(sub: &str) -> HashMap<String, String> {
        HashMap::from([("sub".to_string(), sub.to_string())])
    }

    async fn history(
        log: &MemoryLedger,
        sub: &str,
        query: PageQuery<'_>,
    ) -> Result<History, HistoryError> {
        let limits = Limits {
            max_calls: Some(10),
            max_spend: Decimal::parse("1.00"),
        };
        call_history(
            "sub",
            Some(&claims(sub)),
            log,
            &limits,
            query,
            &Timestamp::now(),
        )
        .await
    }

    #[tokio::test]
    async fn a_user_pages_through_their_own_calls_newest_first_each_once() {
        let log = MemoryLedger::default();
        log.add_calls("alice", 45);
        log.add_calls("bob", 3);
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = PageQuery {
                limit: Some("20"),
                cursor: cursor.as_deref(),
            };
            let page = history(&log, "alice", query).await.unwrap();
            seen.extend(page.calls.iter().map(|c| c.conversation_uuid.clone()));
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let expected: Vec<String> = (0..45).rev().map(|i| format!("CON-alice-{i:03}")).collect();
        assert_eq!(seen, expected);
    }

    #[tokio::test]
    async fn today_says_what_is_used_and_left_and_bad_queries_are_refused() {
        let log = MemoryLedger::default();
        log.add_calls("carol", 3);
        let page = history(&log, "carol", PageQuery::default()).await.unwrap();
        assert_eq!(page.today.calls_left, Some(7));
        assert_eq!(page.today.spend_left.unwrap().as_str(), "1");
        for limit in ["0", "101", "ten", "-1"] {
            let query = PageQuery {
                limit: Some(limit),
                cursor: None,
            };
            assert!(matches!(
                history(&log, "carol", query).await,
                Err(HistoryError::BadLimit)
            ));
        }
        for cursor in ["zz", "4441", &"a".repeat(600)] {
            let query = PageQuery {
                limit: None,
                cursor: Some(cursor),
            };
            assert!(matches!(
                history(&log, "carol", query).await,
                Err(HistoryError::BadCursor)
            ));
        }
        let limits = Limits::default();
        let none = call_history(
            "sub",
            None,
            &log,
            &limits,
            PageQuery::default(),
            &Timestamp::now(),
        )
        .await;
        assert!(matches!(
            none,
            Err(HistoryError::SignIn(SignInError::NoIdentity))
        ));
    }
}
