//! The buyer's card: read from what they typed (or from the card form), kept in memory only
//! for as long as a purchase may need it (3-D Secure needs the number again), and handed to the
//! PSP. It never reaches the database, the logs or a language model: text that carries a card
//! number is redacted before it is stored or sent anywhere.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

/// A card as the buyer gave it. No `Debug` of the number or the CVC.
#[derive(Clone)]
pub struct Card {
    number: SecretString,
    pub exp_month: String,
    /// Four digits.
    pub exp_year: String,
    cvc: Option<SecretString>,
    pub name: Option<String>,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Card")
            .field("brand", &self.brand())
            .field("last4", &self.last4())
            .finish_non_exhaustive()
    }
}

/// Why a card was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("that card number is not valid (check the digits)")]
    Number,
    #[error("the expiry date is missing or not valid (MM/YY)")]
    Expiry,
    #[error("the card has expired")]
    Expired,
    #[error("the security code (CVC) must be {0} digits")]
    Cvc(usize),
}

/// Luhn's check digit.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

/// The brand a number belongs to, by its leading digits.
pub fn brand_of(number: &str) -> &'static str {
    let two: u32 = number.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let four: u32 = number.get(..4).and_then(|p| p.parse().ok()).unwrap_or(0);
    if number.starts_with('4') {
        "visa"
    } else if (51..=55).contains(&two) || (2221..=2720).contains(&four) {
        "mastercard"
    } else if two == 34 || two == 37 {
        "amex"
    } else if four == 6011 || two == 65 {
        "discover"
    } else {
        "card"
    }
}

impl Card {
    /// Checks and builds a card; `year` may have two or four digits. `today` is `(year, month)`.
    pub fn new(
        number: &str,
        month: &str,
        year: &str,
        cvc: Option<&str>,
        name: Option<String>,
        today: (i32, u32),
    ) -> Result<Self, CardError> {
        let digits: String = number.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if !(12..=19).contains(&digits.len())
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || !luhn(&digits)
        {
            return Err(CardError::Number);
        }
        let m: u32 = month.trim().parse().map_err(|_| CardError::Expiry)?;
        let y: i32 = match year.trim().len() {
            2 => 2000 + year.trim().parse::<i32>().map_err(|_| CardError::Expiry)?,
            4 => year.trim().parse().map_err(|_| CardError::Expiry)?,
            _ => return Err(CardError::Expiry),
        };
        if !(1..=12).contains(&m) {
            return Err(CardError::Expiry);
        }
        if (y, m) < today {
            return Err(CardError::Expired);
        }
        let want = if brand_of(&digits) == "amex" { 4 } else { 3 };
        if let Some(c) = cvc
            && (c.len() != want || !c.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(CardError::Cvc(want));
        }
        Ok(Self {
            number: SecretString::from(digits),
            exp_month: format!("{m:02}"),
            exp_year: y.to_string(),
            cvc: cvc.map(|c| SecretString::from(c.to_owned())),
            name,
        })
    }

    pub fn number(&self) -> &str {
        self.number.expose_secret()
    }

    pub fn cvc(&self) -> Option<&str> {
        self.cvc.as_ref().map(|c| c.expose_secret())
    }

    pub fn brand(&self) -> &'static str {
        brand_of(self.number())
    }

    pub fn last4(&self) -> &str {
        last4(self.number())
    }
}

/// The last four digits of what was typed as a card number (fewer if it has fewer), so a
/// refused card can still be named without repeating it.
pub fn last4(digits: &str) -> &str {
    &digits[digits.len().saturating_sub(4)..]
}

/// A card found in a message, and the message with its number and CVC blanked out.
#[derive(Debug)]
pub struct Found {
    pub card: Result<Card, CardError>,
    pub redacted: String,
    pub last4: String,
}

