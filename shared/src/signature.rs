//! `Merchant-Signature`, the order webhooks' HMAC (2026-04-17, NOTES §13.2):
//!
//! ```text
//! Merchant-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + raw body)>
//! ```
//!
//! The merchant signs each delivery attempt with the time of the attempt; the receiver checks the
//! time against a tolerance (300 s by default), so a captured request cannot be replayed later,
//! and compares the digest in constant time.

use std::time::Duration;

use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

pub const HEADER: &str = "Merchant-Signature";

/// The spec's recommended window either side of the receiver's clock.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Why a signature was refused. The messages are the spec's (all answered with a 401 and code
/// `invalid_signature`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("Missing Merchant-Signature header.")]
    Missing,
    #[error("Merchant-Signature must be t=<timestamp>,v1=<64_hex>.")]
    Malformed,
    #[error("Timestamp outside allowed window.")]
    OutsideWindow,
    #[error("Webhook signature verification failed.")]
    Mismatch,
}

impl SignatureError {
    /// The error code the spec gives every refusal.
    pub const CODE: &'static str = "invalid_signature";
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length; this cannot fail.
    let mut mac = <HmacSha256 as KeyInit>::new_from_slice(secret).expect("HMAC accepts any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` sent at `timestamp` (unix seconds).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(digest))
}

/// `(t, v1)` of a header in exactly the spec's shape (`^t=\d+,v1=[a-fA-F0-9]{64}$`).
fn parse(header: &str) -> Result<(i64, [u8; 32]), SignatureError> {
    let (t, v1) = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .ok_or(SignatureError::Malformed)?;
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) || v1.len() != 64 {
        return Err(SignatureError::Malformed);
    }
    let t: i64 = t.parse().map_err(|_| SignatureError::Malformed)?;
    let mut digest = [0u8; 32];
    hex::decode_to_slice(v1, &mut digest).map_err(|_| SignatureError::Malformed)?;
    Ok((t, digest))
}

/// Checks `header` against `body` for `secret`, at `now` (unix seconds) with `tolerance` either
/// side. The digest comparison is constant-time.
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let (t, digest) = parse(header.ok_or(SignatureError::Missing)?.trim())?;
    let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    if now.abs_diff(t) > tolerance.unsigned_abs() {
        return Err(SignatureError::OutsideWindow);
    }
    mac(secret, t, body)
        .verify_slice(&digest)
        .map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test_secret";
    const BODY: &[u8] = br#"{"type":"order_create","data":{"type":"order","id":"ord_1"}}"#;
    const T: i64 = 1_767_225_600;

    /// Computed independently: `printf %s "1767225600.<body>" | openssl dgst -sha256 -hmac whsec_test_secret`.
    const EXPECTED: &str =
        "t=1767225600,v1=e9253247c9d1b65c7e13219bb4ffc7794e9d4735190eef5674da3c2ff0ddbda1";

    fn check(header: Option<&str>, body: &[u8], now: i64) -> Result<(), SignatureError> {
        verify(header, body, SECRET, now, DEFAULT_TOLERANCE)
    }

    #[test]
    fn signs_as_the_spec_writes_it() {
        let header = sign(SECRET, T, BODY);
        assert_eq!(header, EXPECTED);
        assert_eq!(check(Some(&header), BODY, T), Ok(()));
    }

    #[test]
    fn a_tampered_body_or_another_secret_fails() {
        let header = sign(SECRET, T, BODY);
        let mut tampered = BODY.to_vec();
        tampered[10] ^= 1;
        assert_eq!(
            check(Some(&header), &tampered, T),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Some(&header), BODY, b"another", T, DEFAULT_TOLERANCE),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is signed too: moving it breaks the digest.
        let moved = header.replacen(&T.to_string(), &(T + 1).to_string(), 1);
        assert_eq!(check(Some(&moved), BODY, T), Err(SignatureError::Mismatch));
    }

    #[test]
    fn the_window_is_inclusive_and_both_ways() {
        let header = sign(SECRET, T, BODY);
        assert_eq!(check(Some(&header), BODY, T + 300), Ok(()));
        assert_eq!(check(Some(&header), BODY, T - 300), Ok(()));
        assert_eq!(
            check(Some(&header), BODY, T + 301),
            Err(SignatureError::OutsideWindow)
        );
        assert_eq!(
            check(Some(&header), BODY, T - 301),
            Err(SignatureError::OutsideWindow),
            "a timestamp from the future is refused as well"
        );
    }

    #[test]
    fn header_variants() {
        let header = sign(SECRET, T, BODY);
        let upper = format!("t={T},v1={}", header[header.len() - 64..].to_uppercase());
        assert_eq!(check(Some(&upper), BODY, T), Ok(()), "hex in either case");
        assert_eq!(check(Some(&format!(" {header} ")), BODY, T), Ok(()));
        assert_eq!(check(None, BODY, T), Err(SignatureError::Missing));
        for bad in [
            "",
            "v1=abc",
            &format!("v1={},t={T}", &header[header.len() - 64..]),
            &format!("t=,v1={}", &header[header.len() - 64..]),
            &format!("t=-5,v1={}", &header[header.len() - 64..]),
            &format!("t={T},v1={}", &header[header.len() - 63..]),
            &format!("t={T},v1={}0", &header[header.len() - 64..]),
            &format!("t={T},v1={}", "g".repeat(64)),
            &format!("t={T},v0={}", &header[header.len() - 64..]),
            &format!("t={T}, v1={}", &header[header.len() - 64..]),
            "t=99999999999999999999999,v1=00",
        ] {
            assert_eq!(
                check(Some(bad), BODY, T),
                Err(SignatureError::Malformed),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn messages_are_the_specs() {
        assert_eq!(
            SignatureError::Malformed.to_string(),
            "Merchant-Signature must be t=<timestamp>,v1=<64_hex>."
        );
        assert_eq!(
            SignatureError::OutsideWindow.to_string(),
            "Timestamp outside allowed window."
        );
        assert_eq!(
            SignatureError::Mismatch.to_string(),
            "Webhook signature verification failed."
        );
        assert_eq!(
            SignatureError::Missing.to_string(),
            "Missing Merchant-Signature header."
        );
    }
}
