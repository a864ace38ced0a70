//! answer-fn's use case: Vonage's answer request → the decision (`voice_core::answer`) → the
//! call counted in its user's ledger, which may overrule the decision (over a limit, or the
//! ledger unusable) → the NCCO; and a refused app call kept in its user's call log. Under a
//! spend limit the call is priced first and counted with a reservation that funds it
//! (`voice_core::budget`): the connect's `limit` is the seconds it funds.

use super::ports::StoreError;
use crate::config::AnswerConfig;
use std::future::Future;
use voice_core::answer::{answer, Answer, Decision, Refusal};
use voice_core::budget::{Priced, RateSource};
use voice_core::decimal::Amount;
use voice_core::params::{InvalidInput, Params};
use voice_core::phone::E164;
use voice_core::privacy::{pseudonym, redact};
use voice_core::time::Timestamp;
use voice_core::usage::{Counted, Funded, Limits, NewCall, RefusedCall};

/// What the answer webhook needs of the ledger.
pub trait CallLedger {
    /// Counts `call` for its user unless the day's limits are reached, exactly once however
    /// often the same call is asked for; a priced call with the reservation that funds it.
    fn count_call(
        &self,
        call: &NewCall,
        limits: &Limits,
    ) -> impl Future<Output = Result<Counted, StoreError>> + Send;

    /// Keeps a refused call in its user's call log, with why; once per conversation.
    fn record_refusal(
        &self,
        call: &RefusedCall,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The highest price per minute completed legs to `country_code` carried, if any.
    fn learned_rate(
        &self,
        country_code: &str,
    ) -> impl Future<Output = Result<Option<Amount>, StoreError>> + Send;
}

/// One answered request: the answer, and how its call was funded when a spend limit applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Answered {
    pub answer: Answer,
    /// The reservation a new call was counted with.
    pub funded: Option<Funded>,
    /// Where its rate came from.
    pub rate_source: Option<RateSource>,
}

/// Answers one answer request. Only an app user's call to a phone is counted (when there is a
/// ledger); over a limit it is refused instead. When the ledger cannot be reached for now
/// (unreachable, timing out, throttling) the call is refused too, unless `LIMITS_FAIL_OPEN`
/// connects it uncounted; when DynamoDB refuses the write for good (a missing table,
/// permissions), it is refused whatever `LIMITS_FAIL_OPEN` says. An app user's call refused by
/// the destination policy or a limit is kept in their call log, with why.
pub async fn answer_call<L: CallLedger>(
    cfg: &AnswerConfig,
    ledger: Option<&L>,
    params: &Params,
    now: Timestamp,
) -> Result<Answered, InvalidInput> {
    let answer = answer(&cfg.settings, params)?;
    let mut answered = Answered {
        answer,
        funded: None,
        rate_source: None,
    };
    let Some(ledger) = ledger else {
        return Ok(answered);
    };
    let record = match NewCall::of(&answered.answer, now.clone()) {
        Some(call) => count(cfg, ledger, &mut answered, call).await,
        None => true,
    };
    let refused = RefusedCall::of(&answered.answer, now).filter(|_| record);
    if let Some(refused) = refused {
        if let Err(e) = ledger.record_refusal(&refused).await {
            let (user, error) = (pseudonym(&refused.user), redact(&e.to_string()));
            tracing::warn!(
                user,
                error,
                "VOICE ANSWER the refusal is not in the call log: {error}"
            );
        }
    }
    Ok(answered)
}

/// How a call to `call.to` is priced under the spend limit: `RATE_TABLE`, else the rate
/// completed legs taught, else `DEFAULT_RATE_PER_MINUTE`. `Ok(None)`: nothing prices it.
async fn price<L: CallLedger>(
    cfg: &AnswerConfig,
    ledger: &L,
    call: &NewCall,
) -> Result<Option<Priced>, StoreError> {
    let settings = &cfg.settings;
    let bounds = (settings.max_call_seconds, settings.ring_timeout_seconds);
    let learned = match cfg.budget.rates.rate_for(&call.to) {
        Some(_) => None,
        None => match E164::parse(&call.to) {
            Ok(number) => ledger.learned_rate(number.country_code()).await?,
            Err(_) => None,
        },
    };
    Ok(cfg.budget.price(&call.to, learned, bounds.0, bounds.1))
}

