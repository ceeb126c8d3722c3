//! Who is buying and where it goes: the version-neutral form the merchant stores.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub name: String,
    pub line_one: String,
    #[serde(default)]
    pub line_two: Option<String>,
    pub city: String,
    pub state: String,
    pub country: String,
    pub postal_code: String,
    #[serde(default)]
    pub company: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FulfillmentDetails {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address: Option<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    pub name: String,
    pub tax_id: Option<String>,
    pub department: Option<String>,
    pub cost_center: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loyalty {
    pub tier: Option<String>,
    pub points_balance: Option<i64>,
    pub member_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxExemption {
    pub certificate_id: String,
    /// `resale`, `exempt_organization`, `government`.
    pub certificate_type: String,
    pub exempt_regions: Option<Vec<String>>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The buyer as the agent described them. Account and exemption claims are recorded and echoed,
/// never trusted for prices: an agent's word is not a verified tax certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buyer {
    pub email: String,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub customer_id: Option<String>,
    /// `guest`, `registered`, `business`.
    #[serde(default)]
    pub account_type: Option<String>,
    /// `authenticated`, `guest`, `requires_signin`.
    #[serde(default)]
    pub authentication_status: Option<String>,
    #[serde(default)]
    pub company: Option<Company>,
    #[serde(default)]
    pub loyalty: Option<Loyalty>,
    #[serde(default)]
    pub tax_exemption: Option<TaxExemption>,
}

/// A conservative e-mail check: a dot-atom local part and a dotted DNS name with an alphabetic
/// top-level label. Everything it accepts is a valid RFC 5321 mailbox, so an address that passes
/// can be echoed in a session without breaking the schema's `format: email`; real verification
/// is sending mail.
pub fn email_is_plausible(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let atom_char = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let local_ok = (1..=64).contains(&local.len())
        && local
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(atom_char));
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |l: &&str| {
        (1..=63).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

#[cfg(test)]
mod tests {
    use super::email_is_plausible;

    #[test]
    fn plausible_emails() {
        assert!(email_is_plausible("jane@example.com"));
        assert!(email_is_plausible("j.doe+shop@mail.example.co.uk"));
        assert!(!email_is_plausible("jane"));
        assert!(!email_is_plausible("jane@example"));
        assert!(!email_is_plausible("ja ne@example.com"));
        assert!(!email_is_plausible("@example.com"));
        assert!(!email_is_plausible("a@b@c.com"));
        assert!(!email_is_plausible("a..b@example.com"));
        assert!(!email_is_plausible("a@-example.com"));
        assert!(!email_is_plausible("a@example.c0m"));
    }
}
