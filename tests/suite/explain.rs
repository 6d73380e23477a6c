//! The explain API against the verifier: for a table of policies and chains, in WebPKI and
//! wrap mode and in a store, `explain` gives exactly the result `verify_server_cert` gives,
//! names the decision and the pin that accepted, and raises no events.

#![cfg(feature = "dynamic")]

use rustls_pinning_test_support as common;

use std::sync::Arc;

use common::{root_store, Ca, Leaf};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::RootCertStore;
use rustls_pinning::reporters::MemoryReporter;
use rustls_pinning::{
    AfterExpiry, Decision, PathOutcome, Pin, PinCheck, PinEntry, PinRole, PinScope, PinSet,
    PinningServerVerifier, PolicyStanding, Position, Reporting, ServerPinningError, Standing,
    UnpinnedHostPolicy,
};

use super::{provider, PROVIDER};

const HOST: &str = "explain.test";
const BACKUP: Pin = Pin::spki_sha256([0xB0; 32]);
const NOWHERE: Pin = Pin::spki_sha256([0x0E; 32]);

fn spki(cert: &CertificateDer<'_>) -> Pin {
    Pin::spki_of(cert).unwrap()
}

struct Pki {
    root: Ca,
    int: Ca,
    leaf: Leaf,
}

impl Pki {
    fn new() -> Self {
        let root = Ca::root("Explain Root");
        let int = root.intermediate("Explain Intermediate");
        let leaf = int.leaf(&[HOST]);
        Self { root, int, leaf }
    }

    fn roots(&self) -> Arc<RootCertStore> {
        root_store(&[&self.root])
    }
}

/// One row: a policy, and what the explanation must say.
struct Case {
    name: &'static str,
    pins: PinSet,
    decision: Decision,
    /// The pin that accepted, and the position of the certificate it matched.
    through: Option<(Pin, Position)>,
    standing: Standing,
}

fn cases(pki: &Pki) -> Vec<Case> {
    let leaf = spki(&pki.leaf.cert);
    let int = spki(pki.int.cert_der());
    let root = spki(pki.root.cert_der());
    let set =
        |entry: rustls_pinning::PinEntryBuilder| PinSet::builder().entry(entry).build().unwrap();
    let entry = || PinEntry::builder(HOST.parse().unwrap());
    let past = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_000_000_000));
    vec![
        Case {
            name: "leaf pin",
            pins: set(entry().pin(leaf).backup_pin(BACKUP)),
            decision: Decision::Accepted,
            through: Some((leaf, Position::Leaf)),
            standing: Standing::Enforced,
        },
        Case {
            name: "backup pin on the intermediate",
            pins: set(entry().pin(NOWHERE).backup_pin(int)),
            decision: Decision::Accepted,
            through: Some((int, Position::Intermediate)),
            standing: Standing::Enforced,
        },
        Case {
            name: "root pin scoped to the root",
            pins: set(entry().pin_at(root, PinScope::Root).backup_pin(BACKUP)),
            decision: Decision::Accepted,
            through: Some((root, Position::Root)),
            standing: Standing::Enforced,
        },
        Case {
            name: "no pin matches",
            pins: set(entry().pin(NOWHERE).backup_pin(BACKUP)),
            decision: Decision::Rejected,
            through: None,
            standing: Standing::Enforced,
        },
        Case {
            name: "report-only, no pin matches",
            pins: set(entry().pin(NOWHERE).backup_pin(BACKUP).report_only()),
            decision: Decision::AcceptedReportOnly,
            through: None,
            standing: Standing::ReportOnly,
        },
        Case {
            name: "the intermediate denied",
            pins: set(entry().pin(leaf).backup_pin(BACKUP).deny(int)),
            decision: Decision::Rejected,
            through: None,
            standing: Standing::Enforced,
        },
        Case {
            name: "expired entry, skipped",
            pins: set(entry()
                .pin(NOWHERE)
                .backup_pin(BACKUP)
                .expires_at(past)
                .after_expiry(AfterExpiry::Skip)),
            decision: Decision::AcceptedExpiredEntry,
            through: None,
            standing: Standing::ExpiredAndSkipped,
        },
        Case {
            name: "unpinned host",
            pins: PinSet::builder()
                .entry(
                    PinEntry::builder("other.test".parse().unwrap())
                        .pin(NOWHERE)
                        .backup_pin(BACKUP),
                )
                .build()
                .unwrap(),
            decision: Decision::AcceptedUnpinned,
            through: None,
            standing: Standing::Unpinned,
        },
        Case {
            name: "unpinned host, refused",
            pins: PinSet::builder()
                .entry(
                    PinEntry::builder("other.test".parse().unwrap())
                        .pin(NOWHERE)
                        .backup_pin(BACKUP),
                )
                .unpinned_hosts(UnpinnedHostPolicy::Reject)
                .build()
                .unwrap(),
            decision: Decision::Rejected,
            through: None,
            standing: Standing::RefusesUnpinned,
        },
    ]
}

