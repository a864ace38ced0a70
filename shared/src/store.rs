//! The DynamoDB table: key schema, conditional writes, and the read side.
//!
//! One table, keys `pk` (S) and `sk` (S). This layout is a public contract (see README):
//!
//! | item        | pk                          | sk                                          |
//! |-------------|-----------------------------|---------------------------------------------|
//! | leg         | `CONV#<conversation_uuid>`  | `LEG#<uuid>`                                |
//! | transition  | `CONV#<conversation_uuid>`  | `EVENT#<timestamp>#<uuid or ->#<status or kind>` |
//! | transition of an event without a conversation | `CALL#<uuid>` | as above              |
//!
//! Every rule is enforced by DynamoDB itself with condition expressions, never by reading
//! first: concurrent Lambda instances and redeliveries cannot race past them.
//!
//! Per event: the transition `PutItem` (only if its key is new) and the leg `UpdateItem` (only
//! if the event is not older than the leg's status) go out together, so an event costs one
//! round trip of latency. A late event that loses the leg's condition gets the leg's current
//! item back in the same answer (`ReturnValuesOnConditionCheckFailure`), and only when it still
//! has something to add (an outcome such as `busy`, or a missing `from`/`to`) does a second,
//! conditional `UpdateItem` follow.

use crate::config::{ConfigError, Env, EventConfig, ProcessEnv};
use crate::event::{CallEvent, CallStatus, Timestamp};
use aws_sdk_dynamodb::{
    config::{timeout::TimeoutConfig, BehaviorVersion, Credentials, Region},
    error::{DisplayErrorContext, SdkError},
    operation::update_item::UpdateItemError,
    types::{
        AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
        ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
    },
    Client,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Partition key attribute name.
pub const PK: &str = "pk";
/// Sort key attribute name.
pub const SK: &str = "sk";
/// TTL attribute (epoch seconds), set when `RETENTION_DAYS` is.
pub const EXPIRES_AT: &str = "expires_at";

/// Timeouts well inside Vonage's webhook timeout and the function's: a stalled DynamoDB turns
/// into a `503` that Vonage retries, not a hung invocation.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(5);

type Item = HashMap<String, AttributeValue>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB did not take the request (unreachable, throttled after retries, timed out, …).
    #[error("DynamoDB: {0}")]
    Unavailable(String),
    /// An item in the table does not have the shape this code writes.
    #[error("item {pk}/{sk} is malformed: {reason}")]
    Malformed {
        pk: String,
        sk: String,
        reason: String,
    },
}

fn unavailable<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(DisplayErrorContext(&err).to_string())
}

/// Whether the event was new or a redelivery of one already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    New,
    Duplicate,
}

pub fn conversation_pk(conversation_uuid: &str) -> String {
    format!("CONV#{conversation_uuid}")
}

pub fn leg_sk(uuid: &str) -> String {
    format!("LEG#{uuid}")
}

/// Partition of the events that name neither a conversation nor a leg (a `notify` payload is
/// whatever the NCCO's author chose): one place to find them, with one Query.
pub const NO_CALL_PK: &str = "NOCALL";

/// Where an event's transition item goes: `(pk, sk)`. Deterministic in the event, so a
/// redelivery lands on the same key. A status event is identified by its time, leg and
/// status; every other event (and one without a time) also by its content's fingerprint, since
/// two inputs on one leg may share a millisecond.
pub fn transition_key(event: &CallEvent) -> (String, String) {
    let pk = match (&event.conversation_uuid, &event.uuid) {
        (Some(conv), _) => conversation_pk(conv),
        (None, Some(uuid)) => format!("CALL#{uuid}"),
        (None, None) => NO_CALL_PK.to_string(),
    };
    let time = event
        .timestamp
        .as_ref()
        .map_or("no-timestamp", |t| t.as_str());
    let uuid = event.uuid.as_deref().unwrap_or("-");
    let mut sk = format!("EVENT#{time}#{uuid}#{}", event.kind.name());
    if let Some(fingerprint) = &event.fingerprint {
        sk.push('#');
        sk.push_str(fingerprint);
    }
    (pk, sk)
}

/// One event as received, in the conversation's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub pk: String,
    pub sk: String,
    /// The status for status events, the kind (`input`, `record`, …) otherwise.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_uuid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    /// The body exactly as Vonage sent it (for `GET` delivery, the query as a JSON object).
    pub raw: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
}

