//! Why a pin set could not be built.

use crate::policy::host_pattern::HostPattern;
use crate::policy::pin::Pin;

/// Why a [`PinSet`](crate::PinSet) could not be built.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PinSetError {
    /// An enforced entry has a single distinct allowed pin and did not opt out with
    /// [`PinEntryBuilder::allow_missing_backup_pin`](crate::PinEntryBuilder::allow_missing_backup_pin).
    #[error(
        "entry \"{pattern}\" has one allowed pin and no backup: add a backup_pin() (a key \
         not served today, kept offline for rotation) or call allow_missing_backup_pin()"
    )]
    MissingBackupPin {
        /// The entry's pattern.
        pattern: HostPattern,
    },
    /// An entry has neither allowed nor denied pins.
    #[error("entry \"{pattern}\" has no pins")]
    EmptyEntry {
        /// The entry's pattern.
        pattern: HostPattern,
    },
    /// An entry has backup pins but no primary pin: the primary is the key servers present
    /// today, and without one every connection would look like a rotation.
    #[error(
        "entry \"{pattern}\" has backup pins but no primary pin: mark the key servers present \
         today with pin() and keep backup_pin() for keys held in reserve"
    )]
    BackupWithoutPrimaryPin {
        /// The entry's pattern.
        pattern: HostPattern,
    },
    /// Two entries have the same pattern.
    #[error("pattern \"{pattern}\" appears in more than one entry")]
    DuplicatePattern {
        /// The repeated pattern.
        pattern: HostPattern,
    },
    /// A pin is both allowed and denied in one entry.
    #[error("entry \"{pattern}\" both allows and denies {pin}")]
    PinAllowedAndDenied {
        /// The entry's pattern.
        pattern: HostPattern,
        /// The contradictory pin.
        pin: Pin,
    },
    /// An entry allows a pin that is denied for every host.
    #[error("entry \"{pattern}\" allows {pin}, which is denied everywhere")]
    PinAllowedAndDeniedEverywhere {
        /// The entry's pattern.
        pattern: HostPattern,
        /// The contradictory pin.
        pin: Pin,
    },
}
