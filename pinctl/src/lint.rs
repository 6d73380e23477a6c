//! `pinctl lint`: what in a policy is likely to cause an outage or to protect nothing.
//!
//! A policy that pins nothing and denies nothing is an error finding (the library refuses to
//! load it without `allow_empty = true`, and a warning with it). Otherwise the policy file
//! has passed the builder's rules when it loads; lint looks for what those rules allow but a
//! reviewer should see: entries without a real backup, expired and expiring entries,
//! report-only entries left too long, and, given chains, pins that match nothing, backups
//! that are the key in use, certificate pins on short-lived leaves and the RFC 7469 rule for
//! a live chain.
//!
//! Which entry governs a chain's names, and which pins of it match each certificate, are the
//! library's answers ([`PolicyStanding::for_host`], [`PolicyStanding::matching_pins`]). Chains
//! given to lint are not verified, so a certificate's position in them is a presentation
//! heuristic ([`chain::position_in_file`]).

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use rustls::pki_types::{ServerName, UnixTime};
use rustls_pinning::config::{ConfigError, ConfigFormat};
use rustls_pinning::{
    EnforcementMode, HostPattern, Pin, PinEntry, PinKind, PinRole, PinSet, PolicyStanding,
    Position, ScopedPin, UnpinnedHostPolicy,
};
use serde::Serialize;

use crate::chain::{self, Chain, ChainCertificate};
use crate::connect::{EachServerArgs, Target};
use crate::error::CliError;
use crate::exit;
use crate::output::{Output, Report};
use crate::policy;
use crate::when;
use crate::words;

/// Arguments of `pinctl lint`.
#[derive(clap::Args, Debug)]
pub(crate) struct LintArgs {
    /// The policy file (.toml or .json).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// A chain to check the pins against (PEM or DER, leaf first), repeatable. It applies to
    /// the entries that govern the names of its leaf (subjectAltName).
    #[arg(long, value_name = "FILE")]
    chain: Vec<PathBuf>,
    /// A live server whose chain the pins are checked against, HOST or HOST:PORT, repeatable; also
    /// applies the RFC 7469 rule: at least one pin matches the served chain and one does not.
    #[arg(long, value_name = "HOST[:PORT]")]
    connect: Vec<Target>,
    /// Root certificates (PEM or DER): a root whose name is the issuer of a chain's last
    /// certificate is added to that chain, so that pins on roots servers do not send count.
    #[arg(long, value_name = "FILE")]
    cafile: Option<PathBuf>,
    #[command(flatten)]
    servers: EachServerArgs,
    /// Warn about entries expiring within this window (s, m, h, d or w).
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = when::parse_duration)]
    within: Duration,
    /// When report-only mode began, for every report-only entry (DATE) or for one
    /// (PATTERN=DATE); repeatable. Policy files carry no such date, so without it the age
    /// of report-only entries is not checked.
    #[arg(long, value_name = "[PATTERN=]DATE", value_parser = parse_since)]
    report_only_since: Vec<Since>,
    /// Warn about report-only entries older than this.
    #[arg(long, value_name = "DURATION", default_value = "90d", value_parser = when::parse_duration)]
    report_only_max_age: Duration,
    /// A leaf valid for less than this is short-lived: a certificate pin on it breaks at the
    /// next renewal.
    #[arg(long, value_name = "DURATION", default_value = "100d", value_parser = when::parse_duration)]
    short_lived: Duration,
    /// Exit with 1 on warnings too, not only on errors.
    #[arg(long)]
    strict: bool,
    /// Lint as if at this time: a date (YYYY-MM-DD) or an RFC 3339 time. Default: now.
    #[arg(long, value_name = "TIME", value_parser = when::parse_time)]
    at: Option<UnixTime>,
}

/// `--report-only-since [PATTERN=]DATE`.
#[derive(Clone, Debug)]
pub(crate) struct Since {
    pattern: Option<HostPattern>,
    since: UnixTime,
}

