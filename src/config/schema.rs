//! The policy file's shape, shared by TOML and JSON, and its conversion to and from the
//! builders (which hold every validation rule).

use core::fmt;

use pki_types::UnixTime;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::date::{format_rfc3339, parse_rfc3339_utc, Date};
use crate::policy::host_pattern::HostPattern;
use crate::policy::pin::Pin;
use crate::policy::{
    AfterExpiry, EnforcementMode, PinEntry, PinEntryBuilder, PinScope, PinSet, PinSetBuilder,
    ScopedPin, UnpinnedHostPolicy,
};

/// The only schema version so far.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// A whole policy file.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyFile {
    /// Required, but read as optional so that a file missing it can be told apart from a
    /// file that pins nothing (see `parse_named`): an empty file is reported as pinning
    /// nothing, which is what it would do.
    #[serde(default)]
    pub(crate) version: Option<u32>,
    /// The named opt-in for a policy that pins nothing and denies nothing.
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) allow_empty: bool,
    #[serde(default, skip_serializing_if = "is_default")]
    pub(crate) unpinned_hosts: UnpinnedHostPolicy,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) deny_everywhere: Vec<PinSpec>,
    #[serde(default, rename = "entry")]
    pub(crate) entries: Vec<EntrySpec>,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// One `[[entry]]`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EntrySpec {
    pub(crate) pattern: PatternSpec,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) pins: Vec<PinSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) backup_pins: Vec<PinSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) deny: Vec<PinSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires: Option<ExpirySpec>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub(crate) after_expiry: AfterExpiry,
    #[serde(default, skip_serializing_if = "is_default")]
    pub(crate) mode: EnforcementMode,
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) allow_missing_backup_pin: bool,
}

/// A host pattern with the text it was written as, to find it again in the file for an
/// error's line.
#[derive(Debug)]
pub(crate) struct PatternSpec {
    pub(crate) written: String,
    pub(crate) pattern: HostPattern,
}

impl Serialize for PatternSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.written)
    }
}

impl<'de> Deserialize<'de> for PatternSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let written = String::deserialize(deserializer)?;
        let pattern = written.parse().map_err(de::Error::custom)?;
        Ok(Self { written, pattern })
    }
}

/// A pin, either as a bare string (any position) or as `{ pin = "...", scope = "root" }`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PinSpec(pub(crate) ScopedPin);

impl Serialize for PinSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.scope() {
            PinScope::Any => self.0.pin().serialize(serializer),
            scope => {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("pin", &self.0.pin())?;
                map.serialize_entry("scope", &scope)?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for PinSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PinSpecVisitor;

        impl<'de> Visitor<'de> for PinSpecVisitor {
            type Value = PinSpec;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a pin string such as \"sha256/<base64>\", or a table with `pin` and \
                     `scope`",
                )
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<PinSpec, E> {
                let pin: Pin = text.parse().map_err(E::custom)?;
                Ok(PinSpec(ScopedPin::new(pin, PinScope::Any)))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PinSpec, A::Error> {
                let mut pin = None;
                let mut scope = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "pin" if pin.is_none() => pin = Some(map.next_value::<Pin>()?),
                        "scope" if scope.is_none() => {
                            scope = Some(map.next_value::<PinScope>()?);
                        }
                        "pin" | "scope" => return Err(de::Error::duplicate_field("pin or scope")),
                        other => {
                            return Err(de::Error::unknown_field(other, &["pin", "scope"]));
                        }
                    }
                }
                let pin = pin.ok_or_else(|| de::Error::missing_field("pin"))?;
                Ok(PinSpec(ScopedPin::new(pin, scope.unwrap_or_default())))
            }
        }

        deserializer.deserialize_any(PinSpecVisitor)
    }
}

/// An expiry: a date (`"2027-06-30"`, meaning 00:00:00 UTC) or a UTC time
/// (`"2027-06-30T12:00:00Z"`).
#[derive(Clone, Copy, Debug)]
pub(crate) enum ExpirySpec {
    Date(Date),
    Time(UnixTime),
}

const SECONDS_PER_DAY: u64 = 86_400;

impl ExpirySpec {
    fn of(time: UnixTime) -> Self {
        match time.as_secs() % SECONDS_PER_DAY {
            0 => Self::Date(Date::from_unix_time(time)),
            _ => Self::Time(time),
        }
    }
}

impl Serialize for ExpirySpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Date(date) => date.serialize(serializer),
            Self::Time(time) => serializer.serialize_str(&format_rfc3339(time.as_secs())),
        }
    }
}

