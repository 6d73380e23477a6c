//! Serde support for the public types a policy file is made of: pins, host patterns and
//! dates as the text they parse from, options as kebab-case words.

use core::fmt;
use core::marker::PhantomData;
use core::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::date::Date;
use crate::policy::host_pattern::HostPattern;
use crate::policy::pin::Pin;
use crate::policy::{AfterExpiry, EnforcementMode, PinScope, UnpinnedHostPolicy};

/// Deserializes a `FromStr` type from a string, keeping its parse error as the message so
/// that the format's own error carries the line and column.
struct ParsedVisitor<T> {
    expecting: &'static str,
    _type: PhantomData<T>,
}

impl<T> Visitor<'_> for ParsedVisitor<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
        text.parse().map_err(E::custom)
    }
}

macro_rules! serde_as_text {
    ($type:ty, $expecting:literal) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(ParsedVisitor {
                    expecting: $expecting,
                    _type: PhantomData,
                })
            }
        }
    };
}

serde_as_text!(Pin, "a pin string such as \"sha256/<base64>\"");
serde_as_text!(
    HostPattern,
    "a host pattern string such as \"**.example.com\""
);
serde_as_text!(Date, "a quoted date such as \"2027-06-30\"");

/// A fieldless enum as one of a fixed set of words.
macro_rules! serde_as_word {
    ($type:ty, $expecting:literal, $($variant:path => $word:literal),+ $(,)?) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(match self {
                    $($variant => $word,)+
                })
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct WordVisitor;

                impl Visitor<'_> for WordVisitor {
                    type Value = $type;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_str<E: de::Error>(self, text: &str) -> Result<$type, E> {
                        match text {
                            $($word => Ok($variant),)+
                            other => Err(E::custom(format_args!(
                                "unknown value {other:?}, expected {}",
                                $expecting
                            ))),
                        }
                    }
                }

                deserializer.deserialize_str(WordVisitor)
            }
        }
    };
}

serde_as_word!(PinScope, "one of \"any\", \"leaf\", \"intermediate\", \"root\"",
    PinScope::Any => "any",
    PinScope::Leaf => "leaf",
    PinScope::Intermediate => "intermediate",
    PinScope::Root => "root",
);
serde_as_word!(EnforcementMode, "one of \"enforce\", \"report-only\"",
    EnforcementMode::Enforce => "enforce",
    EnforcementMode::ReportOnly => "report-only",
);
serde_as_word!(AfterExpiry, "one of \"skip\", \"keep-enforcing\"",
    AfterExpiry::Skip => "skip",
    AfterExpiry::KeepEnforcing => "keep-enforcing",
);
serde_as_word!(UnpinnedHostPolicy, "one of \"webpki-only\", \"reject\"",
    UnpinnedHostPolicy::WebPkiOnly => "webpki-only",
    UnpinnedHostPolicy::Reject => "reject",
);
