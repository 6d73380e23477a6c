//! Policy files: a [`PinSet`] read from and written to TOML or JSON, through the builders.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::config::error::ConfigError;
use crate::config::format::ConfigFormat;
use crate::config::schema::{PolicyFile, SCHEMA_VERSION};
use crate::date::LAST_WRITABLE_SECOND;
use crate::policy::{HostPattern, PinSet, PinSetError};

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
/// use rustls_pinning::config::{self, ConfigFormat};
///
/// let pins = config::parse(r#"
///     version = 1
///     [[entry]]
///     pattern = "api.example.com"
///     pins = ["sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="]
///     backup_pins = ["sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg="]
/// "#, ConfigFormat::Toml)?;
/// assert_eq!(pins.len(), 1);
/// let json = config::to_string(&pins, ConfigFormat::Json)?;
/// assert_eq!(config::parse(&json, ConfigFormat::Json)?.entries().next(), pins.entries().next());
/// # Ok::<(), rustls_pinning::config::ConfigError>(())
/// ```
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
