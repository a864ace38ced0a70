//! calls-fn's edge: `GET /calls[?limit=&cursor=]` → the signed-in user's verified claims
//! (`http::identity`) → the use case (`usecase::calls`) → their call history as JSON.

use super::identity::signed_in_claims;
use super::{error_metrics, error_response, json_response, no_store, params, status};
use crate::config::CallsConfig;
use crate::error::Error;
use crate::metrics::Emf;
use crate::usecase::calls::{call_history, CallLog, History, PageQuery};
use lambda_http::{
    http::{Method, StatusCode},
    Body, Request, Response,
};
use serde::Serialize;
use serde_json::Value;
use voice_core::decimal::{Amount, Decimal};
use voice_core::privacy::{pseudonym, redact};
use voice_core::time::Timestamp;
use voice_core::usage::CallRecord;

/// `200` with the page (below); `401` without verified claims, `403` when they name no user,
/// `400` for a bad `limit` or `cursor` or any other parameter, `405` for a method other than
/// GET, `503` when the table cannot be read (a retry is safe). Never cached.
pub async fn handle_calls<C: CallLog>(
    cfg: &CallsConfig,
    log: &C,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let result = async {
        if req.method() != Method::GET {
            return Err(Error::MethodNotAllowed(req.method().to_string(), "GET"));
        }
        let query = params(&req)?;
        let text = |name: &str| query.get(name).and_then(Value::as_str);
        if let Some(other) = query
            .keys()
            .find(|k| !matches!(k.as_str(), "limit" | "cursor"))
        {
            return Err(Error::BadRequest(format!(
                "unknown query parameter `{}`; /calls takes `limit` and `cursor`",
                other.chars().take(40).collect::<String>()
            )));
        }
        let page = PageQuery {
            limit: text("limit"),
            cursor: text("cursor"),
        };
        let claims = signed_in_claims(&cfg.identity, &req)?;
        let user_claim = &cfg.identity.user_claim;
        let now = Timestamp::now();
        Ok(call_history(user_claim, claims.as_deref(), log, &cfg.limits, page, &now).await?)
    }
    .await;
    if let Some(sink) = &cfg.metrics {
        sink.emit(&metrics(&result));
    }
    Ok(match result {
        Ok(history) => {
            let user = pseudonym(history.user.as_str());
            let calls = history.calls.len();
            tracing::info!(user, calls, "CALLS {calls} for {user}");
            no_store(json_response(StatusCode::OK, &Page::of(&history)))
        }
        Err(e) => {
            let error = redact(&e.to_string());
            let status = status(&e).as_u16();
            tracing::warn!(status, error, "CALLS refused: {error}");
            no_store(error_response(&e))
        }
    })
}

/// The body of a `200`: exact decimals as strings, whole counts as numbers.
#[derive(Debug, Serialize)]
pub struct Page<'a> {
    /// The Vonage user name the history is of.
    pub user: &'a str,
    /// Newest first.
    pub calls: Vec<Call<'a>>,
    /// Pass as `?cursor=` for the next page; `null` on the last.
    pub next: Option<&'a str>,
    pub today: TodayView<'a>,
}

/// One call of the history.
#[derive(Debug, Serialize)]
pub struct Call<'a> {
    pub conversation_uuid: &'a str,
    /// The number dialled, in E.164 digits (for a refused call, what was asked for).
    pub to: &'a str,
    pub answered_at: &'a str,
    /// `refused`; once the phone leg ended, `answered`, `busy`, `unanswered`, `failed`,
    /// `rejected`, `timeout`, `cancelled`; `null` until then.
    pub outcome: Option<&'a str>,
    /// Why a refused call was refused: `limit`, `blocked`, `not-allowed`, `invalid`,
    /// `no-destination`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
    /// Seconds talked, as Vonage billed them.
    pub duration: Option<&'a str>,
    /// What Vonage charged for the phone leg, in the account's currency.
    pub price: Option<&'a str>,
    pub ended_at: Option<&'a str>,
}

/// Today (UTC) for the user.
#[derive(Debug, Serialize)]
pub struct TodayView<'a> {
    pub day: &'a str,
    /// Calls connected today.
    pub calls: u64,
    pub seconds: String,
    pub spend: String,
    /// What calls under way hold of the spend limit until they end.
    pub held: String,
    /// The daily limits; `null` where there is none.
    pub max_calls: Option<u32>,
    pub max_spend: Option<&'a str>,
    /// What is left of them; `null` where there is no limit.
    pub calls_left: Option<u64>,
    pub spend_left: Option<&'a str>,
}

impl<'a> Page<'a> {
    pub fn of(history: &'a History) -> Self {
        let today = &history.today;
        Self {
            user: history.user.as_str(),
            calls: history.calls.iter().map(Call::of).collect(),
            next: history.next.as_deref(),
            today: TodayView {
                day: &today.day,
                calls: today.totals.calls.parse().unwrap_or(0),
                seconds: canonical(&today.totals.seconds),
                spend: canonical(&today.totals.spend),
                held: canonical(&today.totals.held),
                max_calls: today.limits.max_calls,
                max_spend: today.limits.max_spend.as_ref().map(|d| d.as_str()),
                calls_left: today.calls_left,
                spend_left: today.spend_left.as_ref().map(|d| d.as_str()),
            },
        }
    }
}

impl<'a> Call<'a> {
    fn of(record: &'a CallRecord) -> Self {
        Self {
            conversation_uuid: &record.conversation_uuid,
            to: &record.to,
            answered_at: &record.answered_at,
            outcome: record.outcome.as_deref(),
            reason: record.reason.as_deref(),
            duration: record.duration.as_deref(),
            price: record.price.as_deref(),
            ended_at: record.ended_at.as_deref(),
        }
    }
}

/// A sum as the table returns it (`0.0`, `1.50`), written the one way (`0`, `1.5`).
fn canonical(number: &str) -> String {
    Decimal::parse(number)
        .and_then(|d| Amount::of(&d))
        .map_or_else(
            || number.to_string(),
            |a| a.to_decimal().as_str().to_string(),
        )
}

/// `Histories` served, or `WebhookErrors` by kind.
fn metrics(result: &Result<History, Error>) -> Emf {
    let emf = Emf::new("calls");
    match result {
        Ok(_) => emf.count(&[&["Function"]], "Histories", 1),
        Err(e) => error_metrics(emf, e),
    }
}
