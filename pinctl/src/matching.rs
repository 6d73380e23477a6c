//! Which pins of a policy name which certificate: what `check` and `lint` explain.
//!
//! The verifier decides; this only explains. It follows the rules the README states: a pin
//! matches a certificate of its scope when it is the digest of that certificate's key (SPKI
//! pin) or of the certificate itself (certificate pin).

use rustls_pinning::{
    AfterExpiry, EnforcementMode, Pin, PinEntry, PinScope, PinSet, Position, ScopedPin,
};
use serde::Serialize;

use crate::chain::ChainCertificate;

/// What a pin is to the entry that applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Role {
    /// An allowed pin not marked as backup.
    Primary,
    /// An allowed pin marked as backup.
    Backup,
    /// The entry's deny pin.
    Denied,
    /// A pin denied for every host.
    DeniedEverywhere,
}

impl Role {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::Primary => "primary pin",
            Self::Backup => "backup pin",
            Self::Denied => "deny pin",
            Self::DeniedEverywhere => "pin denied everywhere",
        }
    }

    pub(crate) fn is_allowed(self) -> bool {
        matches!(self, Self::Primary | Self::Backup)
    }
}

/// One pin that matches one certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct PinMatch {
    pub(crate) pin: Pin,
    pub(crate) scope: PinScope,
    pub(crate) role: Role,
}

/// Whether a pin scoped to `scope` may match a certificate at `position`.
pub(crate) fn admits(scope: PinScope, position: Position) -> bool {
    match scope {
        PinScope::Any => true,
        PinScope::Leaf => position == Position::Leaf,
        PinScope::Intermediate => position == Position::Intermediate,
        PinScope::Root => position == Position::Root,
        _ => false,
    }
}

/// The word for a position, as the library's errors print it.
pub(crate) fn position_label(position: Position) -> &'static str {
    match position {
        Position::Leaf => "leaf",
        Position::Intermediate => "intermediate",
        Position::Root => "root",
        _ => "certificate",
    }
}

/// Every pin of `entry` and of the global deny list that matches `certificate` at `position`.
pub(crate) fn matches(
    pins: &PinSet,
    entry: Option<&PinEntry>,
    certificate: &ChainCertificate,
    position: Position,
) -> Vec<PinMatch> {
    let roles = |list: &[ScopedPin], role: Role| {
        list.iter()
            .map(move |scoped| (*scoped, role))
            .collect::<Vec<_>>()
    };
    let mut candidates = Vec::new();
    if let Some(entry) = entry {
        candidates.extend(roles(entry.primary_pins(), Role::Primary));
        candidates.extend(roles(entry.backup_pins(), Role::Backup));
        candidates.extend(roles(entry.denied_pins(), Role::Denied));
    }
    candidates.extend(roles(pins.globally_denied_pins(), Role::DeniedEverywhere));
    candidates
        .into_iter()
        .filter(|(scoped, _)| admits(scoped.scope(), position) && certificate.matches(scoped.pin()))
        .map(|(scoped, role)| PinMatch {
            pin: scoped.pin(),
            scope: scoped.scope(),
            role,
        })
        .collect()
}

/// How the entry for a host stands at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum EntryState {
    /// Its pins are enforced (or reported, in report-only mode).
    InForce,
    /// It expired and is skipped: plain WebPKI applies.
    ExpiredSkipped,
    /// It expired and keeps being enforced.
    ExpiredEnforced,
}

/// The entry that applies to `host` at `now` and its state, the way the verifier resolves it.
pub(crate) fn resolve<'a>(
    pins: &'a PinSet,
    host: &str,
    now: rustls::pki_types::UnixTime,
) -> Option<(&'a PinEntry, EntryState)> {
    let entry = pins.lookup(host)?;
    let state = match (entry.is_expired_at(now), entry.after_expiry()) {
        (false, _) => EntryState::InForce,
        (true, AfterExpiry::KeepEnforcing) => EntryState::ExpiredEnforced,
        (true, _) => EntryState::ExpiredSkipped,
    };
    Some((entry, state))
}

/// `enforce` or `report-only`.
pub(crate) fn mode_label(mode: EnforcementMode) -> &'static str {
    match mode {
        EnforcementMode::ReportOnly => "report-only",
        _ => "enforce",
    }
}

/// The position of the `index`th certificate of a chain given leaf first: the first is the
/// leaf, a self-issued last certificate the root, the others intermediates.
pub(crate) fn position_in_file(index: usize, count: usize, self_issued: bool) -> Position {
    if index == 0 {
        Position::Leaf
    } else if index + 1 == count && self_issued {
        Position::Root
    } else {
        Position::Intermediate
    }
}
