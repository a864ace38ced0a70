//! Tools for developing voice-hooks: a DynamoDB Local of one's own, a fault-injecting proxy in
//! front of it, and synthetic call traffic with its check. Used by `make load`, the fault
//! tests and the benchmark; never deployed.

pub mod bench;
pub mod deployed;
pub mod dynamodb_local;
pub mod http;
pub mod load;
pub mod proxy;
pub mod report;
pub mod runtime_api;
pub mod secrets;
pub mod vonage;
