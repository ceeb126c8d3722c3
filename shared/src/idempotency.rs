//! Idempotency keys and request fingerprints (ACP 2026-04-17 §6, NOTES §5.2).

use std::fmt;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The request header that carries the key.
pub const HEADER: &str = "Idempotency-Key";
/// The response header set on a replayed response.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// An `Idempotency-Key`: opaque, 1 to 255 characters.
///
/// Only visible ASCII is accepted: a key travels in an HTTP header and ends up in logs and in
/// a database column, so control characters and non-ASCII bytes have no business in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidKey {
    #[error("Idempotency-Key must not be empty")]
    Empty,
    #[error("Idempotency-Key must be at most 255 characters")]
    TooLong,
    #[error("Idempotency-Key must be printable ASCII")]
    NotPrintable,
}

impl IdempotencyKey {
    pub const MAX_LEN: usize = 255;

    pub fn parse(s: &str) -> Result<Self, InvalidKey> {
        if s.is_empty() {
            return Err(InvalidKey::Empty);
        }
        if s.len() > Self::MAX_LEN {
            return Err(InvalidKey::TooLong);
        }
        if !s.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(InvalidKey::NotPrintable);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IdempotencyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// SHA-256 (hex) of the canonical form of a JSON body.
///
/// Two bodies get the same fingerprint exactly when the spec calls them equivalent: key order
/// does not matter, `1.0` equals `1`, `null` differs from an absent key, and array order matters.
/// An empty body is treated as `{}` (a cancel without an intent trace).
pub fn fingerprint(body: &[u8]) -> Result<String, serde_json::Error> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Default::default())
    } else {
        serde_json::from_slice(body)?
    };
    let mut canonical = String::with_capacity(body.len());
    write_canonical(&value, &mut canonical);
    Ok(hex::encode(Sha256::digest(canonical.as_bytes())))
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Bool(_) | Value::String(_) => {
            out.push_str(&value.to_string());
        }
        Value::Number(n) => out.push_str(&canonical_number(n)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sorted explicitly: serde_json's map is ordered only while no crate in the build
            // turns on its `preserve_order` feature.
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
    }
}

/// Integral numbers print as integers whatever their spelling (`1`, `1.0`, `1e0`).
fn canonical_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    // Below 2^53 every integer is exact in an f64, so the conversion loses nothing.
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        format!("{}", f as i64)
    } else {
        format!("{f:e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fp(s: &str) -> String {
        fingerprint(s.as_bytes()).expect("valid json")
    }

    #[test]
    fn key_order_and_number_spelling_do_not_matter() {
        assert_eq!(fp(r#"{"a":1,"b":[1,2]}"#), fp(r#"{ "b":[1, 2], "a":1.0 }"#));
        assert_eq!(fp(r#"{"n":100}"#), fp(r#"{"n":1e2}"#));
    }

    #[test]
    fn null_absent_and_array_order_do_matter() {
        assert_ne!(fp(r#"{"a":null}"#), fp(r#"{}"#));
        assert_ne!(fp(r#"{"a":[1,2]}"#), fp(r#"{"a":[2,1]}"#));
        assert_ne!(fp(r#"{"a":"1"}"#), fp(r#"{"a":1}"#));
        assert_ne!(fp(r#"{"a":1.5}"#), fp(r#"{"a":1}"#));
    }

    #[test]
    fn empty_body_equals_empty_object() {
        assert_eq!(fp(""), fp("{}"));
        assert_eq!(fp("  \n"), fp("{}"));
    }

    #[test]
    fn rejects_malformed_json() {
        assert!(fingerprint(b"{").is_err());
    }

    #[test]
    fn key_rules() {
        assert!(IdempotencyKey::parse("550e8400-e29b-41d4-a716-446655440000").is_ok());
        assert_eq!(IdempotencyKey::parse(""), Err(InvalidKey::Empty));
        assert_eq!(
            IdempotencyKey::parse(&"k".repeat(256)),
            Err(InvalidKey::TooLong)
        );
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        assert_eq!(IdempotencyKey::parse("a b"), Err(InvalidKey::NotPrintable));
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-z]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map("[a-e]{1,3}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Reformatting a body (whitespace, key order) never changes its fingerprint.
        #[test]
        fn fingerprint_is_invariant_under_reformatting(v in arb_json()) {
            let compact = serde_json::to_string(&v).expect("serialises");
            let pretty = serde_json::to_string_pretty(&reverse_keys(&v)).expect("serialises");
            prop_assert_eq!(fp(&compact), fp(&pretty));
        }
    }

    fn reverse_keys(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut entries: Vec<_> = m.iter().collect();
                entries.reverse();
                let mut out = serde_json::Map::new();
                for (k, v) in entries {
                    out.insert(k.clone(), reverse_keys(v));
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(reverse_keys).collect()),
            other => other.clone(),
        }
    }
}
