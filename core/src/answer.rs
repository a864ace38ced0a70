//! The answer webhook: Vonage's answer request → the NCCO for the call.
//!
//! The decision is the project's defence against toll fraud: anyone who can log in to the app
//! can ask for a call, so a phone number is only ever dialled when the call comes from the app
//! and the number is allowed by the configuration.

use crate::ncco::{Action, Connect, Endpoint, Ncco, Talk};
use crate::params::{id, kind_of, opt_str, user, InvalidInput, Params};
use crate::phone::{NumberError, E164};
use crate::policy::{verdict, Allowed, Verdict, DEFAULT_BLOCKED};
use crate::privacy::{mask, pseudonym};
use serde_json::{Map, Value};

pub const DEFAULT_GREETING: &str = "Please wait while we connect you.";
/// Longest a connected call may last, unless configured; Vonage's own default (and maximum) is
/// 7,200 s.
pub const DEFAULT_MAX_CALL_SECONDS: u32 = 3600;
/// How long a phone rings before Vonage gives up, unless configured (Vonage's default; its
/// NCCO reference allows 1 to 120).
pub const DEFAULT_RING_TIMEOUT_SECONDS: u32 = 60;
/// Vonage's limit on a talk action's text, in characters.
pub const MAX_TALK_CHARS: usize = 1500;

/// Everything the answer decision decides with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerSettings {
    /// Our Vonage number: the caller ID of every call we connect.
    pub vonage_number: E164,
    pub allowed: Allowed,
    pub blocked: Vec<String>,
    /// App user that calls to our Vonage number are connected to.
    pub inbound_app_user: Option<String>,
    pub greeting: String,
    /// `limit` of every connect: the longest a call may last, in seconds.
    pub max_call_seconds: u32,
    /// `timeout` of every connect: how long the callee's phone rings, in seconds.
    pub ring_timeout_seconds: u32,
}

impl AnswerSettings {
    /// The defaults for `vonage_number`: calls within its country, the default blocked ranges,
    /// the default greeting, call limit and ring timeout, no inbound app user.
    pub fn new(vonage_number: E164) -> Self {
        Self {
            allowed: Allowed::country_of(&vonage_number),
            vonage_number,
            // The built-in list parses: a test holds it to that.
            blocked: crate::policy::parse_prefixes(DEFAULT_BLOCKED).unwrap_or_default(),
            inbound_app_user: None,
            greeting: DEFAULT_GREETING.to_string(),
            max_call_seconds: DEFAULT_MAX_CALL_SECONDS,
            ring_timeout_seconds: DEFAULT_RING_TIMEOUT_SECONDS,
        }
    }
}

/// What the caller hears when the number they asked for is refused.
pub const REFUSED_TEXT: &str = "Sorry, that number cannot be called. Goodbye.";
/// What an app user hears when their daily limit is reached.
pub const LIMIT_TEXT: &str = "Sorry, you have reached your calling limit for today. Goodbye.";
/// What an app user hears when the limits cannot be checked and `LIMITS_FAIL_OPEN` is off.
pub const TRY_LATER_TEXT: &str =
    "Sorry, we cannot place your call right now. Please try again later.";
/// What an app user hears when what is left of their day's spend limit cannot fund a call of
/// the minimum length to that destination.
pub const BUDGET_TEXT: &str =
    "Sorry, you do not have enough calling credit left today for this call. Goodbye.";
/// What an app user hears when a spend limit applies and nothing prices the destination.
pub const NO_RATE_TEXT: &str =
    "Sorry, calls to that number cannot be placed at the moment. Goodbye.";
/// What a phone caller hears when nobody takes calls to our number.
pub const NO_INBOUND_TEXT: &str = "Sorry, this number does not take calls. Goodbye.";

/// The answer request as Vonage sends it (query string or JSON body).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnswerRequest {
    pub to: Option<String>,
    pub from: Option<String>,
    pub from_user: Option<String>,
    pub uuid: Option<String>,
    pub conversation_uuid: Option<String>,
    pub region_url: Option<String>,
    pub endpoint_type: Option<String>,
    /// The app's call context; Vonage sends it as an object or as a string holding JSON.
    pub custom_data: Option<Map<String, Value>>,
}

