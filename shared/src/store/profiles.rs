//! App users' profiles (`pk=USER#<name>`, `sk=PROFILE`): the Vonage user token-fn made for each,
//! so that only a user's first token request calls Vonage's Users API.

use super::keys::{user_pk, PK, PROFILE_SK, SK};
use super::{put_if_absent, unavailable, StoreError};
use crate::token::UserName;
use aws_sdk_dynamodb::{types::AttributeValue, Client};
use serde::{Deserialize, Serialize};

/// One user's profile item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub pk: String,
    pub sk: String,
    /// The Vonage user name (`token::UserName`).
    pub name: String,
    /// Vonage's id of the user, `USR-…`.
    pub vonage_user_id: String,
    /// When we first saw the user, Unix seconds.
    pub created_at: u64,
}

impl Profile {
    pub fn new(name: &UserName, vonage_user_id: &str, created_at: u64) -> Self {
        Self {
            pk: user_pk(name.as_str()),
            sk: PROFILE_SK.to_string(),
            name: name.as_str().to_string(),
            vonage_user_id: vonage_user_id.to_string(),
            created_at,
        }
    }
}

/// The profiles in the calls table. token-fn's IAM policy lets it touch `USER#` items only.
#[derive(Clone, Debug)]
pub struct Profiles {
    client: Client,
    table: String,
}

impl Profiles {
    pub fn new(client: Client, table: &str) -> Self {
        Self {
            client,
            table: table.to_string(),
        }
    }

    pub async fn get(&self, name: &UserName) -> Result<Option<Profile>, StoreError> {
        let pk = user_pk(name.as_str());
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, AttributeValue::S(pk.clone()))
            .key(SK, AttributeValue::S(PROFILE_SK.into()))
            .send()
            .await
            .map_err(unavailable)?;
        output
            .item
            .map(|item| {
                serde_dynamo::from_item(item).map_err(|e| StoreError::Malformed {
                    pk,
                    sk: PROFILE_SK.into(),
                    reason: e.to_string(),
                })
            })
            .transpose()
    }

    /// Writes the profile unless one is there already (a concurrent first request of the same
    /// user wrote it first: both name the same Vonage user).
    pub async fn remember(&self, profile: &Profile) -> Result<(), StoreError> {
        let item = serde_dynamo::to_item(profile).map_err(|e| StoreError::Malformed {
            pk: profile.pk.clone(),
            sk: profile.sk.clone(),
            reason: e.to_string(),
        })?;
        put_if_absent(&self.client, &self.table, item)
            .await
            .map(drop)
    }
}
