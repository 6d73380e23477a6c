//! The policy: what a client pins, validated once by its builders and immutable afterwards.
//!
//! Pins ([`pin`]) and where on a path they may match ([`scope`]), host patterns and their
//! index ([`host_pattern`], [`name_index`]), one host's entry ([`entry`]) and the set of them
//! ([`pin_set`], [`error`]) for servers; client identities
//! ([`identity`]) and the client pin set ([`client`]) for mutual TLS; and the rules every entry
//! follows, server or client ([`rules`]). Nothing here knows how a policy is loaded, checked
//! or reported.

pub(crate) mod client;
pub(crate) mod entry;
pub(crate) mod error;
pub(crate) mod host_pattern;
pub(crate) mod identity;
pub(crate) mod name_index;
pub(crate) mod pin;
pub(crate) mod pin_set;
pub(crate) mod rules;
pub(crate) mod scope;

pub use client::{
    ClientPinEntry, ClientPinEntryBuilder, ClientPinSet, ClientPinSetBuilder, ClientPinSetError,
    UnpinnedClientPolicy,
};
pub use entry::{AfterExpiry, PinEntry, PinEntryBuilder};
pub use error::PinSetError;
pub use host_pattern::{HostPattern, HostPatternError, HostPatternKind};
pub use identity::{ClientIdentity, ClientIdentityError};
pub use pin::{Pin, PinError, PinKind};
pub use pin_set::{PinSet, PinSetBuilder, UnpinnedHostPolicy};
pub use rules::EnforcementMode;
pub use scope::{PinScope, Position, ScopedPin};

pub(crate) use host_pattern::normalize_host_into;
