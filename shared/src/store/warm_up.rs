//! The SDK's once-per-process work, done during init without a request leaving the function.
//!
//! A client's first request pays for work the SDK does once: the credentials into the identity
//! cache, the first endpoint resolution, the first SigV4 signature (and with it the CPU feature
//! probe of SHA-256, which the event parser shares), the HTTP connector for the request's timeout
//! settings, and the first run of each code path. [`warm_up`] sends a `PutItem` and an
//! `UpdateItem` that an interceptor stops just before transmit, so all of that happens before
//! the function asks for its first event, and the endpoint's name is looked up for the first
//! connections (`config::dns`) while init goes on. No connection is opened and nothing is
//! sent, so it needs no permission and changes nothing. Measured in `make bench` (docs/performance.md
//! "Performance").

use aws_sdk_dynamodb::config::{
    interceptors::BeforeTransmitInterceptorContextRef, timeout::TimeoutConfig, ConfigBag,
    HttpClient, Intercept, RuntimeComponents,
};
use aws_sdk_dynamodb::Client;
use aws_smithy_runtime_api::client::http::HttpConnectorSettings;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Ends a request where it would be sent, after building the HTTP connector the real requests
/// will use (the settings the SDK's own transmit step asks for, so it finds it in its cache).
#[derive(Debug, Clone, Default)]
struct StopBeforeTransmit {
    reached: Arc<AtomicUsize>,
    /// The host of the endpoint the SDK resolved for the request.
    host: Arc<Mutex<Option<String>>>,
}

impl Intercept for StopBeforeTransmit {
    fn name(&self) -> &'static str {
        "StopBeforeTransmit"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Some(client) = components.http_client() {
            let timeouts = cfg.load::<TimeoutConfig>();
            let mut settings = HttpConnectorSettings::builder();
            settings.set_connect_timeout(timeouts.and_then(TimeoutConfig::connect_timeout));
            settings.set_read_timeout(timeouts.and_then(TimeoutConfig::read_timeout));
            let _connector = client.http_connector(&settings.build(), components);
        }
        if let Ok(mut host) = self.host.lock() {
            *host = host_of(context.request().uri()).map(str::to_string);
        }
        self.reached.fetch_add(1, Ordering::Relaxed);
        Err("warm-up: stopped before transmit".into())
    }
}

/// The host of an absolute URI: `https://dynamodb.eu-west-1.amazonaws.com/` →
/// `dynamodb.eu-west-1.amazonaws.com`; `http://[::1]:8000` → `::1`.
fn host_of(uri: &str) -> Option<&str> {
    let (_scheme, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split_once(']')?.0,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then_some(host)
}

/// Runs a `PutItem` and an `UpdateItem` on `table` up to the wire and stops them there, and
/// starts priming the resolver with the endpoint's host (in the background: init goes on).
/// Returns how many got that far (2 unless the client cannot sign, e.g. no credentials; the
/// first real request would then fail the same way, with its error).
pub async fn warm_up(client: &Client, table: &str) -> usize {
    let stop = StopBeforeTransmit::default();
    let key = || super::dynamo::s("warm-up");
    let _ = client
        .put_item()
        .table_name(table)
        .item(super::PK, key())
        .item(super::SK, key())
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", super::PK)
        .customize()
        .interceptor(stop.clone())
        .send()
        .await;
    // The name lookup runs on a blocking thread while init goes on; init does not wait for it.
    if let Some(host) = stop.host.lock().ok().and_then(|host| host.clone()) {
        tokio::spawn(async move { crate::config::dns::prime(&host).await });
    }
    let _ = client
        .update_item()
        .table_name(table)
        .key(super::PK, key())
        .key(super::SK, key())
        .update_expression("SET #s = :s")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(":s", key())
        .customize()
        .interceptor(stop.clone())
        .send()
        .await;
    stop.reached.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::host_of;

    #[test]
    fn the_host_of_an_endpoint() {
        for (uri, host) in [
            (
                "https://dynamodb.eu-west-1.amazonaws.com",
                Some("dynamodb.eu-west-1.amazonaws.com"),
            ),
            (
                "https://dynamodb.eu-west-1.amazonaws.com/",
                Some("dynamodb.eu-west-1.amazonaws.com"),
            ),
            ("http://localhost:8000/", Some("localhost")),
            ("http://127.0.0.1:8000", Some("127.0.0.1")),
            ("http://[::1]:8000/", Some("::1")),
            ("https://user@example.com:1/x?y#z", Some("example.com")),
            ("localhost:8000", None),
            ("http:///path", None),
        ] {
            assert_eq!(host_of(uri), host, "{uri}");
        }
    }
}
