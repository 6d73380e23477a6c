//! `pinctl convert`: a policy from one format to another: TOML and JSON policy files, an
//! RFC 7469 `Public-Key-Pins` header value, an Android network security configuration.
//!
//! Every conversion goes through a [`PinSet`], so what is read is validated by the same
//! builder as a policy file, and what cannot be written in the target format is refused by
//! the library's writers rather than dropped.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls::pki_types::UnixTime;
use rustls_pinning::config::{self, ConfigError, ConfigFormat};
use rustls_pinning::{HostPattern, HpkpPolicy, PinEntry, PinSet, PinSetError};
use serde::Serialize;

use crate::error::CliError;
use crate::exit;
use crate::load;
use crate::output::{Output, Report};
use crate::policy;
use crate::when;

/// A policy format.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Format {
    /// A TOML policy file.
    Toml,
    /// A JSON policy file.
    Json,
    /// A `Public-Key-Pins` (or `-Report-Only`) header value, for one host.
    Hpkp,
    /// An Android network security configuration (XML).
    Android,
}

impl Format {
    /// The format a file name's extension names: `.toml`, `.json`, `.xml`.
    fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "toml" => Some(Self::Toml),
            "json" => Some(Self::Json),
            "xml" => Some(Self::Android),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Toml => "TOML",
            Self::Json => "JSON",
            Self::Hpkp => "a Public-Key-Pins header value",
            Self::Android => "an Android network security configuration",
        }
    }
}

/// Arguments of `pinctl convert`.
#[derive(clap::Args, Debug)]
pub(crate) struct ConvertArgs {
    /// The input format (default: from IN's extension: .toml, .json, .xml).
    #[arg(long, value_enum)]
    from: Option<Format>,
    /// The output format (default: from OUT's extension: .toml, .json, .xml).
    #[arg(long, value_enum)]
    to: Option<Format>,
    /// With --from hpkp: the host that served the header (required). With --to hpkp: the host
    /// (or the exact pattern) whose entry to write, needed when the policy has several.
    #[arg(long, value_name = "NAME")]
    host: Option<String>,
    /// With --from hpkp or android: accept an entry with a single pin, as browsers and Android
    /// do. Without a backup, the next key rotation breaks every client still carrying it.
    #[arg(long)]
    allow_missing_backup_pin: bool,
    /// With --from hpkp: read the value as Public-Key-Pins-Report-Only (also implied by a
    /// "Public-Key-Pins-Report-Only:" prefix).
    #[arg(long)]
    report_only: bool,
    /// With --to hpkp: the max-age to write for an entry without an expiry.
    #[arg(long, value_name = "DURATION", default_value = "60d", value_parser = when::parse_duration)]
    max_age: Duration,
    /// The time HPKP's max-age counts from (import and export). Default: now.
    #[arg(long, value_name = "TIME", value_parser = when::parse_time)]
    at: Option<UnixTime>,
    /// The policy to convert; `-` (the default) reads standard input.
    #[arg(value_name = "IN", default_value = load::STDIN)]
    input: PathBuf,
    /// Where to write; standard output by default.
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: Option<PathBuf>,
}

