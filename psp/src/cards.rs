//! Card rules (Luhn, brands, expiry, CVC) and what the simulated card network does with each
//! test card.

use chrono::{DateTime, Datelike, Utc};

/// The Luhn (mod 10) check every card number passes.
pub fn luhn_valid(number: &str) -> bool {
    let digits: Option<Vec<u32>> = number.chars().map(|c| c.to_digit(10)).collect();
    let Some(digits) = digits else {
        return false;
    };
    if !(12..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let dd = d * 2;
                if dd > 9 { dd - 9 } else { dd }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Brand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Diners,
    Jcb,
    Unionpay,
    Unknown,
}

impl Brand {
    /// From the issuer identification number (the leading digits).
    pub fn of(number: &str) -> Brand {
        let prefix = |n: usize| {
            number
                .get(..n)
                .and_then(|p| p.parse::<u32>().ok())
                .unwrap_or(0)
        };
        match () {
            _ if number.starts_with('4') => Brand::Visa,
            _ if (51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4)) => {
                Brand::Mastercard
            }
            _ if matches!(prefix(2), 34 | 37) => Brand::Amex,
            _ if prefix(4) == 6011 || prefix(2) == 65 || (644..=649).contains(&prefix(3)) => {
                Brand::Discover
            }
            _ if matches!(prefix(2), 36 | 38) || (300..=305).contains(&prefix(3)) => Brand::Diners,
            _ if (3528..=3589).contains(&prefix(4)) => Brand::Jcb,
            _ if prefix(2) == 62 => Brand::Unionpay,
            _ => Brand::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Brand::Visa => "visa",
            Brand::Mastercard => "mastercard",
            Brand::Amex => "amex",
            Brand::Discover => "discover",
            Brand::Diners => "diners",
            Brand::Jcb => "jcb",
            Brand::Unionpay => "unionpay",
            Brand::Unknown => "unknown",
        }
    }

    /// The 3-D Secure directory server for `authentication_metadata`.
    pub fn directory_server(self) -> &'static str {
        match self {
            Brand::Mastercard => "mastercard",
            Brand::Amex => "american_express",
            _ => "visa",
        }
    }

    /// The ECI of a fully authenticated transaction.
    pub fn authenticated_eci(self) -> &'static str {
        match self {
            Brand::Mastercard => "02",
            _ => "05",
        }
    }

    pub fn cvc_length(self) -> usize {
        if self == Brand::Amex { 4 } else { 3 }
    }
}

/// Whether `MM`/`YYYY` is still valid at `now` (cards expire after the last day of the month).
pub fn expiry_valid(month: &str, year: &str, now: DateTime<Utc>) -> Result<(), &'static str> {
    let m: u32 = month
        .parse()
        .map_err(|_| "exp_month must be two digits, 01 to 12")?;
    if month.len() != 2 || !(1..=12).contains(&m) {
        return Err("exp_month must be two digits, 01 to 12");
    }
    let y: i32 = year.parse().map_err(|_| "exp_year must be four digits")?;
    if year.len() != 4 {
        return Err("exp_year must be four digits");
    }
    if (y, m) < (now.year(), now.month()) {
        return Err("the card has expired");
    }
    Ok(())
}

/// How a 3-D Secure authentication of a test card goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// The issuer authenticates without asking the buyer.
    Frictionless,
    /// The buyer must pass the issuer's challenge.
    Challenge,
}

/// What the simulated network answers for a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Approve,
    /// A decline with Stripe's `decline_code`.
    Decline(&'static str),
    /// The network failed; the payment did not happen.
    ProcessingError,
    /// 3-D Secure is required; after it, the payment is approved or declined.
    RequiresAuthentication {
        flow: Flow,
        then_decline: Option<&'static str>,
    },
    /// Payments succeed but refunds fail (Stripe's 4000 0000 0000 5126).
    RefundFails,
}

/// A documented test card.
pub struct TestCard {
    pub number: &'static str,
    pub behaviour: Behaviour,
    pub description: &'static str,
}

