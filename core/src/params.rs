//! A webhook's parameters as one JSON object, whichever way Vonage delivered them (query
//! string or JSON body), and the lenient readers the parsers use on them.

use serde_json::{Map, Value};

/// A webhook's parameters that cannot be what they claim: a wrong type, a bad value. The
/// request is refused as it is (the HTTP edge answers `400`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

/// The webhook's parameters, as a JSON object.
pub type Params = Map<String, Value>;

/// "a string", "an array", … for error messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An optional string parameter. Numbers are taken as their decimal text (some clients send
/// digits unquoted); `null` and `""` are absent; anything else is an error naming the field.
pub fn opt_str(params: &Params, key: &str) -> Result<Option<String>, InvalidInput> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(InvalidInput(format!(
            "`{key}` must be a string, not {}",
            kind_of(other)
        ))),
    }
}

/// Identifiers become parts of DynamoDB keys joined by `#`: they must be short and plain.
pub fn id(params: &Params, key: &str) -> Result<Option<String>, InvalidInput> {
    let value = opt_str(params, key)?;
    if let Some(v) = &value {
        let plain = v.len() <= 128
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
        if !plain {
            return Err(InvalidInput(format!(
                "`{key}` must be at most 128 letters, digits, `-`, `_`, `.` or `:`"
            )));
        }
    }
    Ok(value)
}

/// An app user's name (`from_user`): 1 to `MAX_USER_LEN` bytes without control characters;
/// it becomes part of the ledger's keys.
pub fn user(params: &Params, key: &str) -> Result<Option<String>, InvalidInput> {
    let value = opt_str(params, key)?;
    if let Some(v) = &value {
        if v.len() > crate::identity::MAX_USER_LEN || v.chars().any(char::is_control) {
            return Err(InvalidInput(format!(
                "`{key}` must be at most {} bytes without control characters",
                crate::identity::MAX_USER_LEN
            )));
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_fields_accept_numbers_and_treat_null_and_empty_as_absent() {
        let params: Params =
            serde_json::from_str(r#"{"a":"x","b":447700900000,"c":null,"d":"","e":{}}"#).unwrap();
        assert_eq!(opt_str(&params, "a").unwrap().as_deref(), Some("x"));
        assert_eq!(
            opt_str(&params, "b").unwrap().as_deref(),
            Some("447700900000")
        );
        assert_eq!(opt_str(&params, "c").unwrap(), None);
        assert_eq!(opt_str(&params, "d").unwrap(), None);
        assert_eq!(opt_str(&params, "missing").unwrap(), None);
        assert!(opt_str(&params, "e").is_err());
    }
}
