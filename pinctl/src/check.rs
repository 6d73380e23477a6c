//! `pinctl check`: would a policy accept this chain for this host, and through which pin?
//!
//! The decision is the library's: the chain goes through a [`PinningServerVerifier`] built from the
//! policy file, exactly as a client would run it (with `--at` as the verification time).
//! The explanation is computed beside it: webpki's path search is run again with a callback
//! that accepts the first path the policy's pins accept, as the verifier's own search does,
//! and every pin is matched against every certificate of that path.

use std::cell::RefCell;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::RootCertStore;
use rustls_pinning::reporters::MemoryReporter;
use rustls_pinning::{
    EnforcementMode, HostPattern, PinEntry, PinEventKind, PinSet, PinningServerVerifier, Position,
    Reporting, ServerPinningError, UnpinnedHostPolicy,
};
use serde::Serialize;
use webpki::{EndEntityCert, KeyUsage, VerifiedPath};

use crate::chain::{self, Chain, ChainCertificate};
use crate::connect::{Target, DEFAULT_TIMEOUT_SECONDS};
use crate::error::{CliError, InputError, Problem};
use crate::exit;
use crate::matching::{self, EntryState, PinMatch};
use crate::output::{Output, Report};
use crate::when;

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

    let events = Arc::new(MemoryReporter::new(16));
    let verifier =
        PinningServerVerifier::builder(trust.store.clone(), pins.clone(), provider.clone())
            .with_root_certificates(trust.certificates.iter().map(|c| c.der.clone()))
            .with_reporting(Reporting::new(events.clone()))
            .build()
            .map_err(|e| CliError::invalid(&config_name, e.to_string()))?;
    let Some((leaf, intermediates)) = chain.certificates.split_first() else {
        return Err(InputError::new(&chain.source, None, Problem::Empty).into());
    };
    let intermediates: Vec<CertificateDer<'static>> =
        intermediates.iter().map(|c| c.der.clone()).collect();
    let result = verifier.verify_server_cert(&leaf.der, &intermediates, &server_name, &[], now);

    let resolved = matching::resolve(&pins, &host, now);
    let entry = resolved.map(|(entry, state)| EntryReport::of(entry, state));
    let mut notes = Vec::new();
    let mut report_only_error = None;
    for event in events.take() {
        match event.kind {
            PinEventKind::ReportOnlyViolation => {
                report_only_error = event.error.as_ref().map(ToString::to_string);
            }
            PinEventKind::BackupPinInUse => notes.push(format!(
                "only a backup pin matched{}: clients report backup-pin-in-use; once servers \
                 use this key, make it a primary pin and add a new backup",
                event
                    .matched_pin
                    .map(|pin| format!(" ({})", pin.pin()))
                    .unwrap_or_default()
            )),
            PinEventKind::ExpiresSoon => {
                if let Some(expiry) = event.expires_at {
                    notes.push(format!(
                        "the entry expires {} ({}): renew it before then",
                        when::relative(when::seconds_between(now, expiry)),
                        when::rfc3339(expiry)
                    ));
                }
            }
            _ => {}
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

    let (verdict, error, path) = match result {
        Ok(_) => {
            let entry_in_force = resolved
                .filter(|(_, state)| *state != EntryState::ExpiredSkipped)
                .map(|(entry, _)| entry);
            let explained = explain(
                &pins,
                entry_in_force,
                &chain,
                &trust,
                &provider,
                now,
                report_only_error.is_none(),
            );
            let verdict = match (&report_only_error, resolved) {
                (Some(_), _) => Verdict::AcceptedReportOnly,
                (None, None) => Verdict::AcceptedUnpinned,
                (None, Some((_, EntryState::ExpiredSkipped))) => Verdict::AcceptedExpiredEntry,
                (None, Some(_)) => Verdict::Accepted,
            };
            let error = report_only_error.map(|message| ErrorReport {
                kind: ErrorKind::Pin,
                message,
            });
            (verdict, error, explained)
        }
        Err(error) => {
            let error = match ServerPinningError::from_rustls(&error) {
                Some(pinning) => ErrorReport {
                    kind: ErrorKind::Pin,
                    message: pinning.to_string(),
                },
                None => ErrorReport {
                    kind: ErrorKind::Chain,
                    message: error.to_string(),
                },
            };
            (Verdict::Rejected, Some(error), Vec::new())
        }
    };
    let accepted_through = path
        .iter()
        .flat_map(|certificate| {
            certificate
                .matches
                .iter()
                .filter(|found| found.role.is_allowed() && verdict == Verdict::Accepted)
                .map(move |found| Through {
                    pin: *found,
                    position: certificate.position,
                    subject: certificate.subject.clone(),
                })
        })
        .collect();
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
        verified_path: path,
        error,
        notes,
    };
    output.report(&report)?;
    Ok(match report.verdict {
        Verdict::Rejected => exit::PROBLEM_FOUND,
        _ => exit::OK,
    })
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

    /// The root certificate a trust anchor was made from.
    fn certificate_of(
        &self,
        anchor: &rustls::pki_types::TrustAnchor<'_>,
    ) -> Option<&ChainCertificate> {
        self.certificates.iter().find(|certificate| {
            webpki::anchor_from_trusted_cert(&certificate.der).is_ok_and(|parsed| {
                parsed.subject == anchor.subject
                    && parsed.subject_public_key_info == anchor.subject_public_key_info
            })
        })
    }
}

