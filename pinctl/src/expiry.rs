//! `pinctl expiry`: the policy's entries and the certificates of live chains (or chain files)
//! that expire within a window, soonest first.

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use rustls::pki_types::UnixTime;
use rustls_pinning::{AfterExpiry, HostPattern};
use serde::Serialize;

use crate::chain::{self, Chain};
use crate::connect::{EachServerArgs, Target};
use crate::error::CliError;
use crate::exit;
use crate::output::{Output, Report};
use crate::when;

/// Arguments of `pinctl expiry`.
#[derive(clap::Args, Debug)]
pub(crate) struct ExpiryArgs {
    /// The policy file (.toml or .json) whose entries' expiry to check.
    #[arg(long, value_name = "FILE", required_unless_present_any = ["connect", "chain"])]
    config: Option<PathBuf>,
    /// A live server whose certificates to check, HOST or HOST:PORT; repeatable.
    #[arg(long, value_name = "HOST[:PORT]")]
    connect: Vec<Target>,
    /// A certificate file to check (PEM or DER), repeatable.
    #[arg(long, value_name = "FILE")]
    chain: Vec<PathBuf>,
    #[command(flatten)]
    servers: EachServerArgs,
    /// The window: what expires within it is reported (s, m, h, d or w).
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = when::parse_duration)]
    within: Duration,
    /// Count from this time instead of now: a date (YYYY-MM-DD) or an RFC 3339 time.
    #[arg(long, value_name = "TIME", value_parser = when::parse_time)]
    at: Option<UnixTime>,
}

/// Lists what expires. Exits with [`exit::PROBLEM_FOUND`] when anything has expired, expires
/// within the window, or is a certificate not valid yet.
pub(crate) fn run(args: &ExpiryArgs, output: &Output) -> Result<u8, CliError> {
    let now = args.at.unwrap_or_else(UnixTime::now);
    let now_secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    let window = i64::try_from(args.within.as_secs()).unwrap_or(i64::MAX);
    let status = |expires: i64| {
        let left = expires.saturating_sub(now_secs);
        match left {
            ..=0 => Status::Expired,
            left if left <= window => Status::Expiring,
            _ => Status::Ok,
        }
    };
    let mut items = Vec::new();
    let mut without_expiry = Vec::new();
    if let Some(path) = &args.config {
        let config = path.display().to_string();
        let pins = rustls_pinning::config::load(path)?;
        for (index, entry) in pins.entries().enumerate() {
            let Some(expiry) = entry.expires_at() else {
                without_expiry.push(entry.pattern().clone());
                continue;
            };
            let expires = i64::try_from(expiry.as_secs()).unwrap_or(i64::MAX);
            items.push(Item {
                status: status(expires),
                expires_at: when::rfc3339(expiry),
                seconds_left: expires.saturating_sub(now_secs),
                subject: Subject::Entry {
                    config: config.clone(),
                    index,
                    pattern: entry.pattern().clone(),
                    after_expiry: match entry.after_expiry() {
                        AfterExpiry::KeepEnforcing => "keep-enforcing",
                        _ => "skip",
                    },
                },
            });
        }
    }
    let mut chains: Vec<Chain> = Vec::new();
    for path in &args.chain {
        chains.push(chain::from_file(path)?);
    }
    let server = args.servers.server_args();
    for target in &args.connect {
        chains.push(chain::from_server(&server, target)?);
    }
    for chain in &chains {
        let count = chain.certificates.len();
        for (index, certificate) in chain.certificates.iter().enumerate() {
            let info = &certificate.info;
            let position = chain::position_in_file(index, count, info.self_issued);
            let status = match info.not_before_unix > now_secs {
                true => Status::NotYetValid,
                false => status(info.not_after_unix),
            };
            items.push(Item {
                status,
                expires_at: when::rfc3339_secs(info.not_after_unix),
                seconds_left: info.not_after_unix.saturating_sub(now_secs),
                subject: Subject::Certificate {
                    source: chain.source.clone(),
                    index,
                    position: position.to_string(),
                    subject: info.subject.clone(),
                    not_before: info.not_before.clone(),
                },
            });
        }
    }
    items.sort_by_key(|item| item.seconds_left);
    let problems = items
        .iter()
        .filter(|item| item.status != Status::Ok)
        .count();
    let report = ExpiryReport {
        at: when::rfc3339(now),
        within_seconds: args.within.as_secs(),
        within: when::span(args.within),
        expired: items
            .iter()
            .filter(|item| item.status == Status::Expired)
            .count(),
        expiring: items
            .iter()
            .filter(|item| item.status == Status::Expiring)
            .count(),
        items,
        entries_without_expiry: without_expiry,
    };
    output.report(&report)?;
    Ok(match problems {
        0 => exit::OK,
        _ => exit::PROBLEM_FOUND,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Status {
    /// Already expired.
    Expired,
    /// Expires within the window.
    Expiring,
    /// A certificate whose validity has not started.
    NotYetValid,
    /// Expires after the window.
    Ok,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Subject {
    Entry {
        config: String,
        /// From 0, in file order.
        index: usize,
        pattern: HostPattern,
        /// What clients do once it has expired.
        after_expiry: &'static str,
    },
    Certificate {
        /// The file or the server.
        source: String,
        /// From 0 (the leaf), in chain order.
        index: usize,
        position: String,
        subject: String,
        not_before: String,
    },
}

#[derive(Debug, Serialize)]
struct Item {
    status: Status,
    expires_at: String,
    /// Negative once expired.
    seconds_left: i64,
    #[serde(flatten)]
    subject: Subject,
}

/// What `pinctl expiry` prints.
#[derive(Debug, Serialize)]
struct ExpiryReport {
    at: String,
    within_seconds: u64,
    #[serde(skip)]
    within: String,
    expired: usize,
    expiring: usize,
    /// Soonest first.
    items: Vec<Item>,
    entries_without_expiry: Vec<HostPattern>,
}

impl Report for ExpiryReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{} expired, {} expiring within {} of {}",
            self.expired, self.expiring, self.within, self.at
        )?;
        for item in &self.items {
            let status = match item.status {
                Status::Expired => "EXPIRED",
                Status::Expiring => "EXPIRING",
                Status::NotYetValid => "NOT YET VALID",
                Status::Ok => "ok",
            };
            let what = match &item.subject {
                Subject::Entry {
                    config,
                    pattern,
                    after_expiry,
                    ..
                } => format!("entry \"{pattern}\" of {config} (after expiry: {after_expiry})"),
                Subject::Certificate {
                    source,
                    position,
                    subject,
                    not_before,
                    ..
                } => match item.status {
                    Status::NotYetValid => {
                        format!("{position} \"{subject}\" of {source}, valid from {not_before}")
                    }
                    _ => format!("{position} \"{subject}\" of {source}"),
                },
            };
            writeln!(
                out,
                "  {status:<13}  {} ({})  {what}",
                item.expires_at,
                when::relative(item.seconds_left)
            )?;
        }
        for pattern in &self.entries_without_expiry {
            writeln!(out, "  no expiry      entry \"{pattern}\"")?;
        }
        Ok(())
    }
}
