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

/// A local sign-in key in a file of its own (removed when dropped), as `make run` makes one,
/// and tokens its issuer signs.
pub struct LocalSignIn {
    pub path: std::path::PathBuf,
    pub issuer: voice_core::signin::LocalIssuer,
}

impl LocalSignIn {
    /// A key of `byte`s, in a file named after `name` and this process.
    pub fn new(name: &str, byte: u8) -> Self {
        let key = [byte; 32];
        let path = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let text: String = key.iter().map(|b| format!("{b:02x}")).collect();
        std::fs::write(&path, text).expect("the key file");
        let issuer = voice_core::signin::LocalIssuer::new(&key).expect("a 32-byte key");
        Self { path, issuer }
    }

    /// `LOCAL_SIGN_IN_KEY_FILE`'s value for this key.
    pub fn file(&self) -> String {
        self.path.display().to_string()
    }

    /// A sign-in token for `user`, issued `ago` seconds ago.
    pub fn token(&self, user: &str, ago: u64) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.issuer
            .sign_in(user, &serde_json::Map::new(), now.saturating_sub(ago))
            .expect("a token")
    }
}

impl Drop for LocalSignIn {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