impl<'de> Deserialize<'de> for ExpirySpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ExpiryVisitor;

        impl Visitor<'_> for ExpiryVisitor {
            type Value = ExpirySpec;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a quoted date such as \"2027-06-30\" or a UTC time such as \
                     \"2027-06-30T12:00:00Z\"",
                )
            }

            fn visit_str<E: de::Error>(self, text: &str) -> Result<ExpirySpec, E> {
                if text.len() == 10 {
                    return text.parse().map(ExpirySpec::Date).map_err(E::custom);
                }
                parse_rfc3339_utc(text)
                    .map(|secs| {
                        ExpirySpec::Time(UnixTime::since_unix_epoch(
                            core::time::Duration::from_secs(secs),
                        ))
                    })
                    .ok_or_else(|| {
                        E::custom(format_args!(
                            "invalid expiry {text:?}: expected \"YYYY-MM-DD\" or \
                             \"YYYY-MM-DDTHH:MM:SSZ\" (UTC)"
                        ))
                    })
            }
        }

        deserializer.deserialize_str(ExpiryVisitor)
    }
}

impl EntrySpec {
    /// The builder this entry describes; the builder's `build` does the validation.
    pub(crate) fn to_builder(&self) -> PinEntryBuilder {
        let mut builder = PinEntry::builder(self.pattern.pattern.clone());
        for PinSpec(scoped) in &self.pins {
            builder = builder.pin_at(scoped.pin(), scoped.scope());
        }
        for PinSpec(scoped) in &self.backup_pins {
            builder = builder.backup_pin_at(scoped.pin(), scoped.scope());
        }
        for PinSpec(scoped) in &self.deny {
            builder = builder.deny_at(scoped.pin(), scoped.scope());
        }
        builder = match self.expires {
            Some(ExpirySpec::Date(date)) => builder.expires_on(date),
            Some(ExpirySpec::Time(time)) => builder.expires_at(time),
            None => builder,
        };
        builder = builder.after_expiry(self.after_expiry).mode(self.mode);
        if self.allow_missing_backup_pin {
            builder = builder.allow_missing_backup_pin();
        }
        builder
    }

    fn of(entry: &PinEntry) -> Self {
        let specs = |pins: &[ScopedPin]| pins.iter().copied().map(PinSpec).collect::<Vec<_>>();
        let distinct = entry
            .allowed_pins()
            .iter()
            .map(|scoped| scoped.pin())
            .collect::<std::collections::HashSet<_>>()
            .len();
        Self {
            pattern: PatternSpec {
                written: entry.pattern().to_string(),
                pattern: entry.pattern().clone(),
            },
            pins: specs(entry.primary_pins()),
            backup_pins: specs(entry.backup_pins()),
            deny: specs(entry.denied_pins()),
            expires: entry.expires_at().map(ExpirySpec::of),
            after_expiry: entry.after_expiry(),
            mode: entry.mode(),
            // The set was built, so a lone pin in an enforced entry was allowed explicitly.
            allow_missing_backup_pin: entry.mode() == EnforcementMode::Enforce && distinct == 1,
        }
    }
}

impl PolicyFile {
    /// The set builder this file describes.
    pub(crate) fn to_builder(&self) -> PinSetBuilder {
        let mut builder = PinSet::builder().unpinned_hosts(self.unpinned_hosts);
        for PinSpec(scoped) in &self.deny_everywhere {
            builder = builder.deny_everywhere_at(scoped.pin(), scoped.scope());
        }
        for entry in &self.entries {
            builder = builder.entry(entry.to_builder());
        }
        builder
    }

    /// Whether the file pins nothing and denies nothing: no entry, no pin denied everywhere,
    /// and unpinned hosts get plain WebPKI. Loading it would switch pinning off for every
    /// host, so it needs `allow_empty = true`. A file that refuses every unpinned host does
    /// not count: it fails closed, loudly.
    pub(crate) fn pins_nothing(&self) -> bool {
        self.entries.is_empty()
            && self.deny_everywhere.is_empty()
            && matches!(self.unpinned_hosts, UnpinnedHostPolicy::WebPkiOnly)
    }

    /// The file that describes `pins`. A `PinSet` does not remember how it was loaded, so the
    /// opt-in is inferred: a set that pins nothing was built on purpose (in code, or from a
    /// file that opted in), and is written with `allow_empty = true` so that it loads back.
    pub(crate) fn of(pins: &PinSet) -> Self {
        let mut file = Self {
            version: Some(SCHEMA_VERSION),
            allow_empty: false,
            unpinned_hosts: pins.unpinned_host_policy(),
            deny_everywhere: pins
                .globally_denied_pins()
                .iter()
                .copied()
                .map(PinSpec)
                .collect(),
            entries: pins.entries().map(EntrySpec::of).collect(),
        };
        file.allow_empty = file.pins_nothing();
        file
    }
}