impl AnswerRequest {
    pub fn from_params(params: &Params) -> Result<Self, InvalidInput> {
        Ok(Self {
            to: opt_str(params, "to")?,
            from: opt_str(params, "from")?,
            from_user: user(params, "from_user")?,
            uuid: id(params, "uuid")?,
            conversation_uuid: id(params, "conversation_uuid")?,
            region_url: opt_str(params, "region_url")?,
            endpoint_type: opt_str(params, "endpoint_type")?,
            custom_data: custom_data(params.get("custom_data"))?,
        })
    }

    /// A call placed by a logged-in app user, as opposed to a phone calling our number.
    pub fn is_from_app(&self) -> bool {
        self.from_user.is_some() || self.endpoint_type.as_deref() == Some("app")
    }

    /// The number the app asked for: `to`, or `custom_data.to` when `to` is absent.
    pub fn destination(&self) -> Result<Option<String>, InvalidInput> {
        if self.to.is_some() {
            return Ok(self.to.clone());
        }
        match &self.custom_data {
            Some(data) => {
                opt_str(data, "to").map_err(|e| InvalidInput(format!("custom_data: {e}")))
            }
            None => Ok(None),
        }
    }
}

fn custom_data(value: Option<&Value>) -> Result<Option<Map<String, Value>>, InvalidInput> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map.clone())),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(map)) => Ok(Some(map)),
            Ok(other) => Err(InvalidInput(format!(
                "custom_data must hold a JSON object, not {}",
                kind_of(&other)
            ))),
            Err(e) => Err(InvalidInput(format!("custom_data is not valid JSON: {e}"))),
        },
        Some(other) => Err(InvalidInput(format!(
            "custom_data must be an object or a string holding one, not {}",
            kind_of(other)
        ))),
    }
}

/// Why a destination was refused; logged, never told to the caller in detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NoDestination,
    Invalid(NumberError),
    NotAllowed,
    Blocked(String),
    /// The user's daily limit of calls or spend is reached (`usage::Limits`).
    Limit,
    /// The ledger could not be reached, and limits fail closed.
    LimitsUnavailable,
    /// The conversation was already answered for another app user (a forged or replayed
    /// answer request).
    OtherUser,
    /// The ledger refused the write for good (a missing table, permissions): the call is not
    /// connected uncounted, whatever `LIMITS_FAIL_OPEN` says.
    LedgerError,
    /// What is left of the user's spend limit funds less than the minimum call
    /// (`budget::reserve`).
    Budget,
    /// A spend limit applies and no rate prices the destination (no table entry, no completed
    /// leg to learn from, no default rate).
    NoRate,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NoDestination => {
                f.write_str("no destination: neither `to` nor `custom_data.to` given")
            }
            Refusal::Invalid(e) => write!(f, "invalid destination: {e}"),
            Refusal::NotAllowed => f.write_str("destination is not in ALLOWED_DESTINATIONS"),
            Refusal::Blocked(prefix) => write!(f, "destination matches blocked prefix {prefix}"),
            Refusal::Limit => f.write_str("the user's daily limit is reached"),
            Refusal::LimitsUnavailable => {
                f.write_str("the limits cannot be checked (DynamoDB unreachable); failing closed")
            }
            Refusal::OtherUser => {
                f.write_str("the conversation was answered for another app user already")
            }
            Refusal::LedgerError => {
                f.write_str("the ledger refused the call's write (see the error logged with it)")
            }
            Refusal::Budget => {
                f.write_str("what is left of the user's spend limit cannot fund the minimum call")
            }
            Refusal::NoRate => f.write_str(
                "a spend limit applies and no rate prices the destination (RATE_TABLE, \
                 DEFAULT_RATE_PER_MINUTE)",
            ),
        }
    }
}

impl Refusal {
    /// A short, bounded name for metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NoDestination => "no-destination",
            Refusal::Invalid(_) => "invalid",
            Refusal::NotAllowed => "not-allowed",
            Refusal::Blocked(_) => "blocked",
            Refusal::Limit => "limit",
            Refusal::LimitsUnavailable => "limits-unavailable",
            Refusal::OtherUser => "other-user",
            Refusal::LedgerError => "ledger-error",
            Refusal::Budget => "budget",
            Refusal::NoRate => "no-rate",
        }
    }
}

/// What to do with the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// App user → allowed phone number, with our Vonage number as caller ID.
    ConnectPhone(E164),
    /// App user → a number we will not dial: tell them, connect nothing.
    Refuse(Refusal),
    /// Phone → our number, handed to the configured app user.
    ConnectAppUser(String),
    /// Phone → our number with nobody to take it.
    NoInbound,
}

