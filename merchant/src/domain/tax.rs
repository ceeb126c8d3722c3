//! US sales tax by destination state.
//!
//! State-level base rates only (no county or city add-ons), and whether the state taxes
//! separately stated shipping charges. The figures are the published state base rates and
//! serve a demo; they are not tax advice. Digital goods are treated as not taxable, as they
//! are in about half the states, to keep the rule easy to see in a workshop.

use super::money::Rate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateTax {
    pub code: &'static str,
    pub name: &'static str,
    pub rate: Rate,
    pub taxes_shipping: bool,
}

const fn st(code: &'static str, name: &'static str, ppm: u32, taxes_shipping: bool) -> StateTax {
    StateTax {
        code,
        name,
        rate: Rate(ppm),
        taxes_shipping,
    }
}

/// The 50 states and DC.
pub const STATES: &[StateTax] = &[
    st("AL", "Alabama", 40_000, false),
    st("AK", "Alaska", 0, false),
    st("AZ", "Arizona", 56_000, false),
    st("AR", "Arkansas", 65_000, true),
    st("CA", "California", 72_500, false),
    st("CO", "Colorado", 29_000, false),
    st("CT", "Connecticut", 63_500, true),
    st("DE", "Delaware", 0, false),
    st("DC", "District of Columbia", 60_000, true),
    st("FL", "Florida", 60_000, false),
    st("GA", "Georgia", 40_000, true),
    st("HI", "Hawaii", 40_000, true),
    st("ID", "Idaho", 60_000, false),
    st("IL", "Illinois", 62_500, false),
    st("IN", "Indiana", 70_000, true),
    st("IA", "Iowa", 60_000, false),
    st("KS", "Kansas", 65_000, true),
    st("KY", "Kentucky", 60_000, true),
    st("LA", "Louisiana", 50_000, false),
    st("ME", "Maine", 55_000, false),
    st("MD", "Maryland", 60_000, false),
    st("MA", "Massachusetts", 62_500, false),
    st("MI", "Michigan", 60_000, true),
    st("MN", "Minnesota", 68_750, true),
    st("MS", "Mississippi", 70_000, true),
    st("MO", "Missouri", 42_250, false),
    st("MT", "Montana", 0, false),
    st("NE", "Nebraska", 55_000, true),
    st("NV", "Nevada", 68_500, false),
    st("NH", "New Hampshire", 0, false),
    st("NJ", "New Jersey", 66_250, true),
    st("NM", "New Mexico", 48_750, true),
    st("NY", "New York", 40_000, true),
    st("NC", "North Carolina", 47_500, true),
    st("ND", "North Dakota", 50_000, true),
    st("OH", "Ohio", 57_500, true),
    st("OK", "Oklahoma", 45_000, false),
    st("OR", "Oregon", 0, false),
    st("PA", "Pennsylvania", 60_000, true),
    st("RI", "Rhode Island", 70_000, true),
    st("SC", "South Carolina", 60_000, true),
    st("SD", "South Dakota", 42_000, true),
    st("TN", "Tennessee", 70_000, true),
    st("TX", "Texas", 62_500, true),
    st("UT", "Utah", 48_500, false),
    st("VT", "Vermont", 60_000, true),
    st("VA", "Virginia", 53_000, false),
    st("WA", "Washington", 65_000, true),
    st("WV", "West Virginia", 60_000, true),
    st("WI", "Wisconsin", 50_000, true),
    st("WY", "Wyoming", 40_000, false),
];

/// Looks a state up by its two-letter code or its full name, case-insensitively.
pub fn state(s: &str) -> Option<&'static StateTax> {
    let s = s.trim();
    STATES
        .iter()
        .find(|t| t.code.eq_ignore_ascii_case(s) || t.name.eq_ignore_ascii_case(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifty_states_and_dc_with_unique_codes() {
        assert_eq!(STATES.len(), 51);
        let codes: std::collections::HashSet<_> = STATES.iter().map(|s| s.code).collect();
        assert_eq!(codes.len(), 51);
    }

    #[test]
    fn lookup_by_code_or_name() {
        assert_eq!(state("ca").map(|s| s.rate), Some(Rate(72_500)));
        assert_eq!(state("New York").map(|s| s.code), Some("NY"));
        assert_eq!(state("Ontario"), None);
        assert!(state("TX").is_some_and(|s| s.taxes_shipping));
        assert!(state("OR").is_some_and(|s| s.rate == Rate::ZERO));
    }
}
