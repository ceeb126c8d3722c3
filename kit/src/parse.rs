//! Strict request bodies: serde's complaint turned into a problem kind, a JSONPath `param` and
//! a message that never repeats the value that was sent (it may be a card number).

use serde::de::DeserializeOwned;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not JSON at all.
    Malformed(String),
    /// JSON, but a field is unknown, missing, of the wrong type or has a value out of range.
    Field {
        problem: FieldProblem,
        message: String,
        param: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldProblem {
    Unknown,
    Missing,
    InvalidType,
    InvalidValue,
}

/// Deserialises `body` (an empty body reads as `{}`, since ACP bodies are optional on cancel).
pub fn strict<T: DeserializeOwned>(body: &[u8]) -> Result<T, ParseError> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = jsonpath(&e.path().to_string());
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ParseError::Malformed(inner.to_string());
        }
        let text = inner.to_string();
        let text = text.split(" at line ").next().unwrap_or(&text);
        let (problem, param) = if text.starts_with("unknown field") {
            // The path ends at the unknown key itself.
            (FieldProblem::Unknown, path)
        } else if let Some(field) = text
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            let param = if path == "$" {
                format!("$.{field}")
            } else {
                format!("{path}.{field}")
            };
            (FieldProblem::Missing, param)
        } else if text.starts_with("invalid type") || text.starts_with("invalid length") {
            (FieldProblem::InvalidType, path)
        } else {
            (FieldProblem::InvalidValue, path)
        };
        ParseError::Field {
            problem,
            message: redact(text),
            param,
        }
    })
}

/// serde writes `line_items[0].id`; JSONPath is `$.line_items[0].id`.
fn jsonpath(path: &str) -> String {
    if path == "." || path.is_empty() {
        "$".to_owned()
    } else {
        format!("$.{path}")
    }
}

/// Serde quotes the offending value ("invalid type: integer `4242…`, expected a string"); only
/// what was expected is kept.
fn redact(text: &str) -> String {
    for prefix in [
        "invalid type",
        "invalid value",
        "invalid length",
        "unknown variant",
    ] {
        if text.starts_with(prefix) {
            return match text.split_once(", expected ") {
                Some((_, expected)) => format!("{prefix}, expected {expected}"),
                None => prefix.to_owned(),
            };
        }
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        id: String,
        #[serde(default)]
        kind: Option<Kind>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Card,
    }

    fn err(body: &str) -> (FieldProblem, String, String) {
        match strict::<Outer>(body.as_bytes()) {
            Err(ParseError::Field {
                problem,
                message,
                param,
            }) => (problem, message, param),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_point_at_the_field() {
        let (p, _, param) = err(r#"{"items":[{"id":"a"},{"id":"b","qty":2}]}"#);
        assert_eq!(
            (p, param.as_str()),
            (FieldProblem::Unknown, "$.items[1].qty")
        );
        let (p, _, param) = err(r#"{"items":[{}]}"#);
        assert_eq!(
            (p, param.as_str()),
            (FieldProblem::Missing, "$.items[0].id")
        );
        let (p, _, param) = err(r#"{}"#);
        assert_eq!((p, param.as_str()), (FieldProblem::Missing, "$.items"));
        let (p, _, param) = err(r#"{"items":[{"id":5}]}"#);
        assert_eq!(
            (p, param.as_str()),
            (FieldProblem::InvalidType, "$.items[0].id")
        );
        let (p, _, param) = err(r#"{"items":[{"id":"a","kind":"wallet"}]}"#);
        assert_eq!(
            (p, param.as_str()),
            (FieldProblem::InvalidValue, "$.items[0].kind")
        );
        assert!(matches!(
            strict::<Outer>(br#"{"items": ["#),
            Err(ParseError::Malformed(_))
        ));
    }

    #[test]
    fn messages_never_repeat_the_value_sent() {
        for body in [
            r#"{"items":[{"id":4242424242424242}]}"#,
            r#"{"items":[{"id":"a","kind":"4242424242424242"}]}"#,
            r#"{"items":"4242424242424242"}"#,
            r#"{"items":[{"id":"a","kind":4242424242424242}]}"#,
        ] {
            let message = match strict::<Outer>(body.as_bytes()) {
                Err(ParseError::Field { message, .. } | ParseError::Malformed(message)) => message,
                Ok(v) => panic!("parsed {v:?}"),
            };
            assert!(!message.contains("4242"), "{message}");
            assert!(message.contains("expected"), "{message}");
        }
    }
}
