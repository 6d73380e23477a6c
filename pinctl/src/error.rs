//! Why a command could not run. Every error names its input (a file, `-` for standard input,
//! or a server) and, where it can, the place in it.

use std::fmt;
use std::io;
use std::net::SocketAddr;

use rustls_pinning::config::ConfigError;

use crate::exit;

/// A command that could not run.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// A file or a served chain that cannot be used.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A server that could not be reached, or whose handshake failed before it presented a
    /// certificate.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// A policy file that cannot be read or that the pin-set builder refuses (the message
    /// names the file and the line).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An input that cannot be used for another reason: a missing trust anchor, a key file
    /// that holds no usable key, an option that does not fit the input.
    #[error("{input}: {reason}")]
    Invalid { input: String, reason: String },
    /// An output file could not be written.
    #[error("{path}: cannot write: {source}")]
    Write {
        path: String,
        #[source]
        source: io::Error,
    },
    /// The policy in `input` holds something the target format cannot express (a conversion,
    /// a bundle). The command ran and found a problem, so this one exits with
    /// [`exit::PROBLEM_FOUND`], whatever the format.
    #[error("{input}: {reason}")]
    NotExpressible { input: String, reason: String },
    /// Standard output could not be written.
    #[error("cannot write to standard output: {0}")]
    Output(#[source] io::Error),
}

impl CliError {
    /// An [`Invalid`](Self::Invalid) input.
    pub(crate) fn invalid(input: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            input: input.into(),
            reason: reason.into(),
        }
    }

    /// A library error about the policy in `input`: what a target format cannot express is
    /// [`NotExpressible`](Self::NotExpressible), named after `input`; anything else names
    /// its origin already.
    pub(crate) fn about_policy(input: &str, error: ConfigError) -> Self {
        match error {
            error @ ConfigError::NotExpressible { .. } => Self::NotExpressible {
                input: input.to_owned(),
                reason: error.to_string(),
            },
            error => Self::Config(error),
        }
    }

    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Self::Input(_)
            | Self::Connect(_)
            | Self::Config(_)
            | Self::Invalid { .. }
            | Self::Write { .. }
            | Self::Output(_) => exit::USAGE_OR_INPUT_ERROR,
            Self::NotExpressible { .. } => exit::PROBLEM_FOUND,
        }
    }
}

/// An input that cannot be used, with where it is and where in it the problem is.
#[derive(Debug, thiserror::Error)]
#[error("{input}{}: {problem}", location.map(|at| format!(": {at}")).unwrap_or_default())]
pub(crate) struct InputError {
    /// The file as given on the command line, `-` for standard input, or `HOST:PORT`.
    pub(crate) input: String,
    /// Where in the input, when the problem has a place.
    pub(crate) location: Option<Location>,
    /// What is wrong.
    #[source]
    pub(crate) problem: Problem,
}

impl InputError {
    pub(crate) fn new(input: &str, location: Option<Location>, problem: Problem) -> Self {
        Self {
            input: input.to_owned(),
            location,
            problem,
        }
    }
}

/// A place in an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Location {
    /// The `index`th PEM block (from 1), whose BEGIN line is `line` (from 1).
    PemBlock { index: usize, line: usize },
    /// A line of a text file (from 1).
    Line(usize),
    /// A byte offset in a binary (DER) file (from 0).
    Byte(usize),
    /// The `index`th certificate (from 0, the leaf) of a chain a server presented.
    Served(usize),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PemBlock { index, line } => write!(f, "PEM block {index} (line {line})"),
            Self::Line(line) => write!(f, "line {line}"),
            Self::Byte(offset) => write!(f, "byte {offset}"),
            Self::Served(0) => f.write_str("certificate 0 (leaf)"),
            Self::Served(index) => write!(f, "certificate {index}"),
        }
    }
}

