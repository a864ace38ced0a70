//! App users' profiles (`pk=USER#<name>`, `sk=PROFILE`): the Vonage user token-fn made for each,
//! so that only a user's first token request calls Vonage's Users API.

use super::dynamo::{put_if_absent, unavailable};
use super::keys::{user_pk, PK, PROFILE_SK, SK};
use crate::usecase::ports::StoreError;
use crate::usecase::token::UserProfiles;
use aws_sdk_dynamodb::{types::AttributeValue, Client};
use serde::{Deserialize, Serialize};
use voice_core::identity::{Profile, UserName};

/// One user's profile item, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ProfileItem {
    pk: String,
    sk: String,
    /// The Vonage user name (`identity::UserName`).
    name: String,
    /// Vonage's id of the user, `USR-…`.
    vonage_user_id: String,
    /// When we first saw the user, Unix seconds.
    created_at: u64,
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
}

impl UserProfiles for Profiles {
    async fn get(&self, name: &UserName) -> Result<Option<Profile>, StoreError> {
        let pk = user_pk(name.as_str());
        let malformed = |reason: String| StoreError::Malformed {
            pk: pk.clone(),
            sk: PROFILE_SK.into(),
            reason,
        };
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, AttributeValue::S(pk.clone()))
            .key(SK, AttributeValue::S(PROFILE_SK.into()))
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = output.item else {
            return Ok(None);
        };
        let item: ProfileItem =
            serde_dynamo::from_item(item).map_err(|e| malformed(e.to_string()))?;
        Ok(Some(Profile {
            name: UserName::parse(&item.name).map_err(malformed)?,
            vonage_user_id: item.vonage_user_id,
            created_at: item.created_at,
        }))
    }

    async fn remember(&self, profile: &Profile) -> Result<(), StoreError> {
        let item = ProfileItem {
            pk: user_pk(profile.name.as_str()),
            sk: PROFILE_SK.to_string(),
            name: profile.name.to_string(),
            vonage_user_id: profile.vonage_user_id.clone(),
            created_at: profile.created_at,
        };
        let item = serde_dynamo::to_item(&item).map_err(|e| StoreError::Malformed {
            pk: item.pk.clone(),
            sk: item.sk.clone(),
            reason: e.to_string(),
        })?;
        put_if_absent(&self.client, &self.table, item)
            .await
            .map(drop)
    }
}
