//! Pin policy as code: a [`PinSet`] loaded from and saved to TOML or JSON (feature `serde`).
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
//! ```
//! use rustls_pinning::config::{self, ConfigFormat};
//!
//! let pins = config::parse(r#"
//!     version = 1
//!     [[entry]]
//!     pattern = "api.example.com"
//!     pins = ["sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="]
//!     backup_pins = ["sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg="]
//! "#, ConfigFormat::Toml)?;
//! assert_eq!(pins.len(), 1);
//! let json = config::to_string(&pins, ConfigFormat::Json)?;
//! assert_eq!(config::parse(&json, ConfigFormat::Json)?.entries().next(), pins.entries().next());
//! # Ok::<(), rustls_pinning::config::ConfigError>(())
//! ```

mod android;
mod schema;
mod serde_impls;

pub use android::{
    parse_android, parse_android_allowing_missing_backup, to_android_xml, MAX_ANDROID_XML_BYTES,
    MAX_ANDROID_XML_DEPTH, MAX_ANDROID_XML_NODES,
};

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::date::LAST_WRITABLE_SECOND;
use crate::host_pattern::HostPattern;
use crate::pin_set::{PinSet, PinSetError};

use schema::{PolicyFile, SCHEMA_VERSION};

/// The largest policy text [`parse`], [`parse_named`] and [`load`] read: 8 MiB.
///
/// An entry with two pins and an expiry takes about 200 bytes in TOML and 265 in JSON, so
/// this holds 30 000 to 40 000 entries, far more than the pin lists in use. It bounds what one
/// parse can cost (on the order of 100 MB of memory and a fraction of a second) when a path
/// names the wrong file or a generator runs away; larger input is refused before it is
/// parsed, and [`load`] does not read it. A set that needs more is better built in code, or
/// with `**.` patterns.
///
/// ```
/// use rustls_pinning::config::{self, ConfigError, ConfigFormat, MAX_POLICY_BYTES};
///
/// let text = format!("version = 1\nallow_empty = true\n{}", " ".repeat(MAX_POLICY_BYTES));
/// let error = config::parse(&text, ConfigFormat::Toml).unwrap_err();
/// assert!(matches!(error, ConfigError::TooLarge { limit: MAX_POLICY_BYTES, .. }), "{error}");
/// ```
pub const MAX_POLICY_BYTES: usize = 8 * 1024 * 1024;

/// What [`ConfigError::TooLarge`] calls a policy.
const POLICY_FILE: &str = "policy file";

/// A policy file format.
///
/// ```
/// use rustls_pinning::config::ConfigFormat;
/// assert_eq!(ConfigFormat::from_path("pins.toml".as_ref()), Some(ConfigFormat::Toml));
/// assert_eq!(ConfigFormat::from_path("pins.JSON".as_ref()), Some(ConfigFormat::Json));
/// assert_eq!(ConfigFormat::from_path("pins.yaml".as_ref()), None);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigFormat {
    /// TOML (`.toml`).
    Toml,
    /// JSON (`.json`).
    Json,
}

impl ConfigFormat {
    /// The format a file name's extension names, if any.
    ///
    /// ```
    /// # use rustls_pinning::config::ConfigFormat;
    /// assert_eq!(ConfigFormat::from_path("a/b.json".as_ref()), Some(ConfigFormat::Json));
    /// ```
    pub fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "toml" => Some(Self::Toml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

impl fmt::Display for ConfigFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Toml => "TOML",
            Self::Json => "JSON",
        })
    }
}

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

/// Loads a policy file, choosing the format by its extension (`.toml` or `.json`).
///
/// A file larger than [`MAX_POLICY_BYTES`] is refused from its size, before it is read; from
/// input that has no size (a pipe, a device), at most one byte more than the limit is read.
///
/// ```no_run
/// let pins = rustls_pinning::config::load("pins.toml")?;
/// # Ok::<(), rustls_pinning::config::ConfigError>(())
/// ```
///
/// # Errors
/// See [`ConfigError`]; errors name the file and the line.
pub fn load(path: impl AsRef<Path>) -> Result<PinSet, ConfigError> {
    let path = path.as_ref();
    let origin = path.display().to_string();
    let format = ConfigFormat::from_path(path).ok_or_else(|| ConfigError::UnknownFormat {
        path: path.to_owned(),
    })?;
    let io_error = |source| ConfigError::Io {
        path: path.to_owned(),
        source,
    };
    let too_large = |size: u64| ConfigError::TooLarge {
        origin: origin.clone(),
        what: POLICY_FILE,
        size: usize::try_from(size).unwrap_or(usize::MAX),
        limit: MAX_POLICY_BYTES,
    };
    let file = File::open(path).map_err(io_error)?;
    let limit = MAX_POLICY_BYTES as u64;
    let declared = file.metadata().map_err(io_error)?.len();
    if declared > limit {
        return Err(too_large(declared));
    }
    // The size can change after it was asked, and pipes and devices have none: never read
    // more than one byte past the limit.
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() > MAX_POLICY_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        let valid = error.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&error.as_bytes()[..valid]);
        let (line, column) = line_and_column(&prefix, valid);
        ConfigError::Syntax {
            origin: origin.clone(),
            line,
            column,
            reason: String::from("not UTF-8 text"),
        }
    })?;
    parse_named(&text, format, &origin)
}

