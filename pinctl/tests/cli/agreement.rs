//! `pinctl check` and the library agree: a table of policies and chains, each run through a
//! `PinningServerVerifier` built as pinctl builds it (`verify_server_cert` and `explain`) and
//! through `pinctl check --json` as a separate process. For every row both must reach the
//! verdict the row expects, and the same one; accept through the same pin on the same
//! certificate; show the same verified path; and refuse with the same error.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::cli::*;
use crate::common::{Ca, KeyKind, Leaf, LeafOptions};
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::RootCertStore;
use rustls_pinning::reporters::MemoryReporter;
use rustls_pinning::{
    Decision, Explanation, PathOutcome, Pin, PinEventKind, PinningServerVerifier, Reporting,
    ServerPinningError,
};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const HOST: &str = "api.agree.test";

/// Keys held offline: pins no certificate here has.
const SPARE: &str = "sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=";
const SPARE_2: &str = "sha256/5kJvNEMw0KjrCAu7eXY5HZdvyCS13BbA0VJG1RSP91w=";

/// The certificates of the table.
struct Pki {
    /// Trusted by every row.
    root: Ca,
    intermediate: Ca,
    leaf: Leaf,
    /// An older root that cross-signs `root`: with both trusted, the chain
    /// leaf, intermediate, `cross` has two verified paths.
    old_root: Ca,
    /// `root`'s subject and key, issued by `old_root`.
    cross: CertificateDer<'static>,
    /// A leaf for [`HOST`] from a root nobody trusts.
    stranger: Leaf,
}

impl Pki {
    fn new() -> Self {
        let root = Ca::root_with("Agreement Root", KeyKind::EcdsaP256);
        let intermediate = root.intermediate("Agreement Issuing CA");
        let leaf = intermediate.leaf_with(LeafOptions::new(&[HOST, "other.agree.test"]));
        let old_root = Ca::root_with("Agreement Old Root", KeyKind::Rsa2048);
        let cross = old_root.cross_sign(&root);
        let stranger = Ca::root("Stranger Root").leaf_with(LeafOptions::new(&[HOST]));
        Self {
            root,
            intermediate,
            leaf,
            old_root,
            cross,
            stranger,
        }
    }

    fn served(&self) -> Vec<CertificateDer<'static>> {
        self.leaf.chain(&[&self.intermediate])
    }

    fn served_with_root(&self) -> Vec<CertificateDer<'static>> {
        self.leaf.chain(&[&self.intermediate, &self.root])
    }

    fn served_cross_signed(&self) -> Vec<CertificateDer<'static>> {
        let mut chain = self.served();
        chain.push(self.cross.clone());
        chain
    }

    fn leaf_pin(&self) -> String {
        spki_pin(self.leaf.spki_der())
    }

    fn intermediate_pin(&self) -> String {
        spki_pin(self.intermediate.spki_der())
    }

    fn root_pin(&self) -> String {
        spki_pin(self.root.spki_der())
    }

    fn old_root_pin(&self) -> String {
        spki_pin(self.old_root.spki_der())
    }
}

