//! Identifiers: a type prefix and random base-62 characters from a CSPRNG, so they can be
//! neither guessed nor enumerated (24 characters carry about 143 bits).

use rand::RngExt;
use rand::distr::Alphanumeric;

pub fn random(prefix: &str, len: usize) -> String {
    let mut rng = rand::rng();
    let mut s = String::with_capacity(prefix.len() + len);
    s.push_str(prefix);
    s.extend((0..len).map(|_| char::from(rng.sample(Alphanumeric))));
    s
}

/// A request id, for responses that carry none from the caller.
pub fn request() -> String {
    random("req_", 20)
}