fn parse_since(text: &str) -> Result<Since, String> {
    match text.rsplit_once('=') {
        Some((pattern, date)) => Ok(Since {
            pattern: Some(pattern.parse().map_err(|e| format!("{e}"))?),
            since: when::parse_time(date)?,
        }),
        None => Ok(Since {
            pattern: None,
            since: when::parse_time(text)?,
        }),
    }
}

/// Lints the policy. Exits with [`exit::PROBLEM_FOUND`] when a finding is an error (or, with
/// `--strict`, a warning).
pub(crate) fn run(args: &LintArgs, output: &Output) -> Result<u8, CliError> {
    let config_name = args.config.display().to_string();
    let format =
        ConfigFormat::from_path(&args.config).ok_or_else(|| ConfigError::UnknownFormat {
            path: args.config.clone(),
        })?;
    // Read once: the set and the list of pins as written come from the same text.
    let text = policy::read_text(&args.config, &config_name)?;
    let (pins, raw, pins_nothing) =
        match rustls_pinning::config::parse_named(&text, format, &config_name) {
            Ok(pins) => {
                let raw = RawPolicy::parse(&text, format, &config_name)?;
                // Loaded, so an empty policy said allow_empty = true.
                let intended = pins.is_empty()
                    && pins.globally_denied_pins().is_empty()
                    && pins.unpinned_host_policy() == UnpinnedHostPolicy::WebPkiOnly;
                (pins, raw, intended.then_some(Severity::Warning))
            }
            // What lint is for: the policy loads nowhere, and the finding says why.
            Err(ConfigError::PinsNothing { .. }) => {
                let empty = PinSet::builder()
                    .build()
                    .map_err(|e| CliError::invalid(&config_name, e.to_string()))?;
                (empty, RawPolicy::default(), Some(Severity::Error))
            }
            Err(error) => return Err(error.into()),
        };
    let now = args.at.unwrap_or_else(UnixTime::now);
    let roots = match &args.cafile {
        Some(path) => chain::from_file(path)?.certificates,
        None => Vec::new(),
    };
    let mut chains = Vec::new();
    for path in &args.chain {
        chains.push(Positioned::new(
            chain::from_file(path)?,
            &roots,
            false,
            &pins,
            now,
        ));
    }
    let server = args.servers.server_args();
    for target in &args.connect {
        chains.push(Positioned::new(
            chain::from_server(&server, target)?,
            &roots,
            true,
            &pins,
            now,
        ));
    }

    let mut findings = Vec::new();
    if let Some(severity) = pins_nothing {
        let message = match severity {
            Severity::Error => {
                "the policy pins nothing and denies nothing: clients would refuse to load it, \
                 and one that did would fall back to plain WebPKI for every host; add entries, \
                 or set allow_empty = true if that is intended"
            }
            _ => {
                "the policy pins nothing and denies nothing (allow_empty = true): every host \
                 gets plain WebPKI"
            }
        };
        findings.push(Finding {
            severity,
            code: "pins-nothing",
            entry: None,
            message: String::from(message),
        });
    }
    let entries: Vec<&PinEntry> = pins.entries().collect();
    let index_of = |entry: &PinEntry| {
        entries
            .iter()
            .position(|candidate| candidate.pattern() == entry.pattern())
    };
    // Which chains speak of which entry: the entries a verifier resolves their names to.
    let mut chain_entries: Vec<Vec<usize>> = Vec::new();
    for chain in &chains {
        let mut governed = BTreeSet::new();
        for standing in &chain.standings {
            if let Some(index) = standing.entry.as_ref().and_then(index_of) {
                governed.insert(index);
            }
        }
        if governed.is_empty() {
            findings.push(Finding {
                severity: Severity::Info,
                code: "chain-not-pinned",
                entry: None,
                message: format!(
                    "no entry governs {} ({}): its certificates were only checked against the \
                     pins denied everywhere",
                    chain.chain.source,
                    match chain.names().is_empty() {
                        true => String::from("its leaf names no host"),
                        false => format!("names: {}", chain.names().join(", ")),
                    }
                ),
            });
        }
        chain_entries.push(governed.into_iter().collect());
    }

    for (index, entry) in entries.iter().enumerate() {
        let at = EntryRef {
            index,
            pattern: entry.pattern().clone(),
        };
        let mut add = |severity, code, message| {
            findings.push(Finding {
                severity,
                code,
                entry: Some(at.clone()),
                message,
            })
        };
        let report_only = entry.mode() == EnforcementMode::ReportOnly;

        // Backup rule.
        let distinct: BTreeSet<Pin> = entry.allowed_pins().iter().map(|p| p.pin()).collect();
        if distinct.len() == 1 {
            let pin = distinct
                .iter()
                .next()
                .map(ToString::to_string)
                .unwrap_or_default();
            match report_only {
                false => add(
                    Severity::Error,
                    "single-pin",
                    format!(
                        "one allowed pin ({pin}) and no backup: the next key rotation locks out \
                         every client with this policy; add a backup_pins key held offline"
                    ),
                ),
                true => add(
                    Severity::Warning,
                    "single-pin",
                    format!(
                        "one allowed pin ({pin}) and no backup: add a backup_pins key held \
                         offline before enforcing this entry"
                    ),
                ),
            }
        }
        for backup in raw.backups_listed_as_primary(index) {
            add(
                Severity::Error,
                "backup-is-primary",
                format!(
                    "backup pin {backup} is also listed as a primary pin: it is the key in use, \
                     not a reserve one, and the policy counts it as primary"
                ),
            );
        }

        // Expiry.
        if let Some(expiry) = entry.expires_at() {
            let left = when::seconds_between(now, expiry);
            let after = match entry.after_expiry() {
                rustls_pinning::AfterExpiry::KeepEnforcing => {
                    "and keeps being enforced (after_expiry = \"keep-enforcing\")"
                }
                _ => "and is skipped: clients fall back to plain WebPKI for these hosts",
            };
            if left <= 0 {
                add(
                    Severity::Error,
                    "expired",
                    format!(
                        "expired {} ({}) {after}",
                        when::relative(left),
                        when::rfc3339(expiry)
                    ),
                );
            } else if u64::try_from(left).unwrap_or(u64::MAX) <= args.within.as_secs() {
                add(
                    Severity::Warning,
                    "expires-soon",
                    format!(
                        "expires {} ({}), within {}: review the pins and move the expiry",
                        when::relative(left),
                        when::rfc3339(expiry),
                        when::span(args.within)
                    ),
                );
            }
        }

        // Report-only age.
        if report_only {
            let since = args
                .report_only_since
                .iter()
                .find(|since| since.pattern.as_ref() == Some(entry.pattern()))
                .or_else(|| {
                    args.report_only_since
                        .iter()
                        .find(|since| since.pattern.is_none())
                });
            match since {
                Some(since) => {
                    let age = when::seconds_between(since.since, now);
                    let age_text = format!(
                        "report-only since {} ({})",
                        when::rfc3339(since.since),
                        when::relative(-age)
                    );
                    if u64::try_from(age).unwrap_or(0) > args.report_only_max_age.as_secs() {
                        add(
                            Severity::Warning,
                            "report-only-too-long",
                            format!(
                                "{age_text}, longer than {}: enforce it or remove it",
                                when::span(args.report_only_max_age)
                            ),
                        );
                    } else {
                        add(Severity::Info, "report-only", age_text);
                    }
                }
                None => add(
                    Severity::Info,
                    "report-only",
                    String::from(
                        "report-only: pin failures are reported, not enforced (its age is not \
                         checked: policy files carry no start date; give --report-only-since)",
                    ),
                ),
            }
        }

        // Chains, each with the standing that resolved one of its names to this entry.
        let relevant: Vec<(&Positioned, &PolicyStanding)> = chains
            .iter()
            .zip(&chain_entries)
            .filter(|(_, governed)| governed.contains(&index))
            .filter_map(|(chain, _)| Some((chain, chain.standing_of(entry)?)))
            .collect();
        if relevant.is_empty() {
            if !chains.is_empty() && !entry.allowed_pins().is_empty() {
                add(
                    Severity::Info,
                    "no-chain",
                    String::from(
                        "no given chain is for this entry's hosts: its pins were not checked \
                         against a chain",
                    ),
                );
            }
            continue;
        }
        lint_chains(entry, &relevant, args.short_lived, &mut add);
    }

    // Deny pins on any chain, governed or not: the governing entry's (of the first name an
    // entry governs) and the pins denied everywhere.
    let anywhere = PolicyStanding::without_entry(&pins);
    for chain in &chains {
        let governing = chain
            .standings
            .iter()
            .find(|standing| standing.entry.is_some());
        let governed = governing.and_then(|standing| standing.entry.as_ref());
        for (certificate, position) in &chain.certificates {
            let denied = match governing {
                Some(standing) => standing.matching_pins(&certificate.der, *position),
                // No entry governs the chain: only the pins denied everywhere.
                None => anywhere.matching_pins(&certificate.der, *position),
            };
            for found in denied {
                if found.role.is_allowed() {
                    continue;
                }
                findings.push(Finding {
                    severity: Severity::Error,
                    code: "denied-key-in-chain",
                    entry: match found.role {
                        PinRole::Denied => governed.and_then(|entry| {
                            index_of(entry).map(|index| EntryRef {
                                index,
                                pattern: entry.pattern().clone(),
                            })
                        }),
                        _ => None,
                    },
                    message: format!(
                        "{} {} matches the {position} \"{}\" of {}: clients refuse this chain",
                        words::role_label(found.role),
                        found.pin.pin(),
                        certificate.info.subject,
                        chain.chain.source
                    ),
                });
            }
        }
    }

    findings.sort_by_key(|finding| {
        (
            finding
                .entry
                .as_ref()
                .map_or(usize::MAX, |entry| entry.index),
            finding.severity,
        )
    });
    let count = |severity| findings.iter().filter(|f| f.severity == severity).count();
    let report = LintReport {
        config: config_name,
        at: when::rfc3339(now),
        entries: entries.len(),
        chains: chains
            .iter()
            .zip(&chain_entries)
            .map(|(chain, governed)| ChainReport {
                source: chain.chain.source.clone(),
                live: chain.live,
                entries: governed
                    .iter()
                    .filter_map(|index| entries.get(*index))
                    .map(|entry| entry.pattern().clone())
                    .collect(),
            })
            .collect(),
        errors: count(Severity::Error),
        warnings: count(Severity::Warning),
        notes: count(Severity::Info),
        findings,
    };
    output.report(&report)?;
    let failed = report.errors > 0 || (args.strict && report.warnings > 0);
    Ok(match failed {
        true => exit::PROBLEM_FOUND,
        false => exit::OK,
    })
}

