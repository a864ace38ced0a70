//! `make token USER=alice`: a Vonage user token made the way token-fn makes it, from the
//! application's private key (`private.key`, git-ignored) and `VONAGE_APPLICATION_ID`: the
//! tutorial's `vonage jwt create` step, done by the project.
//!
//! ```text
//! token <user> [COUNT]      COUNT tokens for <user>, one per line (default 1)
//! token new-key <PATH>      write a new 2048-bit RSA private key (PKCS#8 PEM) to PATH
//! ```
//!
//! `TOKEN_TTL_SECONDS` and `TOKEN_ACL` apply as in token-fn; `VONAGE_PRIVATE_KEY_FILE` names
//! another key file.

use shared::config::{private_key, Env, ProcessEnv, TokenConfig};
use std::process::ExitCode;
use voice_core::identity::UserName;
use voice_core::token::Minter;

const USAGE: &str = "usage: token <user> [COUNT] | token new-key <PATH>";

/// The process environment, with what a local token needs and token-fn takes elsewhere:
/// `private.key` unless a key is named, and no table (tokens are minted, not recorded).
struct Local;

impl Env for Local {
    fn get(&self, name: &str) -> Option<String> {
        let given = ProcessEnv.get(name).filter(|v| !v.trim().is_empty());
        let key_named = ["VONAGE_PRIVATE_KEY", "VONAGE_PRIVATE_KEY_SECRET"]
            .iter()
            .any(|var| ProcessEnv.get(var).is_some_and(|v| !v.trim().is_empty()));
        given.or_else(|| match name {
            "TABLE_NAME" => Some("-".into()),
            "VONAGE_PRIVATE_KEY_FILE" if !key_named => Some("private.key".into()),
            _ => None,
        })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["new-key", path] => new_key(path),
        [user] => tokens(user, "1").await,
        [user, count] => tokens(user, count).await,
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("token: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn tokens(user: &str, count: &str) -> Result<(), String> {
    let count: usize = count
        .parse()
        .map_err(|_| format!("`{count}` is not a count"))?;
    let config = TokenConfig::from_env(&Local).map_err(|e| e.to_string())?;
    let pem = private_key(&config.private_key, &ProcessEnv)
        .await
        .map_err(|e| e.to_string())?;
    let minter = Minter::new(&config.application_id, &pem, config.ttl_seconds, config.acl)
        .map_err(|e| format!("the private key: {e}"))?;
    let user = UserName::from_claim(user)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs();
    let mut out = String::new();
    for _ in 0..count {
        let token = minter.user_token(&user, now).map_err(|e| e.to_string())?;
        out.push_str(&token.token);
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}

fn new_key(path: &str) -> Result<(), String> {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeyPair, KeySize};
    use base64::{engine::general_purpose::STANDARD, Engine};
    let pair = KeyPair::generate(KeySize::Rsa2048).map_err(|e| e.to_string())?;
    let der = pair.as_der().map_err(|e| e.to_string())?;
    let body = STANDARD.encode(der.as_ref());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    std::fs::write(path, pem).map_err(|e| format!("{path}: {e}"))
}