/// What a row must come to.
#[derive(Debug)]
enum Expected {
    /// Accepted through `pin` (`primary` or `backup`), matched on the certificate whose SPKI pin
    /// is `certificate`, at `position` of the verified path.
    Through {
        pin: String,
        role: &'static str,
        certificate: String,
        position: &'static str,
    },
    /// Accepted with no pin to name: `accepted-report-only`, `accepted-unpinned`,
    /// `accepted-expired-entry`.
    Accepted(&'static str),
    /// Rejected, for a `pin` reason or a `chain` one.
    Rejected(&'static str),
}

struct Row {
    name: &'static str,
    /// The policy file, without its `version` line.
    policy: String,
    chain: Vec<CertificateDer<'static>>,
    roots: Vec<CertificateDer<'static>>,
    host: &'static str,
    expected: Expected,
}

fn scoped(pin: &str, scope: &str) -> String {
    format!("{{ pin = \"{pin}\", scope = \"{scope}\" }}")
}

fn table(pki: &Pki) -> Vec<Row> {
    let (leaf, intermediate, root) = (pki.leaf_pin(), pki.intermediate_pin(), pki.root_pin());
    let root_scoped = scoped(&root, "root");
    let through = |pin: &str, role, certificate: &str, position| Expected::Through {
        pin: pin.to_owned(),
        role,
        certificate: certificate.to_owned(),
        position,
    };
    let trusted = vec![pki.root.cert_der().clone()];
    let both_roots = vec![pki.old_root.cert_der().clone(), pki.root.cert_der().clone()];
    let row = |name, policy: String, expected| Row {
        name,
        policy,
        chain: pki.served(),
        roots: trusted.clone(),
        host: HOST,
        expected,
    };
    vec![
        row(
            "leaf pin",
            entry("**.agree.test", &[&leaf], &[SPARE], ""),
            through(&leaf, "primary", &leaf, "leaf"),
        ),
        row(
            "intermediate pin",
            entry(HOST, &[&intermediate], &[SPARE], ""),
            through(&intermediate, "primary", &intermediate, "intermediate"),
        ),
        row(
            "root pin scoped to the root",
            entry(HOST, &[&root_scoped], &[SPARE], ""),
            through(&root, "primary", &root, "root"),
        ),
        row(
            "only a backup pin matches",
            entry(HOST, &[SPARE], &[&leaf], ""),
            through(&leaf, "backup", &leaf, "leaf"),
        ),
        row(
            "a primary pin on the intermediate wins over a backup pin on the leaf",
            entry(HOST, &[&intermediate], &[&leaf], ""),
            through(&intermediate, "primary", &intermediate, "intermediate"),
        ),
        row(
            "no pin matches",
            entry(HOST, &[SPARE], &[SPARE_2], ""),
            Expected::Rejected("pin"),
        ),
        row(
            "a pin scoped to the leaf does not match the intermediate",
            entry(HOST, &[&scoped(&intermediate, "leaf")], &[SPARE], ""),
            Expected::Rejected("pin"),
        ),
        row(
            "report-only mismatch",
            entry(HOST, &[SPARE], &[SPARE_2], "mode = \"report-only\""),
            Expected::Accepted("accepted-report-only"),
        ),
        row(
            "the entry denies the intermediate its leaf pin would accept",
            entry(
                HOST,
                &[&leaf],
                &[SPARE],
                &format!("deny = [\"{intermediate}\"]"),
            ),
            Expected::Rejected("pin"),
        ),
        row(
            "a pin denied everywhere beats the entry's pin",
            format!(
                "deny_everywhere = [\"{root}\"]\n{}",
                entry(HOST, &[&leaf], &[SPARE], "")
            ),
            Expected::Rejected("pin"),
        ),
        row(
            "a pin denied everywhere, report-only entry",
            format!(
                "deny_everywhere = [\"{intermediate}\"]\n{}",
                entry(HOST, &[&leaf], &[SPARE], "mode = \"report-only\"")
            ),
            Expected::Rejected("pin"),
        ),
        row(
            "an expired entry is skipped",
            entry(HOST, &[SPARE], &[SPARE_2], "expires = \"2020-01-01\""),
            Expected::Accepted("accepted-expired-entry"),
        ),
        row(
            "an expired entry that keeps enforcing",
            entry(
                HOST,
                &[SPARE],
                &[SPARE_2],
                "expires = \"2020-01-01\"\nafter_expiry = \"keep-enforcing\"",
            ),
            Expected::Rejected("pin"),
        ),
        row(
            "the exact pattern wins over the wildcard that would accept",
            format!(
                "{}{}",
                entry("**.agree.test", &[&leaf], &[SPARE], ""),
                entry(HOST, &[SPARE], &[SPARE_2], "")
            ),
            Expected::Rejected("pin"),
        ),
        row(
            "unpinned host",
            entry("other.agree.test", &[SPARE], &[SPARE_2], ""),
            Expected::Accepted("accepted-unpinned"),
        ),
        row(
            "unpinned host refused",
            format!(
                "unpinned_hosts = \"reject\"\n{}",
                entry("other.agree.test", &[&leaf], &[SPARE], "")
            ),
            Expected::Rejected("pin"),
        ),
        Row {
            name: "the server sends its root: a root-scoped pin matches it as the root",
            chain: pki.served_with_root(),
            ..row(
                "",
                entry(HOST, &[&root_scoped], &[SPARE], ""),
                through(&root, "primary", &root, "root"),
            )
        },
        Row {
            name: "the server sends its root: it is no intermediate",
            chain: pki.served_with_root(),
            ..row(
                "",
                entry(HOST, &[&scoped(&root, "intermediate")], &[SPARE], ""),
                Expected::Rejected("pin"),
            )
        },
        Row {
            name: "cross-signed roots: the path through the old root's pin",
            chain: pki.served_cross_signed(),
            roots: both_roots.clone(),
            ..row(
                "",
                entry(HOST, &[&scoped(&pki.old_root_pin(), "root")], &[SPARE], ""),
                through(&pki.old_root_pin(), "primary", &pki.old_root_pin(), "root"),
            )
        },
        Row {
            name: "cross-signed roots: the path through the new root's pin",
            chain: pki.served_cross_signed(),
            roots: both_roots.clone(),
            ..row(
                "",
                entry(HOST, &[&root_scoped], &[SPARE], ""),
                through(&root, "primary", &root, "root"),
            )
        },
        Row {
            name: "cross-signed roots: the new root's key as the intermediate of the long path",
            chain: pki.served_cross_signed(),
            roots: both_roots.clone(),
            ..row(
                "",
                entry(HOST, &[&scoped(&root, "intermediate")], &[SPARE], ""),
                through(&root, "primary", &root, "intermediate"),
            )
        },
        Row {
            name: "cross-signed roots: the old root denied everywhere leaves the short path",
            chain: pki.served_cross_signed(),
            roots: both_roots,
            ..row(
                "",
                format!(
                    "deny_everywhere = [\"{}\"]\n{}",
                    pki.old_root_pin(),
                    entry(HOST, &[&leaf], &[SPARE], "")
                ),
                through(&leaf, "primary", &leaf, "leaf"),
            )
        },
        Row {
            name: "a chain from an untrusted root",
            chain: vec![pki.stranger.cert.clone()],
            ..row(
                "",
                entry(HOST, &[&spki_pin(pki.stranger.spki_der())], &[SPARE], ""),
                Expected::Rejected("chain"),
            )
        },
        Row {
            name: "a certificate for another name",
            host: "elsewhere.agree.test",
            ..row(
                "",
                entry("**.agree.test", &[&leaf], &[SPARE], ""),
                Expected::Rejected("chain"),
            )
        },
    ]
}

/// What the library decides for a row, with pinctl's inputs.
struct Library {
    explanation: Explanation,
    /// `verify_server_cert`'s error, as text.
    verify_error: Option<String>,
    /// The error enforcement would return, from the report-only event, if one was raised.
    report_only_error: Option<String>,
}

fn library(row: &Row, policy: &str, now: UnixTime) -> Library {
    // As pinctl builds it: the policy file through `config::load`, the roots as the trust
    // store and as root certificates, the default provider.
    let pins = rustls_pinning::config::load(policy).unwrap();
    let mut store = RootCertStore::empty();
    for root in &row.roots {
        store.add(root.clone()).unwrap();
    }
    let events = Arc::new(MemoryReporter::new(16));
    let verifier = PinningServerVerifier::builder(
        Arc::new(store),
        pins,
        rustls_pinning::default_crypto_provider(),
    )
    .with_root_certificates(row.roots.iter().cloned())
    .with_reporting(Reporting::new(events.clone()))
    .build()
    .unwrap();
    let name = ServerName::try_from(row.host).unwrap();
    let (leaf, intermediates) = row.chain.split_first().unwrap();
    let verified = verifier.verify_server_cert(leaf, intermediates, &name, &[], now);
    let explanation = verifier.explain(leaf, intermediates, &name, now);
    let report_only_error = events
        .take()
        .into_iter()
        .find(|event| event.kind == PinEventKind::ReportOnlyViolation)
        .and_then(|event| event.error.map(|error| error.to_string()));
    Library {
        verify_error: verified.err().map(|error| describe_error(&error).1),
        explanation,
        report_only_error,
    }
}

/// `pin` or `chain`, and the message, as pinctl reports a rustls error.
fn describe_error(error: &rustls::Error) -> (&'static str, String) {
    match ServerPinningError::from_rustls(error) {
        Some(pinning) => ("pin", pinning.to_string()),
        None => ("chain", error.to_string()),
    }
}

fn verdict_word(decision: Decision) -> &'static str {
    match decision {
        Decision::Accepted => "accepted",
        Decision::AcceptedReportOnly => "accepted-report-only",
        Decision::AcceptedUnpinned => "accepted-unpinned",
        Decision::AcceptedExpiredEntry => "accepted-expired-entry",
        Decision::Rejected => "rejected",
        other => panic!("a decision this test does not know: {other:?}"),
    }
}

/// (pin, role, SPKI pin of the certificate, position, subject) of the accepting match.
type Through = (String, String, String, String, String);

fn library_through(explanation: &Explanation) -> Option<Through> {
    // A pin can accept a path of a chain then refused for its name: no pin accepted the
    // connection then.
    if explanation.decision != Decision::Accepted {
        return None;
    }
    let (path, matched) = explanation.accepted_through()?;
    let certificate = &path.certificates[matched.certificate];
    Some((
        matched.pin.pin().to_string(),
        String::from(match matched.backup {
            true => "backup",
            false => "primary",
        }),
        certificate.spki_pin().to_string(),
        certificate.position().to_string(),
        certificate.subject().to_owned(),
    ))
}

/// pinctl's accepting match, with the certificate of its verified path at that place that
/// lists the pin among its matches.
fn pinctl_through(report: &Value, label: &str) -> Option<Through> {
    let through = report["accepted_through"].as_array().unwrap();
    assert!(through.len() <= 1, "[{label}] one accepting pin: {report}");
    let through = through.first()?;
    let text = |value: &Value| value.as_str().unwrap().to_owned();
    let certificate = report["verified_path"]
        .as_array()
        .unwrap()
        .iter()
        .find(|certificate| {
            certificate["position"] == through["position"]
                && certificate["subject"] == through["subject"]
                && certificate["matches"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|found| found["pin"] == through["pin"])
        })
        .unwrap_or_else(|| panic!("[{label}] no certificate of the path matches: {report}"));
    Some((
        text(&through["pin"]),
        text(&through["role"]),
        text(&certificate["spki_pin"]),
        text(&through["position"]),
        text(&through["subject"]),
    ))
}

/// The SPKI pins of the path pinctl shows, and of the one the library accepted (or, when a
/// report-only entry let the chain through, the first it judged).
fn paths(report: &Value, explanation: &Explanation) -> (Vec<String>, Vec<String>) {
    let shown = report["verified_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|certificate| certificate["spki_pin"].as_str().unwrap().to_owned())
        .collect();
    let library = match explanation.decision {
        Decision::Rejected => Vec::new(),
        _ => explanation
            .paths
            .iter()
            .find(|path| path.outcome == PathOutcome::Accepted)
            .or_else(|| explanation.paths.first())
            .map(|path| {
                path.certificates
                    .iter()
                    .map(|certificate| certificate.spki_pin().to_string())
                    .collect()
            })
            .unwrap_or_default(),
    };
    (shown, library)
}

fn write_row(dir: &Path, index: usize, row: &Row) -> (String, String, String) {
    let policy = write(
        dir,
        &format!("{index}-pins.toml"),
        format!("version = 1\n{}", row.policy).as_bytes(),
    );
    let chain = write(
        dir,
        &format!("{index}-chain.pem"),
        pem(&row.chain.iter().collect::<Vec<_>>()).as_bytes(),
    );
    let roots = write(
        dir,
        &format!("{index}-roots.pem"),
        pem(&row.roots.iter().collect::<Vec<_>>()).as_bytes(),
    );
    (policy, chain, roots)
}

#[test]
fn pinctl_check_and_the_library_reach_the_same_verdict_through_the_same_pin() {
    let pki = Pki::new();
    let dir = scratch_dir("agreement");
    // One verification time for both, to the second (pinctl reads RFC 3339 seconds).
    let now = UnixTime::since_unix_epoch(Duration::from_secs(UnixTime::now().as_secs()));
    let at = OffsetDateTime::from_unix_timestamp(now.as_secs() as i64)
        .unwrap()
        .format(&Rfc3339)
        .unwrap();
    let rows = table(&pki);
    for (index, row) in rows.iter().enumerate() {
        let label = row.name;
        let (policy, chain, roots) = write_row(&dir, index, row);
        let library = library(row, &policy, now);
        let explanation = &library.explanation;

        // The library agrees with itself: explain is the verification verify_server_cert runs.
        assert_eq!(
            library.verify_error,
            explanation
                .result
                .as_ref()
                .err()
                .map(|error| describe_error(error).1),
            "[{label}] verify_server_cert and explain"
        );
        assert_eq!(
            explanation.decision.is_accepted(),
            explanation.result.is_ok(),
            "[{label}] {explanation:?}"
        );

        let run = pinctl(&[
            "--json", "check", "--config", &policy, "--chain", &chain, "--host", row.host,
            "--cafile", &roots, "--at", &at,
        ]);
        run.assert_code(match explanation.decision.is_accepted() {
            true => OK,
            false => PROBLEM_FOUND,
        });
        let report = run.json();

        // The same verdict, and the one the row expects.
        let verdict = verdict_word(explanation.decision);
        assert_eq!(report["verdict"], verdict, "[{label}] {report}");
        let expected_verdict = match &row.expected {
            Expected::Through { .. } => "accepted",
            Expected::Accepted(verdict) => verdict,
            Expected::Rejected(_) => "rejected",
        };
        assert_eq!(verdict, expected_verdict, "[{label}] {explanation:?}");

        // The same pin on the same certificate, and the one the row expects.
        let through = library_through(explanation);
        assert_eq!(
            pinctl_through(&report, label),
            through,
            "[{label}] {report}"
        );
        match &row.expected {
            Expected::Through {
                pin,
                role,
                certificate,
                position,
            } => {
                let (found_pin, found_role, found_certificate, found_position, _) =
                    through.unwrap_or_else(|| panic!("[{label}] no pin accepted"));
                assert_eq!(
                    (found_pin.as_str(), found_role.as_str()),
                    (pin.as_str(), *role),
                    "[{label}]"
                );
                assert_eq!(
                    (found_certificate.as_str(), found_position.as_str()),
                    (certificate.as_str(), *position),
                    "[{label}]"
                );
            }
            _ => assert_eq!(through, None, "[{label}]"),
        }

        // The same verified path.
        let (shown, accepted) = paths(&report, explanation);
        assert_eq!(shown, accepted, "[{label}]");
        assert_eq!(
            shown.is_empty(),
            verdict == "rejected",
            "[{label}] a path is shown exactly when the chain is accepted"
        );

        // The same error: what verify_server_cert returns, or for a report-only entry what
        // enforcement would return.
        let error = match &explanation.result {
            Err(error) => Some(describe_error(error)),
            Ok(()) => library
                .report_only_error
                .clone()
                .map(|message| ("pin", message)),
        };
        match error {
            Some((kind, message)) => {
                assert_eq!(report["error"]["kind"], kind, "[{label}] {report}");
                assert_eq!(report["error"]["message"], message, "[{label}]");
                if let Expected::Rejected(expected) = row.expected {
                    assert_eq!(kind, expected, "[{label}] {message}");
                }
            }
            None => assert_eq!(report["error"], Value::Null, "[{label}] {report}"),
        }
        assert_eq!(
            verdict == "accepted-report-only",
            library.report_only_error.is_some(),
            "[{label}] the report-only event is raised exactly when the entry tolerated it"
        );
    }
    // Every kind of row ran: each verdict of the library's.
    for verdict in [
        "accepted",
        "accepted-report-only",
        "accepted-unpinned",
        "accepted-expired-entry",
        "rejected",
    ] {
        assert!(
            rows.iter().any(|row| match &row.expected {
                Expected::Through { .. } => verdict == "accepted",
                Expected::Accepted(expected) => *expected == verdict,
                Expected::Rejected(_) => verdict == "rejected",
            }),
            "{verdict}"
        );
    }
}

/// The pin text pinctl and the library print for a DER SubjectPublicKeyInfo is the same one
/// `Pin::spki_of` computes for the certificate, so the table's expectations name real keys.
#[test]
fn the_table_names_the_keys_of_its_certificates() {
    let pki = Pki::new();
    assert_eq!(
        pki.leaf_pin(),
        Pin::spki_of(&pki.leaf.cert).unwrap().to_string()
    );
    assert_eq!(
        pki.root_pin(),
        Pin::spki_of(&pki.cross).unwrap().to_string(),
        "the cross-signed certificate carries the root's key"
    );
    assert_ne!(pki.root_pin(), pki.old_root_pin());
}