/// The chain-based findings for one entry: `chains` are those whose names it governs, each
/// with the standing a verifier resolves that name to (whose entry is `entry`).
fn lint_chains(
    entry: &PinEntry,
    chains: &[(&Positioned, &PolicyStanding)],
    short_lived: Duration,
    add: &mut dyn FnMut(Severity, &'static str, String),
) {
    // For each allowed pin: the certificates (and so the keys) the library finds it matching.
    struct Matched<'c> {
        scoped: ScopedPin,
        pin: Pin,
        role: PinRole,
        certificates: Vec<(&'c ChainCertificate, Position, &'c str)>,
    }
    let mut matched: Vec<Matched<'_>> = entry
        .primary_pins()
        .iter()
        .map(|scoped| (scoped, PinRole::Primary))
        .chain(
            entry
                .backup_pins()
                .iter()
                .map(|scoped| (scoped, PinRole::Backup)),
        )
        .map(|(scoped, role)| Matched {
            scoped: *scoped,
            pin: scoped.pin(),
            role,
            certificates: Vec::new(),
        })
        .collect();
    // Per chain, the allowed pins found on it (for the RFC 7469 rule on live chains).
    let mut found_on: Vec<Vec<ScopedPin>> = Vec::new();
    for (chain, standing) in chains {
        let mut found_here = Vec::new();
        for (certificate, position) in &chain.certificates {
            let allowed = standing
                .matching_pins(&certificate.der, *position)
                .into_iter()
                .filter(|found| found.role.is_allowed());
            for found in allowed {
                let pin = matched
                    .iter_mut()
                    .find(|m| m.scoped == found.pin && m.role == found.role);
                if let Some(pin) = pin {
                    pin.certificates
                        .push((certificate, *position, chain.chain.source.as_str()));
                }
                found_here.push(found.pin);
            }
        }
        found_on.push(found_here);
    }
    let sources = chains
        .iter()
        .map(|(chain, _)| chain.chain.source.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let keys = |m: &Matched<'_>| {
        m.certificates
            .iter()
            .map(|(certificate, _, _)| certificate.info.spki_pin)
            .collect::<BTreeSet<Pin>>()
    };

    // A backup that is the key of a primary.
    let mut same_key = false;
    for backup in matched.iter().filter(|m| m.role == PinRole::Backup) {
        for primary in matched.iter().filter(|m| m.role == PinRole::Primary) {
            let shared = keys(backup).intersection(&keys(primary)).copied().next();
            if let Some(key) = shared {
                same_key = true;
                let subject = backup
                    .certificates
                    .iter()
                    .find(|(certificate, _, _)| certificate.info.spki_pin == key)
                    .map(|(certificate, _, _)| certificate.info.subject.as_str())
                    .unwrap_or_default();
                add(
                    Severity::Error,
                    "backup-same-key",
                    format!(
                        "backup pin {} and primary pin {} both match the key {key} of \
                         \"{subject}\": the backup is the key in use, not a reserve one",
                        backup.pin, primary.pin
                    ),
                );
            }
        }
    }

    // Every allowed pin on one key.
    let distinct = matched.iter().map(|m| m.pin).collect::<BTreeSet<_>>().len();
    let all_keys = matched.iter().flat_map(keys).collect::<BTreeSet<Pin>>();
    if !same_key
        && distinct >= 2
        && matched.iter().all(|m| !m.certificates.is_empty())
        && all_keys.len() == 1
    {
        let subject = matched
            .iter()
            .flat_map(|m| m.certificates.first())
            .map(|(certificate, _, _)| certificate.info.subject.clone())
            .next()
            .unwrap_or_default();
        add(
            Severity::Error,
            "all-pins-on-one-key",
            format!(
                "every allowed pin matches the key of \"{subject}\": when that key is replaced \
                 no pin is left; add a backup pin for a key held offline"
            ),
        );
    }

    for m in &matched {
        // Certificate pins on short-lived leaves.
        if m.pin.kind() == PinKind::Certificate {
            for (certificate, position, source) in &m.certificates {
                let lifetime = certificate.info.lifetime_seconds();
                if *position == Position::Leaf && lifetime < short_lived.as_secs() {
                    add(
                        Severity::Warning,
                        "certificate-pin-on-short-lived-leaf",
                        format!(
                            "{} {} is the certificate pin of the leaf \"{}\" in {source}, valid \
                             for {}: it stops matching at the next renewal; pin its key ({}) \
                             instead",
                            words::role_label(m.role),
                            m.pin,
                            certificate.info.subject,
                            when::span(Duration::from_secs(lifetime)),
                            certificate.info.spki_pin
                        ),
                    );
                }
            }
        }
        // Pins matching nothing.
        if m.certificates.is_empty() {
            match m.role {
                PinRole::Backup => add(
                    Severity::Info,
                    "pin-matches-nothing",
                    format!(
                        "backup pin {} matches no certificate of {sources}, as expected of a \
                         key held in reserve",
                        m.pin
                    ),
                ),
                _ => add(
                    Severity::Warning,
                    "pin-matches-nothing",
                    format!(
                        "primary pin {} matches no certificate of {sources}: servers are \
                         expected to present it (mark it as a backup if it is held in reserve)",
                        m.pin
                    ),
                ),
            }
        }
    }

    // RFC 7469 section 4.3 on live chains: one pin in the chain, one outside it.
    for ((chain, _), found) in chains.iter().zip(&found_on) {
        if !chain.live {
            continue;
        }
        let mut inside = Vec::new();
        let mut outside = Vec::new();
        for scoped in entry.allowed_pins() {
            match found.contains(scoped) {
                true => inside.push(scoped.pin()),
                false => outside.push(scoped.pin()),
            }
        }
        if entry.allowed_pins().is_empty() {
            continue;
        }
        if inside.is_empty() {
            add(
                Severity::Error,
                "hpkp-no-pin-in-chain",
                format!(
                    "no allowed pin matches the chain {} serves: enforcing clients reject it \
                     today",
                    chain.chain.source
                ),
            );
        }
        if outside.is_empty() {
            add(
                Severity::Error,
                "hpkp-no-backup-outside-chain",
                format!(
                    "every allowed pin matches the chain {} serves: no pin is left for a key \
                     not in use, to rotate to (RFC 7469 section 4.3)",
                    chain.chain.source
                ),
            );
        }
    }
}

