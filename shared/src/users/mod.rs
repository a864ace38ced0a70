//! App users at Vonage: a user's first token request creates the Vonage user (the Users API,
//! `api`) and remembers it in the table (`store::profiles`); every later request only reads the
//! profile.
//!
//! A name Vonage already has is adopted only when that user carries this service's creation
//! mark (`api::CREATED_BY` in its custom data): a concurrent first request of ours made it, or
//! a request that died before it could remember it. Any other user of that name (one made by
//! hand, say the inbound app user) is never handed out: the sign-in gets a `409` instead.

pub mod api;

use crate::error::Error;
use crate::store::profiles::{Profile, Profiles};
use crate::token::{Minter, UserName};
pub use api::{ApiError, Creation, UsersApi, CREATED_BY};

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
        let unavailable = |e: ApiError| match e {
            ApiError::Unavailable(_) => Error::Unavailable(e.to_string()),
            ApiError::Refused { .. } => Error::BadGateway(e.to_string()),
        };
        let (id, new_user) = match self
            .api
            .create(&app_token, name, display_name)
            .await
            .map_err(unavailable)?
        {
            Creation::Created(id) => (id, true),
            Creation::Taken => {
                let user = self
                    .api
                    .lookup(&app_token, name)
                    .await
                    .map_err(unavailable)?;
                if user.created_by.as_deref() != Some(CREATED_BY) {
                    return Err(Error::Conflict(
                        "a Vonage user of this name already exists and was not created by this \
                         service, so it is not handed out: sign in with another account, or, if \
                         that Vonage user is unused, delete it (vonage users delete) and sign in \
                         again"
                            .into(),
                    ));
                }
                (user.id, false)
            }
        };
        let profile = Profile::new(name, &id, now);
        self.profiles.remember(&profile).await?;
        Ok((profile, new_user))
    }
}
