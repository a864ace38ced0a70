//! Synthetic call traffic for both webhooks, and the check that the table holds exactly what
//! that traffic implies.
//!
//! Each call is placed by one of the app users (one user per ten calls) and answered through
//! the answer webhook (a share of answer requests are sent twice, as Vonage retries them); then
//! its events: an app leg and a phone leg with a realistic status sequence (completed, busy,
//! failed, unanswered, rejected); answered calls carry DTMF `input` events between `answered`
//! and `completed`. A share of deliveries are sent twice, the events of each call are shuffled,
//! and many handler instances (each with its own SDK client, as separate Lambda instances
//! would have) send them concurrently. The check compares every event, every leg, and every
//! user's ledger with what was sent.
//!
//! `run_capped` sends the calls again under a daily spend limit (`capped`): the answers fund
//! or refuse them, the legs last no longer than they were funded for, and the check holds every
//! user's settled spend to the exact sum of their legs' prices and to the limit.

pub mod capped;
mod check;
mod plan;
mod run;

pub use capped::{run_capped, CappedCheck};
pub use check::{check, check_ledger, Check, LedgerCheck};
pub use plan::{synthesize, ExpectedLeg, Plan, PlannedCall, Rng};
pub use run::{run, Report};