/// A chain with the position of each certificate (see [`chain::position_in_file`]), any root
/// from `--cafile` appended, and where the policy stands on each name it is for.
struct Positioned {
    chain: Chain,
    certificates: Vec<(ChainCertificate, Position)>,
    live: bool,
    /// How a verifier resolves each of [`names`](Self::names) (those that are host names),
    /// in order.
    standings: Vec<PolicyStanding>,
}

impl Positioned {
    fn new(
        chain: Chain,
        roots: &[ChainCertificate],
        live: bool,
        pins: &PinSet,
        now: UnixTime,
    ) -> Self {
        let count = chain.certificates.len();
        let mut certificates: Vec<(ChainCertificate, Position)> = chain
            .certificates
            .iter()
            .enumerate()
            .map(|(index, certificate)| {
                (
                    certificate.clone(),
                    chain::position_in_file(index, count, certificate.info.self_issued),
                )
            })
            .collect();
        let issuer_of_last = certificates
            .last()
            .filter(|(_, position)| *position != Position::Root)
            .map(|(last, _)| last.info.issuer.clone());
        if let Some(issuer) = issuer_of_last {
            let root = roots
                .iter()
                .find(|root| root.info.subject == issuer && root.info.self_issued);
            if let Some(root) = root {
                certificates.push((root.clone(), Position::Root));
            }
        }
        let mut positioned = Self {
            chain,
            certificates,
            live,
            standings: Vec::new(),
        };
        positioned.standings = positioned
            .names()
            .iter()
            .filter_map(|name| ServerName::try_from(name.as_str()).ok())
            .map(|name| PolicyStanding::for_host(pins, &name, now))
            .collect();
        positioned
    }

