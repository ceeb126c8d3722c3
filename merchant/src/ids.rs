//! Identifiers: a type prefix and 24 random base-62 characters (about 143 bits), so they can be
//! neither guessed nor enumerated.

use rand::RngExt;
use rand::distr::Alphanumeric;

fn random(prefix: &str, len: usize) -> String {
    let mut rng = rand::rng();
    let mut s = String::with_capacity(prefix.len() + len);
    s.push_str(prefix);
    s.extend((0..len).map(|_| char::from(rng.sample(Alphanumeric))));
    s
}

pub fn checkout_session() -> String {
    random("cs_", 24)
}

pub fn line_item() -> String {
    random("li_", 16)
}

pub fn request() -> String {
    random("req_", 20)
}
