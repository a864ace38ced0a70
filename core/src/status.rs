//! A call leg's status as Vonage reports it, and the order statuses follow: a leg's stored
//! status only ever moves up it.

use std::fmt;

/// A call leg's status as Vonage reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CallStatus {
    Started,
    Ringing,
    Answered,
    Machine,
    Human,
    Disconnected,
    Transfer,
    Busy,
    Cancelled,
    Unanswered,
    Rejected,
    Failed,
    Timeout,
    Completed,
    /// A status this code does not know yet: kept and stored, never rejected.
    Other(String),
}

impl CallStatus {
    pub fn parse(status: &str) -> Self {
        match status {
            "started" => Self::Started,
            "ringing" => Self::Ringing,
            "answered" => Self::Answered,
            "machine" => Self::Machine,
            "human" => Self::Human,
            "disconnected" => Self::Disconnected,
            "transfer" => Self::Transfer,
            "busy" => Self::Busy,
            "cancelled" => Self::Cancelled,
            "unanswered" => Self::Unanswered,
            "rejected" => Self::Rejected,
            "failed" => Self::Failed,
            "timeout" => Self::Timeout,
            "completed" => Self::Completed,
            other => Self::Other(other.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Started => "started",
            Self::Ringing => "ringing",
            Self::Answered => "answered",
            Self::Machine => "machine",
            Self::Human => "human",
            Self::Disconnected => "disconnected",
            Self::Transfer => "transfer",
            Self::Busy => "busy",
            Self::Cancelled => "cancelled",
            Self::Unanswered => "unanswered",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
            Self::Completed => "completed",
            Self::Other(s) => s,
        }
    }

    /// How far along its life a leg is in this status. A leg's stored status only moves to an
    /// equal or higher rank, so late webhooks cannot move it back. Statuses that say nothing
    /// about progress (transfer, unknown ones) rank lowest: they only show on a leg that has
    /// nothing better.
    pub fn rank(&self) -> u8 {
        match self {
            Self::Transfer | Self::Other(_) => 0,
            Self::Started => 1,
            Self::Ringing => 2,
            Self::Answered | Self::Machine | Self::Human => 3,
            Self::Disconnected => 4,
            Self::Busy
            | Self::Cancelled
            | Self::Unanswered
            | Self::Rejected
            | Self::Failed
            | Self::Timeout => 5,
            Self::Completed => 6,
        }
    }

    /// Whether the leg ended without ever connecting: busy, cancelled, unanswered, rejected,
    /// failed or timed out.
    pub fn is_not_connected(&self) -> bool {
        matches!(
            self,
            Self::Busy
                | Self::Cancelled
                | Self::Unanswered
                | Self::Rejected
                | Self::Failed
                | Self::Timeout
        )
    }

    /// Rank of this status as the leg's outcome (how it ended), if it is one: being answered,
    /// or one of the ways a call fails to connect, which outrank `answered`. `completed` is not
    /// an outcome: it follows all of them.
    pub fn outcome_rank(&self) -> Option<u8> {
        match self {
            Self::Answered => Some(1),
            status if status.is_not_connected() => Some(2),
            _ => None,
        }
    }
}

impl fmt::Display for CallStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
