//! `voice-hooks`: developer commands against the table named by `TABLE_NAME` (DynamoDB Local
//! under `make run`, or AWS with your credentials).
//!
//! ```text
//! voice-hooks create-table          create the table if it does not exist
//! voice-hooks calls <conversation>  print a conversation's legs and timeline
//! voice-hooks user <name>           print an app user's calls and their days' totals
//! voice-hooks load [CALLS] [EVENTS] synthetic traffic through the event handler, then a check
//! ```

use shared::config::EventConfig;
use shared::store::admin::Conversation;
use shared::store::Store;
use std::process::ExitCode;

const USAGE: &str =
    "usage: voice-hooks create-table | voice-hooks calls <conversation_uuid> | voice-hooks user <name> | voice-hooks load [CALLS] [EVENTS]";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The tools send no webhooks through Vonage: the table is all they need.
    let Some(table) = std::env::var("TABLE_NAME")
        .ok()
        .filter(|t| !t.trim().is_empty())
    else {
        eprintln!("TABLE_NAME is not set; set it to the DynamoDB table that holds the calls");
        return ExitCode::FAILURE;
    };
    let config = EventConfig::unsigned(table.trim());
    let store = match Store::from_env(&config) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
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
        ["user", name] => devtools::report::user_calls(store.ledger(), name)
            .await
            .map(|text| print!("{text}")),
        ["load", rest @ ..] if rest.len() <= 2 => {
            let number = |i: usize, default: usize| {
                rest.get(i).and_then(|s| s.parse().ok()).unwrap_or(default)
            };
            return load(&store, &config, number(0, 500), number(1, 10_000)).await;
        }
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

/// `make load`: traffic through the event handler against the table, then the check.
async fn load(store: &Store, config: &EventConfig, calls: usize, events: usize) -> ExitCode {
    use devtools::load;
    if let Err(e) = store.create_table().await {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let plan = load::synthesize(calls, events, 10, 42);
    let users: std::collections::BTreeSet<&str> =
        plan.calls.iter().map(|c| c.user.as_str()).collect();
    println!(
        "{} calls from {} users ({} answer requests), {} deliveries ({} distinct events, {} duplicates), 32 handler instances, table {}",
        calls,
        users.len(),
        plan.answers.len(),
        plan.deliveries.len(),
        plan.distinct,
        plan.deliveries.len() - plan.distinct,
        store.table()
    );
    let first_day = voice_core::time::day_of(&voice_core::time::Timestamp::now()).to_string();
    let report = load::run(&plan, config, 32).await;
    let last_day = voice_core::time::day_of(&voice_core::time::Timestamp::now()).to_string();
    println!(
        "answered {} requests, {} not connected",
        report.answers, report.answer_errors
    );
    println!(
        "sent {} in {:.2}s: {:.0} events/s, latency p50 {:.2} ms, p99 {:.2} ms, errors {} {:?}",
        report.sent,
        report.elapsed.as_secs_f64(),
        report.events_per_second(),
        report.p50.as_secs_f64() * 1e3,
        report.p99.as_secs_f64() * 1e3,
        report.errors,
        report.status_counts
    );
    match load::check(&plan, store).await {
        Ok(check) => {
            println!(
                "check: {} transitions stored of {} distinct sent; {} lost, {} duplicated or unexpected, {} wrong legs of {}",
                check.transitions_stored,
                check.transitions_expected,
                check.lost,
                check.unexpected,
                check.wrong_legs.len(),
                plan.legs.len()
            );
            for wrong in check.wrong_legs.iter().take(10) {
                println!("  {wrong}");
            }
            let mut days = vec![first_day];
            if last_day != days[0] {
                days.push(last_day);
            }
            let ledger = match load::check_ledger(&plan, store, &days).await {
                Ok(ledger) => ledger,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            println!(
                "ledger: {} users, {} calls, {} phone legs: totals exact for {} of {} users; {} lost, {} double-counted",
                ledger.users,
                plan.calls.len(),
                plan.calls.len(),
                ledger.exact,
                ledger.users,
                ledger.lost,
                ledger.double_counted
            );
            for wrong in ledger.wrong.iter().take(10) {
                println!("  {wrong}");
            }
            let uncapped = check.ok() && ledger.ok() && report.errors == 0;
            if !(uncapped && report.answer_errors == 0) {
                println!("check: FAILED");
                return ExitCode::FAILURE;
            }
            println!("check: OK");
            capped(&plan, config).await
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The same calls under a spend limit of `CAPPED_LIMIT` a user a day, on a table of their own.
const CAPPED_LIMIT: &str = "1.00";

async fn capped(plan: &devtools::load::Plan, config: &EventConfig) -> ExitCode {
    let config = EventConfig::unsigned(&format!("{}-capped", config.table_name));
    let store = match Store::from_env(&config) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = store.create_table().await {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    println!(
        "\nthe same {} calls under a spend limit of {CAPPED_LIMIT} a user a day (RATE_TABLE 44:{}, \
         MAX_CALL_SECONDS {}), two calls of a user at a time, table {}",
        plan.calls.len(),
        devtools::load::capped::RATE,
        devtools::load::capped::MAX_CALL_SECONDS,
        store.table()
    );
    let started = std::time::Instant::now();
    match devtools::load::run_capped(plan, &config, 32, CAPPED_LIMIT).await {
        Ok(check) => {
            println!(
                "capped: {} calls in {:.2}s: {} funded ({} cut short by their limit), {} refused for budget",
                check.calls,
                started.elapsed().as_secs_f64(),
                check.funded,
                check.cut,
                check.refused
            );
            println!(
                "capped check: {} users, settled spend exact and nothing held for {}; {} over the limit; highest spend {} of {CAPPED_LIMIT} (uncapped, the same calls would have cost a user up to {})",
                check.users, check.exact, check.over_limit, check.highest, check.uncapped_highest
            );
            for wrong in check.wrong.iter().take(10) {
                println!("  {wrong}");
            }
            if check.ok() {
                println!("capped check: OK, no user's settled spend exceeds the limit");
                ExitCode::SUCCESS
            } else {
                println!("capped check: FAILED");
                ExitCode::FAILURE
            }
        }
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
