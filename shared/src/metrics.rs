//! CloudWatch embedded metric format (EMF): metrics written as one JSON line on stdout, which
//! Lambda's log pipeline turns into CloudWatch metrics; no API call, nothing on the response's
//! path but a `println!`.
//!
//! Written here rather than through a metrics crate: a handler emits one document per
//! invocation with a handful of values, and money must keep the exact decimal text Vonage sent
//! (`0.00833333`), where the `metrics` facade would turn it into an `f64`.
//!
//! Dimensions are few and bounded (function, decision, result, reason, status class): never a
//! phone number, user name or leg id.
//!
//! Metrics are on when the deployed stack names their namespace (`POWERTOOLS_METRICS_NAMESPACE`,
//! Powertools' convention, set by template.yaml): `config` reads it into [`Metrics`]. Nothing
//! sniffs the platform, and `make run` (which sets no namespace) keeps its terminal readable.

use serde_json::Value;
use voice_core::decimal::Decimal;

/// The variable that turns metrics on and names their CloudWatch namespace.
pub const NAMESPACE_VAR: &str = "POWERTOOLS_METRICS_NAMESPACE";

/// Where a function's EMF documents go: stdout, under one CloudWatch namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metrics {
    namespace: String,
}

impl Metrics {
    /// A CloudWatch namespace: 1 to 255 of `0-9A-Za-z . - _ / # :` and space, not only
    /// spaces, and not starting with `AWS/` (reserved for AWS's own).
    pub fn new(namespace: &str) -> Result<Self, String> {
        let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_/#: ".contains(c);
        if namespace.is_empty() || namespace.len() > 255 || namespace.trim().is_empty() {
            return Err("a namespace has 1 to 255 characters".into());
        }
        if let Some(c) = namespace.chars().find(|c| !allowed(*c)) {
            return Err(format!("`{c}` is not allowed in a CloudWatch namespace"));
        }
        if namespace.starts_with("AWS/") {
            return Err("namespaces starting with AWS/ are AWS's own".into());
        }
        Ok(Self {
            namespace: namespace.to_string(),
        })
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Writes `emf` to stdout, where Lambda's log pipeline picks it up.
    pub fn emit(&self, emf: &Emf) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        println!("{}", emf.document(&self.namespace, now));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Seconds,
    Milliseconds,
    Percent,
    None,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Seconds => "Seconds",
            Unit::Milliseconds => "Milliseconds",
            Unit::Percent => "Percent",
            Unit::None => "None",
        }
    }
}

