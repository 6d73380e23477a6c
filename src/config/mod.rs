//! Pin policy as code: a [`PinSet`](crate::PinSet) loaded from and saved to TOML or JSON
//! (feature `serde`), and imported from RFC 7469 headers and Android network security
//! configurations.
//!
//! The file describes the builder calls, and loading runs the builder's own validation, so a
//! file is accepted exactly when the same policy written in Rust would be. Unknown fields
//! are errors, because a misspelt `backup_pins` must not silently drop a pin.
//!
//! Two rules guard against a file that is not the policy it should be (a failed template
//! render, a truncated copy, an empty file): `version` is required, and a policy that pins
//! nothing and denies nothing is refused ([`ConfigError::PinsNothing`]) unless it says
//! `allow_empty = true`, since loading it would switch pinning off for every host.
//!
//! ```toml
//! version = 1                             # required
//! allow_empty = false                     # true: no entry and no deny pin is intended
//! unpinned_hosts = "webpki-only"          # or "reject"
//! deny_everywhere = ["sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="]
//!
//! [[entry]]
//! pattern = "**.example.com"              # exact, "*.suffix", "**.suffix" or an IP address
//! pins = [
//!     "sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=",
//!     { pin = "sha256/5kJvNEMw0KjrCAu7eXY5HZdvyCS13BbA0VJG1RSP91w=", scope = "intermediate" },
//! ]
//! backup_pins = ["sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg="]
//! deny = []
//! expires = "2027-06-30"                  # or "2027-06-30T12:00:00Z"
//! after_expiry = "skip"                   # or "keep-enforcing"
//! mode = "enforce"                        # or "report-only"
//! allow_missing_backup_pin = false
//! ```
//!
//! JSON has the same fields (`{"version": 1, "entry": [{"pattern": ..., "pins": [...]}]}`).
//!
//! [`parse`], [`load`], [`to_string`] and [`save`] read and write these files.
//!
//! Existing policies import too: RFC 7469 `Public-Key-Pins` headers ([`HpkpPolicy`], also
//! without the `serde` feature) and Android network security configurations
//! ([`parse_android`]).

#[cfg(feature = "serde")]
mod android;
#[cfg(feature = "serde")]
mod error;
#[cfg(feature = "serde")]
mod files;
#[cfg(feature = "serde")]
mod format;
mod hpkp;
#[cfg(feature = "serde")]
mod schema;
#[cfg(feature = "serde")]
mod serde_impls;

#[cfg(feature = "serde")]
pub use android::{
    parse_android, parse_android_allowing_missing_backup, to_android_xml, MAX_ANDROID_XML_BYTES,
    MAX_ANDROID_XML_DEPTH, MAX_ANDROID_XML_NODES,
};
#[cfg(feature = "serde")]
pub use error::ConfigError;
#[cfg(feature = "serde")]
pub use files::{load, parse, parse_named, save, to_string, MAX_POLICY_BYTES};
#[cfg(feature = "serde")]
pub use format::ConfigFormat;
pub use hpkp::{HpkpError, HpkpPolicy};
