//! The `API-Version` header as a value the rest of the code dispatches on.

use std::fmt;
use std::str::FromStr;

/// The name of the header every ACP request carries.
pub const HEADER: &str = "API-Version";

/// An ACP API version that this implementation speaks.
///
/// ACP is date-versioned and a server must answer in the version the client asked for, so the
/// version travels with every request as a value rather than living in the models as a constant.
/// Variants are ordered oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiVersion {
    V2026_04_17,
}

impl ApiVersion {
    /// Every version served, oldest first, as the discovery document lists them.
    pub const SUPPORTED: &'static [ApiVersion] = &[ApiVersion::V2026_04_17];

    /// The newest version served.
    pub const LATEST: ApiVersion = ApiVersion::V2026_04_17;

    pub const fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V2026_04_17 => "2026-04-17",
        }
    }

    /// The supported versions as the strings that go into `supported_versions`.
    pub fn supported_strings() -> Vec<String> {
        Self::SUPPORTED
            .iter()
            .map(|v| v.as_str().to_owned())
            .collect()
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The header named a version this implementation does not serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("API version {0:?} is not supported")]
pub struct UnsupportedVersion(pub String);

impl FromStr for ApiVersion {
    type Err = UnsupportedVersion;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        Self::SUPPORTED
            .iter()
            .copied()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnsupportedVersion(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_supported_versions_and_rejects_others() {
        assert_eq!("2026-04-17".parse(), Ok(ApiVersion::V2026_04_17));
        assert_eq!(" 2026-04-17 ".parse(), Ok(ApiVersion::V2026_04_17));
        assert!("2026-01-30".parse::<ApiVersion>().is_err());
        assert!("latest".parse::<ApiVersion>().is_err());
    }

    #[test]
    fn supported_list_is_oldest_first_and_ends_with_latest() {
        let mut sorted = ApiVersion::SUPPORTED.to_vec();
        sorted.sort();
        assert_eq!(sorted, ApiVersion::SUPPORTED);
        assert_eq!(ApiVersion::SUPPORTED.last(), Some(&ApiVersion::LATEST));
    }
}