    /// The standing whose entry is `entry`, if one of the chain's names resolves to it.
    fn standing_of(&self, entry: &PinEntry) -> Option<&PolicyStanding> {
        self.standings.iter().find(|standing| {
            standing
                .entry
                .as_ref()
                .is_some_and(|governing| governing.pattern() == entry.pattern())
        })
    }

    /// The names the chain is for: a server's name, or its leaf's subjectAltNames (a
    /// wildcard name stands for one name under it).
    fn names(&self) -> Vec<String> {
        if let Some(host) = &self.chain.host {
            return vec![host.clone()];
        }
        self.chain
            .certificates
            .first()
            .map(|leaf| {
                leaf.info
                    .names
                    .iter()
                    .map(|name| match name.strip_prefix("*.") {
                        Some(parent) => format!("wildcard.{parent}"),
                        None => name.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The pins as the file lists them, before the builder merges a pin given as both primary
/// and backup into one primary pin.
#[derive(Default)]
struct RawPolicy {
    /// Per entry, in file order: (primary pins, backup pins).
    entries: Vec<(Vec<Pin>, Vec<Pin>)>,
}

impl RawPolicy {
    /// Reads the text of a policy that loaded (so it is well formed).
    fn parse(text: &str, format: ConfigFormat, name: &str) -> Result<Self, CliError> {
        let unreadable = |reason: String| CliError::invalid(name, reason);
        let value: serde_json::Value = match format {
            ConfigFormat::Json => {
                serde_json::from_str(text).map_err(|e| unreadable(e.to_string()))?
            }
            _ => {
                let value: toml::Value =
                    toml::from_str(text).map_err(|e| unreadable(e.to_string()))?;
                serde_json::to_value(value).map_err(|e| unreadable(e.to_string()))?
            }
        };
        let pins = |entry: &serde_json::Value, field: &str| -> Vec<Pin> {
            entry
                .get(field)
                .and_then(serde_json::Value::as_array)
                .map(|list| {
                    list.iter()
                        .filter_map(|item| match item {
                            serde_json::Value::String(text) => text.parse().ok(),
                            other => other.get("pin")?.as_str()?.parse().ok(),
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let entries = value
            .get("entry")
            .and_then(serde_json::Value::as_array)
            .map(|entries| {
                entries
                    .iter()
                    .map(|entry| (pins(entry, "pins"), pins(entry, "backup_pins")))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self { entries })
    }

    /// The backup pins of the `index`th entry that are also listed as primary pins.
    fn backups_listed_as_primary(&self, index: usize) -> Vec<Pin> {
        let Some((primary, backup)) = self.entries.get(index) else {
            return Vec::new();
        };
        backup
            .iter()
            .filter(|pin| primary.contains(pin))
            .copied()
            .collect()
    }
}

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
enum Severity {
    /// A likely outage or a pin that protects nothing: exit code 1.
    Error,
    /// Worth fixing: exit code 1 with `--strict`.
    Warning,
    /// For information.
    Info,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
            Self::Info => "note",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
struct EntryRef {
    /// From 0, in file order.
    index: usize,
    pattern: HostPattern,
}

#[derive(Debug, Serialize)]
struct Finding {
    severity: Severity,
    /// A stable name for the kind of finding.
    code: &'static str,
    /// The entry concerned, or none for the whole policy or a chain.
    entry: Option<EntryRef>,
    message: String,
}

#[derive(Debug, Serialize)]
struct ChainReport {
    source: String,
    /// Fetched from a server (`--connect`) rather than read from a file.
    live: bool,
    /// The entries whose hosts the chain is for.
    entries: Vec<HostPattern>,
}

/// What `pinctl lint` prints.
#[derive(Debug, Serialize)]
struct LintReport {
    config: String,
    at: String,
    entries: usize,
    chains: Vec<ChainReport>,
    errors: usize,
    warnings: usize,
    notes: usize,
    findings: Vec<Finding>,
}

impl Report for LintReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let plural = |n: usize, word: &str| match n {
            1 => format!("1 {word}"),
            n => format!("{n} {word}s"),
        };
        writeln!(
            out,
            "{}: {}, {}, {} ({}, checked at {})",
            self.config,
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            plural(self.notes, "note"),
            plural(self.entries, "entry").replace("entrys", "entries"),
            self.at
        )?;
        for chain in &self.chains {
            let entries = match chain.entries.is_empty() {
                true => String::from("no entry"),
                false => chain
                    .entries
                    .iter()
                    .map(|pattern| format!("\"{pattern}\""))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            let kind = match chain.live {
                true => "served by",
                false => "file",
            };
            writeln!(out, "  chain ({kind}) {} -> {entries}", chain.source)?;
        }
        for finding in &self.findings {
            let place = match &finding.entry {
                Some(entry) => format!("entry[{}] \"{}\"", entry.index, entry.pattern),
                None => String::from("policy"),
            };
            writeln!(
                out,
                "  {:<7}  {place}: {} [{}]",
                finding.severity.label(),
                finding.message,
                finding.code
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_an_optional_pattern() {
        let all = parse_since("2026-01-01").unwrap();
        assert!(all.pattern.is_none());
        let one = parse_since("**.example.com=2026-01-01T00:00:00Z").unwrap();
        assert_eq!(one.pattern.unwrap().to_string(), "**.example.com");
        assert_eq!(one.since.as_secs(), all.since.as_secs());
        assert!(parse_since("*.com=2026-01-01").is_err());
        assert!(parse_since("x=yesterday").is_err());
    }
}
