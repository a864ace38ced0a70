//! The use cases, one per function, each written against the small traits it needs from the
//! table and from Vonage (declared in its own module; the store and the Vonage client implement
//! them, the test kit's in-memory versions too). Pure decisions come from `voice_core`; the HTTP
//! edge (`http`) only turns requests into their inputs and their results into responses.

pub mod answer;
#[cfg(feature = "dynamodb")]
pub mod calls;
pub mod event;
pub mod ports;
#[cfg(feature = "token")]
pub mod token;
