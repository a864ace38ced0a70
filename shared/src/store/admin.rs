//! The read and admin side of the table, for developer tools and tests (feature `admin`; the
//! functions leave it off): create the table as the template does, read a conversation, a
//! user's day and a user's calls back.

use super::keys::{conversation_pk, day_sk, user_pk, CALLS_INDEX, CALLS_PK, CALLS_SK, PK, SK};
use super::usage::{Ledger, CALLS, CHARGED, COUNTED, SECONDS, SPEND};
use super::{unavailable, Item, Store, StoreError, Transition};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType,
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
        let calls = GlobalSecondaryIndex::builder()
            .index_name(CALLS_INDEX)
            .key_schema(key(CALLS_PK, KeyType::Hash).map_err(invalid)?)
            .key_schema(key(CALLS_SK, KeyType::Range).map_err(invalid)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(invalid)?;
        let attributes = [PK, SK, CALLS_PK, CALLS_SK]
            .into_iter()
            .map(attr)
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let request = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key(PK, KeyType::Hash).map_err(invalid)?)
            .key_schema(key(SK, KeyType::Range).map_err(invalid)?)
            .set_attribute_definitions(Some(attributes.clone()))
            .global_secondary_indexes(calls.clone());
        let result = request.send().await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_in_use_exception()) =>
            {
                self.add_calls_index(attributes, calls).await
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    /// A table made before the `Calls` index (a `make run` table kept in `.dynamodb/`) gets
    /// it, as `sam deploy` adds it to a deployed table, and is returned once the index is
    /// built: until then the owner lookups would find nothing.
    async fn add_calls_index(
        &self,
        attributes: Vec<AttributeDefinition>,
        index: GlobalSecondaryIndex,
    ) -> Result<(), StoreError> {
        if let status @ Some(_) = self.calls_index_status().await? {
            return self.calls_index_built(status).await;
        }
        let create = aws_sdk_dynamodb::types::CreateGlobalSecondaryIndexAction::builder()
            .index_name(CALLS_INDEX)
            .set_key_schema(Some(index.key_schema().to_vec()))
            .set_projection(index.projection().cloned())
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        self.client
            .update_table()
            .table_name(&self.table)
            .set_attribute_definitions(Some(attributes))
            .global_secondary_index_updates(
                aws_sdk_dynamodb::types::GlobalSecondaryIndexUpdate::builder()
                    .create(create)
                    .build(),
            )
            .send()
            .await
            .map_err(unavailable)?;
        let status = self.calls_index_status().await?;
        self.calls_index_built(status).await
    }

    /// The `Calls` index's status (`CREATING` until DynamoDB reports one); `None`: the table
    /// has no such index.
    async fn calls_index_status(
        &self,
    ) -> Result<Option<aws_sdk_dynamodb::types::IndexStatus>, StoreError> {
        use aws_sdk_dynamodb::types::IndexStatus;
        let table = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(table
            .table()
            .map(|t| t.global_secondary_indexes())
            .unwrap_or_default()
            .iter()
            .find(|i| i.index_name() == Some(CALLS_INDEX))
            .map(|i| i.index_status().cloned().unwrap_or(IndexStatus::Creating)))
    }

    /// Waits until the `Calls` index is `ACTIVE` (DynamoDB builds an added index in the
    /// background, DynamoDB Local too), for up to a minute; `status` is the one just read.
    async fn calls_index_built(
        &self,
        mut status: Option<aws_sdk_dynamodb::types::IndexStatus>,
    ) -> Result<(), StoreError> {
        use aws_sdk_dynamodb::types::IndexStatus;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while status != Some(IndexStatus::Active) {
            if std::time::Instant::now() > deadline {
                return Err(StoreError::Unavailable(format!(
                    "the {CALLS_INDEX} index of {} is still {status:?} after a minute",
                    self.table
                )));
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            status = self.calls_index_status().await?;
        }
        Ok(())
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

/// One user's day as the ledger holds it; numbers as DynamoDB returns them (exact decimals).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DayUsage {
    pub calls: String,
    pub seconds: String,
    pub spend: String,
    /// The ids of the calls counted and of the legs charged (the guards).
    pub counted: Vec<String>,
    pub charged: Vec<String>,
}

/// One call in a user's history: its phone leg, and when the call was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRow {
    pub answered_at: String,
    pub leg: Leg,
}

impl Ledger {
    /// The user's usage on `day` (`yyyy-mm-dd`), read consistently.
    pub async fn day(&self, user: &str, day: &str) -> Result<Option<DayUsage>, StoreError> {
        let out = self
            .client()
            .get_item()
            .table_name(self.table())
            .key(PK, AttributeValue::S(user_pk(user)))
            .key(SK, AttributeValue::S(day_sk(day)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let number = |item: &Item, name: &str| match item.get(name) {
            Some(AttributeValue::N(n)) => n.clone(),
            _ => "0".into(),
        };
        let set = |item: &Item, name: &str| match item.get(name) {
            Some(AttributeValue::Ss(ids)) => ids.clone(),
            _ => vec![],
        };
        Ok(out.item.map(|item| DayUsage {
            calls: number(&item, CALLS),
            seconds: number(&item, SECONDS),
            spend: number(&item, SPEND),
            counted: set(&item, COUNTED),
            charged: set(&item, CHARGED),
        }))
    }

    /// The user's charged calls, newest first: one Query of the `Calls` index.
    pub async fn history(&self, user: &str, limit: i32) -> Result<Vec<CallRow>, StoreError> {
        let page = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(CALLS_INDEX)
            .key_condition_expression("#user = :user")
            .expression_attribute_names("#user", CALLS_PK)
            .expression_attribute_values(":user", AttributeValue::S(user_pk(user)))
            .scan_index_forward(false)
            .limit(limit)
            .send()
            .await
            .map_err(unavailable)?;
        page.items()
            .iter()
            .map(|item| {
                let answered_at = match item.get(CALLS_SK) {
                    Some(AttributeValue::S(at)) => at.clone(),
                    _ => String::new(),
                };
                Ok(CallRow {
                    answered_at,
                    leg: Leg::from_item(item)?,
                })
            })
            .collect()
    }
}
