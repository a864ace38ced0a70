//! Everything voice-hooks decides, shared by the Lambda functions.
//!
//! The domain (`ncco`, `phone`, `answer`, `event`, `signature`, `token`, `params`, `error`) is
//! pure: no HTTP types, no I/O; `jwt` is jsonwebtoken's crypto provider for all of them. `http` is the one edge that touches lambda_http, with one handler per
//! function; `store` is the DynamoDB table; `users` makes sure an app user exists at Vonage (token-fn); `config` turns the environment into typed settings
//! and clients, once, at init. Arrows point one way: `http` → `store` → domain.

pub mod answer;
pub mod config;
pub mod error;
pub mod event;
pub mod http;
pub mod jwt;
pub mod metrics;
pub mod ncco;
pub mod params;
pub mod phone;
pub mod signature;
#[cfg(feature = "dynamodb")]
pub mod store;
#[cfg(any(test, feature = "test-util"))]
pub mod testkit;
#[cfg(feature = "token")]
pub mod token;
pub mod usage;
#[cfg(feature = "token")]
pub mod users;

pub use error::Error;
