//! App users at Vonage: a user's first token request creates the Vonage user (the Users API,
//! `api`) and remembers it in the table (`store::profiles`); every later request only reads the
//! profile.

pub mod api;

use crate::error::Error;
use crate::store::profiles::{Profile, Profiles};
use crate::token::{Minter, UserName};
pub use api::{ApiError, UsersApi};

/// What a token request needs to know its user: the table's profiles and Vonage's Users API.
#[derive(Clone, Debug)]
pub struct Directory {
    pub profiles: Profiles,
    pub api: UsersApi,
}

impl Directory {
    /// The user's profile, creating the Vonage user first if this is their first request
    /// (then `true`). Nothing is written unless Vonage has the user: a failed create leaves no
    /// trace, and the next request tries again.
    pub async fn ensure(
        &self,
        minter: &Minter,
        name: &UserName,
        display_name: &str,
        now: u64,
    ) -> Result<(Profile, bool), Error> {
        if let Some(profile) = self.profiles.get(name).await? {
            return Ok((profile, false));
        }
        let app_token = minter
            .app_token(now)
            .map_err(|e| Error::Unavailable(e.to_string()))?;
        let id = self
            .api
            .create(&app_token, name, display_name)
            .await
            .map_err(|e| match e {
                ApiError::Unavailable(_) => Error::Unavailable(e.to_string()),
                ApiError::Refused { .. } => Error::BadGateway(e.to_string()),
            })?;
        let profile = Profile::new(name, &id, now);
        self.profiles.remember(&profile).await?;
        Ok((profile, true))
    }
}
