//! What verifiers report: pin events ([`events`]), the reporters that receive them
//! ([`reporters`]) and the RFC 7469 JSON report (`json`, feature `serde`).

pub(crate) mod events;
#[cfg(feature = "serde")]
pub(crate) mod json;
pub mod reporters;

pub use events::{Outcome, PinEvent, PinEventKind, PinReporter, Reporting, DEFAULT_EXPIRY_WARNING};
#[cfg(feature = "serde")]
pub use json::ViolationReport;

pub(crate) use events::{Connection, Observation, Reporter};