/// The call counted in its user's ledger (priced first under a spend limit), or the answer
/// overruled; whether a refusal it ends in is still to be recorded (not when it was before).
async fn count<L: CallLedger>(
    cfg: &AnswerConfig,
    ledger: &L,
    answered: &mut Answered,
    mut call: NewCall,
) -> bool {
    let user = pseudonym(&call.user);
    let refuse = |answered: &mut Answered, refusal| {
        answered.answer = answered
            .answer
            .clone()
            .overruled(&cfg.settings, Decision::Refuse(refusal));
    };
    let counted = async {
        if cfg.limits.max_spend.is_some() {
            call.priced = price(cfg, ledger, &call).await?;
            if call.priced.is_none() {
                return Ok(None);
            }
        }
        answered.rate_source = call.priced.as_ref().map(|p| p.source);
        ledger.count_call(&call, &cfg.limits).await.map(Some)
    }
    .await;
    let call_id = call.call_id.as_str();
    match counted {
        Ok(None) => refuse(answered, Refusal::NoRate),
        Ok(Some(Counted::New(funded))) => {
            if let Some(funded) = funded {
                answered.answer = answered.answer.clone().limited(funded.seconds);
            }
            answered.funded = funded;
        }
        Ok(Some(Counted::Again(seconds))) => {
            tracing::info!(
                user,
                call_id,
                "VOICE ANSWER redelivered: the call was counted already"
            );
            if let Some(seconds) = seconds {
                answered.answer = answered.answer.clone().limited(seconds);
            }
        }
        Ok(Some(Counted::OverLimit)) => refuse(answered, Refusal::Limit),
        Ok(Some(Counted::OverBudget)) => refuse(answered, Refusal::Budget),
        // Refused before and kept so: the same answer again, nothing more to record.
        Ok(Some(Counted::Refused(reason))) => {
            let refusal = match reason.as_str() {
                "budget" => Refusal::Budget,
                _ => Refusal::Limit,
            };
            refuse(answered, refusal);
            return false;
        }
        Ok(Some(Counted::OtherUser)) => {
            tracing::warn!(
                user,
                call_id,
                "VOICE ANSWER the conversation was answered for another app user already"
            );
            refuse(answered, Refusal::OtherUser)
        }
        Err(e) if e.is_transient() && cfg.limits_fail_open => {
            let error = redact(&e.to_string());
            tracing::warn!(
                user,
                error,
                "VOICE ANSWER ledger unreachable, connecting uncounted (LIMITS_FAIL_OPEN): {error}"
            );
        }
        Err(e) if e.is_transient() => {
            let error = redact(&e.to_string());
            tracing::warn!(user, error, "VOICE ANSWER ledger unreachable: {error}");
            refuse(answered, Refusal::LimitsUnavailable)
        }
        Err(e) => {
            let error = redact(&e.to_string());
            tracing::error!(
                user,
                error,
                "VOICE ANSWER ledger refused the call's write, refusing the call: {error}"
            );
            refuse(answered, Refusal::LedgerError)
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{MemoryLedger, Vars};
    use serde_json::json;

    fn cfg(vars: &[(&str, &str)]) -> AnswerConfig {
        let env = Vars::unsigned(&[("VONAGE_NUMBER", "447700900001"), ("TABLE_NAME", "t")]);
        AnswerConfig::from_env(&env.with(vars)).unwrap()
    }

    fn call(user: &str, conversation: &str) -> Params {
        let params =
            json!({"to": "447700900000", "from_user": user, "conversation_uuid": conversation});
        params.as_object().cloned().unwrap()
    }

    async fn decision(cfg: &AnswerConfig, ledger: &MemoryLedger, params: &Params) -> Decision {
        answer_call(cfg, Some(ledger), params, Timestamp::now())
            .await
            .unwrap()
            .answer
            .decision
    }

    fn connects(decision: &Decision) -> bool {
        matches!(decision, Decision::ConnectPhone(_))
    }

    #[tokio::test]
    async fn an_app_call_is_counted_once_however_often_it_is_asked_for() {
        let (cfg, ledger) = (cfg(&[]), MemoryLedger::default());
        for _ in 0..3 {
            assert!(connects(
                &decision(&cfg, &ledger, &call("alice", "CON-1")).await
            ));
        }
        assert_eq!(ledger.calls("alice"), 1);
    }

    #[tokio::test]
    async fn over_the_limit_the_call_is_refused_and_not_counted() {
        let (cfg, ledger) = (
            cfg(&[("MAX_CALLS_PER_USER_PER_DAY", "2")]),
            MemoryLedger::default(),
        );
        for i in 0..2 {
            assert!(connects(
                &decision(&cfg, &ledger, &call("bob", &format!("CON-{i}"))).await
            ));
        }
        let third = decision(&cfg, &ledger, &call("bob", "CON-2")).await;
        assert_eq!(third, Decision::Refuse(Refusal::Limit));
        assert_eq!(ledger.calls("bob"), 2);
        // A call already counted, asked for again, still connects.
        assert!(connects(
            &decision(&cfg, &ledger, &call("bob", "CON-1")).await
        ));
    }

    #[tokio::test]
    async fn another_users_conversation_is_refused() {
        let (cfg, ledger) = (cfg(&[]), MemoryLedger::default());
        decision(&cfg, &ledger, &call("carol", "CON-9")).await;
        let other = decision(&cfg, &ledger, &call("mallory", "CON-9")).await;
        assert_eq!(other, Decision::Refuse(Refusal::OtherUser));
    }

    #[tokio::test]
    async fn an_unreachable_ledger_fails_closed_unless_told_and_a_refusing_one_always_does() {
        let transient = MemoryLedger::failing(|| StoreError::Unavailable("timeout".into()));
        let permanent = MemoryLedger::failing(|| StoreError::Rejected("no such table".into()));
        let (closed, open) = (cfg(&[]), cfg(&[("LIMITS_FAIL_OPEN", "true")]));
        let params = call("dave", "CON-1");
        assert_eq!(
            decision(&closed, &transient, &params).await,
            Decision::Refuse(Refusal::LimitsUnavailable)
        );
        assert!(connects(&decision(&open, &transient, &params).await));
        for cfg in [&closed, &open] {
            assert_eq!(
                decision(cfg, &permanent, &params).await,
                Decision::Refuse(Refusal::LedgerError)
            );
        }
    }

    #[tokio::test]
    async fn under_a_spend_limit_an_unpriced_call_is_refused_and_an_unreachable_ledger_fails_as_set(
    ) {
        let limit = ("MAX_SPEND_PER_USER_PER_DAY", "1.00");
        let (cfg_, ledger) = (cfg(&[limit]), MemoryLedger::default());
        assert_eq!(
            decision(&cfg_, &ledger, &call("gina", "CON-1")).await,
            Decision::Refuse(Refusal::NoRate)
        );
        assert_eq!(ledger.calls("gina"), 0);
        let priced = [limit, ("DEFAULT_RATE_PER_MINUTE", "0.10")];
        assert!(connects(
            &decision(&cfg(&priced), &ledger, &call("gina", "CON-2")).await
        ));
        let one = voice_core::decimal::Decimal::parse("1").unwrap();
        assert_eq!(ledger.held("gina"), Amount::of(&one).unwrap());
        // The learned rate cannot be read: as any ledger outage.
        let down = MemoryLedger::failing(|| StoreError::Unavailable("timeout".into()));
        assert_eq!(
            decision(&cfg(&[limit]), &down, &call("gina", "CON-3")).await,
            Decision::Refuse(Refusal::LimitsUnavailable)
        );
        let open = [limit, ("LIMITS_FAIL_OPEN", "true")];
        assert!(connects(
            &decision(&cfg(&open), &down, &call("gina", "CON-4")).await
        ));
    }

    #[tokio::test]
    async fn only_an_app_users_call_to_a_phone_is_counted() {
        let (cfg, ledger) = (
            cfg(&[("INBOUND_APP_USER", "erin")]),
            MemoryLedger::default(),
        );
        let inbound =
            json!({"to": "447700900001", "from": "447700900000", "conversation_uuid": "CON-in"});
        let refused =
            json!({"to": "449090000000", "from_user": "erin", "conversation_uuid": "CON-x"});
        for params in [inbound, refused] {
            decision(&cfg, &ledger, params.as_object().unwrap()).await;
        }
        assert_eq!(ledger.calls("erin"), 0);
    }
}
