//! `pinctl check`: would a policy accept this chain for this host, and through which pin?
//!
//! Everything it reports is the library's. The chain goes through a [`PinningServerVerifier`]
//! built from the policy file as a client would build it (with `--at` as the verification
//! time), and [`PinningServerVerifier::explain`] says what it decides and why: the verdict,
//! where the policy stands on the host ([`PolicyStanding`](rustls_pinning::PolicyStanding)),
//! the verified path with the pins each certificate matches, and the pin that accepted it
//! ([`Explanation::accepted_through`]). pinctl only chooses what to show and how to word it.

use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::RootCertStore;
use rustls_pinning::{
    Decision, EnforcementMode, ExplainedPath, Explanation, HostPattern, MatchingPin,
    PathCertificate, PathOutcome, Pin, PinEntry, PinRole, PinScope, PinningServerVerifier,
    Position, ServerPinningError, Standing, UnpinnedHostPolicy, DEFAULT_EXPIRY_WARNING,
};
use serde::{Serialize, Serializer};

use crate::chain::{self, Chain, ChainCertificate};
use crate::connect::{Target, DEFAULT_TIMEOUT_SECONDS};
use crate::error::{CliError, InputError, Problem};
use crate::exit;
use crate::output::{Output, Report};
use crate::when;
use crate::words;

/// Arguments of `pinctl check`.
#[derive(clap::Args, Debug)]
pub(crate) struct CheckArgs {
    /// The policy file (.toml or .json).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// The chain to check, leaf first as a server sends it: PEM (a bundle) or DER; `-` reads
    /// standard input. Give the new chain to rehearse a rotation.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "connect",
        conflicts_with = "connect"
    )]
    chain: Option<PathBuf>,
    /// Check the chain a live TLS server presents: HOST or HOST:PORT (port 443 by default).
    #[arg(long, value_name = "HOST[:PORT]")]
    connect: Option<Target>,
    /// The name to send in SNI with --connect (default: HOST).
    #[arg(long, value_name = "NAME", requires = "connect")]
    servername: Option<String>,
    /// A deadline in seconds for the connection: name resolution, connection and handshake
    /// together, until the server's certificates have arrived.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = DEFAULT_TIMEOUT_SECONDS,
        value_parser = clap::value_parser!(u64).range(1..=600)
    )]
    timeout: u64,
    /// The host the policy is looked up for and the chain validated for. Required with
    /// --chain; with --connect it defaults to the server name.
    #[arg(long, value_name = "NAME", required_unless_present = "connect")]
    host: Option<String>,
    /// The root certificates to trust (PEM or DER). Without it, the chain's last certificate
    /// is trusted if it is self-signed, and the output says so.
    #[arg(long, value_name = "FILE")]
    cafile: Option<PathBuf>,
    /// Check as if at this time, to rehearse an expiry: a date (YYYY-MM-DD, midnight UTC) or
    /// an RFC 3339 time. Default: now.
    #[arg(long, value_name = "TIME", value_parser = when::parse_time)]
    at: Option<UnixTime>,
}

