//! `make login USER=alice`: a sign-in token for the local stack, signed with the key `make run`
//! made (`LOCAL_SIGN_IN_KEY_FILE`, target/local-sign-in.key), which `make run`'s token service
//! and call history check as API Gateway's JWT authorizer checks a real issuer's. Use it as
//! your app would use its sign-in's ID token: `Authorization: Bearer <token>` on `POST /token`
//! and `GET /calls`. No deployed stack trusts it (docs/users.md).
//!
//! ```text
//! login <user> [DISPLAY NAME]   the token on stdout (its `sub` is <user>; `name` if given)
//! ```

use shared::config::identity::local_sign_in;
use shared::config::{ProcessEnv, LOCAL_SIGN_IN_VAR};
use shared::http::identity::now_seconds;
use std::process::ExitCode;
use voice_core::identity::UserName;
use voice_core::signin::SIGN_IN_TTL_SECONDS;

const USAGE: &str = "usage: login <user> [DISPLAY NAME]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (user, name) = match &args[..] {
        [user] => (user, None),
        [user, name] => (user, Some(name)),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match login(user, name) {
        Ok(token) => {
            println!("{token}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn login(user: &str, name: Option<&String>) -> Result<String, String> {
    let vonage_user = UserName::from_claim(user)?;
    let issuer = local_sign_in(&ProcessEnv)
        .map_err(|e| e.to_string())?
        .ok_or(format!(
            "{LOCAL_SIGN_IN_VAR} is not set: run make login, which sets it as make run does"
        ))?;
    let mut extra = serde_json::Map::new();
    if let Some(name) = name {
        extra.insert("name".into(), name.as_str().into());
    }
    let token = issuer.sign_in(user, &extra, now_seconds())?;
    eprintln!(
        "signed in as {user} (Vonage user {vonage_user}) for {} minutes, for make run only",
        SIGN_IN_TTL_SECONDS / 60
    );
    Ok(token)
}
