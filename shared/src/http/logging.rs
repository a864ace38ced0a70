//! Logging for the functions, set up once in each `main`. In Lambda (`AWS_LAMBDA_LOG_FORMAT=JSON`)
//! every line is a JSON object with its fields and the runtime's span, which carries the
//! request id. Anywhere else (`make run`) a line is its message alone, such as
//! `VOICE EVENT leg 8aa86e22 outbound completed duration=5s price=0.00833333`: the fields are in
//! the message already, and the runtime's span would bury it.

use lambda_http::tracing::subscriber::{
    self,
    field::Visit,
    filter::{EnvFilter, LevelFilter},
    fmt::{format::Writer, FmtContext, FormatEvent, FormatFields},
    registry::LookupSpan,
};
use lambda_http::tracing::{field::Field, Event, Level, Subscriber};
use std::fmt;

pub fn init() {
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    if json {
        lambda_http::tracing::init_default_subscriber();
        return;
    }
    // AWS_LAMBDA_LOG_LEVEL first, as in Lambda, so that `cargo lambda watch` can keep its own
    // logs quiet through RUST_LOG while the functions log at INFO.
    let filter = match std::env::var("AWS_LAMBDA_LOG_LEVEL") {
        Ok(level) => EnvFilter::builder().parse_lossy(level),
        Err(_) => EnvFilter::builder()
            .with_default_directive(LevelFilter::INFO.into())
            .from_env_lossy(),
    };
    subscriber::fmt()
        .with_env_filter(filter)
        .event_format(MessageOnly)
        .init();
}

/// `message` (prefixed by the level when it is not INFO), one line per event.
struct MessageOnly;

impl<S, N> FormatEvent<S, N> for MessageOnly
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut message = Message(String::new());
        event.record(&mut message);
        match *event.metadata().level() {
            Level::INFO => writeln!(writer, "{}", message.0),
            level => writeln!(writer, "{level} {}", message.0),
        }
    }
}

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_string();
        }
    }
}