/// Parses policy text in `format`.
///
/// ```
/// use rustls_pinning::config::{self, ConfigError, ConfigFormat};
///
/// let error = config::parse("version = 1\n[[entry]]\npattern = \"*.com\"\n", ConfigFormat::Toml)
///     .unwrap_err();
/// assert!(matches!(error, ConfigError::Syntax { line: 3, .. }), "{error}");
///
/// // A policy that pins nothing is refused unless it says so.
/// let error = config::parse("version = 1\n", ConfigFormat::Toml).unwrap_err();
/// assert!(matches!(error, ConfigError::PinsNothing { .. }), "{error}");
/// assert!(config::parse("version = 1\nallow_empty = true\n", ConfigFormat::Toml)?.is_empty());
/// # Ok::<(), ConfigError>(())
/// ```
///
/// # Errors
/// See [`ConfigError`].
pub fn parse(text: &str, format: ConfigFormat) -> Result<PinSet, ConfigError> {
    parse_named(text, format, &format!("<{format} text>"))
}

/// Parses policy text in `format`, naming it `origin` in errors (a file name, a URL).
///
/// ```
/// use rustls_pinning::config::{self, ConfigFormat};
/// let error = config::parse_named("{", ConfigFormat::Json, "pins.json").unwrap_err();
/// assert!(error.to_string().starts_with("pins.json:1:"), "{error}");
/// ```
///
/// # Errors
/// See [`ConfigError`]: [`ConfigError::TooLarge`] for text longer than [`MAX_POLICY_BYTES`]
/// (checked first), [`ConfigError::Syntax`] for text that does not fit the schema or nests
/// deeper than the TOML and JSON parsers follow,
/// [`ConfigError::UnsupportedVersion`] and [`ConfigError::MissingVersion`] for the version,
/// [`ConfigError::PinsNothing`] for a policy that pins nothing and denies nothing without
/// `allow_empty = true` (also an empty text, or one with only comments), and
/// [`ConfigError::Invalid`] for what the builder refuses.
pub fn parse_named(text: &str, format: ConfigFormat, origin: &str) -> Result<PinSet, ConfigError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(ConfigError::TooLarge {
            origin: origin.to_owned(),
            what: POLICY_FILE,
            size: text.len(),
            limit: MAX_POLICY_BYTES,
        });
    }
    let pins_nothing = || ConfigError::PinsNothing {
        origin: origin.to_owned(),
    };
    // An empty TOML text is an empty table; an empty JSON text is no document at all. Both
    // are what an empty file is: a policy that pins nothing.
    if format == ConfigFormat::Json && text.trim().is_empty() {
        return Err(pins_nothing());
    }
    let file: PolicyFile = match format {
        ConfigFormat::Toml => toml::from_str(text).map_err(|error| {
            let (line, column) = error
                .span()
                .map_or((1, 1), |span| line_and_column(text, span.start));
            ConfigError::Syntax {
                origin: origin.to_owned(),
                line,
                column,
                reason: error.message().trim_end().to_owned(),
            }
        })?,
        ConfigFormat::Json => serde_json::from_str(text).map_err(|error| ConfigError::Syntax {
            origin: origin.to_owned(),
            line: error.line().max(1),
            column: error.column().max(1),
            reason: strip_json_position(&error.to_string()),
        })?,
    };
    if let Some(found) = file.version.filter(|&version| version != SCHEMA_VERSION) {
        return Err(ConfigError::UnsupportedVersion {
            origin: origin.to_owned(),
            found,
        });
    }
    // Before the version: an empty file lacks both, and "pins nothing" is what matters.
    if file.pins_nothing() && !file.allow_empty {
        return Err(pins_nothing());
    }
    if file.version.is_none() {
        return Err(ConfigError::MissingVersion {
            origin: origin.to_owned(),
        });
    }
    file.to_builder()
        .build()
        .map_err(|source| invalid(text, origin, &file, source))
}