/// Looks for a card in free text: "4242 4242 4242 4242 12/30 123", "card 4242424242424242 exp
/// 12/2030 cvc 123". Anything that looks like a card number (12 to 19 digits in groups
/// separated by spaces or dashes) is redacted whether or not it is valid.
pub fn find(text: &str, today: (i32, u32)) -> Option<Found> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let digits_of = |w: &str| -> Option<String> {
        let w = w.trim_end_matches([',', '.', ';']);
        (!w.is_empty()
            && w.chars().all(|c| c.is_ascii_digit() || c == '-')
            && w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .then(|| w.chars().filter(char::is_ascii_digit).collect())
    };
    // Runs of consecutive number words; in each, the prefix that makes a card number: the
    // longest that passes Luhn, else the longest of a card's length.
    let mut best: Option<(usize, usize, String)> = None;
    let mut i = 0;
    while i < words.len() {
        if digits_of(words[i]).is_none() {
            i += 1;
            continue;
        }
        let start = i;
        let mut run = Vec::new();
        while i < words.len()
            && let Some(d) = digits_of(words[i])
        {
            run.push(d);
            i += 1;
        }
        let mut candidate: Option<(usize, String, bool)> = None;
        let mut number = String::new();
        for (n, group) in run.iter().enumerate() {
            number.push_str(group);
            if number.len() > 19 {
                break;
            }
            if number.len() >= 12 {
                let valid = luhn(&number);
                let better = match &candidate {
                    None => true,
                    Some((_, _, was_valid)) => valid || !was_valid,
                };
                if better {
                    candidate = Some((n + 1, number.clone(), valid));
                }
            }
        }
        if let Some((groups, number, _)) = candidate
            && best.as_ref().is_none_or(|(_, _, b)| number.len() > b.len())
        {
            best = Some((start, start + groups, number));
        }
    }
    let (start, end, number) = best?;
    let before = words[..start].join(" ");
    let after = words[end..].join(" ");
    let (month, year, rest) = expiry(&after);
    let (cvc, rest) = cvc(&rest);
    let last4 = last4(&number).to_owned();
    let mut redacted = if before.is_empty() {
        format!("card ending {last4}")
    } else {
        format!("{before} card ending {last4}")
    };
    if let (Some(m), Some(y)) = (&month, &year) {
        redacted.push_str(&format!(" exp {m}/{y}"));
    }
    if cvc.is_some() {
        redacted.push_str(" (CVC given)");
    }
    redacted.push_str(&rest);
    let card = match (month, year) {
        (Some(m), Some(y)) => Card::new(&number, &m, &y, cvc.as_deref(), None, today),
        _ => Err(if luhn(&number) {
            CardError::Expiry
        } else {
            CardError::Number
        }),
    };
    Some(Found {
        card,
        redacted: redacted.trim().to_owned(),
        last4,
    })
}

/// `MM/YY` or `MM/YYYY` (or `MM-YY`) in `text`, and the text without it.
fn expiry(text: &str) -> (Option<String>, Option<String>, String) {
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let w = w.trim_matches(|c: char| c == ',' || c == '.' || c == ';');
        if let Some((m, y)) = w.split_once('/').or_else(|| w.split_once('-'))
            && (1..=2).contains(&m.len())
            && (y.len() == 2 || y.len() == 4)
            && m.bytes().chain(y.bytes()).all(|b| b.is_ascii_digit())
        {
            let rest: Vec<&str> = words
                .iter()
                .enumerate()
                .filter(|(j, x)| {
                    *j != i
                        && !(j + 1 == i
                            && matches!(
                                x.to_lowercase().trim_end_matches(':'),
                                "exp" | "expiry" | "expires" | "expiration"
                            ))
                })
                .map(|(_, x)| *x)
                .collect();
            return (
                Some(m.to_owned()),
                Some(y.to_owned()),
                format!(" {}", rest.join(" ")),
            );
        }
    }
    (None, None, format!(" {}", words.join(" ")))
}

/// A 3–4 digit code, after "cvc"/"cvv"/"code" or standing alone, and the text without it.
fn cvc(text: &str) -> (Option<String>, String) {
    let words: Vec<&str> = text.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let clean = w.trim_matches(|c: char| !c.is_ascii_digit());
        let labelled = i > 0
            && matches!(
                words[i - 1].to_lowercase().trim_end_matches(':'),
                "cvc" | "cvv" | "cvv2" | "code" | "csc"
            );
        let alone = clean.len() == w.trim_matches(|c: char| c == ',' || c == '.').len();
        if (3..=4).contains(&clean.len()) && (labelled || alone) {
            let rest: Vec<&str> = words
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i && !(labelled && j + 1 == i))
                .map(|(_, x)| *x)
                .collect();
            let rest = if rest.is_empty() {
                String::new()
            } else {
                format!(" {}", rest.join(" "))
            };
            return (Some(clean.to_owned()), rest);
        }
    }
    let rest = if words.is_empty() {
        String::new()
    } else {
        format!(" {}", words.join(" "))
    };
    (None, rest)
}

/// Cards in memory, by conversation, each for a limited time. A Shared Payment Token waiting
/// for 3-D Secure stays with its card: it is a credential too.
pub struct CardVault {
    ttl: Duration,
    cards: Mutex<HashMap<String, Held>>,
}

#[derive(Clone)]
pub struct Held {
    pub card: Card,
    /// A random id of this entry of the card: paying with it again is a new intent.
    pub entry: String,
    pub token: Option<String>,
    at: Instant,
}