/// Converts. Exits with [`exit::PROBLEM_FOUND`] when the policy has something the target
/// format cannot express, whichever the target (an entry expiring after the year 9999 in
/// TOML or JSON, certificate pins in Android XML, deny pins in a header...), with a message
/// naming the input.
pub(crate) fn run(args: &ConvertArgs, output: &Output) -> Result<u8, CliError> {
    let input_name = load::display_name(&args.input);
    let from = args
        .from
        .or_else(|| Format::from_path(&args.input))
        .ok_or_else(|| {
            CliError::invalid(
                &input_name,
                "cannot tell the input format from the file name: give --from",
            )
        })?;
    let to = args
        .to
        .or_else(|| args.out.as_deref().and_then(Format::from_path))
        .ok_or_else(|| {
            CliError::invalid(
                args.out
                    .as_deref()
                    .map_or_else(|| String::from("<stdout>"), load::display_name),
                "cannot tell the output format from the file name: give --to",
            )
        })?;
    let now = args.at.unwrap_or_else(UnixTime::now);
    let text = policy::read_text(&args.input, &input_name)?;
    let pins = read_policy(args, from, &text, &input_name, now)?;
    // Whatever the target cannot express exits with 1 and names the input it came from.
    let not_expressible = |reason: String| CliError::NotExpressible {
        input: input_name.clone(),
        reason,
    };
    let about_policy = |error| CliError::about_policy(&input_name, error);
    let (converted, header) = match to {
        Format::Toml => (
            config::to_string(&pins, ConfigFormat::Toml).map_err(about_policy)?,
            None,
        ),
        Format::Json => (
            config::to_string(&pins, ConfigFormat::Json).map_err(about_policy)?,
            None,
        ),
        Format::Android => (config::to_android_xml(&pins).map_err(about_policy)?, None),
        Format::Hpkp => {
            if pins.is_empty() {
                return Err(not_expressible(String::from(
                    "the policy has no entry, and a Public-Key-Pins header is the entry of \
                     one host",
                )));
            }
            let entry = select_entry(&pins, args.host.as_deref(), &input_name)?;
            if let Some(denied) = pins.globally_denied_pins().first() {
                return Err(not_expressible(format!(
                    "deny_everywhere ({}) cannot be written as a Public-Key-Pins header: HPKP \
                     has no deny pins",
                    denied.pin()
                )));
            }
            let header = HpkpPolicy::from_entry(entry, now, args.max_age)
                .map_err(|e| not_expressible(e.to_string()))?;
            let name = match header.is_report_only() {
                true => "Public-Key-Pins-Report-Only",
                false => "Public-Key-Pins",
            };
            (format!("{header}\n"), Some(name))
        }
    };
    let entries = match to {
        Format::Hpkp => 1,
        _ => pins.len(),
    };
    let report = match &args.out {
        Some(path) => {
            std::fs::write(path, &converted).map_err(|source| CliError::Write {
                path: path.display().to_string(),
                source,
            })?;
            ConvertReport {
                from,
                to,
                entries,
                header,
                output: Some(path.display().to_string()),
                text: None,
            }
        }
        None => ConvertReport {
            from,
            to,
            entries,
            header,
            output: None,
            text: Some(converted),
        },
    };
    output.report(&report)?;
    Ok(exit::OK)
}

fn read_policy(
    args: &ConvertArgs,
    from: Format,
    text: &str,
    name: &str,
    now: UnixTime,
) -> Result<PinSet, CliError> {
    if args.allow_missing_backup_pin && matches!(from, Format::Toml | Format::Json) {
        return Err(CliError::invalid(
            name,
            "--allow-missing-backup-pin is for HPKP and Android input; TOML and JSON policies \
             say allow_missing_backup_pin per entry",
        ));
    }
    if args.report_only && from != Format::Hpkp {
        return Err(CliError::invalid(name, "--report-only is for HPKP input"));
    }
    match from {
        Format::Toml => Ok(config::parse_named(text, ConfigFormat::Toml, name)?),
        Format::Json => Ok(config::parse_named(text, ConfigFormat::Json, name)?),
        Format::Android => match args.allow_missing_backup_pin {
            true => Ok(config::parse_android_allowing_missing_backup(text, name)?),
            false => config::parse_android(text, name).map_err(|error| match &error {
                ConfigError::Invalid { source, .. }
                    if matches!(**source, PinSetError::MissingBackupPin { .. }) =>
                {
                    missing_backup_hint(&error.to_string(), "Android")
                }
                _ => error.into(),
            }),
        },
        Format::Hpkp => {
            let host = args.host.as_deref().ok_or_else(|| {
                CliError::invalid(
                    name,
                    "an HPKP header does not name its host: give --host, the host that served it",
                )
            })?;
            let pattern: HostPattern = host
                .parse()
                .map_err(|e| CliError::invalid(format!("--host {host}"), format!("{e}")))?;
            let (value, report_only) = strip_header_name(text.trim());
            let policy = match report_only || args.report_only {
                true => HpkpPolicy::parse_report_only(value),
                false => HpkpPolicy::parse(value),
            }
            .map_err(|e| CliError::invalid(name, e.to_string()))?;
            let entry = policy.to_entry(pattern, now).ok_or_else(|| {
                CliError::invalid(
                    name,
                    "max-age=0 means \"not pinned\": the header removes pins, there is no entry \
                     to convert",
                )
            })?;
            let entry = match args.allow_missing_backup_pin {
                true => entry.allow_missing_backup_pin(),
                false => entry,
            };
            PinSet::builder()
                .entry(entry)
                .build()
                .map_err(|error| match error {
                    PinSetError::MissingBackupPin { .. } => {
                        missing_backup_hint(&format!("{name}: {error}"), "browsers")
                    }
                    _ => CliError::invalid(name, error.to_string()),
                })
        }
    }
}

