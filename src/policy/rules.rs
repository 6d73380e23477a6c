//! The rules every pin entry follows, server or client, and the enforcement mode both carry:
//! the builders of both check an entry here and only name the entry in their own error.

use std::collections::HashSet;

use crate::policy::pin::{Pin, PinKind};
use crate::policy::scope::{PinScope, ScopedPin};

/// Whether an entry's pin failures reject the connection.
///
/// ```
/// use rustls_pinning::EnforcementMode;
/// assert_eq!(EnforcementMode::default(), EnforcementMode::Enforce);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum EnforcementMode {
    /// A pin failure rejects the connection.
    #[default]
    Enforce,
    /// A pin failure is noted but the connection proceeds (chain and name failures still
    /// reject). For rolling pins out before enforcing them.
    ReportOnly,
}

/// The pins an entry builder collects, server or client, and the options the entry rules
/// depend on.
#[derive(Clone, Debug, Default)]
pub(crate) struct EntryPins {
    /// Primary allowed pins.
    pub(crate) primary: Vec<ScopedPin>,
    /// Backup allowed pins (a client entry has none).
    pub(crate) backup: Vec<ScopedPin>,
    pub(crate) denied: Vec<ScopedPin>,
    pub(crate) mode: EnforcementMode,
    /// The named opt-out of the backup-pin rule.
    pub(crate) allow_missing_backup_pin: bool,
}

/// The rule an entry breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Broken {
    /// Neither allowed nor denied pins.
    Empty,
    /// Backup pins but no primary pin.
    BackupWithoutPrimary,
    /// This pin is both allowed and denied by the entry.
    AllowedAndDenied(Pin),
    /// This pin is allowed by the entry and denied everywhere.
    AllowedAndDeniedEverywhere(Pin),
    /// An enforced entry with fewer than two distinct allowed pins, without the opt-out.
    MissingBackupPin,
}

/// Checks an entry's pins against the rules, in the order the errors are reported.
pub(crate) fn check(pins: &EntryPins, denied_everywhere: &[ScopedPin]) -> Result<(), Broken> {
    if pins.primary.is_empty() && pins.backup.is_empty() && pins.denied.is_empty() {
        return Err(Broken::Empty);
    }
    if pins.primary.is_empty() && !pins.backup.is_empty() {
        return Err(Broken::BackupWithoutPrimary);
    }
    for allowed in pins.primary.iter().chain(&pins.backup) {
        if pins
            .denied
            .iter()
            .any(|denied| denied.pin() == allowed.pin())
        {
            return Err(Broken::AllowedAndDenied(allowed.pin()));
        }
        if denied_everywhere
            .iter()
            .any(|denied| denied.pin() == allowed.pin())
        {
            return Err(Broken::AllowedAndDeniedEverywhere(allowed.pin()));
        }
    }
    // Copies of one pin do not make a backup: count distinct digests.
    let distinct = pins
        .primary
        .iter()
        .chain(&pins.backup)
        .map(ScopedPin::pin)
        .collect::<HashSet<_>>()
        .len();
    let enforced = pins.mode == EnforcementMode::Enforce;
    if enforced && !pins.primary.is_empty() && distinct < 2 && !pins.allow_missing_backup_pin {
        return Err(Broken::MissingBackupPin);
    }
    Ok(())
}

/// The pins without repeats, in the order given.
pub(crate) fn dedup(pins: Vec<ScopedPin>) -> Box<[ScopedPin]> {
    let mut seen = HashSet::new();
    pins.into_iter().filter(|pin| seen.insert(*pin)).collect()
}

