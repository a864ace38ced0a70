//! The test kit (feature `test-util`): what tests across the workspace build requests, tokens
//! and stores with, so that no test file carries its own copy.
//!
//! - `Vars`: an environment for `config::*::from_env`.
//! - `ApiGw`: a request exactly as API Gateway's HTTP API hands it to a function.
//! - `mint`, `bearer`, `vonage_claims`, `rsa_key` (from `voice_core::testkit`): tokens signed
//!   here, independently of the code under test.
//! - `tutorial_call`, `vonage_docs`: the fixtures, as they are.
//! - `MemoryLedger` and friends: the use cases' traits in memory, for tests without DynamoDB.
//! - `local_store` and friends (with `admin`): a fresh table in DynamoDB Local.

mod fixtures;
mod ledger;
mod memory;
mod requests;
#[cfg(feature = "admin")]
mod store;
mod vars;

pub use fixtures::*;
pub use ledger::*;
pub use memory::*;
pub use requests::*;
#[cfg(feature = "admin")]
pub use store::*;
pub use vars::{LocalSignIn, Vars};
pub use voice_core::testkit::*;
