//! The event log, user profiles and Vonage's Users API in memory, for use-case tests that run
//! without DynamoDB Local or Vonage (the ledger's: `testkit::ledger`).

use crate::usecase::event::EventLog;
use crate::usecase::ports::StoreError;
use std::collections::HashSet;
use std::sync::Mutex;
use voice_core::event::{CallEvent, Recorded};

/// The event log in memory: each event once, by what identifies it.
#[derive(Debug, Default)]
pub struct MemoryLog {
    transitions: Mutex<HashSet<String>>,
}

impl MemoryLog {
    pub fn transitions(&self) -> usize {
        self.transitions.lock().expect("log").len()
    }
}

impl EventLog for MemoryLog {
    async fn record(
        &self,
        event: &CallEvent,
        _raw: &str,
        _moves_leg: bool,
    ) -> Result<Recorded, StoreError> {
        let key = format!(
            "{:?}|{:?}|{}|{:?}|{:?}",
            event.conversation_uuid,
            event.uuid,
            event.kind.name(),
            event.timestamp,
            event.fingerprint
        );
        let mut transitions = self
            .transitions
            .lock()
            .map_err(|_| StoreError::Unavailable("poisoned".into()))?;
        Ok(if transitions.insert(key) {
            Recorded::New
        } else {
            Recorded::Duplicate
        })
    }
}

#[cfg(feature = "token")]
pub use self::token::*;

#[cfg(feature = "token")]
mod token {
    use crate::usecase::ports::{StoreError, VonageError};
    use crate::usecase::token::{Creation, UserProfiles, UserRecord, VonageUsers, CREATED_BY};
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use voice_core::identity::{Profile, UserName};

    /// The profiles in memory: the first remembered stays.
    #[derive(Debug, Default)]
    pub struct MemoryProfiles(Mutex<HashMap<String, Profile>>);

    impl MemoryProfiles {
        pub fn len(&self) -> usize {
            self.0.lock().expect("profiles").len()
        }

        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }
    }

    impl UserProfiles for MemoryProfiles {
        async fn get(&self, name: &UserName) -> Result<Option<Profile>, StoreError> {
            Ok(self.0.lock().expect("profiles").get(name.as_str()).cloned())
        }

        async fn remember(&self, profile: &Profile) -> Result<(), StoreError> {
            let mut profiles = self.0.lock().expect("profiles");
            profiles
                .entry(profile.name.to_string())
                .or_insert_with(|| profile.clone());
            Ok(())
        }
    }

    /// Vonage's users in memory: name → (id, creation mark).
    #[derive(Debug, Default)]
    pub struct MemoryVonage {
        users: Mutex<HashMap<String, (String, Option<String>)>>,
        creates: AtomicUsize,
    }

    impl MemoryVonage {
        /// A user made earlier, with `created_by` as its mark (`None`: made by hand).
        pub fn add(&self, name: &str, created_by: Option<&str>) {
            let mut users = self.users.lock().expect("users");
            users.insert(
                name.into(),
                (format!("USR-{name}"), created_by.map(str::to_string)),
            );
        }

        pub fn creates(&self) -> usize {
            self.creates.load(Ordering::SeqCst)
        }
    }

    impl VonageUsers for MemoryVonage {
        async fn create(
            &self,
            _app_token: &str,
            name: &UserName,
            _display_name: &str,
        ) -> Result<Creation, VonageError> {
            let mut users = self.users.lock().expect("users");
            if users.contains_key(name.as_str()) {
                return Ok(Creation::Taken);
            }
            let id = format!("USR-{name}");
            users.insert(name.to_string(), (id.clone(), Some(CREATED_BY.into())));
            self.creates.fetch_add(1, Ordering::SeqCst);
            Ok(Creation::Created(id))
        }

        async fn lookup(
            &self,
            _app_token: &str,
            name: &UserName,
        ) -> Result<UserRecord, VonageError> {
            let users = self.users.lock().expect("users");
            let (id, created_by) =
                users
                    .get(name.as_str())
                    .cloned()
                    .ok_or(VonageError::Refused {
                        status: 404,
                        body: "no such user".into(),
                    })?;
            Ok(UserRecord { id, created_by })
        }
    }
}