/// The first pin, among the pins of each owner, that needs a trust anchor's whole
/// certificate (a certificate pin scoped to the root), with its owner.
pub(crate) fn root_certificate_pin<'a, O: 'a>(
    pins: impl IntoIterator<Item = (O, &'a ScopedPin)>,
) -> Option<(O, ScopedPin)> {
    pins.into_iter()
        .find(|(_, scoped)| {
            scoped.pin().kind() == PinKind::Certificate && scoped.scope() == PinScope::Root
        })
        .map(|(owner, scoped)| (owner, *scoped))
}

/// A doc example for an entry builder method: `$new` (the builder, as the example writes
/// it, with `$imports` in scope) then `.$call`.
macro_rules! entry_example {
    ($imports:literal, $new:literal, $call:literal) => {
        concat!(
            "\n\n```\n# use rustls_pinning::{",
            $imports,
            "};\n",
            "let entry = ",
            $new,
            ".",
            $call,
            ";\n",
            "# Ok::<(), Box<dyn std::error::Error>>(())\n```"
        )
    };
}
pub(crate) use entry_example;

/// The methods every entry builder has, server or client, written once over its `pins:
/// EntryPins` field, so that the two kinds of entry take their pins the same way.
/// `$imports` and `$new` write the builder for the examples.
macro_rules! entry_pin_methods {
    ($imports:literal, $new:literal) => {
        /// Allows `pin` on any certificate of the verified path.
        #[doc = $crate::policy::rules::entry_example!(
            $imports, $new, "pin(rustls_pinning::Pin::spki_sha256([1; 32]))"
        )]
        pub fn pin(self, pin: $crate::Pin) -> Self {
            self.pin_at(pin, $crate::PinScope::Any)
        }

        /// Allows `pin` only at the positions `scope` names.
        #[doc = $crate::policy::rules::entry_example!(
            $imports, $new,
            "pin_at(rustls_pinning::Pin::spki_sha256([3; 32]), rustls_pinning::PinScope::Leaf)"
        )]
        pub fn pin_at(mut self, pin: $crate::Pin, scope: $crate::PinScope) -> Self {
            self.pins.primary.push($crate::ScopedPin::new(pin, scope));
            self
        }

        /// Rejects any verified path with a certificate matching `pin`, even when an allowed
        /// pin matches too: for a key known to be compromised or retired.
        #[doc = $crate::policy::rules::entry_example!(
            $imports, $new, "deny(rustls_pinning::Pin::spki_sha256([6; 32]))"
        )]
        pub fn deny(self, pin: $crate::Pin) -> Self {
            self.deny_at(pin, $crate::PinScope::Any)
        }

        /// Like [`deny`](Self::deny), at the positions `scope` names.
        #[doc = $crate::policy::rules::entry_example!(
            $imports, $new,
            "deny_at(rustls_pinning::Pin::spki_sha256([6; 32]), rustls_pinning::PinScope::Leaf)"
        )]
        pub fn deny_at(mut self, pin: $crate::Pin, scope: $crate::PinScope) -> Self {
            self.pins.denied.push($crate::ScopedPin::new(pin, scope));
            self
        }

        /// Whether the entry's pin failures reject ([`EnforcementMode::Enforce`], the default)
        /// or are only reported ([`EnforcementMode::ReportOnly`]).
        ///
        /// [`EnforcementMode::Enforce`]: crate::EnforcementMode::Enforce
        /// [`EnforcementMode::ReportOnly`]: crate::EnforcementMode::ReportOnly
        #[doc = $crate::policy::rules::entry_example!(
            $imports, $new, "mode(rustls_pinning::EnforcementMode::ReportOnly)"
        )]
        pub fn mode(mut self, mode: $crate::EnforcementMode) -> Self {
            self.pins.mode = mode;
            self
        }

        /// Shorthand for `mode(EnforcementMode::ReportOnly)`: a pin failure of this entry (a
        /// missing pin or the entry's own deny pin) is reported, not enforced; chain failures
        /// and pins denied everywhere still reject.
        #[doc = $crate::policy::rules::entry_example!($imports, $new, "report_only()")]
        pub fn report_only(self) -> Self {
            self.mode($crate::EnforcementMode::ReportOnly)
        }

        /// Accepts an enforced entry with a single allowed pin. Without a backup pin, the next
        /// key rotation locks out every peer still carrying this entry.
        #[doc = $crate::policy::rules::entry_example!(
            $imports, $new,
            "pin(rustls_pinning::Pin::spki_sha256([1; 32])).allow_missing_backup_pin()"
        )]
        pub fn allow_missing_backup_pin(mut self) -> Self {
            self.pins.allow_missing_backup_pin = true;
            self
        }
    };
}
pub(crate) use entry_pin_methods;

