//! The read and admin side of the table, for developer tools and tests (feature `admin`; the
//! functions leave it off): create the table as the template does, and read a conversation
//! back. (A user's day and calls are the ledger's `CallLog`, which calls-fn serves.)

use super::dynamo::{unavailable, Item};
use super::events::Store;
use super::keys::{conversation_pk, PK, SK};
use super::rules::Transition;
use crate::usecase::ports::StoreError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};

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

impl Store {
    /// Creates the table with the key schema above if it does not exist (local development
    /// and tests; in AWS the SAM template creates it, and a test checks the two agree).
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
        let invalid = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Rejected(e.to_string());
        let result = self
            .client()
            .create_table()
            .table_name(self.table())
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

    /// Everything stored about a conversation, legs and timeline, in one (paginated) query.
    pub async fn conversation(&self, conversation_uuid: &str) -> Result<Conversation, StoreError> {
        let mut conversation = Conversation::default();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client()
                .query()
                .table_name(self.table())
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(
                    ":pk",
                    AttributeValue::S(conversation_pk(conversation_uuid)),
                )
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