/// Decides what happens to a call. Pure: everything it needs is in its arguments.
pub fn decide(cfg: &AnswerSettings, req: &AnswerRequest) -> Result<Decision, InvalidInput> {
    if !req.is_from_app() {
        // Never bridge a phone caller to another phone: that would make our number an open relay.
        return Ok(match &cfg.inbound_app_user {
            Some(user) => Decision::ConnectAppUser(user.clone()),
            None => Decision::NoInbound,
        });
    }
    let Some(destination) = req.destination()? else {
        return Ok(Decision::Refuse(Refusal::NoDestination));
    };
    let number = match E164::parse(&destination) {
        Ok(number) => number,
        Err(e) => return Ok(Decision::Refuse(Refusal::Invalid(e))),
    };
    Ok(match destination_rule(cfg, number.digits()) {
        Ok(()) => Decision::ConnectPhone(number),
        Err(refusal) => Decision::Refuse(refusal),
    })
}

/// The destination policy (`policy::verdict`) as the answer's refusal.
pub fn destination_rule(cfg: &AnswerSettings, digits: &str) -> Result<(), Refusal> {
    match verdict(&cfg.allowed, &cfg.blocked, digits) {
        Verdict::Dial => Ok(()),
        Verdict::NotAllowed => Err(Refusal::NotAllowed),
        Verdict::Blocked(prefix) => Err(Refusal::Blocked(prefix)),
    }
}

impl Decision {
    /// The NCCO that carries the decision out.
    pub fn ncco(&self, cfg: &AnswerSettings, req: &AnswerRequest) -> Ncco {
        let greeting = || Action::Talk(Talk::new(cfg.greeting.clone()));
        match self {
            Decision::ConnectPhone(number) => vec![
                greeting(),
                Action::Connect(Connect {
                    from: Some(cfg.vonage_number.digits().to_string()),
                    endpoint: vec![Endpoint::phone(number.digits())],
                    limit: Some(cfg.max_call_seconds),
                    timeout: Some(cfg.ring_timeout_seconds),
                    ..Connect::default()
                }),
            ],
            Decision::ConnectAppUser(user) => vec![
                greeting(),
                Action::Connect(Connect {
                    // The app shows the caller's number; Vonage requires a `from`, so a
                    // withheld or non-E.164 caller ID becomes our own number.
                    from: Some(
                        req.from
                            .as_deref()
                            .and_then(|f| E164::parse(f).ok())
                            .unwrap_or_else(|| cfg.vonage_number.clone())
                            .digits()
                            .to_string(),
                    ),
                    endpoint: vec![Endpoint::app(user.clone())],
                    limit: Some(cfg.max_call_seconds),
                    timeout: Some(cfg.ring_timeout_seconds),
                    ..Connect::default()
                }),
            ],
            Decision::Refuse(Refusal::Limit) => vec![Action::Talk(Talk::new(LIMIT_TEXT))],
            Decision::Refuse(Refusal::Budget) => vec![Action::Talk(Talk::new(BUDGET_TEXT))],
            Decision::Refuse(Refusal::NoRate) => vec![Action::Talk(Talk::new(NO_RATE_TEXT))],
            Decision::Refuse(Refusal::LimitsUnavailable | Refusal::LedgerError) => {
                vec![Action::Talk(Talk::new(TRY_LATER_TEXT))]
            }
            Decision::Refuse(_) => vec![Action::Talk(Talk::new(REFUSED_TEXT))],
            Decision::NoInbound => vec![Action::Talk(Talk::new(NO_INBOUND_TEXT))],
        }
    }

    /// A short name for logs and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Decision::ConnectPhone(_) => "connect-phone",
            Decision::Refuse(_) => "refuse",
            Decision::ConnectAppUser(_) => "connect-app-user",
            Decision::NoInbound => "no-inbound",
        }
    }
}

/// One answered call: what was asked, what was decided, and the NCCO that carries it out.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub request: AnswerRequest,
    pub decision: Decision,
    pub ncco: Ncco,
}

impl Answer {
    /// The same call, its connect ending after at most `seconds` (what its reservation funds).
    pub fn limited(mut self, seconds: u32) -> Self {
        for action in &mut self.ncco {
            if let Action::Connect(connect) = action {
                connect.limit = Some(connect.limit.map_or(seconds, |limit| limit.min(seconds)));
            }
        }
        self
    }