fn webpki_inner(
    roots: Arc<RootCertStore>,
    provider: &Arc<CryptoProvider>,
) -> Arc<dyn ServerCertVerifier> {
    WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .unwrap()
}

/// The same result: both accepted, or the same rustls error (a pin failure compared by the
/// `ServerPinningError` it carries, since rustls's `OtherError` never compares equal).
fn assert_same(
    explained: &Result<(), rustls::Error>,
    verified: &Result<(), rustls::Error>,
    label: &str,
) {
    match (explained, verified) {
        (Ok(()), Ok(())) => {}
        (Err(explained), Err(verified)) => match (
            ServerPinningError::from_rustls(explained),
            ServerPinningError::from_rustls(verified),
        ) {
            (Some(explained), Some(verified)) => assert_eq!(explained, verified, "[{label}]"),
            _ => assert_eq!(explained, verified, "[{label}]"),
        },
        _ => panic!("[{label}] explained {explained:?}, verified {verified:?}"),
    }
}

#[test]
fn explain_gives_the_verifiers_result_decision_and_matched_pin() {
    let provider = provider();
    let pki = Pki::new();
    let chain = [pki.int.cert_der().clone()];
    let name = ServerName::try_from(HOST).unwrap();
    let now = UnixTime::now();
    for case in cases(&pki) {
        let reporting = || {
            let events = Arc::new(MemoryReporter::new(16));
            (events.clone(), Reporting::new(events))
        };
        let (webpki_events, webpki_reporting) = reporting();
        let (wrap_events, wrap_reporting) = reporting();
        let verifiers: [(&str, Arc<PinningServerVerifier>, Arc<MemoryReporter>); 2] = [
            (
                "WebPKI",
                PinningServerVerifier::builder(pki.roots(), case.pins.clone(), provider.clone())
                    .with_reporting(webpki_reporting)
                    .build()
                    .unwrap(),
                webpki_events,
            ),
            (
                "wrap",
                PinningServerVerifier::wrap(
                    webpki_inner(pki.roots(), &provider),
                    case.pins.clone(),
                    provider.clone(),
                )
                .with_ca_certificates([pki.root.cert_der().clone()])
                .with_reporting(wrap_reporting)
                .build()
                .unwrap(),
                wrap_events,
            ),
        ];
        for (mode, verifier, events) in verifiers {
            let label = format!("{PROVIDER}: {}, {mode}", case.name);
            let explanation = verifier.explain(&pki.leaf.cert, &chain, &name, now);
            assert!(
                events.events().is_empty(),
                "[{label}] explain raised events"
            );
            let verified = verifier
                .verify_server_cert(&pki.leaf.cert, &chain, &name, &[], now)
                .map(|_| ());
            assert_same(&explanation.result, &verified, &label);
            assert_eq!(explanation.decision, case.decision, "[{label}] decision");
            // The pin error: the one returned when the pins refused, the one enforcement
            // would return when only report-only entries refused, none otherwise.
            match (case.decision, &explanation.result) {
                (Decision::AcceptedReportOnly, Ok(())) => assert!(
                    matches!(
                        explanation.pin_error,
                        Some(ServerPinningError::NoPinMatched { .. })
                    ),
                    "[{label}] {:?}",
                    explanation.pin_error
                ),
                (_, Ok(())) => assert_eq!(explanation.pin_error, None, "[{label}]"),
                (_, Err(error)) => assert_eq!(
                    explanation.pin_error.as_ref(),
                    ServerPinningError::from_rustls(error),
                    "[{label}] pin error"
                ),
            }
            assert_eq!(
                explanation.decision.is_accepted(),
                verified.is_ok(),
                "[{label}]"
            );
            assert_eq!(explanation.host, HOST);
            assert_eq!(explanation.policies.len(), 1, "[{label}]");
            assert_eq!(explanation.policies[0].standing, case.standing, "[{label}]");
            let through = explanation.accepted_through().map(|(path, matched)| {
                (
                    matched.pin.pin(),
                    path.certificates[matched.certificate].position(),
                )
            });
            // Wrap mode sees a CA by proof: a proven, self-issued root is the root, and
            // the intermediate the server sent is an intermediate, as in WebPKI mode.
            assert_eq!(through, case.through, "[{label}] accepted through");
            match case.decision {
                Decision::Rejected if case.standing == Standing::RefusesUnpinned => {}
                _ => assert!(!explanation.paths.is_empty(), "[{label}] no path recorded"),
            }
            if case.decision == Decision::Accepted {
                let accepted = explanation
                    .paths
                    .iter()
                    .filter(|path| path.outcome == PathOutcome::Accepted)
                    .count();
                assert_eq!(
                    accepted, 1,
                    "[{label}] the search stops at the accepted path"
                );
            }
            // Every pin that matches a certificate is listed, with its role, and the
            // standing-level helper finds the same ones on the same certificate.
            let standing = PolicyStanding::for_host(&case.pins, &name, now);
            assert_eq!(standing, explanation.policies[0], "[{label}] standing");
            for path in &explanation.paths {
                for (index, certificate) in path.certificates.iter().enumerate() {
                    let listed: Vec<(Pin, PinRole)> = path
                        .matching
                        .iter()
                        .filter(|found| found.certificate == index)
                        .map(|found| (found.pin.pin(), found.role))
                        .collect();
                    let der = [&pki.leaf.cert, pki.int.cert_der(), pki.root.cert_der()]
                        .into_iter()
                        .find(|der| spki(der) == certificate.spki_pin());
                    if let Some(der) = der {
                        let direct: Vec<(Pin, PinRole)> = standing
                            .matching_pins(der, certificate.position())
                            .into_iter()
                            .map(|found| (found.pin.pin(), found.role))
                            .collect();
                        assert_eq!(listed, direct, "[{label}] certificate {index}");
                    }
                }
            }
            if case.name == "backup pin on the intermediate" {
                let listed = explanation.paths[0]
                    .matching
                    .iter()
                    .map(|found| (found.certificate, found.pin.pin(), found.role))
                    .collect::<Vec<_>>();
                assert_eq!(
                    listed,
                    vec![(1, spki(pki.int.cert_der()), PinRole::Backup)],
                    "[{label}]"
                );
            }
            if case.name == "the intermediate denied" {
                let denied = explanation.paths.iter().flat_map(|path| &path.checks).any(
                    |check| matches!(check, PinCheck::Denied { pin, everywhere: false, .. } if pin.pin() == spki(pki.int.cert_der())),
                );
                assert!(denied, "[{label}] the deny pin is named");
            }
        }
    }
}

