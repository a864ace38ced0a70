//! The functions' application layer, over the pure domain of `voice_core`:
//!
//! - `usecase`: one module per function (answer, event, token), each written against the small
//!   traits it needs from the table and from Vonage;
//! - `http`: the one edge that touches lambda_http, turning requests into use-case inputs and
//!   results (and `error`s) into responses;
//! - `store`: the DynamoDB table, implementing the use cases' traits; `vonage`: Vonage's Users
//!   API client (token-fn);
//! - `config`: environment → typed settings and clients, once, at init; `metrics`: CloudWatch
//!   EMF documents.
//!
//! Arrows point one way: `http` → `usecase` → `voice_core`; `store` and `vonage` → the use
//! cases' traits; nothing imports `http`. `scripts/check_layers.py` (in `make test`) refuses a
//! cycle between any two files.

pub mod config;
pub mod error;
pub mod http;
pub mod metrics;
#[cfg(feature = "dynamodb")]
pub mod store;
#[cfg(any(test, feature = "test-util"))]
pub mod testkit;
pub mod usecase;
#[cfg(feature = "token")]
pub mod vonage;

pub use error::Error;