/// Checks the chain. Exits with [`exit::PROBLEM_FOUND`] when the policy rejects it, whether
/// for a pin or for the chain itself.
pub(crate) fn run(args: &CheckArgs, output: &Output) -> Result<u8, CliError> {
    let config_name = args.config.display().to_string();
    let pins = rustls_pinning::config::load(&args.config)?;
    let chain = match (&args.chain, &args.connect) {
        (Some(path), _) => chain::from_file(path)?,
        (None, Some(target)) => {
            let server = crate::connect::ServerArgs {
                connect: Some(target.clone()),
                servername: args.servername.clone(),
                cafile: None,
                timeout: args.timeout,
            };
            chain::from_server(&server, target)?
        }
        (None, None) => {
            return Err(CliError::invalid(
                "pinctl check",
                "give --chain or --connect",
            ))
        }
    };
    let host = match (&args.host, &chain.host) {
        (Some(host), _) | (None, Some(host)) => host.clone(),
        (None, None) => return Err(CliError::invalid("pinctl check", "give --host")),
    };
    let server_name = ServerName::try_from(host.clone())
        .map_err(|e| CliError::invalid(format!("--host {host}"), e.to_string()))?;
    let now = args.at.unwrap_or_else(UnixTime::now);
    let provider = rustls_pinning::default_crypto_provider();
    let trust = Trust::new(args.cafile.as_deref(), &chain)?;

    let verifier = PinningServerVerifier::builder(trust.store.clone(), pins.clone(), provider)
        .with_root_certificates(trust.certificates.iter().map(|c| c.der.clone()))
        .build()
        .map_err(|e| CliError::invalid(&config_name, e.to_string()))?;
    let Some((leaf, intermediates)) = chain.certificates.split_first() else {
        return Err(InputError::new(&chain.source, None, Problem::Empty).into());
    };
    let intermediates: Vec<CertificateDer<'static>> =
        intermediates.iter().map(|c| c.der.clone()).collect();
    // The decision and every reason for it: the verifier's own verification, recorded.
    let explanation = verifier.explain(&leaf.der, &intermediates, &server_name, now);

    let standing = explanation.policies.first();
    let entry = standing.and_then(|standing| {
        let entry = standing.entry.as_ref()?;
        Some(EntryReport::of(
            entry,
            EntryState::of(standing.standing, entry, now),
        ))
    });
    let mut notes = Vec::new();
    // The notes a client's events would carry (an explanation raises none).
    let report_only_error = match explanation.decision {
        Decision::AcceptedReportOnly => explanation.pin_error.as_ref().map(ToString::to_string),
        _ => None,
    };
    if let Some((_, matched)) = explanation
        .accepted_through()
        .filter(|(_, matched)| matched.backup)
    {
        notes.push(format!(
            "only a backup pin matched ({}): clients report backup-pin-in-use; once servers \
             use this key, make it a primary pin and add a new backup",
            matched.pin.pin()
        ));
    }
    let governing = standing
        .filter(|standing| matches!(standing.standing, Standing::Enforced | Standing::ReportOnly));
    if let Some(entry) = governing.and_then(|standing| standing.entry.as_ref()) {
        if let Some(expiry) = entry
            .expires_at()
            .filter(|_| entry.expires_within(now, DEFAULT_EXPIRY_WARNING))
        {
            notes.push(format!(
                "the entry expires {} ({}): renew it before then",
                when::relative(when::seconds_between(now, expiry)),
                when::rfc3339(expiry)
            ));
        }
    }
    if trust.from_chain {
        if let Some(root) = trust.certificates.first() {
            notes.push(format!(
                "no --cafile: the chain's last certificate \"{}\" is self-signed and was \
                 trusted as the root",
                root.info.subject
            ));
        }
    }

    let verdict = Verdict::of(explanation.decision);
    let error = match (&explanation.result, report_only_error) {
        (Err(error), _) => Some(match ServerPinningError::from_rustls(error) {
            Some(pinning) => ErrorReport {
                kind: ErrorKind::Pin,
                message: pinning.to_string(),
            },
            None => ErrorReport {
                kind: ErrorKind::Chain,
                message: error.to_string(),
            },
        }),
        (Ok(()), Some(message)) if verdict == Verdict::AcceptedReportOnly => Some(ErrorReport {
            kind: ErrorKind::Pin,
            message,
        }),
        (Ok(()), _) => None,
    };
    let verified_path = match verdict {
        Verdict::Rejected => Vec::new(),
        _ => shown_path(&explanation)
            .map(PathCertificateReport::list)
            .unwrap_or_default(),
    };
    let accepted_through = match (verdict, explanation.accepted_through()) {
        (Verdict::Accepted, Some((path, matched))) => path
            .certificates
            .get(matched.certificate)
            .map(|certificate| Through {
                pin: matched.pin.pin(),
                scope: matched.pin.scope(),
                role: match matched.backup {
                    true => PinRole::Backup,
                    false => PinRole::Primary,
                },
                position: certificate.position(),
                subject: certificate.subject().to_owned(),
            })
            .into_iter()
            .collect(),
        _ => Vec::new(),
    };
    let report = CheckReport {
        config: config_name,
        host,
        at: when::rfc3339(now),
        chain: ChainSummary {
            source: chain.source.clone(),
            certificates: chain.certificates.len(),
        },
        roots: RootsSummary {
            source: trust.source.clone(),
            certificates: trust.certificates.len(),
            from_chain: trust.from_chain,
        },
        unpinned_hosts: match pins.unpinned_host_policy() {
            UnpinnedHostPolicy::Reject => "reject",
            _ => "webpki-only",
        },
        entry,
        verdict,
        accepted_through,
        verified_path,
        error,
        notes,
    };
    output.report(&report)?;
    Ok(match report.verdict {
        Verdict::Rejected => exit::PROBLEM_FOUND,
        _ => exit::OK,
    })
}