/// A call leg's current state, as the leg item holds it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Leg {
    pub uuid: String,
    pub conversation_uuid: String,
    pub direction: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub status: String,
    pub status_at: String,
    pub outcome: Option<String>,
    pub duration: Option<String>,
    pub rate: Option<String>,
    pub price: Option<String>,
    pub network: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub detail: Option<String>,
    pub sip_code: Option<String>,
    pub disconnected_by: Option<String>,
}

impl Leg {
    /// Decimals stay the exact text DynamoDB returns, so this is read by hand rather than
    /// through serde (serde_dynamo turns `N` into floats).
    fn from_item(item: &Item) -> Result<Self, StoreError> {
        let text = |name: &str| match item.get(name) {
            Some(AttributeValue::S(s)) | Some(AttributeValue::N(s)) => Some(s.clone()),
            _ => None,
        };
        let required = |name: &str| {
            text(name).ok_or_else(|| StoreError::Malformed {
                pk: text(PK).unwrap_or_default(),
                sk: text(SK).unwrap_or_default(),
                reason: format!("no `{name}`"),
            })
        };
        Ok(Self {
            uuid: required("uuid")?,
            conversation_uuid: required("conversation_uuid")?,
            direction: text("direction"),
            from: text("from"),
            to: text("to"),
            status: required("status")?,
            status_at: required("status_at")?,
            outcome: text("outcome"),
            duration: text("duration"),
            rate: text("rate"),
            price: text("price"),
            network: text("network"),
            start_time: text("start_time"),
            end_time: text("end_time"),
            detail: text("detail"),
            sip_code: text("sip_code"),
            disconnected_by: text("disconnected_by"),
        })
    }
}

/// Everything stored about one conversation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conversation {
    pub legs: Vec<Leg>,
    /// Transitions in time order.
    pub timeline: Vec<Transition>,
}