/// A single-pin import refused by the backup rule, with the option that accepts it.
fn missing_backup_hint(message: &str, who: &str) -> CliError {
    CliError::invalid(
        message,
        format!("pinctl convert accepts it with --allow-missing-backup-pin, as {who} do"),
    )
}

/// The value of `Public-Key-Pins: VALUE` or `Public-Key-Pins-Report-Only: VALUE`, and
/// whether it is the report-only header; text without a header name is the value itself.
fn strip_header_name(text: &str) -> (&str, bool) {
    let Some((name, value)) = text.split_once(':') else {
        return (text, false);
    };
    match name.trim().to_ascii_lowercase().as_str() {
        "public-key-pins" => (value.trim(), false),
        "public-key-pins-report-only" => (value.trim(), true),
        _ => (text, false),
    }
}

/// The entry to write as a header: the one whose pattern is `host`, else the one that governs
/// `host`, else the only one.
fn select_entry<'a>(
    pins: &'a PinSet,
    host: Option<&str>,
    name: &str,
) -> Result<&'a PinEntry, CliError> {
    let patterns = || {
        pins.entries()
            .map(|entry| format!("\"{}\"", entry.pattern()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match host {
        Some(host) => pins
            .entries()
            .find(|entry| entry.pattern().to_string() == host)
            .or_else(|| pins.lookup(host))
            .ok_or_else(|| {
                CliError::invalid(
                    name,
                    format!("no entry governs \"{host}\" (entries: {})", patterns()),
                )
            }),
        None => {
            let mut entries = pins.entries();
            match (entries.next(), entries.next()) {
                (Some(entry), None) => Ok(entry),
                (None, _) => Err(CliError::invalid(name, "the policy has no entry")),
                (Some(_), Some(_)) => Err(CliError::invalid(
                    name,
                    format!(
                        "a header pins one host: choose the entry with --host (entries: {})",
                        patterns()
                    ),
                )),
            }
        }
    }
}

/// What `pinctl convert` prints: the converted policy itself, or with `-o`, what was written.
#[derive(Debug, Serialize)]
struct ConvertReport {
    from: Format,
    to: Format,
    /// How many entries were written.
    entries: usize,
    /// For HPKP: the header the value belongs in.
    #[serde(skip_serializing_if = "Option::is_none")]
    header: Option<&'static str>,
    /// The file written, with `-o`.
    #[serde(skip_serializing_if = "Option::is_none")]
    output: Option<String>,
    /// The converted policy, without `-o`.
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
}

impl Report for ConvertReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        match (&self.text, &self.output) {
            (Some(text), _) => out.write_all(text.as_bytes()),
            (None, Some(path)) => {
                let header = self
                    .header
                    .map(|name| format!(" (send it as {name})"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{path}: {} written as {}{header}",
                    match self.entries {
                        1 => String::from("1 entry"),
                        n => format!("{n} entries"),
                    },
                    self.to.name()
                )
            }
            (None, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_are_optional() {
        assert_eq!(strip_header_name("max-age=1"), ("max-age=1", false));
        assert_eq!(
            strip_header_name("Public-Key-Pins: max-age=1"),
            ("max-age=1", false)
        );
        assert_eq!(
            strip_header_name("public-key-pins-report-only:max-age=1"),
            ("max-age=1", true)
        );
        let uri = "report-uri=\"https://r.example/x\"; max-age=1";
        assert_eq!(strip_header_name(uri), (uri, false));
    }

    #[test]
    fn formats_follow_extensions() {
        assert_eq!(Format::from_path(Path::new("a.TOML")), Some(Format::Toml));
        assert_eq!(
            Format::from_path(Path::new("nsc.xml")),
            Some(Format::Android)
        );
        assert_eq!(Format::from_path(Path::new("header.txt")), None);
    }
}