/// Stripe's well-known test numbers, with Stripe's behaviours, plus one frictionless 3-D Secure
/// card (Stripe has none that is *required* and frictionless; 4000 0000 0000 3055 is its
/// "3DS supported" card, made "required, frictionless" here). Any other valid number approves.
pub const TEST_CARDS: &[TestCard] = &[
    TestCard {
        number: "4242424242424242",
        behaviour: Behaviour::Approve,
        description: "Visa: approved",
    },
    TestCard {
        number: "5555555555554444",
        behaviour: Behaviour::Approve,
        description: "Mastercard: approved",
    },
    TestCard {
        number: "378282246310005",
        behaviour: Behaviour::Approve,
        description: "American Express: approved",
    },
    TestCard {
        number: "4000000000000002",
        behaviour: Behaviour::Decline("generic_decline"),
        description: "declined (generic_decline)",
    },
    TestCard {
        number: "4000000000009995",
        behaviour: Behaviour::Decline("insufficient_funds"),
        description: "declined (insufficient_funds)",
    },
    TestCard {
        number: "4000000000009987",
        behaviour: Behaviour::Decline("lost_card"),
        description: "declined (lost_card)",
    },
    TestCard {
        number: "4000000000009979",
        behaviour: Behaviour::Decline("stolen_card"),
        description: "declined (stolen_card)",
    },
    TestCard {
        number: "4000000000000069",
        behaviour: Behaviour::Decline("expired_card"),
        description: "declined (expired_card), whatever the expiry date",
    },
    TestCard {
        number: "4000000000000127",
        behaviour: Behaviour::Decline("incorrect_cvc"),
        description: "declined (incorrect_cvc): the CVC check fails",
    },
    TestCard {
        number: "4000000000000119",
        behaviour: Behaviour::ProcessingError,
        description: "processing_error: nothing charged, retry later",
    },
    TestCard {
        number: "4000000000003055",
        behaviour: Behaviour::RequiresAuthentication {
            flow: Flow::Frictionless,
            then_decline: None,
        },
        description: "3-D Secure required, frictionless, then approved",
    },
    TestCard {
        number: "4000000000003220",
        behaviour: Behaviour::RequiresAuthentication {
            flow: Flow::Challenge,
            then_decline: None,
        },
        description: "3-D Secure required with a challenge, then approved",
    },
    TestCard {
        number: "4000008400001629",
        behaviour: Behaviour::RequiresAuthentication {
            flow: Flow::Challenge,
            then_decline: Some("generic_decline"),
        },
        description: "3-D Secure challenge, then declined",
    },
    TestCard {
        number: "4000000000005126",
        behaviour: Behaviour::RefundFails,
        description: "approved, but refunds fail",
    },
];

pub fn behaviour(number: &str) -> Behaviour {
    TEST_CARDS
        .iter()
        .find(|c| c.number == number)
        .map_or(Behaviour::Approve, |c| c.behaviour)
}

/// The CVC check result kept in place of the CVC: `pass`, `fail` or `unavailable`.
pub fn cvc_check(number: &str, cvc: Option<&str>) -> &'static str {
    match cvc {
        None => "unavailable",
        Some(_) if behaviour(number) == Behaviour::Decline("incorrect_cvc") => "fail",
        Some(_) => "pass",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_card_is_a_valid_number() {
        for c in TEST_CARDS {
            assert!(luhn_valid(c.number), "{}", c.number);
            assert_ne!(Brand::of(c.number), Brand::Unknown, "{}", c.number);
        }
        assert!(!luhn_valid("4242424242424241"));
        assert!(!luhn_valid("4242"));
        assert!(!luhn_valid("42424242424242a2"));
    }

    #[test]
    fn brands() {
        assert_eq!(Brand::of("4242424242424242"), Brand::Visa);
        assert_eq!(Brand::of("5555555555554444"), Brand::Mastercard);
        assert_eq!(Brand::of("2223003122003222"), Brand::Mastercard);
        assert_eq!(Brand::of("378282246310005"), Brand::Amex);
        assert_eq!(Brand::of("6011111111111117"), Brand::Discover);
        assert_eq!(Brand::Amex.cvc_length(), 4);
    }

    #[test]
    fn expiry() {
        let now = DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        assert!(
            expiry_valid("11", "2026", now).is_ok(),
            "valid through the end of the month"
        );
        assert!(expiry_valid("10", "2026", now).is_err());
        assert!(expiry_valid("13", "2030", now).is_err());
        assert!(expiry_valid("1", "2030", now).is_err());
        assert!(expiry_valid("01", "30", now).is_err());
    }
}