/// The verified path to show for a chain the verifier accepted: the one it accepted, or,
/// when only a report-only entry let it through (no path accepted), the first it judged.
fn shown_path(explanation: &Explanation) -> Option<&ExplainedPath> {
    explanation
        .paths
        .iter()
        .find(|path| path.outcome == PathOutcome::Accepted)
        .or_else(|| explanation.paths.first())
}

/// The roots a chain is validated with.
struct Trust {
    store: Arc<RootCertStore>,
    certificates: Vec<ChainCertificate>,
    /// `--cafile` as given, or the chain's source.
    source: String,
    /// Whether the root is the chain's own self-signed last certificate.
    from_chain: bool,
}

impl Trust {
    fn new(cafile: Option<&std::path::Path>, chain: &Chain) -> Result<Self, CliError> {
        let (certificates, source, from_chain) = match cafile {
            Some(path) => {
                let roots = chain::from_file(path)?;
                (roots.certificates, roots.source, false)
            }
            None => {
                let Some(last) = chain.certificates.last() else {
                    return Err(InputError::new(&chain.source, None, Problem::Empty).into());
                };
                if !last.info.self_issued {
                    return Err(CliError::invalid(
                        &chain.source,
                        format!(
                            "no root to validate the chain with: give --cafile (the chain's last \
                             certificate, \"{}\", is not self-signed)",
                            last.info.subject
                        ),
                    ));
                }
                (vec![last.clone()], chain.source.clone(), true)
            }
        };
        let mut store = RootCertStore::empty();
        for (index, certificate) in certificates.iter().enumerate() {
            store.add(certificate.der.clone()).map_err(|e| {
                CliError::invalid(
                    &source,
                    format!("certificate {index} is not usable as a trust anchor: {e}"),
                )
            })?;
        }
        Ok(Self {
            store: Arc::new(store),
            certificates,
            source,
            from_chain,
        })
    }
}

/// What `pinctl check` prints.
#[derive(Debug, Serialize)]
struct CheckReport {
    config: String,
    host: String,
    /// The verification time, RFC 3339.
    at: String,
    chain: ChainSummary,
    roots: RootsSummary,
    /// What the policy does for hosts without an entry.
    unpinned_hosts: &'static str,
    /// The entry that applies to the host, if any.
    entry: Option<EntryReport>,
    verdict: Verdict,
    /// The allowed pin that accepted the path, and where (none unless the verdict is
    /// `accepted` through a pin).
    accepted_through: Vec<Through>,
    /// The path the verifier accepted (or, for a tolerated report-only failure, the first
    /// path it judged); empty when rejected: the error lists the paths then.
    verified_path: Vec<PathCertificateReport>,
    error: Option<ErrorReport>,
    notes: Vec<String>,
}

#[derive(Debug, Serialize)]
struct ChainSummary {
    source: String,
    certificates: usize,
}

#[derive(Debug, Serialize)]
struct RootsSummary {
    source: String,
    certificates: usize,
    /// The chain's own self-signed last certificate, because no --cafile was given.
    from_chain: bool,
}

#[derive(Debug, Serialize)]
struct EntryReport {
    pattern: HostPattern,
    mode: EnforcementMode,
    state: EntryState,
    expires_at: Option<String>,
    primary_pins: usize,
    backup_pins: usize,
    deny_pins: usize,
}

