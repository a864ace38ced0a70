//! Everything voice-hooks decides, shared by the two Lambda functions.
//!
//! The binaries only wire these pieces together at init; every rule lives here, where tests
//! reach it without a Lambda runtime.

pub mod answer;
pub mod config;
pub mod error;
pub mod event;
pub mod ncco;
pub mod phone;
pub mod signature;
#[cfg(feature = "dynamodb")]
pub mod store;
pub mod webhook;

pub use error::Error;
