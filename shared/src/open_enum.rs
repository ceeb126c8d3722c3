//! Enums that must accept values they do not know.
//!
//! Where the spec says receivers MUST accept unknown values (webhook event types, 2026-04-17
//! order and fulfillment statuses, capability values, intent-trace reason codes), a closed serde
//! enum would reject a newer peer's message. These enums keep the unknown string instead and
//! write it back unchanged.

/// Declares an enum of known string values plus `Unknown(String)`, serialised as a plain string.
#[macro_export]
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $wire:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version of the code does not know; kept verbatim.
            Unknown(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $wire, )+
                    Self::Unknown(s) => s.as_str(),
                }
            }

            /// Whether this is one of the values the spec names.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => Self::$variant, )+
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Ok(Self::from(s.as_ref()))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    open_enum! {
        enum Colour { Red => "red", Blue => "blue" }
    }

    #[test]
    fn known_and_unknown_values_round_trip() {
        let parsed: Vec<Colour> = serde_json::from_str(r#"["red","teal"]"#).expect("parses");
        assert_eq!(parsed, vec![Colour::Red, Colour::Unknown("teal".into())]);
        assert!(parsed[0].is_known());
        assert!(!parsed[1].is_known());
        assert_eq!(
            serde_json::to_string(&parsed).expect("serialises"),
            r#"["red","teal"]"#
        );
    }
}