impl EntryReport {
    fn of(entry: &PinEntry, state: EntryState) -> Self {
        Self {
            pattern: entry.pattern().clone(),
            mode: entry.mode(),
            state,
            expires_at: entry.expires_at().map(when::rfc3339),
            primary_pins: entry.primary_pins().len(),
            backup_pins: entry.backup_pins().len(),
            deny_pins: entry.denied_pins().len(),
        }
    }
}

/// How the entry for the host stands at the verification time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum EntryState {
    /// Its pins are enforced (or reported, in report-only mode).
    InForce,
    /// It expired and is skipped: plain WebPKI applies.
    ExpiredSkipped,
    /// It expired and keeps being enforced.
    ExpiredEnforced,
}

impl EntryState {
    /// The state of `entry`, which the verifier resolved the host to with `standing`.
    fn of(standing: Standing, entry: &PinEntry, now: UnixTime) -> Self {
        match standing {
            Standing::ExpiredAndSkipped => Self::ExpiredSkipped,
            _ if entry.is_expired_at(now) => Self::ExpiredEnforced,
            _ => Self::InForce,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Verdict {
    /// The entry's pins accept the path.
    Accepted,
    /// No pin matched, but the entry is report-only: clients go ahead and report.
    AcceptedReportOnly,
    /// No entry applies: plain WebPKI validation.
    AcceptedUnpinned,
    /// The entry expired and is skipped: plain WebPKI validation.
    AcceptedExpiredEntry,
    Rejected,
}

impl Verdict {
    fn of(decision: Decision) -> Self {
        match decision {
            Decision::Accepted => Self::Accepted,
            Decision::AcceptedReportOnly => Self::AcceptedReportOnly,
            Decision::AcceptedUnpinned => Self::AcceptedUnpinned,
            Decision::AcceptedExpiredEntry => Self::AcceptedExpiredEntry,
            Decision::Rejected => Self::Rejected,
            // A decision this version does not know: say it was accepted only if it was.
            other if other.is_accepted() => Self::Accepted,
            _ => Self::Rejected,
        }
    }
}

/// The allowed pin that accepted the path, and the certificate it matched.
#[derive(Debug, Serialize)]
struct Through {
    pin: Pin,
    scope: PinScope,
    #[serde(serialize_with = "serialize_role")]
    role: PinRole,
    #[serde(serialize_with = "serialize_display")]
    position: Position,
    subject: String,
}

/// One certificate of the verified path, as the verifier described it.
#[derive(Debug, Serialize)]
struct PathCertificateReport {
    #[serde(serialize_with = "serialize_display")]
    position: Position,
    subject: String,
    spki_pin: Pin,
    /// None only for a trust anchor whose certificate the verifier was not given.
    certificate_pin: Option<Pin>,
    /// The policy's pins that match this certificate.
    matches: Vec<MatchReport>,
}

impl PathCertificateReport {
    /// Every certificate of `path` with the pins the verifier found matching it.
    fn list(path: &ExplainedPath) -> Vec<Self> {
        path.certificates
            .iter()
            .enumerate()
            .map(|(index, certificate)| Self::of(certificate, index, &path.matching))
            .collect()
    }

    fn of(certificate: &PathCertificate, index: usize, matching: &[MatchingPin]) -> Self {
        Self {
            position: certificate.position(),
            subject: certificate.subject().to_owned(),
            spki_pin: certificate.spki_pin(),
            certificate_pin: certificate.certificate_pin(),
            matches: matching
                .iter()
                .filter(|found| found.certificate == index)
                .map(MatchReport::of)
                .collect(),
        }
    }
}

/// A pin that matches a certificate, and what it is to the policy.
#[derive(Debug, Serialize)]
struct MatchReport {
    pin: Pin,
    scope: PinScope,
    #[serde(serialize_with = "serialize_role")]
    role: PinRole,
}

impl MatchReport {
    fn of(found: &MatchingPin) -> Self {
        Self {
            pin: found.pin.pin(),
            scope: found.pin.scope(),
            role: found.role,
        }
    }
}

fn serialize_role<S: Serializer>(role: &PinRole, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(words::role_name(*role))
}

fn serialize_display<S: Serializer>(
    value: &impl std::fmt::Display,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

#[derive(Debug, Serialize)]
struct ErrorReport {
    kind: ErrorKind,
    message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
enum ErrorKind {
    /// A pin failure ([`ServerPinningError`]).
    Pin,
    /// The chain or the name did not validate.
    Chain,
}

impl Report for CheckReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{} for {} at {}", self.config, self.host, self.at)?;
        let count = |n: usize| match n {
            1 => String::from("1 certificate"),
            n => format!("{n} certificates"),
        };
        writeln!(
            out,
            "  chain  {} ({})",
            self.chain.source,
            count(self.chain.certificates)
        )?;
        match self.roots.from_chain {
            true => writeln!(out, "  roots  the chain's last certificate (self-signed)")?,
            false => writeln!(
                out,
                "  roots  {} ({})",
                self.roots.source,
                count(self.roots.certificates)
            )?,
        }
        match &self.entry {
            Some(entry) => {
                let state = match entry.state {
                    EntryState::InForce => "",
                    EntryState::ExpiredSkipped => ", EXPIRED and skipped",
                    EntryState::ExpiredEnforced => ", EXPIRED but kept enforcing",
                };
                let expiry = entry
                    .expires_at
                    .as_ref()
                    .map(|at| format!(", expires {at}"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  entry  \"{}\": {}, {} primary, {} backup, {} deny pin(s){expiry}{state}",
                    entry.pattern,
                    words::mode_label(entry.mode),
                    entry.primary_pins,
                    entry.backup_pins,
                    entry.deny_pins
                )?;
            }
            None => writeln!(
                out,
                "  entry  none matches {} (unpinned hosts: {})",
                self.host, self.unpinned_hosts
            )?,
        }
        match self.verdict {
            Verdict::Accepted => {
                let has_allowed = self
                    .entry
                    .as_ref()
                    .is_some_and(|entry| entry.primary_pins + entry.backup_pins > 0);
                if self.accepted_through.is_empty() {
                    match has_allowed {
                        true => writeln!(out, "ACCEPTED")?,
                        false => writeln!(
                            out,
                            "ACCEPTED: the entry has no allowed pin to match, and no deny pin \
                             matched"
                        )?,
                    }
                }
                for through in &self.accepted_through {
                    writeln!(
                        out,
                        "ACCEPTED through {} {} on the {} \"{}\"",
                        words::role_label(through.role),
                        through.pin,
                        through.position,
                        through.subject
                    )?;
                }
            }
            Verdict::AcceptedReportOnly => writeln!(
                out,
                "ACCEPTED only because the entry is report-only: no pin matched, and enforcing \
                 it would reject the chain"
            )?,
            Verdict::AcceptedUnpinned => writeln!(
                out,
                "ACCEPTED by WebPKI validation alone: no entry pins {}",
                self.host
            )?,
            Verdict::AcceptedExpiredEntry => writeln!(
                out,
                "ACCEPTED by WebPKI validation alone: the entry has expired and is skipped"
            )?,
            Verdict::Rejected => writeln!(out, "REJECTED")?,
        }
        if !self.verified_path.is_empty() {
            writeln!(out, "  verified path:")?;
            for certificate in &self.verified_path {
                writeln!(
                    out,
                    "    {:<12}  {}: {}",
                    certificate.position.to_string(),
                    certificate.spki_pin,
                    certificate.subject
                )?;
                for found in &certificate.matches {
                    writeln!(
                        out,
                        "    {:<12}    matches {} {}",
                        "",
                        words::role_label(found.role),
                        found.pin
                    )?;
                }
            }
        }
        if let Some(error) = &self.error {
            for line in error.message.lines() {
                writeln!(out, "  {line}")?;
            }
        }
        for note in &self.notes {
            writeln!(out, "  note: {note}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_read_like_the_decisions() {
        assert_eq!(
            serde_json::to_string(&Verdict::of(Decision::AcceptedReportOnly)).unwrap(),
            "\"accepted-report-only\""
        );
        assert_eq!(Verdict::of(Decision::Rejected), Verdict::Rejected);
        assert_eq!(
            Verdict::of(Decision::AcceptedExpiredEntry),
            Verdict::AcceptedExpiredEntry
        );
    }
}