/// The methods every pin set builder has, server or client, written once over its `entries`
/// and `global_deny` fields. `$set` names the set type and `$entry` the entry type whose
/// builder `entry` takes, for the examples; `$new_entry` writes that builder.
macro_rules! set_builder_methods {
    ($set:literal, $entry:literal, $entry_builder:ty, $new_entry:literal) => {
        /// Adds an entry.
        #[doc = concat!(
            "\n\n```\n# use rustls_pinning::{ClientIdentity, Pin, ", $entry, ", ", $set, "};\n",
            "let set = ", $set, "::builder()\n",
            "    .entry(", $new_entry, ".pin(Pin::spki_sha256([1; 32])).pin(Pin::spki_sha256([2; 32])))\n",
            "    .build()?;\n",
            "assert_eq!(set.len(), 1);\n",
            "# Ok::<(), Box<dyn std::error::Error>>(())\n```"
        )]
        pub fn entry(mut self, entry: $entry_builder) -> Self {
            self.entries.push(entry);
            self
        }

        /// Denies `pin` on the verified path of every peer, pinned or not, whatever the
        /// entries' modes (report-only never waives it): for a key known to be compromised.
        #[doc = concat!(
            "\n\n```\n# use rustls_pinning::{Pin, ", $set, "};\n",
            "let set = ", $set, "::builder().deny_everywhere(Pin::spki_sha256([9; 32])).build()?;\n",
            "assert_eq!(set.globally_denied_pins().len(), 1);\n",
            "# Ok::<(), Box<dyn std::error::Error>>(())\n```"
        )]
        pub fn deny_everywhere(self, pin: $crate::Pin) -> Self {
            self.deny_everywhere_at(pin, $crate::PinScope::Any)
        }

        /// Like [`deny_everywhere`](Self::deny_everywhere), at the positions `scope` names.
        #[doc = concat!(
            "\n\n```\n# use rustls_pinning::{Pin, PinScope, ", $set, "};\n",
            "let set = ", $set, "::builder()\n",
            "    .deny_everywhere_at(Pin::spki_sha256([9; 32]), PinScope::Root)\n",
            "    .build()?;\n",
            "# Ok::<(), Box<dyn std::error::Error>>(())\n```"
        )]
        pub fn deny_everywhere_at(mut self, pin: $crate::Pin, scope: $crate::PinScope) -> Self {
            self.global_deny.push($crate::ScopedPin::new(pin, scope));
            self
        }
    };
}
pub(crate) use set_builder_methods;

/// The accessors every pin set has, server or client, written once over its `entries` and
/// `global_deny` fields. `$set` names the set type for the examples.
macro_rules! set_accessors {
    ($set:literal, $entry:ty) => {
        /// Every entry, in the order they were added.
        #[doc = concat!(
            "\n\n```\n# use rustls_pinning::", $set, ";\n",
            "assert_eq!(", $set, "::builder().build()?.entries().count(), 0);\n",
            "# Ok::<(), Box<dyn std::error::Error>>(())\n```"
        )]
        pub fn entries(&self) -> impl ExactSizeIterator<Item = &$entry> + '_ {
            self.entries.iter()
        }

        /// The number of entries.
        #[doc = concat!(
            "\n\n```\n# use rustls_pinning::", $set, ";\n",
            "assert_eq!(", $set, "::builder().build()?.len(), 0);\n",
            "# Ok::<(), Box<dyn std::error::Error>>(())\n```"
        )]
        pub fn len(&self) -> usize {
            self.entries.len()
        }

        /// Whether the set has no entries.
        #[doc = concat!(
            "\n\n```\n# use rustls_pinning::", $set, ";\n",
            "assert!(", $set, "::builder().build()?.is_empty());\n",
            "# Ok::<(), Box<dyn std::error::Error>>(())\n```"
        )]
        pub fn is_empty(&self) -> bool {
            self.entries.is_empty()
        }

        /// Pins denied for every peer, pinned or not.
        #[doc = concat!(
            "\n\n```\n# use rustls_pinning::{Pin, ", $set, "};\n",
            "let set = ", $set, "::builder().deny_everywhere(Pin::spki_sha256([9; 32])).build()?;\n",
            "assert_eq!(set.globally_denied_pins().len(), 1);\n",
            "# Ok::<(), Box<dyn std::error::Error>>(())\n```"
        )]
        pub fn globally_denied_pins(&self) -> &[$crate::ScopedPin] {
            &self.global_deny
        }
    };
}
pub(crate) use set_accessors;
