//! `pinctl`: computes pins, checks chains against a pin policy, lints policies, watches
//! expiry, converts between policy formats and signs pin bundles.
//!
//! Each subcommand is a module with an `Args` struct (clap) and a `run` function returning an
//! exit code; `main` only parses and dispatches.
//!
//! Every verdict, and every answer to "which pin matches this certificate", is the
//! library's: `check` reports what `PinningServerVerifier::explain` says, `lint` asks
//! `PolicyStanding` which entry governs a host and which of its pins match a certificate.
//! pinctl has no matching rule of its own.
//!
//! Shared pieces: [`load`] reads certificate files, [`connect`] fetches a server's chain,
//! [`chain`] describes the certificates of a file or a server, [`describe`] turns a
//! certificate into what is printed, [`words`] writes the library's pin roles and modes,
//! [`policy`] reads policy text, [`when`] reads times and durations, [`output`] prints
//! results as text or JSON, [`exit`] holds the exit codes and [`error`] the errors, each
//! naming its input and where in it.
#![forbid(unsafe_code)]
#![warn(
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

#[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
compile_error!("pinctl needs a crypto provider: enable the `aws-lc-rs` or the `ring` feature");

mod bundle;
mod chain;
mod check;
mod connect;
mod convert;
mod describe;
mod error;
mod exit;
mod expiry;
mod lint;
mod load;
mod output;
mod pins;
mod policy;
mod when;
mod words;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::output::Output;

/// Certificate pinning companion of rustls-pinning: computes SPKI and certificate pins, checks
/// chains against a policy, lints policies, watches expiry, converts policies and signs pin
/// bundles.
#[derive(Debug, Parser)]
#[command(name = "pinctl", version)]
struct Cli {
    /// Print results as JSON on standard output (and errors as JSON on standard error).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print every certificate of files or of a server's chain with its SPKI and certificate
    /// pins.
    Pins(pins::PinsArgs),
    /// Would the policy accept this chain for this host, and through which pin? Give it the
    /// new chain to rehearse a rotation.
    Check(check::CheckArgs),
    /// Find what in a policy risks an outage or protects nothing: missing backups, expiry,
    /// pins that match nothing in the given chains, the RFC 7469 rule on live chains.
    Lint(lint::LintArgs),
    /// List the policy's entries and the certificates of live chains that expire within a
    /// window.
    Expiry(expiry::ExpiryArgs),
    /// Convert a policy between TOML, JSON, an HPKP header value and Android XML.
    Convert(convert::ConvertArgs),
    /// Signed pin bundles: generate a signing key, sign a policy, verify or inspect a bundle.
    Bundle(bundle::BundleArgs),
}

fn main() -> ExitCode {
    let matches = with_exit_codes(Cli::command(), &exit::help()).get_matches();
    // Usage errors (and --help, --version) exit inside clap, with exit::USAGE_OR_INPUT_ERROR.
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    let output = Output::new(cli.json);
    let result = match &cli.command {
        Command::Pins(args) => pins::run(args, &output),
        Command::Check(args) => check::run(args, &output),
        Command::Lint(args) => lint::run(args, &output),
        Command::Expiry(args) => expiry::run(args, &output),
        Command::Convert(args) => convert::run(args, &output),
        Command::Bundle(args) => bundle::run(args, &output),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            output.error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}

/// `command` with the exit codes and the error format after its help, and so every
/// subcommand, at every depth (`pinctl bundle sign --help` too).
fn with_exit_codes(command: clap::Command, text: &str) -> clap::Command {
    command
        .after_help(text.to_owned())
        .mut_subcommands(|subcommand| with_exit_codes(subcommand, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
