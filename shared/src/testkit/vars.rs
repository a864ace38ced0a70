//! An environment for `config::*::from_env`: pairs, the last of a name winning.

use crate::config::Env;

/// An environment of `(name, value)` pairs; the last of a name wins.
#[derive(Debug, Clone, Default)]
pub struct Vars(Vec<(String, String)>);

impl Vars {
    pub fn new(pairs: &[(&str, &str)]) -> Self {
        Self::default().with(pairs)
    }

    /// `pairs` in the environment `make run` gives the webhooks: unsigned requests allowed
    /// (`ALLOW_UNSIGNED_WEBHOOKS=true`), no metrics.
    pub fn unsigned(pairs: &[(&str, &str)]) -> Self {
        Self::new(&[("ALLOW_UNSIGNED_WEBHOOKS", "true")]).with(pairs)
    }

    pub fn with(mut self, pairs: &[(&str, &str)]) -> Self {
        self.0
            .extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        self
    }
}

impl Env for Vars {
    fn get(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }
}
