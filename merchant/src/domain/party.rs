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

/// A deliberately plain e-mail check: one `@`, a non-empty local part, a dotted domain, no
/// spaces. Real verification is sending mail; this only catches typos an agent can fix.
pub fn email_is_plausible(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(char::is_whitespace)
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
    }
}
