//! The DynamoDB table, by concept: where items live (`keys`), what one event writes and under
//! which conditions (`rules`), the event webhook's record operation (`events`), the per-user
//! ledger (`ledger`, with the reservations of spend caps in `budget`), its call log read back
//! (`history`), app users' profiles (`profiles`), and the calls they all
//! share (`dynamo`). The read and admin side (`admin`: create the table, read a conversation
//! back) is for tools and tests; the functions do not enable it.
//!
//! Every rule is enforced by DynamoDB itself with condition expressions, never by reading
//! first: concurrent Lambda instances and redeliveries cannot race past them.

#[cfg(feature = "admin")]
pub mod admin;
pub mod budget;
pub mod dynamo;
pub mod events;
pub mod history;
pub mod items;
pub mod keys;
pub mod ledger;
#[cfg(feature = "token")]
pub mod profiles;
pub mod rules;
mod warm_up;

pub use crate::usecase::ports::StoreError;
pub use dynamo::Item;
pub use events::Store;
pub use keys::{conversation_pk, leg_sk, transition_key, EXPIRES_AT, NO_CALL_PK, PK, SK};
pub use rules::{writes, Transition, Writes};
pub use warm_up::warm_up;
