//! Who an app user is: the name of their Vonage user, made from a verified claim of the
//! identity provider. Pure: no keys, no signatures.

use std::collections::HashMap;

/// Longest app user name the answer webhook takes, in bytes (names made here have at most
/// `UserName::MAX_LEN`): the ledger's keys are built from it.
pub const MAX_USER_LEN: usize = 256;

/// The name of a Vonage user, made from a verified claim of the identity provider.
///
/// The mapping is stable and one-to-one: ASCII letters, digits, `-` and `.` stay as they are;
/// every other byte of the claim's UTF-8 (`_` included) becomes `_` and two lowercase hex
/// digits. A Cognito `sub` (a UUID) or a Firebase uid is its own name; Auth0's `auth0|64f1…`
/// becomes `auth0_7c64f1…`; `alice@example.com` becomes `alice_40example.com`. Two different
/// claims never share a name, and a name never changes for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    /// Longest name we make, in bytes.
    pub const MAX_LEN: usize = 100;

    pub fn from_claim(claim: &str) -> Result<Self, String> {
        if claim.is_empty() {
            return Err("the identity claim is empty".into());
        }
        let mut name = String::with_capacity(claim.len());
        for byte in claim.bytes() {
            if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'.' {
                name.push(char::from(byte));
            } else {
                name.push_str(&format!("_{byte:02x}"));
            }
            if name.len() > Self::MAX_LEN {
                return Err(format!(
                    "the identity claim makes a user name longer than {} characters",
                    Self::MAX_LEN
                ));
            }
        }
        Ok(Self(name))
    }

    /// A name as `from_claim` made it (read back from where it was stored): refused unless it
    /// is one `from_claim` could have made.
    pub fn parse(name: &str) -> Result<Self, String> {
        let bytes = name.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b if b.is_ascii_alphanumeric() || b == b'-' || b == b'.' => i += 1,
                b'_' if bytes.get(i + 1..i + 3).is_some_and(|h| {
                    h.iter()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
                }) =>
                {
                    i += 3
                }
                _ => return Err(format!("`{name}` is not a user name this service makes")),
            }
        }
        if name.is_empty() || name.len() > Self::MAX_LEN {
            return Err(format!("a user name has 1 to {} characters", Self::MAX_LEN));
        }
        Ok(Self(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a request names no user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("no verified identity: call this endpoint through the API's JWT authorizer, with the sign-in ID token as `Authorization: Bearer <token>`")]
    NoIdentity,
    #[error("the identity token has no `{0}` claim to name the user by")]
    NoClaim(String),
    #[error("{0}")]
    BadClaim(String),
}

impl UserName {
    /// The user the verified `claims` name by their `user_claim`, as the token service names
    /// them at Vonage; no claims at all, no user.
    pub fn signed_in(
        claims: Option<&HashMap<String, String>>,
        user_claim: &str,
    ) -> Result<Self, SignInError> {
        let claims = claims.ok_or(SignInError::NoIdentity)?;
        let claim = claims
            .get(user_claim)
            .ok_or_else(|| SignInError::NoClaim(user_claim.to_string()))?;
        Self::from_claim(claim).map_err(SignInError::BadClaim)
    }
}

impl std::fmt::Display for UserName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The Vonage user made for an app user, as the service remembers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: UserName,
    /// Vonage's id of the user, `USR-…`.
    pub vonage_user_id: String,
    /// When the service first saw the user, Unix seconds.
    pub created_at: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn name(claim: &str) -> String {
        UserName::from_claim(claim).unwrap().to_string()
    }

    #[test]
    fn claims_of_the_usual_identity_providers_map_to_stable_user_names() {
        // Cognito sub, Firebase uid: their own names.
        assert_eq!(
            name("0d3e1b6a-7c1f-4d5e-9a8b-2f6c4e1d0a9b"),
            "0d3e1b6a-7c1f-4d5e-9a8b-2f6c4e1d0a9b"
        );
        assert_eq!(
            name("kR4pZ2xQ9vT1mN8bW3yH6sJ0aL5c"),
            "kR4pZ2xQ9vT1mN8bW3yH6sJ0aL5c"
        );
        assert_eq!(name("Alice"), "Alice");
        // Auth0, e-mail, `_` itself, and non-ASCII: escaped byte by byte.
        assert_eq!(name("auth0|64f1c2"), "auth0_7c64f1c2");
        assert_eq!(name("alice@example.com"), "alice_40example.com");
        assert_eq!(name("a_b"), "a_5fb");
        assert_eq!(name("zoë"), "zo_c3_ab");
        assert_eq!(name("a b/c"), "a_20b_2fc");
    }

    #[test]
    fn different_claims_never_share_a_user_name() {
        let claims = [
            "a_5fb",
            "a_b",
            "a|b",
            "a.b",
            "a-b",
            "ab",
            "AB",
            "a b",
            "a_7cb",
            "auth0|1",
            "auth0_7c1",
        ];
        let names: HashSet<String> = claims.iter().map(|c| name(c)).collect();
        assert_eq!(names.len(), claims.len());
    }

    #[test]
    fn a_name_made_from_a_claim_reads_back_as_itself() {
        for claim in ["alice@example.com", "auth0|64f1c2", "Alice", "é_x"] {
            let made = UserName::from_claim(claim).unwrap();
            assert_eq!(UserName::parse(made.as_str()), Ok(made));
        }
        for bad in ["", "a b", "a_zz", "a_4", "a@b"] {
            assert!(UserName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn claims_that_make_no_valid_user_name_are_refused() {
        assert!(UserName::from_claim("").is_err());
        assert_eq!(
            name(&"a".repeat(UserName::MAX_LEN)).len(),
            UserName::MAX_LEN
        );
        assert!(UserName::from_claim(&"a".repeat(UserName::MAX_LEN + 1)).is_err());
        // 34 escaped bytes are 102 characters.
        assert!(UserName::from_claim(&"|".repeat(34)).is_err());
        assert!(UserName::from_claim(&"|".repeat(33)).is_ok());
    }
}