/// A chain that does not validate: the same rustls error from both, and no path.
#[test]
fn explain_reports_chain_errors_exactly_as_the_verifier() {
    let provider = provider();
    let pki = Pki::new();
    let stranger = Ca::root("Stranger Root");
    let pins = PinSet::builder()
        .entry(
            PinEntry::builder(HOST.parse().unwrap())
                .pin(NOWHERE)
                .backup_pin(BACKUP),
        )
        .build()
        .unwrap();
    let verifier = PinningServerVerifier::builder(root_store(&[&stranger]), pins, provider.clone())
        .build()
        .unwrap();
    let name = ServerName::try_from(HOST).unwrap();
    let now = UnixTime::now();
    let chain = [pki.int.cert_der().clone()];
    let explanation = verifier.explain(&pki.leaf.cert, &chain, &name, now);
    assert_eq!(
        explanation.result,
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer
        )),
        "[{PROVIDER}]"
    );
    assert_eq!(explanation.decision, Decision::Rejected);
    assert!(explanation.paths.is_empty());
    let wrong_name = ServerName::try_from("other.test").unwrap();
    // The leaf's key is pinned for the name asked for, so the pins accept the path.
    let trusted = PinningServerVerifier::builder(
        pki.roots(),
        PinSet::builder()
            .entry(
                PinEntry::builder("other.test".parse().unwrap())
                    .pin(spki(&pki.leaf.cert))
                    .backup_pin(BACKUP),
            )
            .build()
            .unwrap(),
        provider.clone(),
    )
    .build()
    .unwrap();
    let explanation = trusted.explain(&pki.leaf.cert, &chain, &wrong_name, now);
    // The pins accepted the path, but the name was refused: no pin accepted the
    // connection.
    assert!(explanation.accepted_through().is_none());
    assert_eq!(explanation.pin_error, None);
    assert_same(
        &explanation.result,
        &trusted
            .verify_server_cert(&pki.leaf.cert, &chain, &wrong_name, &[], now)
            .map(|_| ()),
        &format!("{PROVIDER}: name error"),
    );
    assert!(matches!(
        explanation.result,
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForNameContext { .. }
        ))
    ));
}
