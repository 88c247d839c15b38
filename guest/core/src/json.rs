//! Shared JSON entry point: documents in this crate are JSON objects.

use serde::de::{DeserializeOwned, Error as _, Unexpected};
use serde_json::Value;

/// Deserialize `bytes` as `T`, first requiring a JSON object at the top
/// level (serde would otherwise also accept an array for a struct).
pub(crate) fn from_object<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let value: Value = serde_json::from_slice(bytes)?;
    let unexpected = match &value {
        Value::Object(_) => return serde_json::from_value(value),
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(_) => Unexpected::Other("number"),
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
    };
    Err(serde_json::Error::invalid_type(
        unexpected,
        &"a JSON object",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Any {
        #[serde(default)]
        _a: Option<u8>,
    }

    #[test]
    fn requires_objects() {
        let cases = [
            ("{}", None),
            ("[]", Some("invalid type: sequence, expected a JSON object")),
            ("null", Some("invalid type: null, expected a JSON object")),
            ("1", Some("invalid type: number, expected a JSON object")),
            (
                "true",
                Some("invalid type: boolean `true`, expected a JSON object"),
            ),
            (
                "\"s\"",
                Some("invalid type: string \"s\", expected a JSON object"),
            ),
            ("{", Some("EOF while parsing an object")),
        ];
        for (input, expected) in cases {
            let result = from_object::<Any>(input.as_bytes());
            match expected {
                None => assert!(result.is_ok(), "{input}"),
                Some(message) => {
                    let err = result.expect_err(input).to_string();
                    assert!(err.starts_with(message), "{input}: {err}");
                }
            }
        }
    }
}
