//! Name resolution for the SDK's HTTPS client, primed during init.
//!
//! In Lambda the DynamoDB endpoint is a name (`dynamodb.<region>.amazonaws.com`), and the first
//! connection resolves it: the C library's resolver starts up (nsswitch, `/etc/hosts`,
//! `resolv.conf`), a blocking thread is spawned to run it, and the query goes out — all inside
//! the first invocation. [`prime`] does that lookup during init (`store::warm_up` starts it in
//! the background, so init does not wait for it); connections opened within [`PRIMED_FOR`] of
//! it use its answer, every later one (and any before the answer) resolves again, exactly as
//! the SDK's default resolver does (`getaddrinfo` on a blocking thread).
//! Endpoints given as an IP address (DynamoDB Local) never reach a resolver.

use aws_smithy_runtime_api::client::dns::{DnsFuture, ResolveDns, ResolveDnsError};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a primed answer is used: long enough for an on-demand cold start (the first event
/// follows init within milliseconds), far shorter than the DNS records' lifetime.
pub const PRIMED_FOR: Duration = Duration::from_secs(1);

/// The longest the lookup is waited for; a slower resolver is left to the first connection.
pub const PRIME_TIMEOUT: Duration = Duration::from_millis(250);

/// One name's addresses, and when they were looked up.
#[derive(Debug, Clone)]
struct Primed {
    name: String,
    addresses: Vec<IpAddr>,
    at: Instant,
}

/// The process's primed answers (a handful of names at most: one per endpoint).
static PRIMED: Mutex<Vec<Primed>> = Mutex::new(Vec::new());

/// The primed addresses of `name`, if it was primed less than [`PRIMED_FOR`] before `now`.
fn primed_at(name: &str, now: Instant) -> Option<Vec<IpAddr>> {
    let primed = PRIMED.lock().ok()?;
    primed
        .iter()
        .find(|p| p.name == name && now.saturating_duration_since(p.at) < PRIMED_FOR)
        .map(|p| p.addresses.clone())
}

/// Records `addresses` as `name`'s answer, looked up at `at`.
fn remember(name: &str, addresses: Vec<IpAddr>, at: Instant) {
    if let Ok(mut primed) = PRIMED.lock() {
        primed.retain(|p| p.name != name);
        primed.push(Primed {
            name: name.to_string(),
            addresses,
            at,
        });
    }
}

/// `getaddrinfo` on a blocking thread, as the SDK's default resolver does.
async fn lookup(name: &str) -> std::io::Result<Vec<IpAddr>> {
    Ok(tokio::net::lookup_host((name, 0))
        .await?
        .map(|address| address.ip())
        .collect())
}

/// Resolves `host` now, for the connections of the next [`PRIMED_FOR`]. An IP address needs no
/// resolving; a lookup that fails or takes over [`PRIME_TIMEOUT`] is left for the first
/// connection to retry (and report).
pub async fn prime(host: &str) {
    prime_with(host, lookup(host)).await
}

async fn prime_with(
    host: &str,
    lookup: impl std::future::Future<Output = std::io::Result<Vec<IpAddr>>>,
) {
    if host.parse::<IpAddr>().is_ok() {
        return;
    }
    let at = Instant::now();
    if let Ok(Ok(addresses)) = tokio::time::timeout(PRIME_TIMEOUT, lookup).await {
        if !addresses.is_empty() {
            remember(host, addresses, at);
        }
    }
}

/// Whether `host` has a primed answer in use now.
pub fn is_primed(host: &str) -> bool {
    primed_at(host, Instant::now()).is_some()
}

/// The resolver the HTTPS client is built with (`config::aws::https_client`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PrimedResolver;

impl ResolveDns for PrimedResolver {
    fn resolve_dns<'a>(&'a self, name: &'a str) -> DnsFuture<'a> {
        match primed_at(name, Instant::now()) {
            Some(addresses) => DnsFuture::ready(Ok(addresses)),
            None => DnsFuture::new(async move { lookup(name).await.map_err(ResolveDnsError::new) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Names under `.invalid` never resolve (RFC 6761): an answer for one can only be primed.

    #[tokio::test]
    async fn a_primed_name_is_answered_from_init_without_a_lookup() {
        let address: IpAddr = "192.0.2.7".parse().unwrap();
        remember("primed.voice-hooks.invalid", vec![address], Instant::now());
        let answer = PrimedResolver
            .resolve_dns("primed.voice-hooks.invalid")
            .await
            .unwrap();
        assert_eq!(answer, vec![address]);
        assert!(is_primed("primed.voice-hooks.invalid"));
    }

    #[tokio::test]
    async fn after_the_window_the_name_is_resolved_again() {
        let long_ago = Instant::now()
            .checked_sub(PRIMED_FOR + Duration::from_millis(1))
            .unwrap();
        remember(
            "stale.voice-hooks.invalid",
            vec!["192.0.2.8".parse().unwrap()],
            long_ago,
        );
        assert!(!is_primed("stale.voice-hooks.invalid"));
        assert!(
            PrimedResolver
                .resolve_dns("stale.voice-hooks.invalid")
                .await
                .is_err(),
            "looked up for real, and .invalid does not resolve"
        );
        let just_inside = Instant::now()
            .checked_sub(PRIMED_FOR - Duration::from_millis(50))
            .unwrap();
        remember(
            "stale.voice-hooks.invalid",
            vec!["192.0.2.8".parse().unwrap()],
            just_inside,
        );
        assert!(is_primed("stale.voice-hooks.invalid"));
    }

    #[tokio::test]
    async fn other_names_and_unprimed_names_are_looked_up() {
        remember(
            "one.voice-hooks.invalid",
            vec!["192.0.2.9".parse().unwrap()],
            Instant::now(),
        );
        assert!(PrimedResolver
            .resolve_dns("two.voice-hooks.invalid")
            .await
            .is_err());
        let localhost = PrimedResolver.resolve_dns("localhost").await.unwrap();
        assert!(localhost.iter().all(IpAddr::is_loopback), "{localhost:?}");
    }

    #[tokio::test]
    async fn priming_resolves_names_and_skips_addresses_and_failures() {
        prime("localhost").await;
        assert!(is_primed("localhost"));
        prime("127.0.0.1").await;
        assert!(!is_primed("127.0.0.1"));
        prime("nowhere.voice-hooks.invalid").await;
        assert!(!is_primed("nowhere.voice-hooks.invalid"));
    }

    #[tokio::test]
    async fn a_resolver_that_does_not_answer_is_given_up_on_after_the_timeout() {
        let started = Instant::now();
        prime_with("slow.voice-hooks.invalid", std::future::pending()).await;
        let waited = started.elapsed();
        assert!(waited >= PRIME_TIMEOUT, "{waited:?}");
        assert!(waited < PRIME_TIMEOUT * 4, "{waited:?}");
        assert!(!is_primed("slow.voice-hooks.invalid"));
    }
}