/// The verified path the policy accepts, with the pins each certificate matches; when
/// `through_pins` is false (the verifier tolerated a report-only failure) or nothing matches,
/// the first verified path.
fn explain(
    pins: &PinSet,
    entry: Option<&PinEntry>,
    chain: &Chain,
    trust: &Trust,
    provider: &CryptoProvider,
    now: UnixTime,
    through_pins: bool,
) -> Vec<PathCertificate> {
    let accepts = |path: &[PathCertificate]| {
        let denied = path
            .iter()
            .flat_map(|certificate| &certificate.matches)
            .any(|found| !found.role.is_allowed());
        let wants_allowed = entry.is_some_and(|entry| !entry.allowed_pins().is_empty());
        let allowed = path
            .iter()
            .flat_map(|certificate| &certificate.matches)
            .any(|found| found.role.is_allowed());
        !denied && (allowed || !wants_allowed)
    };
    let search = |accept: &dyn Fn(&[PathCertificate]) -> bool| {
        search_path(pins, entry, chain, trust, provider, now, accept)
    };
    let pinned = match through_pins {
        true => search(&accepts),
        false => None,
    };
    pinned.or_else(|| search(&|_| true)).unwrap_or_default()
}

/// Runs webpki's path search and returns the first verified path `accept` takes.
fn search_path(
    pins: &PinSet,
    entry: Option<&PinEntry>,
    chain: &Chain,
    trust: &Trust,
    provider: &CryptoProvider,
    now: UnixTime,
    accept: &dyn Fn(&[PathCertificate]) -> bool,
) -> Option<Vec<PathCertificate>> {
    let (leaf, rest) = chain.certificates.split_first()?;
    let end_entity = EndEntityCert::try_from(&leaf.der).ok()?;
    let intermediates: Vec<CertificateDer<'_>> = rest.iter().map(|c| c.der.clone()).collect();
    let found = RefCell::new(None);
    let callback = |path: &VerifiedPath<'_>| -> Result<(), webpki::Error> {
        let described = describe_path(pins, entry, chain, trust, path);
        if accept(&described) {
            *found.borrow_mut() = Some(described);
            Ok(())
        } else {
            // Any error makes webpki try the next candidate path.
            Err(webpki::Error::UnknownIssuer)
        }
    };
    end_entity
        .verify_for_usage(
            provider.signature_verification_algorithms.all,
            &trust.store.roots,
            &intermediates,
            now,
            KeyUsage::server_auth(),
            None,
            Some(&callback),
        )
        .ok()?;
    found.into_inner()
}

fn describe_path(
    pins: &PinSet,
    entry: Option<&PinEntry>,
    chain: &Chain,
    trust: &Trust,
    path: &VerifiedPath<'_>,
) -> Vec<PathCertificate> {
    let in_chain = |der: &[u8]| {
        chain
            .certificates
            .iter()
            .find(|certificate| certificate.der.as_ref() == der)
    };
    let mut certificates: Vec<(Position, Option<&ChainCertificate>)> = Vec::new();
    certificates.push((Position::Leaf, in_chain(path.end_entity().der().as_ref())));
    for intermediate in path.intermediate_certificates() {
        certificates.push((
            Position::Intermediate,
            in_chain(intermediate.der().as_ref()),
        ));
    }
    certificates.push((Position::Root, trust.certificate_of(path.anchor())));
    certificates
        .into_iter()
        .filter_map(|(position, certificate)| {
            let certificate = certificate?;
            Some(PathCertificate {
                position,
                subject: certificate.info.subject.clone(),
                spki_pin: certificate.info.spki_pin,
                certificate_pin: certificate.info.certificate_pin,
                matches: matching::matches(pins, entry, certificate, position),
            })
        })
        .collect()
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
    /// The allowed pins that matched the accepted path, and where.
    accepted_through: Vec<Through>,
    /// The path the policy accepts (or, for a tolerated report-only failure, the first
    /// verified path); empty when rejected: the error lists the paths then.
    verified_path: Vec<PathCertificate>,
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

#[derive(Debug, Serialize)]
struct Through {
    #[serde(flatten)]
    pin: PinMatch,
    #[serde(serialize_with = "serialize_position")]
    position: Position,
    subject: String,
}

#[derive(Debug, Serialize)]
struct PathCertificate {
    #[serde(serialize_with = "serialize_position")]
    position: Position,
    subject: String,
    spki_pin: rustls_pinning::Pin,
    certificate_pin: rustls_pinning::Pin,
    /// The policy's pins that match this certificate.
    matches: Vec<PinMatch>,
}

fn serialize_position<S: serde::Serializer>(
    position: &Position,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(matching::position_label(*position))
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
                    matching::mode_label(entry.mode),
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
                        through.pin.role.label(),
                        through.pin.pin,
                        matching::position_label(through.position),
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
                    matching::position_label(certificate.position),
                    certificate.spki_pin,
                    certificate.subject
                )?;
                for found in &certificate.matches {
                    writeln!(
                        out,
                        "    {:<12}    matches {} {}",
                        "",
                        found.role.label(),
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
    use crate::matching::Role;

    #[test]
    fn roles_read_like_the_policy_file() {
        assert_eq!(
            serde_json::to_string(&Role::DeniedEverywhere).unwrap(),
            "\"denied-everywhere\""
        );
        assert_eq!(
            serde_json::to_string(&Verdict::AcceptedReportOnly).unwrap(),
            "\"accepted-report-only\""
        );
    }
}
