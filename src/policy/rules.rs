//! The rules every pin entry follows, server or client: the builders of both check an entry
//! here and only name the entry in their own error.

use std::collections::HashSet;

use crate::policy::pin::{Pin, PinKind};
use crate::policy::scope::{PinScope, ScopedPin};

/// An entry's pins as its builder was given them.
pub(crate) struct EntryPins<'a> {
    /// Primary allowed pins.
    pub(crate) primary: &'a [ScopedPin],
    /// Backup allowed pins (a client entry has none).
    pub(crate) backup: &'a [ScopedPin],
    pub(crate) denied: &'a [ScopedPin],
    /// Whether pin failures reject (not report-only).
    pub(crate) enforced: bool,
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
pub(crate) fn check(pins: &EntryPins<'_>, denied_everywhere: &[ScopedPin]) -> Result<(), Broken> {
    if pins.primary.is_empty() && pins.backup.is_empty() && pins.denied.is_empty() {
        return Err(Broken::Empty);
    }
    if pins.primary.is_empty() && !pins.backup.is_empty() {
        return Err(Broken::BackupWithoutPrimary);
    }
    for allowed in pins.primary.iter().chain(pins.backup) {
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
        .chain(pins.backup)
        .map(ScopedPin::pin)
        .collect::<HashSet<_>>()
        .len();
    if pins.enforced && !pins.primary.is_empty() && distinct < 2 && !pins.allow_missing_backup_pin {
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
