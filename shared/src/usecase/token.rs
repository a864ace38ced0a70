//! token-fn's use case: the signed-in app user's verified claims → their user name → their
//! Vonage user, made on their first request and remembered → a user token for it.
//!
//! A name Vonage already has is adopted only when that user carries this service's creation
//! mark (`CREATED_BY` in its custom data): a concurrent first request of ours made it, or a
//! request that died before it could remember it. Any other user of that name (one made by
//! hand, say the inbound app user) is never handed out.

use super::ports::{StoreError, VonageError};
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use voice_core::identity::{Profile, SignInError, UserName};
use voice_core::token::Minter;

/// What this service writes into `properties.custom_data.created_by` of every user it
/// creates: the proof, kept where the user lives, that a taken name is one of ours.
pub const CREATED_BY: &str = "voice-hooks";

/// Longest display name passed on to Vonage from the `name` claim, in characters.
const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// Where the service remembers the Vonage users it made.
pub trait UserProfiles {
    fn get(
        &self,
        name: &UserName,
    ) -> impl Future<Output = Result<Option<Profile>, StoreError>> + Send;
    /// Writes the profile unless one is there already (a concurrent first request of the same
    /// user wrote it first: both name the same Vonage user).
    fn remember(&self, profile: &Profile) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// What a create did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Creation {
    /// Vonage made the user: its id.
    Created(String),
    /// The name is taken.
    Taken,
}

/// A user as Vonage holds it: its id and who created it, by the mark in its custom data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    pub created_by: Option<String>,
}

/// What the token service needs of Vonage's Users API, authorised by an application token.
pub trait VonageUsers {
    /// Creates the user, marked as this service's (`CREATED_BY`).
    fn create(
        &self,
        app_token: &str,
        name: &UserName,
        display_name: &str,
    ) -> impl Future<Output = Result<Creation, VonageError>> + Send;

    /// The user called `name`, with its creation mark.
    fn lookup(
        &self,
        app_token: &str,
        name: &UserName,
    ) -> impl Future<Output = Result<UserRecord, VonageError>> + Send;
}

/// Why no token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(transparent)]
    SignIn(#[from] SignInError),
    #[error("a Vonage user of this name already exists and was not created by this service, so it is not handed out: sign in with another account, or, if that Vonage user is unused, delete it (vonage users delete) and sign in again")]
    Taken,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Vonage(#[from] VonageError),
    #[error("the token could not be signed: {0}")]
    Mint(String),
}

/// The body of a `200`.
#[derive(Debug, Serialize)]
pub struct Issued {
    pub token: String,
    /// The Vonage user name the token is for (its `sub`).
    pub user: String,
    /// The token's `exp`, Unix seconds: refresh the session before then.
    pub expires_at: u64,
    /// Not sent: whether this request created the user at Vonage.
    #[serde(skip)]
    pub new_user: bool,
}

/// A user token for the app user the verified `claims` name by `user_claim`, at `now` (Unix
/// seconds), making their Vonage user first if this is their first request.
pub async fn issue_token<P: UserProfiles, V: VonageUsers>(
    user_claim: &str,
    claims: Option<&HashMap<String, String>>,
    minter: &Minter,
    profiles: &P,
    vonage: &V,
    now: u64,
) -> Result<Issued, TokenError> {
    let user = UserName::signed_in(claims, user_claim)?;
    let display_name = claims
        .and_then(|claims| claims.get("name"))
        .map(|name| name.trim())
        .filter(|name| !name.is_empty() && name.chars().count() <= MAX_DISPLAY_NAME_CHARS)
        .unwrap_or(user.as_str());
    let new_user = ensure(minter, profiles, vonage, &user, display_name, now).await?;
    let token = minter
        .user_token(&user, now)
        .map_err(|e| TokenError::Mint(e.to_string()))?;
    Ok(Issued {
        token: token.token,
        user: user.to_string(),
        expires_at: token.expires_at,
        new_user,
    })
}

/// Makes sure the user has a Vonage user; `true` when this request created it. Nothing is
/// remembered unless Vonage has the user: a failed create leaves no trace, and the next
/// request tries again.
async fn ensure<P: UserProfiles, V: VonageUsers>(
    minter: &Minter,
    profiles: &P,
    vonage: &V,
    name: &UserName,
    display_name: &str,
    now: u64,
) -> Result<bool, TokenError> {
    if profiles.get(name).await?.is_some() {
        return Ok(false);
    }
    let app_token = minter
        .app_token(now)
        .map_err(|e| TokenError::Mint(e.to_string()))?;
    let (id, new_user) = match vonage.create(&app_token, name, display_name).await? {
        Creation::Created(id) => (id, true),
        Creation::Taken => {
            let user = vonage.lookup(&app_token, name).await?;
            if user.created_by.as_deref() != Some(CREATED_BY) {
                return Err(TokenError::Taken);
            }
            (user.id, false)
        }
    };
    let profile = Profile {
        name: name.clone(),
        vonage_user_id: id,
        created_at: now,
    };
    profiles.remember(&profile).await?;
    Ok(new_user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{rsa_key, MemoryProfiles, MemoryVonage};

    fn minter() -> Minter {
        let acl = voice_core::token::default_acl();
        Minter::new("app", rsa_key().0.as_bytes(), 3600, acl).unwrap()
    }

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    async fn issue(
        vonage: &MemoryVonage,
        profiles: &MemoryProfiles,
        sub: &str,
    ) -> Result<Issued, TokenError> {
        let claims = claims(&[("sub", sub)]);
        issue_token(
            "sub",
            Some(&claims),
            &minter(),
            profiles,
            vonage,
            1_700_000_000,
        )
        .await
    }

    #[tokio::test]
    async fn a_first_request_makes_the_user_and_later_ones_only_read_it() {
        let (vonage, profiles) = (MemoryVonage::default(), MemoryProfiles::default());
        let first = issue(&vonage, &profiles, "alice").await.unwrap();
        assert!(first.new_user);
        let second = issue(&vonage, &profiles, "alice").await.unwrap();
        assert!(!second.new_user);
        assert_eq!(vonage.creates(), 1);
        assert_eq!(profiles.len(), 1);
    }

    #[tokio::test]
    async fn a_taken_name_is_adopted_only_with_this_services_mark() {
        let (vonage, profiles) = (MemoryVonage::default(), MemoryProfiles::default());
        vonage.add("support", None);
        vonage.add("bob", Some(CREATED_BY));
        assert!(matches!(
            issue(&vonage, &profiles, "support").await,
            Err(TokenError::Taken)
        ));
        assert_eq!(profiles.len(), 0, "nothing remembered of a user not ours");
        assert!(issue(&vonage, &profiles, "bob").await.is_ok());
        assert_eq!(profiles.len(), 1);
    }

    #[tokio::test]
    async fn without_claims_or_the_claim_there_is_no_token() {
        let (vonage, profiles) = (MemoryVonage::default(), MemoryProfiles::default());
        let none = issue_token("sub", None, &minter(), &profiles, &vonage, 0).await;
        assert!(matches!(
            none,
            Err(TokenError::SignIn(SignInError::NoIdentity))
        ));
        let other = claims(&[("email", "a@example.com")]);
        let missing = issue_token("sub", Some(&other), &minter(), &profiles, &vonage, 0).await;
        assert!(matches!(
            missing,
            Err(TokenError::SignIn(SignInError::NoClaim(_)))
        ));
        assert_eq!(vonage.creates(), 0);
    }
}
