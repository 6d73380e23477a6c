//! Why a policy could not be read, understood or written.

use std::path::PathBuf;

use crate::config::format::ConfigFormat;
use crate::config::schema::SCHEMA_VERSION;
use crate::policy::PinSetError;

/// Why a policy file could not be read, understood or written. Each variant names the file
/// (or `<TOML text>` / `<JSON text>` for text given directly) and where in it.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// The file name does not say which format it is in.
    #[error("{}: unknown policy format: name the file .toml or .json", path.display())]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The text is not valid for the schema: bad syntax, an unknown field, a pin or pattern
    /// that does not parse, a value of the wrong type.
    #[error("{origin}:{line}:{column}: {reason}")]
    Syntax {
        /// The file, or a description of the text.
        origin: String,
        /// From 1.
        line: usize,
        /// From 1.
        column: usize,
        /// What the parser said.
        reason: String,
    },
    /// The file has no `version` field. It is required, so that a file produced by a failed
    /// template render or cut short by a truncated copy is not taken for a policy.
    #[error(
        "{origin}: no version field: a policy file says which schema it is written for, \
         `version = 1` in TOML (`\"version\": 1` in JSON)"
    )]
    MissingVersion {
        /// The file, or a description of the text.
        origin: String,
    },
    /// The schema version is not one this crate reads.
    #[error(
        "{origin}: version {found} is not supported (this crate reads version {SCHEMA_VERSION})"
    )]
    UnsupportedVersion {
        /// The file, or a description of the text.
        origin: String,
        /// The version in the file.
        found: u32,
    },
    /// The policy parsed but the builder refused it.
    #[error("{origin}{}: {field}: {source}", line.map(|line| format!(":{line}")).unwrap_or_default())]
    Invalid {
        /// The file, or a description of the text.
        origin: String,
        /// The line of the entry concerned, when it could be found.
        line: Option<usize>,
        /// The entry concerned (`entry[2] "api.example.com"`), or `deny_everywhere`.
        field: String,
        /// The builder's reason.
        #[source]
        source: Box<PinSetError>,
    },
    /// The input is larger than this crate reads for its kind (see the `MAX_*_BYTES`
    /// constants of this module): refused before it is parsed.
    #[error("{origin}: {size} bytes is more than the {limit} bytes a {what} may have")]
    TooLarge {
        /// The file, or a description of the text.
        origin: String,
        /// What kind of input it is (`policy file`, `Android network security configuration`).
        what: &'static str,
        /// Its size in bytes. For input with no size to ask (a pipe, a device), the bytes
        /// read when reading stopped: one more than `limit`.
        size: usize,
        /// The most this crate reads.
        limit: usize,
    },
    /// The input nests deeper than this crate follows (elements inside elements, tables
    /// inside tables): refused instead of recursing without bound.
    #[error("{origin}:{line}: nested more than {limit} levels deep")]
    TooDeep {
        /// The file, or a description of the text.
        origin: String,
        /// From 1: where the limit was crossed.
        line: usize,
        /// The deepest nesting read.
        limit: usize,
    },
    /// The input has more XML nodes (elements, text, comments) than this crate reads:
    /// refused without reading further.
    #[error("{origin}: more than {limit} XML nodes (elements, text, comments)")]
    TooManyNodes {
        /// The file, or a description of the text.
        origin: String,
        /// The most nodes read.
        limit: usize,
    },
    /// The policy has no entry and no pin denied everywhere: loading it would switch pinning
    /// off for every host. A TOML or JSON policy that means it says so with
    /// `allow_empty = true`; an Android configuration without a `<pin-set>` cannot.
    #[error(
        "{origin}: the policy pins nothing and denies nothing, which would switch pinning off \
         for every host; add an entry (a TOML or JSON policy that means it sets \
         allow_empty = true)"
    )]
    PinsNothing {
        /// The file, or a description of the text.
        origin: String,
    },
    /// Part of the policy has no equivalent in the target format.
    #[error("{subject} cannot be written as {target}: {reason}")]
    NotExpressible {
        /// The format.
        target: &'static str,
        /// The entry or setting concerned.
        subject: String,
        /// What has no equivalent.
        reason: &'static str,
    },
    /// The policy could not be written in this format.
    #[error("writing {format}: {reason}")]
    Write {
        /// The format.
        format: ConfigFormat,
        /// What the writer said.
        reason: String,
    },
}