/// A DynamoDB `UpdateItem` being put together: `SET` clauses with their names and values.
/// Every attribute goes through a `#name` placeholder: `status`, `from`, `to`, `duration` and
/// `timestamp` are DynamoDB reserved words.
#[derive(Default)]
struct Update {
    sets: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Update {
    fn name(&mut self, attr: &str) -> String {
        let placeholder = format!("#{attr}");
        self.names.insert(placeholder.clone(), attr.to_string());
        placeholder
    }

    fn value(&mut self, attr: &str, value: AttributeValue) -> String {
        let placeholder = format!(":{attr}");
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    fn set(&mut self, attr: &str, value: AttributeValue) {
        let (n, v) = (self.name(attr), self.value(attr, value));
        self.sets.push(format!("{n} = {v}"));
    }

    /// Sets the attribute only if the item has none yet: first value seen wins.
    fn set_if_absent(&mut self, attr: &str, value: AttributeValue) {
        let (n, v) = (self.name(attr), self.value(attr, value));
        self.sets.push(format!("{n} = if_not_exists({n}, {v})"));
    }

    fn expression(&self) -> String {
        format!("SET {}", self.sets.join(", "))
    }
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// The leg's `(rank, time)` key or the outcome's, from the item DynamoDB handed back.
fn ranked(item: &Item, rank: &str, at: &str) -> Option<(u8, String)> {
    let rank = match item.get(rank)? {
        AttributeValue::N(n) => n.parse().ok()?,
        _ => return None,
    };
    let at = match item.get(at) {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => String::new(),
    };
    Some((rank, at))
}

/// Condition under which `(rank, at)` may replace the item's `(rank_attr, at_attr)`: nothing
/// there yet, a lower rank, or the same rank no later. Equal keys pass, so a redelivery writes
/// the same values again and changes nothing.
fn not_older(update: &mut Update, rank_attr: &str, at_attr: &str, rank: u8, at: &str) -> String {
    let (rn, an) = (update.name(rank_attr), update.name(at_attr));
    let (rv, av) = (
        update.value(rank_attr, n(rank)),
        update.value(at_attr, s(at)),
    );
    format!("attribute_not_exists({rn}) OR {rn} < {rv} OR ({rn} = {rv} AND {an} <= {av})")
}

/// The two writes one event makes, built but not sent.
pub struct Writes {
    /// The transition item, put only if its key is new.
    transition: Item,
    /// The leg update, for call status events that name their leg and conversation.
    leg: Option<LegWrite>,
}

struct LegWrite {
    conv: String,
    uuid: String,
    status: CallStatus,
    at: String,
    update: Update,
    condition: String,
}

/// Builds the writes for one event received at `received` (pure: the hot path before any
/// I/O). An event stamped too far ahead of its arrival is a transition only.
pub fn writes(
    event: &CallEvent,
    raw: &str,
    expires_at: Option<u64>,
    received: &Timestamp,
) -> Result<Writes, StoreError> {
    let (pk, sk) = transition_key(event);
    let transition = Transition {
        pk,
        sk,
        kind: event.kind.name().to_string(),
        uuid: event.uuid.clone(),
        conversation_uuid: event.conversation_uuid.clone(),
        timestamp: event.timestamp.as_ref().map(|t| t.as_str().to_string()),
        raw: raw.to_string(),
        expires_at,
    };
    let transition =
        serde_dynamo::to_item(transition).map_err(|e| StoreError::Unavailable(e.to_string()))?;
    let leg = match (event.status(), &event.uuid, &event.conversation_uuid) {
        (Some(status), Some(uuid), Some(conv)) if event.may_move_leg(received) => {
            Some(leg_write(event, status, uuid, conv, expires_at))
        }
        _ => None,
    };
    Ok(Writes { transition, leg })
}

fn leg_write(
    event: &CallEvent,
    status: &CallStatus,
    uuid: &str,
    conv: &str,
    expires_at: Option<u64>,
) -> LegWrite {
    let at = event.timestamp.as_ref().map(|t| t.as_str()).unwrap_or("");
    let rank = status.rank();

    let mut update = Update::default();
    update.set("uuid", s(uuid));
    update.set("conversation_uuid", s(conv));
    update.set("status", s(status.as_str()));
    update.set("status_at", s(at));
    update.set("status_rank", n(rank));
    if let Some(orank) = status.outcome_rank() {
        // Safe without its own condition: outcome rank rises with status rank, so an event
        // that wins the status condition also wins the outcome one.
        update.set("outcome", s(status.as_str()));
        update.set("outcome_at", s(at));
        update.set("outcome_rank", n(orank));
    }
    let texts = [
        ("network", &event.network),
        ("start_time", &event.start_time),
        ("end_time", &event.end_time),
        ("detail", &event.detail),
        ("sip_code", &event.sip_code),
        ("disconnected_by", &event.disconnected_by),
    ];
    for (attr, value) in texts {
        if let Some(value) = value {
            update.set(attr, s(value));
        }
    }
    for (attr, value) in [
        ("duration", &event.duration),
        ("rate", &event.rate),
        ("price", &event.price),
    ] {
        if let Some(value) = value {
            update.set(attr, n(value.as_str()));
        }
    }
    parties(&mut update, event, None);
    if let Some(expires_at) = expires_at {
        update.set(EXPIRES_AT, n(expires_at));
    }
    let condition = not_older(&mut update, "status_rank", "status_at", rank, at);
    LegWrite {
        conv: conv.to_string(),
        uuid: uuid.to_string(),
        status: status.clone(),
        at: at.to_string(),
        update,
        condition,
    }
}

/// `direction`, `from`, `to`: the first value seen is kept (Vonage sends the same ones on
/// every event of a leg, or none). With the current item at hand, only missing ones are set.
fn leg_key(conv: &str, uuid: &str) -> Item {
    HashMap::from([
        (PK.to_string(), s(&conversation_pk(conv))),
        (SK.to_string(), s(&leg_sk(uuid))),
    ])
}

fn parties(update: &mut Update, event: &CallEvent, current: Option<&Item>) {
    for (attr, value) in [
        ("direction", &event.direction),
        ("from", &event.from),
        ("to", &event.to),
    ] {
        if let Some(value) = value {
            if current.is_none_or(|item| !item.contains_key(attr)) {
                update.set_if_absent(attr, s(value));
            }
        }
    }
}

/// The DynamoDB side of the event webhook.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
    retention_days: Option<u32>,
}

impl Store {
    /// Builds the SDK client from the variables Lambda sets (`AWS_REGION`, `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) and `AWS_ENDPOINT_URL_DYNAMODB` (DynamoDB
    /// Local), with deliberate timeouts. Call once, at init.
    ///
    /// This skips aws-config on purpose: its provider chains and profile-file parsing took
    /// 2.8 ms of a 7 ms cold start (`make bench`), and in Lambda the answer is always in the
    /// environment. Elsewhere, export credentials into the environment first.
    pub fn from_env(cfg: &EventConfig) -> Result<Self, ConfigError> {
        Self::from_vars(cfg, &ProcessEnv, None)
    }

    /// As `from_env`, but talking to `endpoint` (a DynamoDB Local or a proxy in front of one).
    pub fn with_endpoint(cfg: &EventConfig, endpoint: &str) -> Result<Self, ConfigError> {
        Self::from_vars(cfg, &ProcessEnv, Some(endpoint))
    }

    pub fn from_vars(
        cfg: &EventConfig,
        env: &impl Env,
        endpoint: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let var = |name: &str| env.get(name).filter(|v| !v.is_empty());
        let required = |name: &'static str| {
            var(name).ok_or(ConfigError::Missing(
                name,
                "Lambda sets it; elsewhere export AWS credentials",
            ))
        };
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .ok_or(ConfigError::Missing(
                "AWS_REGION",
                "Lambda sets it; elsewhere export the table's region",
            ))?;
        let credentials = Credentials::new(
            required("AWS_ACCESS_KEY_ID")?,
            required("AWS_SECRET_ACCESS_KEY")?,
            var("AWS_SESSION_TOKEN"),
            None,
            "environment",
        );
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .operation_timeout(OPERATION_TIMEOUT)
            .build();
        let mut config = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region))
            .credentials_provider(credentials)
            .timeout_config(timeouts);
        let endpoint = endpoint
            .map(str::to_string)
            .or_else(|| var("AWS_ENDPOINT_URL_DYNAMODB"))
            .or_else(|| var("AWS_ENDPOINT_URL"));
        if let Some(endpoint) = endpoint {
            config = config.endpoint_url(endpoint);
        }
        Ok(Self::new(Client::from_conf(config.build()), cfg))
    }

    pub fn new(client: Client, cfg: &EventConfig) -> Self {
        Self {
            client,
            table: cfg.table_name.clone(),
            retention_days: cfg.retention_days,
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    fn expires_at(&self) -> Option<u64> {
        let days = u64::from(self.retention_days?);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        Some(now + days * 86_400)
    }

    /// Creates the table with the key schema above (local development and tests; in AWS the
    /// SAM template creates it, and a test checks the two agree).
    pub async fn create_table(&self) -> Result<(), StoreError> {
        let key = |name: &str, key_type| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
        };
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        let invalid =
            |e: aws_sdk_dynamodb::error::BuildError| StoreError::Unavailable(e.to_string());
        let result = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key(PK, KeyType::Hash).map_err(invalid)?)
            .key_schema(key(SK, KeyType::Range).map_err(invalid)?)
            .attribute_definitions(attr(PK).map_err(invalid)?)
            .attribute_definitions(attr(SK).map_err(invalid)?)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Stores one event: its transition item, and its effect on the leg.
    pub async fn record(
        &self,
        event: &CallEvent,
        raw: &str,
        received: &Timestamp,
    ) -> Result<Recorded, StoreError> {
        let Writes { transition, leg } = writes(event, raw, self.expires_at(), received)?;
        let (transition, leg) = tokio::join!(self.put_transition(transition), async {
            match leg {
                Some(leg) => self.update_leg(event, leg).await,
                None => Ok(()),
            }
        });
        leg?;
        transition
    }

    async fn put_transition(&self, item: Item) -> Result<Recorded, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Recorded::New),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(Recorded::Duplicate)
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// Moves the leg forward if this event is its newest news; otherwise adds what the late
    /// event still knows (its outcome, missing parties).
    async fn update_leg(&self, event: &CallEvent, leg: LegWrite) -> Result<(), StoreError> {
        let LegWrite {
            conv,
            uuid,
            status,
            at,
            update,
            condition,
        } = leg;
        let (conv, uuid) = (conv.as_str(), uuid.as_str());
        let mut current = match self
            .send_update(conv, uuid, update, Some(condition))
            .await?
        {
            None => return Ok(()),
            Some(current) => current,
        };
        // The leg already holds newer news. Bounded: each lost race means another writer moved
        // the outcome forward, and the outcome can only move forward twice.
        for _ in 0..3 {
            let mut late = Update::default();
            let mut condition = None;
            if let Some(orank) = status.outcome_rank() {
                if ranked(&current, "outcome_rank", "outcome_at") < Some((orank, at.clone())) {
                    late.set("outcome", s(status.as_str()));
                    late.set("outcome_at", s(&at));
                    late.set("outcome_rank", n(orank));
                    if let Some(detail) = &event.detail {
                        late.set("detail", s(detail));
                    }
                    condition = Some(not_older(
                        &mut late,
                        "outcome_rank",
                        "outcome_at",
                        orank,
                        &at,
                    ));
                }
            }
            parties(&mut late, event, Some(&current));
            if late.sets.is_empty() {
                return Ok(());
            }
            match self.send_update(conv, uuid, late, condition).await? {
                None => return Ok(()),
                Some(newer) => current = newer,
            }
        }
        Err(StoreError::Unavailable(format!(
            "leg {uuid}: outcome kept changing under concurrent writes"
        )))
    }

    /// Sends a leg update. `Ok(None)` when applied; `Ok(Some(item))` with the leg as it is
    /// when the condition failed.
    async fn send_update(
        &self,
        conv: &str,
        uuid: &str,
        update: Update,
        condition: Option<String>,
    ) -> Result<Option<Item>, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(leg_key(conv, uuid)))
            .update_expression(update.expression())
            .set_condition_expression(condition)
            .set_expression_attribute_names(Some(update.names))
            .set_expression_attribute_values(Some(update.values))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(e) => match e.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(failed) => {
                    Ok(Some(failed.item.unwrap_or_default()))
                }
                other => Err(StoreError::Unavailable(
                    DisplayErrorContext(&other).to_string(),
                )),
            },
        }
    }

    /// Everything stored about a conversation, legs and timeline, in one (paginated) query.
    pub async fn conversation(&self, conversation_uuid: &str) -> Result<Conversation, StoreError> {
        let mut conversation = Conversation::default();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", s(&conversation_pk(conversation_uuid)))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items() {
                match item.get(SK) {
                    Some(AttributeValue::S(sk)) if sk.starts_with("LEG#") => {
                        conversation.legs.push(Leg::from_item(item)?)
                    }
                    Some(AttributeValue::S(sk)) if sk.starts_with("EVENT#") => {
                        let transition = serde_dynamo::from_item(item.clone()).map_err(|e| {
                            StoreError::Malformed {
                                pk: conversation_pk(conversation_uuid),
                                sk: sk.clone(),
                                reason: e.to_string(),
                            }
                        })?;
                        conversation.timeline.push(transition);
                    }
                    _ => {}
                }
            }
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return Ok(conversation);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(value: serde_json::Value) -> CallEvent {
        CallEvent::from_params(value.as_object().unwrap()).unwrap()
    }

    #[test]
    fn transition_keys_follow_the_documented_layout() {
        let e = event(
            json!({"uuid": "u1", "conversation_uuid": "CON-1", "status": "answered",
                             "timestamp": "2021-03-10T10:36:31.604Z"}),
        );
        assert_eq!(
            transition_key(&e),
            (
                "CONV#CON-1".into(),
                "EVENT#2021-03-10T10:36:31.604Z#u1#answered".into()
            )
        );
        let e = event(
            json!({"conversation_uuid": "CON-1", "recording_url": "https://x", "timestamp": "2021-03-10T10:36:31Z"}),
        );
        let (pk, sk) = transition_key(&e);
        assert_eq!(pk, "CONV#CON-1");
        assert!(
            sk.starts_with("EVENT#2021-03-10T10:36:31.000Z#-#record#"),
            "{sk}"
        );
        let e =
            event(json!({"uuid": "u1", "status": "started", "timestamp": "2021-03-10T10:36:31Z"}));
        assert_eq!(transition_key(&e).0, "CALL#u1");
        let e = event(json!({"foo": "bar"}));
        assert_eq!(transition_key(&e).0, NO_CALL_PK);
        let e = event(
            json!({"uuid": "u1", "conversation_uuid_from": "CON-1", "conversation_uuid_to": "CON-2",
                             "timestamp": "2021-03-10T10:36:31Z"}),
        );
        assert_eq!(
            transition_key(&e).0,
            "CONV#CON-2",
            "a transfer is filed where the leg went"
        );
    }

    #[test]
    fn events_without_a_status_or_time_are_told_apart_by_their_content() {
        let key = |value| transition_key(&event(value)).1;
        let a =
            key(json!({"uuid": "u1", "conversation_uuid": "CON-1", "status": "started", "a": 1}));
        let b =
            key(json!({"uuid": "u1", "conversation_uuid": "CON-1", "status": "started", "a": 2}));
        assert_ne!(a, b);
        assert!(a.starts_with("EVENT#no-timestamp#u1#started#"), "{a}");
        let dtmf = key(
            json!({"uuid": "u1", "conversation_uuid": "CON-1", "timestamp": "2020-01-01T14:00:00.000Z",
                              "dtmf": {"digits": "1234"}}),
        );
        let speech = key(
            json!({"uuid": "u1", "conversation_uuid": "CON-1", "timestamp": "2020-01-01T14:00:00.000Z",
                                "speech": {"results": []}}),
        );
        assert_ne!(
            dtmf, speech,
            "two inputs in one millisecond are two transitions"
        );
        let reordered = key(
            json!({"speech": {"results": []}, "timestamp": "2020-01-01T14:00:00.000Z",
                                   "conversation_uuid": "CON-1", "uuid": "u1"}),
        );
        assert_eq!(
            speech, reordered,
            "the fingerprint does not depend on key order"
        );
    }

    #[test]
    fn the_longest_possible_sort_key_fits_dynamodbs_limit() {
        let id = "u".repeat(128);
        let status = "s".repeat(crate::event::MAX_STATUS_LEN);
        let e = event(json!({"uuid": id, "conversation_uuid": id, "status": status}));
        let (pk, sk) = transition_key(&e);
        assert!(sk.len() <= 1024 && pk.len() <= 2048, "{} bytes", sk.len());
    }

    #[test]
    fn an_event_stamped_far_ahead_of_its_arrival_writes_no_leg() {
        let received = Timestamp::parse("2021-03-10T10:00:00Z").unwrap();
        let at = |ts: &str| {
            event(
                json!({"uuid": "u1", "conversation_uuid": "CON-1", "status": "completed", "timestamp": ts}),
            )
        };
        let writes_leg = |ts: &str| {
            writes(&at(ts), "{}", None, &received)
                .unwrap()
                .leg
                .is_some()
        };
        assert!(writes_leg("2021-03-10T10:59:59Z"));
        assert!(writes_leg("2021-03-10T11:00:00Z"));
        assert!(!writes_leg("2021-03-10T11:00:00.001Z"));
        assert!(!writes_leg("9999-12-30T00:00:00Z"));
    }

    fn config() -> EventConfig {
        EventConfig::unsigned("calls")
    }

    #[test]
    fn the_client_takes_region_credentials_and_endpoint_from_the_environment() {
        let env = [
            ("AWS_REGION", "eu-west-1"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
            ("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000"),
        ];
        let store = Store::from_vars(&config(), &env, None).unwrap();
        let conf = store.client().config();
        assert_eq!(conf.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert_eq!(
            conf.timeout_config().and_then(|t| t.operation_timeout()),
            Some(OPERATION_TIMEOUT)
        );
        assert_eq!(store.table(), "calls");
    }

    #[test]
    fn missing_region_or_credentials_stop_the_function_at_init() {
        let no_region = [("AWS_ACCESS_KEY_ID", "a"), ("AWS_SECRET_ACCESS_KEY", "b")];
        let err = Store::from_vars(&config(), &no_region, None).unwrap_err();
        assert!(
            err.to_string().starts_with("AWS_REGION is not set"),
            "{err}"
        );
        let no_secret = [
            ("AWS_DEFAULT_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "a"),
        ];
        let err = Store::from_vars(&config(), &no_secret, None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("AWS_SECRET_ACCESS_KEY is not set"),
            "{err}"
        );
    }

    #[test]
    fn updates_name_every_attribute_through_placeholders() {
        let mut update = Update::default();
        update.set("status", s("completed"));
        update.set_if_absent("from", s("Alice"));
        assert_eq!(
            update.expression(),
            "SET #status = :status, #from = if_not_exists(#from, :from)"
        );
        assert_eq!(update.names["#from"], "from");
        let condition = not_older(&mut update, "status_rank", "status_at", 6, "t");
        assert_eq!(
            condition,
            "attribute_not_exists(#status_rank) OR #status_rank < :status_rank OR (#status_rank = :status_rank AND #status_at <= :status_at)"
        );
    }
}