impl CardVault {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            cards: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Held>> {
        self.cards.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn put(&self, conversation: &str, card: Card) {
        let mut cards = self.lock();
        let ttl = self.ttl;
        cards.retain(|_, h| h.at.elapsed() < ttl);
        cards.insert(
            conversation.to_owned(),
            Held {
                card,
                entry: kit::ids::random("card_", 16),
                token: None,
                at: Instant::now(),
            },
        );
    }

    pub fn get(&self, conversation: &str) -> Option<Held> {
        let cards = self.lock();
        cards
            .get(conversation)
            .filter(|h| h.at.elapsed() < self.ttl)
            .cloned()
    }

    pub fn set_token(&self, conversation: &str, token: Option<String>) {
        if let Some(h) = self.lock().get_mut(conversation) {
            h.token = token;
        }
    }

    pub fn forget(&self, conversation: &str) {
        self.lock().remove(conversation);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: (i32, u32) = (2026, 12);

    #[test]
    fn luhn_and_brands() {
        assert!(luhn("4242424242424242"));
        assert!(!luhn("4242424242424241"));
        assert_eq!(brand_of("4242424242424242"), "visa");
        assert_eq!(brand_of("5555555555554444"), "mastercard");
        assert_eq!(brand_of("2223003122003222"), "mastercard");
        assert_eq!(brand_of("378282246310005"), "amex");
    }

    #[test]
    fn cards_are_checked() {
        let ok =
            Card::new("4242 4242 4242 4242", "12", "30", Some("123"), None, TODAY).expect("valid");
        assert_eq!(
            (ok.brand(), ok.last4(), ok.exp_year.as_str()),
            ("visa", "4242", "2030")
        );
        assert_eq!(
            Card::new("4242424242424241", "12", "30", None, None, TODAY).err(),
            Some(CardError::Number)
        );
        assert_eq!(
            Card::new("4242424242424242", "11", "2026", None, None, TODAY).err(),
            Some(CardError::Expired)
        );
        assert_eq!(
            Card::new("378282246310005", "1", "31", Some("123"), None, TODAY).err(),
            Some(CardError::Cvc(4))
        );
        assert!(!format!("{ok:?}").contains("4242424242424242"));
    }

    #[test]
    fn a_card_in_a_sentence_is_found_and_redacted() {
        let f = find(
            "pay with 4242 4242 4242 4242 exp 12/30 cvc 123 please",
            TODAY,
        )
        .expect("found");
        let card = f.card.expect("valid");
        assert_eq!(card.number(), "4242424242424242");
        assert_eq!(card.cvc(), Some("123"));
        assert_eq!(card.exp_month, "12");
        assert_eq!(
            f.redacted,
            "pay with card ending 4242 exp 12/30 (CVC given) please"
        );
        assert!(!f.redacted.contains("123 "));

        // Groups of four run straight into the expiry and the CVC.
        let f = find("4242 4242 4242 4242 12/30 123", TODAY).expect("found");
        let card = f.card.expect("valid");
        assert_eq!(
            (card.last4(), card.exp_month.as_str(), card.cvc()),
            ("4242", "12", Some("123"))
        );
        assert_eq!(f.redacted, "card ending 4242 exp 12/30 (CVC given)");

        let f = find("4000000000003220 12/2031 123", TODAY).expect("found");
        assert_eq!(f.card.expect("valid").exp_year, "2031");
        assert_eq!(f.redacted, "card ending 3220 exp 12/2031 (CVC given)");

        // A mistyped number is still redacted, and refused.
        let f = find("my card is 4242-4242-4242-4241 12/30 123", TODAY).expect("found");
        assert_eq!(f.card.err(), Some(CardError::Number));
        assert!(!f.redacted.contains("4242-4242"));

        assert!(find("size 10 please, zip 78701", TODAY).is_none());
    }

    #[test]
    fn the_vault_forgets() {
        let vault = CardVault::new(Duration::from_secs(60));
        let card = Card::new("4242424242424242", "12", "30", None, None, TODAY).expect("valid");
        vault.put("c1", card);
        vault.set_token("c1", Some("spt_x".into()));
        assert_eq!(vault.get("c1").and_then(|h| h.token), Some("spt_x".into()));
        vault.forget("c1");
        assert!(vault.get("c1").is_none());
        let short = CardVault::new(Duration::ZERO);
        short.put(
            "c2",
            Card::new("4242424242424242", "12", "30", None, None, TODAY).expect("valid"),
        );
        assert!(short.get("c2").is_none());
    }
}
