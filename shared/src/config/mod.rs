//! Environment variables → typed configuration, read once at init, by concept: the
//! environment's readers (`env`), the signature check (`signature`), each function's settings
//! (`answer`, `event`, `token`, `calls`), what they share (`limits`, `identity`), and the AWS clients (`aws`, `dns`).
//!
//! Each function reads only what it uses. A missing or malformed variable is an error that names
//! the variable, so the function stops at init with a message that says what to fix.

pub mod answer;
#[cfg(feature = "dynamodb")]
pub mod aws;
#[cfg(feature = "dynamodb")]
pub mod calls;
#[cfg(feature = "dynamodb")]
pub mod dns;
pub mod env;
pub mod event;
#[cfg(feature = "dynamodb")]
pub mod identity;
pub mod limits;
pub mod signature;
#[cfg(feature = "token")]
pub mod token;

pub use answer::{AnswerConfig, ANSWER_ENV};
#[cfg(feature = "dynamodb")]
pub use aws::{dynamodb_client, https_client, ledger_client, AWS_ROOT_CERTIFICATES};
#[cfg(feature = "dynamodb")]
pub use calls::{CallsConfig, CALLS_ENV};
pub use env::{ConfigError, Env, ProcessEnv};
pub use event::{EventConfig, EVENT_ENV};
#[cfg(feature = "dynamodb")]
pub use identity::{Identity, IDENTITY_ENV, LOCAL_SIGN_IN_VAR};
pub use signature::SIGNATURE_ENV;
#[cfg(feature = "token")]
pub use token::{private_key, KeySource, TokenConfig, TOKEN_ENV};

#[cfg(test)]
mod tests {
    use super::*;

    /// Records every variable asked for, answering with values that make parsing succeed.
    struct Recording(std::cell::RefCell<Vec<String>>);

    impl Env for Recording {
        fn get(&self, name: &str) -> Option<String> {
            self.0.borrow_mut().push(name.to_string());
            match name {
                "VONAGE_NUMBER" => Some("447700900001".into()),
                "ALLOW_UNSIGNED_WEBHOOKS" => Some("true".into()),
                "TABLE_NAME" => Some("calls".into()),
                "VONAGE_APPLICATION_ID" => Some("app".into()),
                "VONAGE_PRIVATE_KEY_FILE" => Some("private.key".into()),
                _ => None,
            }
        }
    }

    fn names_read(parse: impl Fn(&Recording)) -> Vec<String> {
        let env = Recording(Default::default());
        parse(&env);
        let mut names = env.0.take();
        names.sort();
        names.dedup();
        names
    }

    fn sorted(lists: &[&[&str]]) -> Vec<String> {
        let mut names: Vec<String> = lists.concat().iter().map(|s| s.to_string()).collect();
        names.sort();
        names
    }

    #[test]
    fn the_declared_variable_lists_are_exactly_what_from_env_reads() {
        let answer = names_read(|env| drop(AnswerConfig::from_env(env).unwrap()));
        assert_eq!(answer, sorted(&[ANSWER_ENV, SIGNATURE_ENV]));
        let event = names_read(|env| drop(EventConfig::from_env(env).unwrap()));
        assert_eq!(event, sorted(&[EVENT_ENV, SIGNATURE_ENV]));
        #[cfg(feature = "token")]
        {
            let token = names_read(|env| drop(TokenConfig::from_env(env).unwrap()));
            assert_eq!(token, sorted(&[TOKEN_ENV, IDENTITY_ENV]));
        }
        #[cfg(feature = "dynamodb")]
        {
            let calls = names_read(|env| drop(CallsConfig::from_env(env).unwrap()));
            assert_eq!(calls, sorted(&[CALLS_ENV, IDENTITY_ENV]));
        }
    }
}
