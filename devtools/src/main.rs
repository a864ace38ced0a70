//! `voice-hooks`: developer commands against the table named by `TABLE_NAME` (DynamoDB Local
//! under `make run`, or AWS with your credentials).
//!
//! ```text
//! voice-hooks create-table          create the table if it does not exist
//! voice-hooks calls <conversation>  print a conversation's legs and timeline
//! ```

use shared::config::{EventConfig, ProcessEnv};
use shared::store::{Conversation, Store};
use std::process::ExitCode;

const USAGE: &str = "usage: voice-hooks create-table | voice-hooks calls <conversation_uuid>";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match EventConfig::from_env(&ProcessEnv) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let store = Store::from_env(&config).await;
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["create-table"] => store
            .create_table()
            .await
            .map(|()| println!("table {} ready", store.table())),
        ["calls", conversation] => store
            .conversation(conversation)
            .await
            .map(|c| print!("{}", render(&c))),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Legs, then the timeline, as plain text tables.
fn render(conversation: &Conversation) -> String {
    let mut out = String::from("LEG                                   DIRECTION  TO               STATUS      OUTCOME     DURATION  PRICE\n");
    for leg in &conversation.legs {
        out += &format!(
            "{:<37} {:<10} {:<16} {:<11} {:<11} {:<9} {}\n",
            leg.uuid,
            leg.direction.as_deref().unwrap_or("-"),
            leg.to.as_deref().unwrap_or("-"),
            leg.status,
            leg.outcome.as_deref().unwrap_or("-"),
            leg.duration.as_deref().unwrap_or("-"),
            leg.price.as_deref().unwrap_or("-"),
        );
    }
    out += "\nTIME                      LEG                                   EVENT\n";
    for t in &conversation.timeline {
        out += &format!(
            "{:<25} {:<37} {}\n",
            t.timestamp.as_deref().unwrap_or("-"),
            t.uuid.as_deref().unwrap_or("-"),
            t.kind
        );
    }
    if conversation.legs.is_empty() && conversation.timeline.is_empty() {
        out += "(nothing stored for this conversation)\n";
    }
    out
}