/// What is wrong with an input.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub(crate) enum Problem {
    #[error("cannot read: {0}")]
    Read(#[source] io::Error),
    /// `size` is the size the file declares, or for standard input the bytes read when
    /// reading stopped (one more than `limit`).
    #[error("larger than {limit} bytes, the most pinctl reads from one file")]
    TooLarge { size: u64, limit: usize },
    #[error("empty: expected PEM or DER certificates")]
    Empty,
    #[error(
        "neither PEM nor DER: no \"-----BEGIN CERTIFICATE-----\" line, and the first byte is \
         {first:#04x} where a DER certificate starts with 0x30"
    )]
    UnknownFormat { first: u8 },
    #[error("\"-----BEGIN {label}-----\" has no \"-----END {label}-----\" line (truncated?)")]
    PemUnterminated { label: String },
    #[error("\"-----END {label}-----\" without a BEGIN line before it")]
    PemStrayEnd { label: String },
    #[error("\"-----END {found}-----\" closes \"-----BEGIN {expected}-----\"")]
    PemMismatchedEnd { expected: String, found: String },
    #[error("line {line} is not base64")]
    PemNotBase64 { line: usize },
    #[error("the base64 does not decode: {reason}")]
    PemBase64 { reason: String },
    #[error(
        "no PEM block: \"-----BEGIN \" or \"-----END \" appears, but not on a line of its own"
    )]
    NoPemBlock,
    #[error("no CERTIFICATE PEM block (found only: {labels})")]
    NoCertificateBlock { labels: String },
    #[error(
        "truncated: the DER certificate declares {declared} bytes, the file has {available} \
         from there"
    )]
    DerTruncated { declared: usize, available: usize },
    #[error(
        "{count} bytes after the end of the DER certificate (a DER file holds one certificate; \
         use PEM for bundles)"
    )]
    DerTrailingData { count: usize },
    #[error("not an X.509 certificate: {reason}")]
    NotACertificate { reason: String },
    #[error("not usable as a trust anchor: {reason}")]
    NotATrustAnchor { reason: String },
}

/// A server that could not be reached or did not present a certificate.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ConnectError {
    #[error("{target}: cannot resolve the host name: {source}")]
    Resolve {
        target: String,
        #[source]
        source: io::Error,
    },
    #[error("{target}: the host name resolves to no address")]
    NoAddress { target: String },
    #[error("{target}: cannot connect ({})", attempts.iter().map(|(addr, e)| format!("{addr}: {e}")).collect::<Vec<_>>().join("; "))]
    Connect {
        target: String,
        attempts: Vec<(SocketAddr, io::Error)>,
    },
    #[error(
        "{target}: the {seconds} s deadline passed while {stage} (--timeout covers name \
         resolution, connection and handshake together)"
    )]
    Timeout {
        target: String,
        seconds: u64,
        stage: &'static str,
    },
    #[error("{target}: \"{name}\" is not a valid server name: {reason}")]
    ServerName {
        target: String,
        name: String,
        reason: String,
    },
    #[error(
        "{target}: the TLS handshake failed before the server presented a certificate: {reason}"
    )]
    Handshake { target: String, reason: String },
    #[error("{target}: {reason}")]
    Tls { target: String, reason: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_format_cannot_express_exits_1_naming_the_input() {
        // Whichever writer refused: the TOML and JSON writers (an expiry after 9999), the
        // Android writer, a bundle body.
        for target in ["a TOML policy file", "a JSON policy file", "a pin bundle"] {
            let error = CliError::about_policy(
                "pins.toml",
                ConfigError::NotExpressible {
                    target,
                    subject: String::from("entry \"a.example\""),
                    reason: "it expires after 9999-12-31T23:59:59Z",
                },
            );
            assert_eq!(error.exit_code(), exit::PROBLEM_FOUND);
            assert_eq!(
                error.to_string(),
                format!(
                    "pins.toml: entry \"a.example\" cannot be written as {target}: it expires \
                     after 9999-12-31T23:59:59Z"
                )
            );
        }
        // Anything else from the library is an input error, named by its own origin.
        let error = CliError::about_policy(
            "pins.toml",
            ConfigError::PinsNothing {
                origin: String::from("pins.toml"),
            },
        );
        assert_eq!(error.exit_code(), exit::USAGE_OR_INPUT_ERROR);
        assert!(error
            .to_string()
            .starts_with("pins.toml: the policy pins nothing"));
    }

    #[test]
    fn messages_name_input_and_location() {
        let error = InputError::new(
            "bundle.pem",
            Some(Location::PemBlock { index: 2, line: 30 }),
            Problem::PemNotBase64 { line: 33 },
        );
        assert_eq!(
            error.to_string(),
            "bundle.pem: PEM block 2 (line 30): line 33 is not base64"
        );
        let error = InputError::new("-", None, Problem::Empty);
        assert_eq!(
            error.to_string(),
            "-: empty: expected PEM or DER certificates"
        );
    }
}