/// Writes a pin set as policy text. Loading the text gives back the same set: a set that
/// pins nothing and denies nothing is written with `allow_empty = true`, since it was built
/// so on purpose.
///
/// ```
/// use rustls_pinning::{config::{self, ConfigFormat}, Pin, PinSet};
///
/// let pins = PinSet::builder().deny_everywhere(Pin::spki_sha256([7; 32])).build()?;
/// let text = config::to_string(&pins, ConfigFormat::Toml)?;
/// assert!(text.contains("deny_everywhere"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`ConfigError::NotExpressible`] for an entry expiring after 9999-12-31T23:59:59Z, which a
/// policy file has no way to write (its times are RFC 3339, with four-digit years);
/// [`ConfigError::Write`] if the serializer fails, which it does not for these types.
pub fn to_string(pins: &PinSet, format: ConfigFormat) -> Result<String, ConfigError> {
    if let Some(entry) = pins.entries().find(|entry| {
        entry
            .expires_at()
            .is_some_and(|expiry| expiry.as_secs() > LAST_WRITABLE_SECOND)
    }) {
        return Err(ConfigError::NotExpressible {
            target: match format {
                ConfigFormat::Toml => "a TOML policy file",
                ConfigFormat::Json => "a JSON policy file",
            },
            subject: format!("entry \"{}\"", entry.pattern()),
            reason: "it expires after 9999-12-31T23:59:59Z, the last time a policy file can name",
        });
    }
    let file = PolicyFile::of(pins);
    let write_error = |reason: String| ConfigError::Write { format, reason };
    match format {
        ConfigFormat::Toml => toml::to_string_pretty(&file).map_err(|e| write_error(e.to_string())),
        ConfigFormat::Json => serde_json::to_string_pretty(&file)
            .map(|mut text| {
                text.push('\n');
                text
            })
            .map_err(|e| write_error(e.to_string())),
    }
}

/// Saves a pin set to a file, in the format its extension names.
///
/// ```no_run
/// # use rustls_pinning::PinSet;
/// # fn demo(pins: &PinSet) -> Result<(), rustls_pinning::config::ConfigError> {
/// rustls_pinning::config::save(pins, "pins.json")?;
/// # Ok(()) }
/// ```
///
/// # Errors
/// An unknown extension, or the file could not be written.
pub fn save(pins: &PinSet, path: impl AsRef<Path>) -> Result<(), ConfigError> {
    let path = path.as_ref();
    let format = ConfigFormat::from_path(path).ok_or_else(|| ConfigError::UnknownFormat {
        path: path.to_owned(),
    })?;
    let text = to_string(pins, format)?;
    std::fs::write(path, text).map_err(|source| ConfigError::Io {
        path: path.to_owned(),
        source,
    })
}

/// 1-based line and column of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}

/// serde_json appends " at line L column C"; the error carries those as fields already.
fn strip_json_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// Locates the entry a builder error is about.
fn invalid(text: &str, origin: &str, file: &PolicyFile, source: PinSetError) -> ConfigError {
    let pattern: Option<&HostPattern> = match &source {
        PinSetError::MissingBackupPin { pattern }
        | PinSetError::EmptyEntry { pattern }
        | PinSetError::DuplicatePattern { pattern }
        | PinSetError::BackupWithoutPrimaryPin { pattern }
        | PinSetError::PinAllowedAndDenied { pattern, .. }
        | PinSetError::PinAllowedAndDeniedEverywhere { pattern, .. } => Some(pattern),
    };
    let matching = file
        .entries
        .iter()
        .enumerate()
        .filter(|(_, entry)| Some(&entry.pattern.pattern) == pattern)
        .map(|(index, _)| index)
        .collect::<Vec<_>>();
    // A duplicate is reported where it appears the second time.
    let index = match source {
        PinSetError::DuplicatePattern { .. } => matching.get(1),
        _ => matching.first(),
    }
    .copied();
    let Some(index) = index else {
        return ConfigError::Invalid {
            origin: origin.to_owned(),
            line: None,
            field: String::from("deny_everywhere"),
            source: Box::new(source),
        };
    };
    let written = file
        .entries
        .get(index)
        .map_or("", |entry| entry.pattern.written.as_str());
    let occurrence = file
        .entries
        .iter()
        .take(index)
        .filter(|entry| entry.pattern.written == written)
        .count();
    ConfigError::Invalid {
        origin: origin.to_owned(),
        line: line_of_quoted(text, written, occurrence),
        field: format!("entry[{index}] \"{written}\""),
        source: Box::new(source),
    }
}

/// The line of the `occurrence`-th (from 0) quoted appearance of `value` in `text`, in
/// double quotes (TOML and JSON) or single quotes (TOML literal strings).
fn line_of_quoted(text: &str, value: &str, occurrence: usize) -> Option<usize> {
    let double = serde_json::to_string(value).ok()?;
    let single = format!("'{value}'");
    let mut offsets = text
        .match_indices(double.as_str())
        .chain(text.match_indices(single.as_str()))
        .map(|(offset, _)| offset)
        .collect::<Vec<_>>();
    offsets.sort_unstable();
    let offset = offsets.get(occurrence)?;
    Some(line_and_column(text, *offset).0)
}