/// A metric's name, unit and value as JSON number text.
type Metric = (&'static str, Unit, String);

/// Dimension sets, and the metrics published under them.
type Directive = (Vec<Vec<&'static str>>, Vec<Metric>);

/// One invocation's metrics: dimension values, and metrics grouped by the dimension sets they
/// are published under.
#[derive(Debug, Clone, Default)]
pub struct Emf {
    dimensions: Vec<(&'static str, String)>,
    directives: Vec<Directive>,
}

impl Emf {
    /// Metrics of one function (`answer`, `event`): every dimension set starts with `Function`.
    pub fn new(function: &str) -> Self {
        Self::default().dimension("Function", function)
    }

    /// Sets a dimension's value for this document.
    pub fn dimension(mut self, name: &'static str, value: &str) -> Self {
        self.dimensions.retain(|(n, _)| *n != name);
        self.dimensions.push((name, value.to_string()));
        self
    }

    /// Adds a whole-number metric, published under each of `dimension_sets`.
    pub fn count(self, dimension_sets: &[&[&'static str]], name: &'static str, n: u64) -> Self {
        self.whole(dimension_sets, name, Unit::Count, n)
    }

    /// Adds a whole number in `unit` (a percentage, say), published under `dimension_sets`.
    pub fn whole(
        self,
        dimension_sets: &[&[&'static str]],
        name: &'static str,
        unit: Unit,
        n: u64,
    ) -> Self {
        self.metric(dimension_sets, name, unit, n.to_string())
    }

    /// Adds an exact decimal metric (seconds, money), published under `dimension_sets`.
    pub fn decimal(
        self,
        dimension_sets: &[&[&'static str]],
        name: &'static str,
        unit: Unit,
        value: &Decimal,
    ) -> Self {
        self.metric(dimension_sets, name, unit, value.as_str().to_string())
    }

    /// Adds a duration in milliseconds, published under `dimension_sets`.
    pub fn millis(
        self,
        dimension_sets: &[&[&'static str]],
        name: &'static str,
        elapsed: std::time::Duration,
    ) -> Self {
        let ms = format!("{:.3}", elapsed.as_secs_f64() * 1e3);
        self.metric(dimension_sets, name, Unit::Milliseconds, ms)
    }

    fn metric(
        mut self,
        dimension_sets: &[&[&'static str]],
        name: &'static str,
        unit: Unit,
        number: String,
    ) -> Self {
        let sets: Vec<Vec<&'static str>> = dimension_sets.iter().map(|s| s.to_vec()).collect();
        match self.directives.iter_mut().find(|(d, _)| *d == sets) {
            Some((_, metrics)) => metrics.push((name, unit, number)),
            None => self.directives.push((sets, vec![(name, unit, number)])),
        }
        self
    }

    /// The EMF document in `namespace`, one line of JSON, at `timestamp_ms` (epoch
    /// milliseconds). Numbers are written as their exact text, so a price stays the decimal
    /// Vonage sent.
    pub fn document(&self, namespace: &str, timestamp_ms: u128) -> String {
        let directives: Vec<Value> = self
            .directives
            .iter()
            .map(|(sets, metrics)| {
                serde_json::json!({
                    "Namespace": namespace,
                    "Dimensions": sets,
                    "Metrics": metrics.iter().map(|(name, unit, _)| {
                        serde_json::json!({"Name": name, "Unit": unit.name()})
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        let aws = serde_json::json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": directives});
        let mut line = format!("{{\"_aws\":{aws}");
        for (name, value) in &self.dimensions {
            line.push_str(&format!(
                ",{}:{}",
                Value::from(*name),
                Value::from(value.as_str())
            ));
        }
        for (_, metrics) in &self.directives {
            for (name, _, number) in metrics {
                line.push_str(&format!(",{}:{number}", Value::from(*name)));
            }
        }
        line.push('}');
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_names_each_metric_under_its_dimension_sets_and_keeps_decimals_exact() {
        let price = Decimal::parse("0.00833333").unwrap();
        let doc = Emf::new("event")
            .dimension("Result", "stored")
            .count(&[&["Function"], &["Function", "Result"]], "Events", 1)
            .decimal(&[&["Function"]], "CallPrice", Unit::None, &price)
            .document("VoiceHooks", 1_700_000_000_000);
        assert!(doc.contains(r#""CallPrice":0.00833333"#), "{doc}");
        let value: Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(value["_aws"]["Timestamp"], 1_700_000_000_000u64);
        let directives = value["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 2);
        assert_eq!(directives[0]["Namespace"], "VoiceHooks");
        assert_eq!(
            directives[0]["Dimensions"],
            serde_json::json!([["Function"], ["Function", "Result"]])
        );
        assert_eq!(
            directives[0]["Metrics"][0],
            serde_json::json!({"Name": "Events", "Unit": "Count"})
        );
        assert_eq!(
            (value["Function"].clone(), value["Result"].clone()),
            ("event".into(), "stored".into())
        );
        assert_eq!(value["Events"], 1);
        assert!(!doc.contains('\n'));
    }

    #[test]
    fn a_namespace_is_what_cloudwatch_takes() {
        for good in ["VoiceHooks", "voice-hooks/staging", "Team #1: calls"] {
            assert_eq!(Metrics::new(good).unwrap().namespace(), good);
        }
        for bad in ["", "   ", "AWS/Lambda", "calls\n", "café", &"n".repeat(256)] {
            assert!(Metrics::new(bad).is_err(), "{bad:?}");
        }
    }
}
