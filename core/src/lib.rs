//! The pure domain of voice-hooks: what a webhook's parameters mean and what to do about them.
//! No I/O, and no Lambda, AWS SDK or tokio crate (a check in `make test` holds it to that), so
//! the compiler keeps the layers apart: the shared crate's use cases, store and HTTP edge
//! depend on this crate, never the other way.
//!
//! - `ncco`: the NCCO types, serialised exactly as Vonage documents them.
//! - `phone`, `policy`: E.164 numbers and the destination policy against toll fraud.
//! - `answer`: an answer request → the decision → its NCCO.
//! - `event`, `status`, `decimal`, `time`: event payloads, status order, exact amounts, times.
//! - `usage`: the ledger's arithmetic: calls, limits, what a leg's end charges.
//! - `budget`: spend caps during a call: rates, reservations, what is left.
//! - `signin`: the local stand-in for a sign-in issuer (`make run` only).
//! - `signature`, `jwt`: signed webhooks (HS256) and jsonwebtoken's crypto provider.
//! - `identity`, `token`: app user names from identity claims, and their Vonage tokens.
//! - `params`, `privacy`: lenient parameter readers, and what a log line may show.

pub mod answer;
pub mod budget;
pub mod decimal;
pub mod event;
pub mod identity;
pub mod jwt;
pub mod ncco;
pub mod params;
pub mod phone;
pub mod policy;
pub mod privacy;
pub mod signature;
pub mod signin;
pub mod status;
#[cfg(any(test, feature = "test-util"))]
pub mod testkit;
pub mod time;
#[cfg(feature = "token")]
pub mod token;
pub mod usage;