    /// The same call with another decision (the limits overrule the destination policy).
    pub fn overruled(self, cfg: &AnswerSettings, decision: Decision) -> Self {
        let ncco = decision.ncco(cfg, &self.request);
        Self {
            decision,
            ncco,
            ..self
        }
    }

    /// Who called, for logs: the app user's pseudonym, or the caller's number masked.
    pub fn caller(&self) -> String {
        match (&self.request.from_user, &self.request.from) {
            (Some(user), _) => pseudonym(user),
            (None, Some(from)) => mask(from),
            (None, None) => "unknown".into(),
        }
    }

    /// The number asked for, masked for logs.
    pub fn destination(&self) -> String {
        self.request
            .destination()
            .ok()
            .flatten()
            .map(|d| mask(&d))
            .unwrap_or_default()
    }
}

/// Answer request parameters → decision → NCCO.
pub fn answer(cfg: &AnswerSettings, params: &Params) -> Result<Answer, InvalidInput> {
    let request = AnswerRequest::from_params(params)?;
    let decision = decide(cfg, &request)?;
    let ncco = decision.ncco(cfg, &request);
    Ok(Answer {
        request,
        decision,
        ncco,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TUTORIAL_NUMBER: &str = "447700900000";

    /// The settings the answer webhook builds from these variables (config parses them the
    /// same way; its own tests cover the parsing).
    fn cfg(extra: &[(&str, &str)]) -> AnswerSettings {
        let number = |v: &str| E164::parse(v).unwrap();
        let mut s = AnswerSettings::new(number("447700900001"));
        for (name, value) in extra {
            match *name {
                "VONAGE_NUMBER" => s = AnswerSettings::new(number(value)),
                "ALLOWED_DESTINATIONS" => s.allowed = Allowed::parse(value).unwrap(),
                "BLOCKED_DESTINATIONS" => s.blocked = crate::policy::parse_prefixes(value).unwrap(),
                "GREETING" => s.greeting = value.to_string(),
                "INBOUND_APP_USER" => s.inbound_app_user = Some(value.to_string()),
                "MAX_CALL_SECONDS" => s.max_call_seconds = value.parse().unwrap(),
                "RING_TIMEOUT_SECONDS" => s.ring_timeout_seconds = value.parse().unwrap(),
                other => panic!("{other} is not an answer setting"),
            }
        }
        s
    }

    fn app_call(to: &str) -> AnswerRequest {
        AnswerRequest {
            to: Some(to.into()),
            from_user: Some("Alice".into()),
            ..AnswerRequest::default()
        }
    }

    /// The NCCO of an app call to `number` under the default settings for 447700900001.
    fn connect_ncco(number: &str) -> Value {
        json!([
            {"action": "talk", "text": DEFAULT_GREETING},
            {"action": "connect", "from": "447700900001", "endpoint": [{"type": "phone", "number": number}],
             "limit": DEFAULT_MAX_CALL_SECONDS, "timeout": DEFAULT_RING_TIMEOUT_SECONDS}
        ])
    }

    fn refused_ncco() -> Value {
        json!([{"action": "talk", "text": REFUSED_TEXT}])
    }

    fn ncco_json(cfg: &AnswerSettings, req: &AnswerRequest) -> Value {
        serde_json::to_value(decide(cfg, req).unwrap().ncco(cfg, req)).unwrap()
    }

    #[test]
    fn app_call_to_the_tutorial_number_connects_from_our_vonage_number() {
        let cfg = cfg(&[]);
        let req = app_call(TUTORIAL_NUMBER);
        assert_eq!(
            decide(&cfg, &req).unwrap(),
            Decision::ConnectPhone(E164::parse(TUTORIAL_NUMBER).unwrap())
        );
        assert_eq!(ncco_json(&cfg, &req), connect_ncco(TUTORIAL_NUMBER));
    }

    #[test]
    fn destination_is_normalised_to_e164_digits() {
        let cfg = cfg(&[]);
        assert_eq!(
            ncco_json(&cfg, &app_call("+44 7700-900 000")),
            connect_ncco(TUTORIAL_NUMBER)
        );
    }

    #[test]
    fn endpoint_type_app_counts_as_an_app_call() {
        let req = AnswerRequest {
            to: Some(TUTORIAL_NUMBER.into()),
            endpoint_type: Some("app".into()),
            ..AnswerRequest::default()
        };
        assert_eq!(ncco_json(&cfg(&[]), &req), connect_ncco(TUTORIAL_NUMBER));
    }

    #[test]
    fn custom_data_to_is_used_when_to_is_absent_and_to_wins_when_both_are_given() {
        let cfg = cfg(&[]);
        let mut req = app_call(TUTORIAL_NUMBER);
        req.to = None;
        req.custom_data = Some(json!({"to": TUTORIAL_NUMBER}).as_object().unwrap().clone());
        assert_eq!(ncco_json(&cfg, &req), connect_ncco(TUTORIAL_NUMBER));
        req.to = Some("447700900123".into());
        assert_eq!(ncco_json(&cfg, &req), connect_ncco("447700900123"));
    }

    #[test]
    fn a_custom_greeting_replaces_the_default() {
        let cfg = cfg(&[("GREETING", "Connecting.")]);
        let ncco = ncco_json(&cfg, &app_call(TUTORIAL_NUMBER));
        assert_eq!(ncco[0], json!({"action": "talk", "text": "Connecting."}));
    }

    #[test]
    fn destination_outside_the_default_country_is_refused_without_connect() {
        let cfg = cfg(&[]);
        let req = app_call("+1 415 555 0100");
        assert_eq!(
            decide(&cfg, &req).unwrap(),
            Decision::Refuse(Refusal::NotAllowed)
        );
        assert_eq!(ncco_json(&cfg, &req), refused_ncco());
    }

    #[test]
    fn allowed_prefixes_admit_listed_countries_only() {
        let cfg = cfg(&[("ALLOWED_DESTINATIONS", "44,353")]);
        assert!(matches!(
            decide(&cfg, &app_call("353851234567")).unwrap(),
            Decision::ConnectPhone(_)
        ));
        assert!(matches!(
            decide(&cfg, &app_call(TUTORIAL_NUMBER)).unwrap(),
            Decision::ConnectPhone(_)
        ));
        assert_eq!(
            decide(&cfg, &app_call("33612345678")).unwrap(),
            Decision::Refuse(Refusal::NotAllowed)
        );
    }

    #[test]
    fn star_allows_any_valid_number_but_not_blocked_premium_ranges() {
        let cfg = cfg(&[("ALLOWED_DESTINATIONS", "*")]);
        assert!(matches!(
            decide(&cfg, &app_call("14155550100")).unwrap(),
            Decision::ConnectPhone(_)
        ));
        assert_eq!(
            decide(&cfg, &app_call("8816 1234 5678")).unwrap(),
            Decision::Refuse(Refusal::Blocked("881".into()))
        );
    }

    #[test]
    fn a_premium_number_written_with_its_trunk_zero_is_refused_and_says_why() {
        // `4409012345678` matched no blocked prefix (`449` lacks the 0) and was dialled.
        let cfg = cfg(&[]);
        let refused = decide(&cfg, &app_call("+44 (0)9012 345678")).unwrap();
        assert_eq!(
            refused,
            Decision::Refuse(Refusal::Invalid(NumberError::TrunkPrefix("44".into())))
        );
        let Decision::Refuse(reason) = refused else {
            unreachable!()
        };
        assert!(reason.to_string().contains("trunk prefix 0"), "{reason}");
        let us = AnswerSettings {
            allowed: Allowed::Any,
            ..cfg
        };
        assert!(matches!(
            decide(&us, &app_call("1 415 555 010")).unwrap(),
            Decision::Refuse(Refusal::Invalid(NumberError::NotNanp(10)))
        ));
    }

    #[test]
    fn premium_rate_numbers_in_an_allowed_country_are_refused() {
        let cfg = cfg(&[]);
        let req = app_call("+44 909 8790 000");
        assert_eq!(
            decide(&cfg, &req).unwrap(),
            Decision::Refuse(Refusal::Blocked("449".into()))
        );
        assert_eq!(ncco_json(&cfg, &req), refused_ncco());
    }

    /// `(number, Ok(()) or the refusal)` under one configuration.
    fn assert_policy(cfg: &AnswerSettings, table: &[(&str, Result<(), Refusal>)]) {
        for (number, expected) in table {
            assert_eq!(destination_rule(cfg, number), *expected, "{number}");
            let decision = decide(cfg, &app_call(number)).unwrap();
            assert_eq!(
                matches!(decision, Decision::ConnectPhone(_)),
                expected.is_ok(),
                "{number}"
            );
        }
    }

    fn blocked(prefix: &str) -> Result<(), Refusal> {
        Err(Refusal::Blocked(prefix.into()))
    }

    #[test]
    fn a_uk_numbers_default_policy_refuses_the_uk_toll_fraud_ranges() {
        assert_policy(
            &cfg(&[]),
            &[
                ("447700900000", Ok(())),
                ("442079460000", Ok(())),
                ("448001234567", Ok(())),
                ("447624123456", blocked("447624")),
                ("447524123456", blocked("447524")),
                ("447924123456", blocked("447924")),
                ("447781123456", blocked("447781")),
                ("447839123456", blocked("447839")),
                ("447911123456", blocked("447911")),
                ("447797123456", blocked("447797")),
                ("447509123456", blocked("447509")),
                ("447700312345", blocked("4477003")),
                ("447012345678", blocked("4470")),
                ("447612345678", blocked("4476")),
                ("448448123456", blocked("4484")),
                ("448712345678", blocked("4487")),
                ("449098790000", blocked("449")),
                ("14155550100", Err(Refusal::NotAllowed)),
            ],
        );
    }

    #[test]
    fn a_us_numbers_default_policy_refuses_the_caribbean_and_900() {
        let cfg = cfg(&[("VONAGE_NUMBER", "14155550199")]);
        let mut table = vec![
            ("12125550100", Ok(())),
            ("16135550100", Ok(())),
            ("17875550100", Ok(())),
            ("19005550100", blocked("1900")),
            ("447700900000", Err(Refusal::NotAllowed)),
        ];
        let caribbean = [
            "1242", "1246", "1264", "1268", "1284", "1345", "1441", "1473", "1649", "1658", "1664",
            "1721", "1758", "1767", "1784", "1809", "1829", "1849", "1868", "1869", "1876",
        ];
        let numbers: Vec<String> = caribbean.iter().map(|p| format!("{p}5550100")).collect();
        for (prefix, number) in caribbean.iter().zip(&numbers) {
            table.push((number, blocked(prefix)));
        }
        assert_policy(&cfg, &table);
        assert_eq!(destination_rule(&cfg, "18765550100"), blocked("1876"));
    }

    #[test]
    fn the_longest_matching_prefix_wins_between_the_two_lists() {
        let jersey = cfg(&[("ALLOWED_DESTINATIONS", "44,447797")]);
        assert_policy(
            &jersey,
            &[
                ("447797123456", Ok(())),
                ("447781123456", blocked("447781")),
                ("449098790000", blocked("449")),
            ],
        );
        let any = cfg(&[("ALLOWED_DESTINATIONS", "*")]);
        assert_policy(
            &any,
            &[("33612345678", Ok(())), ("18765550100", blocked("1876"))],
        );
        let jamaica = cfg(&[("ALLOWED_DESTINATIONS", "1,1876")]);
        assert_policy(
            &jamaica,
            &[("18765550100", Ok(())), ("18095550100", blocked("1809"))],
        );
        let custom = cfg(&[
            ("ALLOWED_DESTINATIONS", "447"),
            ("BLOCKED_DESTINATIONS", "44,4477009"),
        ]);
        assert_policy(
            &custom,
            &[
                ("447400123456", Ok(())),
                ("442079460000", blocked("44")),
                ("447700900000", blocked("4477009")),
            ],
        );
    }

    #[test]
    fn every_connect_carries_the_call_limit_and_ring_timeout() {
        let cfg = cfg(&[
            ("MAX_CALL_SECONDS", "600"),
            ("RING_TIMEOUT_SECONDS", "25"),
            ("INBOUND_APP_USER", "Alice"),
        ]);
        let phone = ncco_json(&cfg, &app_call(TUTORIAL_NUMBER));
        let inbound = ncco_json(
            &cfg,
            &AnswerRequest {
                from: Some(TUTORIAL_NUMBER.into()),
                ..AnswerRequest::default()
            },
        );
        for ncco in [phone, inbound] {
            assert_eq!(ncco[1]["action"], "connect");
            assert_eq!(
                (ncco[1]["limit"].clone(), ncco[1]["timeout"].clone()),
                (json!(600), json!(25))
            );
        }
    }

    #[test]
    fn invalid_or_missing_destinations_are_refused_without_connect() {
        let cfg = cfg(&[]);
        for (to, reason) in [
            ("4477OO900000", Refusal::Invalid(NumberError::NotDigits)),
            ("07700900000", Refusal::Invalid(NumberError::LeadingZero)),
            (
                "12345678901234567890123456789012345678901234567890",
                Refusal::Invalid(NumberError::Length(50)),
            ),
        ] {
            assert_eq!(
                decide(&cfg, &app_call(to)).unwrap(),
                Decision::Refuse(reason),
                "{to}"
            );
            assert_eq!(ncco_json(&cfg, &app_call(to)), refused_ncco());
        }
        let mut req = app_call("");
        req.to = None;
        assert_eq!(
            decide(&cfg, &req).unwrap(),
            Decision::Refuse(Refusal::NoDestination)
        );
    }

    #[test]
    fn a_phone_calling_our_number_is_never_bridged_to_a_phone() {
        let cfg = cfg(&[]);
        let req = AnswerRequest {
            to: Some("447700900001".into()),
            from: Some(TUTORIAL_NUMBER.into()),
            ..AnswerRequest::default()
        };
        assert_eq!(decide(&cfg, &req).unwrap(), Decision::NoInbound);
        assert_eq!(
            ncco_json(&cfg, &req),
            json!([{"action": "talk", "text": NO_INBOUND_TEXT}])
        );
    }

    #[test]
    fn the_ledger_overrules_a_connect_with_a_talk_only_refusal_of_its_own() {
        let cfg = cfg(&[]);
        let params = json!({"to": TUTORIAL_NUMBER, "from_user": "Alice"});
        let allowed = answer(&cfg, params.as_object().unwrap()).unwrap();
        for (refusal, code, text) in [
            (Refusal::Limit, "limit", LIMIT_TEXT),
            (
                Refusal::LimitsUnavailable,
                "limits-unavailable",
                TRY_LATER_TEXT,
            ),
            (Refusal::Budget, "budget", BUDGET_TEXT),
            (Refusal::NoRate, "no-rate", NO_RATE_TEXT),
        ] {
            assert_eq!(refusal.code(), code);
            let refused = allowed.clone().overruled(&cfg, Decision::Refuse(refusal));
            assert_eq!(refused.decision.label(), "refuse");
            assert_eq!(
                serde_json::to_value(&refused.ncco).unwrap(),
                json!([{"action": "talk", "text": text}])
            );
            assert_eq!(refused.request, allowed.request);
        }
    }

    #[test]
    fn a_reservation_shortens_the_connect_and_never_lengthens_it() {
        let cfg = cfg(&[]);
        let params = json!({"to": TUTORIAL_NUMBER, "from_user": "Alice"});
        let allowed = answer(&cfg, params.as_object().unwrap()).unwrap();
        let limit = |a: Answer| serde_json::to_value(&a.ncco).unwrap()[1]["limit"].clone();
        assert_eq!(limit(allowed.clone().limited(120)), 120);
        assert_eq!(limit(allowed.limited(99_999)), cfg.max_call_seconds);
    }

    #[test]
    fn a_phone_calling_our_number_goes_to_the_inbound_app_user_when_set() {
        let cfg = cfg(&[("INBOUND_APP_USER", "Alice")]);
        let req = AnswerRequest {
            to: Some("447700900001".into()),
            from: Some(TUTORIAL_NUMBER.into()),
            ..AnswerRequest::default()
        };
        assert_eq!(
            decide(&cfg, &req).unwrap(),
            Decision::ConnectAppUser("Alice".into())
        );
        assert_eq!(
            ncco_json(&cfg, &req),
            json!([
                {"action": "talk", "text": "Please wait while we connect you."},
                {"action": "connect", "from": TUTORIAL_NUMBER, "endpoint": [{"type": "app", "user": "Alice"}],
                 "limit": 3600, "timeout": 60}
            ])
        );
    }

    #[test]
    fn a_withheld_or_unusable_caller_id_is_replaced_by_our_number_on_the_app_connect() {
        let cfg = cfg(&[("INBOUND_APP_USER", "Alice")]);
        for from in [None, Some("Unknown"), Some("anonymous"), Some("0123")] {
            let req = AnswerRequest {
                to: Some("447700900001".into()),
                from: from.map(String::from),
                ..AnswerRequest::default()
            };
            assert_eq!(ncco_json(&cfg, &req)[1]["from"], "447700900001", "{from:?}");
        }
    }
}
