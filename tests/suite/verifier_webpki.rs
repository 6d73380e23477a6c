//! `PinningServerVerifier` in WebPKI mode, called directly as a `ServerCertVerifier`: which
//! certificates a pin can match, what it refuses, and that chain errors are exactly the ones
//! rustls's own `WebPkiServerVerifier` reports.

use rustls_pinning_test_support as common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{copy_key_pair, root_store, Ca, CaOptions, Leaf, LeafOptions};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, ServerName, UnixTime};
use rustls::{CertificateError, Error, RootCertStore};
use rustls_pinning::{
    AfterExpiry, Date, HostPattern, PathCertificate, Pin, PinEntry, PinEntryBuilder, PinScope,
    PinSet, PinningServerVerifier, Position, ScopedPin, ServerPinningError, UnpinnedHostPolicy,
    VerifierBuilderError,
};

use super::{provider, PROVIDER};

const HOST: &str = "pinned.test";
const ORGANIZATION: &str = "rustls-pinning test PKI";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn spki(cert: &CertificateDer<'_>) -> Pin {
    Pin::spki_of(cert).unwrap()
}

fn cert_pin(cert: &CertificateDer<'_>) -> Pin {
    Pin::certificate_of(cert)
}

/// A backup pin: a key no certificate in these tests carries.
fn backup(byte: u8) -> Pin {
    Pin::spki_sha256([byte; 32])
}

fn pattern(text: &str) -> HostPattern {
    text.parse().unwrap()
}

fn any(pin: Pin) -> ScopedPin {
    ScopedPin::new(pin, PinScope::Any)
}

/// The subject the test PKI gives a certificate with this common name, as the verifier
/// renders it.
fn subject(common_name: &str) -> String {
    format!("CN={common_name}, O={ORGANIZATION}")
}

fn at(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(secs))
}

fn system_time(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn pin_set(entries: impl IntoIterator<Item = PinEntryBuilder>) -> PinSet {
    entries
        .into_iter()
        .fold(PinSet::builder(), |builder, entry| builder.entry(entry))
        .build()
        .unwrap()
}

fn verifier(
    roots: Arc<RootCertStore>,
    pins: PinSet,
    provider: &Arc<CryptoProvider>,
) -> Arc<PinningServerVerifier> {
    PinningServerVerifier::builder(roots, pins, provider.clone())
        .build()
        .unwrap()
}

fn verify_at(
    verifier: &dyn ServerCertVerifier,
    leaf: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'static>],
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), Error> {
    verifier
        .verify_server_cert(leaf, intermediates, server_name, &[], now)
        .map(|_| ())
}

fn verify(
    verifier: &dyn ServerCertVerifier,
    leaf: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'static>],
    host: &str,
) -> Result<(), Error> {
    let name = ServerName::try_from(host.to_owned()).unwrap();
    verify_at(verifier, leaf, intermediates, &name, UnixTime::now())
}

fn pinning_error(err: &Error, label: &str) -> ServerPinningError {
    ServerPinningError::from_rustls(err)
        .unwrap_or_else(|| panic!("[{label}] expected a pinning error, got {err:?}"))
        .clone()
}

/// What a test expects to see of one certificate of a verified path.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    position: Position,
    spki: Pin,
    certificate: Option<Pin>,
    subject: String,
}

impl Node {
    fn of(certificate: &PathCertificate) -> Node {
        Node {
            position: certificate.position(),
            spki: certificate.spki_pin(),
            certificate: certificate.certificate_pin(),
            subject: certificate.subject().to_owned(),
        }
    }

    fn leaf(leaf: &Leaf, common_name: &str) -> Node {
        Node {
            position: Position::Leaf,
            spki: spki(&leaf.cert),
            certificate: Some(cert_pin(&leaf.cert)),
            subject: subject(common_name),
        }
    }

    fn intermediate(ca: &Ca) -> Node {
        Node::intermediate_cert(ca.cert_der(), ca.common_name())
    }

    fn intermediate_cert(cert: &CertificateDer<'_>, common_name: &str) -> Node {
        Node {
            position: Position::Intermediate,
            spki: spki(cert),
            certificate: Some(cert_pin(cert)),
            subject: subject(common_name),
        }
    }

    /// A trust anchor; its certificate pin is known only if the verifier was given the root
    /// certificate.
    fn root(ca: &Ca, with_certificate: bool) -> Node {
        Node {
            position: Position::Root,
            spki: spki(ca.cert_der()),
            certificate: with_certificate.then(|| cert_pin(ca.cert_der())),
            subject: subject(ca.common_name()),
        }
    }
}

fn nodes(paths: &[Vec<PathCertificate>]) -> Vec<Vec<Node>> {
    paths
        .iter()
        .map(|path| path.iter().map(Node::of).collect())
        .collect()
}

/// Asserts `err` is exactly `NoPinMatched` with these fields.
fn assert_no_pin_matched(
    err: &Error,
    label: &str,
    host: &str,
    expected_pattern: &str,
    expected_allowed: &[ScopedPin],
    expected_paths: &[Vec<Node>],
) {
    match pinning_error(err, label) {
        ServerPinningError::NoPinMatched {
            host: actual_host,
            pattern: actual_pattern,
            allowed,
            verified_paths,
        } => {
            assert_eq!(actual_host, host, "[{label}] host");
            assert_eq!(
                actual_pattern,
                pattern(expected_pattern),
                "[{label}] pattern"
            );
            assert_eq!(allowed, expected_allowed, "[{label}] allowed pins");
            assert_eq!(
                nodes(&verified_paths),
                expected_paths,
                "[{label}] verified paths"
            );
        }
        other => panic!("[{label}] expected NoPinMatched, got {other:?}"),
    }
}

/// A two-level PKI plus a second, equally trusted CA issuing for the same host.
struct Pki {
    root: Ca,
    int: Ca,
    leaf: Leaf,
    /// Another leaf for the same host from the same intermediate, with its own key.
    sibling: Leaf,
    other_root: Ca,
    other_int: Ca,
    /// A leaf for the same host from the other CA.
    stranger: Leaf,
}

impl Pki {
    fn new() -> Pki {
        let root = Ca::root("Pinned Root");
        let int = root.intermediate("Pinned Intermediate");
        let leaf = int.leaf(&[HOST]);
        let sibling = int.leaf(&[HOST]);
        let other_root = Ca::root("Other Root");
        let other_int = other_root.intermediate("Other Intermediate");
        let stranger = other_int.leaf(&[HOST]);
        Pki {
            root,
            int,
            leaf,
            sibling,
            other_root,
            other_int,
            stranger,
        }
    }

    /// Both roots are trusted.
    fn roots(&self) -> Arc<RootCertStore> {
        root_store(&[&self.root, &self.other_root])
    }

    fn ints(&self) -> Vec<CertificateDer<'static>> {
        vec![self.int.cert_der().clone()]
    }

    fn other_ints(&self) -> Vec<CertificateDer<'static>> {
        vec![self.other_int.cert_der().clone()]
    }

    fn path(&self, leaf: &Leaf) -> Vec<Node> {
        vec![
            Node::leaf(leaf, HOST),
            Node::intermediate(&self.int),
            Node::root(&self.root, false),
        ]
    }

    fn other_path(&self, leaf: &Leaf) -> Vec<Node> {
        vec![
            Node::leaf(leaf, HOST),
            Node::intermediate(&self.other_int),
            Node::root(&self.other_root, false),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// 1. What each kind of pin matches
// ---------------------------------------------------------------------------------------------

/// A leaf one kind of pin must refuse.
#[derive(Clone, Copy)]
enum Refused {
    /// Another leaf for the host from the pinned intermediate, with its own key.
    Sibling,
    /// A leaf for the host from the other, equally trusted CA.
    Stranger,
}

/// One kind of pin: what it is taken from, the leaves it accepts and the leaf it refuses.
struct PinKindRow {
    label: &'static str,
    /// The pin, at the scope it is allowed at.
    pin: fn(&Pki) -> ScopedPin,
    /// The entry's second pin: a key no certificate carries.
    backup: u8,
    /// The leaves it accepts, all under the pinned intermediate, with their names.
    accepts: fn(&Pki) -> Vec<(&'static str, &Leaf)>,
    refuses: Refused,
    /// Whether the verifier is given the root certificates (`with_root_certificates`): a
    /// root's certificate pin matches only then, and the failure report carries the anchor's
    /// certificate pin.
    root_certificates: bool,
}

#[test]
fn each_kind_of_pin_accepts_its_certificate_and_refuses_another() {
    let provider = provider();
    let rows = [
        PinKindRow {
            label: "leaf SPKI pin",
            pin: |pki| any(spki(&pki.leaf.cert)),
            backup: 1,
            accepts: |pki| vec![("leaf", &pki.leaf)],
            refuses: Refused::Sibling,
            root_certificates: false,
        },
        PinKindRow {
            label: "leaf certificate pin",
            pin: |pki| any(cert_pin(&pki.leaf.cert)),
            backup: 2,
            accepts: |pki| vec![("leaf", &pki.leaf)],
            refuses: Refused::Sibling,
            root_certificates: false,
        },
        PinKindRow {
            label: "intermediate SPKI pin",
            pin: |pki| any(spki(pki.int.cert_der())),
            backup: 3,
            accepts: |pki| {
                vec![
                    ("leaf", &pki.leaf),
                    (
                        "sibling: any leaf under the pinned intermediate",
                        &pki.sibling,
                    ),
                ]
            },
            refuses: Refused::Stranger,
            root_certificates: false,
        },
        PinKindRow {
            // The server sends only the intermediate: the root comes from the trust store.
            label: "root SPKI pin, the anchor not sent",
            pin: |pki| any(spki(pki.root.cert_der())),
            backup: 4,
            accepts: |pki| vec![("leaf", &pki.leaf)],
            refuses: Refused::Stranger,
            root_certificates: false,
        },
        PinKindRow {
            label: "root certificate pin, root certificates given",
            pin: |pki| ScopedPin::new(cert_pin(pki.root.cert_der()), PinScope::Root),
            backup: 5,
            accepts: |pki| vec![("leaf", &pki.leaf)],
            refuses: Refused::Stranger,
            root_certificates: true,
        },
    ];
    for row in rows {
        let label = format!("{PROVIDER}: {}", row.label);
        let pki = Pki::new();
        let allowed = [(row.pin)(&pki), any(backup(row.backup))];
        let builder = PinningServerVerifier::builder(
            pki.roots(),
            pin_set([PinEntry::builder(pattern(HOST))
                .pin_at(allowed[0].pin(), allowed[0].scope())
                .pin(allowed[1].pin())]),
            provider.clone(),
        );
        let v = match row.root_certificates {
            true => builder.with_root_certificates([
                pki.root.cert_der().clone(),
                pki.other_root.cert_der().clone(),
            ]),
            false => builder,
        }
        .build()
        .unwrap();
        for (which, leaf) in (row.accepts)(&pki) {
            assert_eq!(
                verify(&*v, &leaf.cert, &pki.ints(), HOST),
                Ok(()),
                "[{label}] {which}"
            );
        }

        let (refused, intermediates, int, root) = match row.refuses {
            Refused::Sibling => (&pki.sibling, pki.ints(), &pki.int, &pki.root),
            Refused::Stranger => (
                &pki.stranger,
                pki.other_ints(),
                &pki.other_int,
                &pki.other_root,
            ),
        };
        let err = verify(&*v, &refused.cert, &intermediates, HOST).unwrap_err();
        let expected_path = vec![
            Node::leaf(refused, HOST),
            Node::intermediate(int),
            Node::root(root, row.root_certificates),
        ];
        assert_no_pin_matched(&err, &label, HOST, HOST, &allowed, &[expected_path]);
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Scopes
// ---------------------------------------------------------------------------------------------

fn scoped_verifier(
    pki: &Pki,
    pin: Pin,
    scope: PinScope,
    provider: &Arc<CryptoProvider>,
) -> Arc<PinningServerVerifier> {
    verifier(
        pki.roots(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin_at(pin, scope)
            .pin(backup(6))]),
        provider,
    )
}

/// The SPKI pin of the certificate at `position` of the PKI's path, and its name.
fn key_at(pki: &Pki, position: Position) -> (&'static str, Pin) {
    match position {
        Position::Leaf => ("leaf key", spki(&pki.leaf.cert)),
        Position::Intermediate => ("intermediate key", spki(pki.int.cert_der())),
        Position::Root => ("root key", spki(pki.root.cert_der())),
        other => panic!("no certificate at {other:?}"),
    }
}

#[test]
fn a_scoped_pin_matches_the_key_at_its_position_only() {
    let provider = provider();
    // The scope, the position whose key it matches, and the positions whose keys it does not.
    let rows = [
        (
            PinScope::Leaf,
            Position::Leaf,
            [Position::Intermediate, Position::Root],
        ),
        (
            PinScope::Intermediate,
            Position::Intermediate,
            [Position::Leaf, Position::Root],
        ),
        (
            PinScope::Root,
            Position::Root,
            [Position::Leaf, Position::Intermediate],
        ),
    ];
    for (scope, position, elsewhere) in rows {
        let pki = Pki::new();
        let (what, pin) = key_at(&pki, position);
        let v = scoped_verifier(&pki, pin, scope, &provider);
        assert_eq!(
            verify(&*v, &pki.leaf.cert, &pki.ints(), HOST),
            Ok(()),
            "[{PROVIDER}: {scope:?} scope] {what}"
        );

        for position in elsewhere {
            let (what, pin) = key_at(&pki, position);
            let v = scoped_verifier(&pki, pin, scope, &provider);
            let err = verify(&*v, &pki.leaf.cert, &pki.ints(), HOST).unwrap_err();
            assert_no_pin_matched(
                &err,
                &format!("{PROVIDER}: {scope:?} scope, {what}"),
                HOST,
                HOST,
                &[ScopedPin::new(pin, scope), any(backup(6))],
                &[pki.path(&pki.leaf)],
            );
        }
    }
}

#[test]
fn root_scoped_pin_ignores_the_same_key_in_a_cross_certificate() {
    // Only B is trusted; A's key reaches the path as an intermediate (A cross-signed by B).
    let provider = provider();
    let root_a = Ca::root("Scope Root A");
    let root_b = Ca::root("Scope Root B");
    let int = root_a.intermediate("Scope Intermediate");
    let leaf = int.leaf(&[HOST]);
    let cross = root_b.cross_sign(&root_a);
    let presented = vec![int.cert_der().clone(), cross.clone()];
    let a_key = spki(root_a.cert_der());

    let roots = root_store(&[&root_b]);
    let v = verifier(
        roots.clone(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin_at(a_key, PinScope::Root)
            .pin(backup(7))]),
        &provider,
    );
    let err = verify(&*v, &leaf.cert, &presented, HOST).unwrap_err();
    let expected_path = vec![
        Node::leaf(&leaf, HOST),
        Node::intermediate(&int),
        Node::intermediate_cert(&cross, root_a.common_name()),
        Node::root(&root_b, false),
    ];
    assert_no_pin_matched(
        &err,
        PROVIDER,
        HOST,
        HOST,
        &[ScopedPin::new(a_key, PinScope::Root), any(backup(7))],
        &[expected_path],
    );

    let v = verifier(
        roots,
        pin_set([PinEntry::builder(pattern(HOST))
            .pin_at(a_key, PinScope::Intermediate)
            .pin(backup(7))]),
        &provider,
    );
    assert_eq!(
        verify(&*v, &leaf.cert, &presented, HOST),
        Ok(()),
        "[{PROVIDER}]"
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Chain stuffing: pins match only the verified path, never what the server appends
// ---------------------------------------------------------------------------------------------

/// The impostor (`stranger`, from the other trusted CA) presents its real intermediate plus
/// `stuffed`; the entry pins `pinned`. The only verified path is the impostor's own.
fn assert_stuffing_rejected(
    name: &str,
    provider: &Arc<CryptoProvider>,
    pki: &Pki,
    pinned: Pin,
    stuffed: &[CertificateDer<'static>],
) {
    let allowed = [any(pinned), any(backup(8))];
    let v = verifier(
        pki.roots(),
        pin_set([PinEntry::builder(pattern(HOST)).pin(pinned).pin(backup(8))]),
        provider,
    );
    // Sanity: the pinned chain itself is accepted.
    assert_eq!(
        verify(&*v, &pki.leaf.cert, &pki.ints(), HOST),
        Ok(()),
        "[{name}]"
    );

    let mut presented = pki.other_ints();
    presented.extend_from_slice(stuffed);
    let err = verify(&*v, &pki.stranger.cert, &presented, HOST).unwrap_err();
    let expected_paths = [pki.other_path(&pki.stranger)];
    assert_no_pin_matched(&err, name, HOST, HOST, &allowed, &expected_paths);

    let ServerPinningError::NoPinMatched { verified_paths, .. } = pinning_error(&err, name) else {
        unreachable!()
    };
    for certificate in verified_paths.iter().flatten() {
        assert_ne!(
            certificate.spki_pin(),
            pinned,
            "[{name}] pinned key on the path"
        );
        assert_ne!(
            certificate.certificate_pin(),
            Some(pinned),
            "[{name}] pinned certificate on the path"
        );
    }
}

#[test]
fn chain_stuffing_with_a_pinned_certificate_is_rejected() {
    let provider = provider();
    let pki = Pki::new();
    let leaf = [pki.leaf.cert.clone()];
    let int = [pki.int.cert_der().clone()];
    let int_and_root = [pki.int.cert_der().clone(), pki.root.cert_der().clone()];
    // What is pinned, and what the impostor appends to its own intermediate.
    let rows: [(&str, Pin, &[CertificateDer<'static>]); 5] = [
        ("leaf spki", spki(&pki.leaf.cert), &leaf),
        ("leaf certificate", cert_pin(&pki.leaf.cert), &leaf),
        ("intermediate spki", spki(pki.int.cert_der()), &int),
        (
            "intermediate certificate",
            cert_pin(pki.int.cert_der()),
            &int,
        ),
        ("root spki", spki(pki.root.cert_der()), &int_and_root),
    ];
    for (what, pinned, stuffed) in rows {
        assert_stuffing_rejected(
            &format!("{PROVIDER}: {what}"),
            &provider,
            &pki,
            pinned,
            stuffed,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Cross-signed roots: the path through the pinned key is found
// ---------------------------------------------------------------------------------------------

struct CrossSigned {
    root_a: Ca,
    root_b: Ca,
    int: Ca,
    leaf: Leaf,
    cross: CertificateDer<'static>,
}

impl CrossSigned {
    fn new() -> CrossSigned {
        let root_a = Ca::root("Cross Root A");
        let root_b = Ca::root("Cross Root B");
        let int = root_a.intermediate("Cross Intermediate");
        let leaf = int.leaf(&[HOST]);
        let cross = root_b.cross_sign(&root_a);
        CrossSigned {
            root_a,
            root_b,
            int,
            leaf,
            cross,
        }
    }

    fn roots(&self) -> Arc<RootCertStore> {
        root_store(&[&self.root_a, &self.root_b])
    }

    fn presented(&self) -> Vec<CertificateDer<'static>> {
        vec![self.int.cert_der().clone(), self.cross.clone()]
    }

    fn verifier_pinning_root(
        &self,
        pin: Pin,
        provider: &Arc<CryptoProvider>,
    ) -> Arc<PinningServerVerifier> {
        verifier(
            self.roots(),
            pin_set([PinEntry::builder(pattern(HOST))
                .pin_at(pin, PinScope::Root)
                .pin_at(backup(9), PinScope::Root)]),
            provider,
        )
    }
}

#[test]
fn cross_signed_path_to_the_pinned_root_b_is_found() {
    let provider = provider();
    let pki = CrossSigned::new();
    // leaf -> I -> A is valid too, but only leaf -> I -> A(signed by B) -> B carries B.
    let v = pki.verifier_pinning_root(spki(pki.root_b.cert_der()), &provider);
    assert_eq!(
        verify(&*v, &pki.leaf.cert, &pki.presented(), HOST),
        Ok(()),
        "[{PROVIDER}]"
    );
}

#[test]
fn cross_signed_pin_on_root_a_is_accepted() {
    let provider = provider();
    let pki = CrossSigned::new();
    let v = pki.verifier_pinning_root(spki(pki.root_a.cert_der()), &provider);
    assert_eq!(
        verify(&*v, &pki.leaf.cert, &pki.presented(), HOST),
        Ok(()),
        "[{PROVIDER}]"
    );
}

#[test]
fn cross_signed_without_a_matching_pin_reports_every_verified_path() {
    let provider = provider();
    let pki = CrossSigned::new();
    let v = pki.verifier_pinning_root(backup(10), &provider);
    let err = verify(&*v, &pki.leaf.cert, &pki.presented(), HOST).unwrap_err();
    let ServerPinningError::NoPinMatched {
        host,
        pattern: actual_pattern,
        verified_paths,
        ..
    } = pinning_error(&err, PROVIDER)
    else {
        panic!("[{PROVIDER}] expected NoPinMatched, got {err:?}");
    };
    assert_eq!(host, HOST, "[{PROVIDER}]");
    assert_eq!(actual_pattern, pattern(HOST), "[{PROVIDER}]");
    assert!(
        verified_paths.len() >= 2,
        "[{PROVIDER}] expected both paths, got {verified_paths:?}"
    );
    let paths = nodes(&verified_paths);
    let via_a = vec![
        Node::leaf(&pki.leaf, HOST),
        Node::intermediate(&pki.int),
        Node::root(&pki.root_a, false),
    ];
    let via_b = vec![
        Node::leaf(&pki.leaf, HOST),
        Node::intermediate(&pki.int),
        Node::intermediate_cert(&pki.cross, pki.root_a.common_name()),
        Node::root(&pki.root_b, false),
    ];
    assert!(
        paths.contains(&via_a),
        "[{PROVIDER}] missing path via A: {paths:?}"
    );
    assert!(
        paths.contains(&via_b),
        "[{PROVIDER}] missing path via B: {paths:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Same key, new certificate
// ---------------------------------------------------------------------------------------------

#[test]
fn reissued_leaf_with_the_same_key_keeps_spki_pins_but_not_certificate_pins() {
    let provider = provider();
    let pki = Pki::new();
    let renewed = pki
        .int
        .leaf_with(LeafOptions::new(&[HOST]).key(copy_key_pair(&pki.leaf.key_pair)));
    assert_eq!(spki(&renewed.cert), spki(&pki.leaf.cert), "[{PROVIDER}]");
    assert_ne!(renewed.cert, pki.leaf.cert, "[{PROVIDER}]");

    let v = verifier(
        pki.roots(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin(spki(&pki.leaf.cert))
            .pin(backup(11))]),
        &provider,
    );
    assert_eq!(
        verify(&*v, &renewed.cert, &pki.ints(), HOST),
        Ok(()),
        "[{PROVIDER}]"
    );

    let allowed = [any(cert_pin(&pki.leaf.cert)), any(backup(11))];
    let v = verifier(
        pki.roots(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin(allowed[0].pin())
            .pin(allowed[1].pin())]),
        &provider,
    );
    assert_eq!(
        verify(&*v, &pki.leaf.cert, &pki.ints(), HOST),
        Ok(()),
        "[{PROVIDER}]"
    );
    let err = verify(&*v, &renewed.cert, &pki.ints(), HOST).unwrap_err();
    assert_no_pin_matched(&err, PROVIDER, HOST, HOST, &allowed, &[pki.path(&renewed)]);
}

// ---------------------------------------------------------------------------------------------
// 6. Entry expiry, driven by the time rustls passes in
// ---------------------------------------------------------------------------------------------

/// 2030-01-01T00:00:00Z.
const NEW_YEAR_2030: u64 = 1_893_456_000;

/// A root and leaf valid through all of 2029-06 .. 2030-06, independent of the wall clock.
fn pki_around_2030() -> (Ca, Leaf) {
    let root = Ca::root_opts(
        "Expiry Root",
        CaOptions {
            not_before: system_time(NEW_YEAR_2030 - 365 * 86_400),
            not_after: system_time(NEW_YEAR_2030 + 365 * 86_400),
            ..CaOptions::default()
        },
    );
    let leaf = root.leaf_with(LeafOptions::new(&[HOST]).validity(
        system_time(NEW_YEAR_2030 - 180 * 86_400),
        system_time(NEW_YEAR_2030 + 180 * 86_400),
    ));
    (root, leaf)
}

#[test]
fn expired_entry_is_skipped_at_the_time_rustls_passes() {
    let provider = provider();
    let (root, leaf) = pki_around_2030();
    let expiry = NEW_YEAR_2030 + 12 * 3600 + 7;
    let allowed = [any(backup(12)), any(backup(13))];
    let v = verifier(
        root.root_store(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin(allowed[0].pin())
            .pin(allowed[1].pin())
            .expires_at(at(expiry))]),
        &provider,
    );
    let host = ServerName::try_from(HOST).unwrap();
    let path = [vec![Node::leaf(&leaf, HOST), Node::root(&root, false)]];

    for before in [expiry - 86_400, expiry - 1] {
        let err = verify_at(&*v, &leaf.cert, &[], &host, at(before)).unwrap_err();
        assert_no_pin_matched(
            &err,
            &format!("{PROVIDER} at {before}"),
            HOST,
            HOST,
            &allowed,
            &path,
        );
    }
    for after in [expiry, expiry + 1, expiry + 30 * 86_400] {
        assert_eq!(
            verify_at(&*v, &leaf.cert, &[], &host, at(after)),
            Ok(()),
            "[{PROVIDER}] at {after} the entry is skipped"
        );
    }
    // Skipping the entry leaves plain WebPKI in force.
    let untrusted = Ca::root("Untrusted Root").leaf_with(LeafOptions::new(&[HOST]).validity(
        system_time(NEW_YEAR_2030 - 86_400),
        system_time(NEW_YEAR_2030 + 86_400),
    ));
    assert_eq!(
        verify_at(&*v, &untrusted.cert, &[], &host, at(expiry + 1)),
        Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        "[{PROVIDER}]"
    );
}

#[test]
fn expired_entry_keeps_enforcing_when_asked_to() {
    let provider = provider();
    let (root, leaf) = pki_around_2030();
    let expiry = NEW_YEAR_2030;
    let allowed = [any(backup(12)), any(backup(13))];
    let v = verifier(
        root.root_store(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin(allowed[0].pin())
            .pin(allowed[1].pin())
            .expires_at(at(expiry))
            .after_expiry(AfterExpiry::KeepEnforcing)]),
        &provider,
    );
    let host = ServerName::try_from(HOST).unwrap();
    let path = [vec![Node::leaf(&leaf, HOST), Node::root(&root, false)]];
    for now in [expiry - 1, expiry, expiry + 1, expiry + 30 * 86_400] {
        let err = verify_at(&*v, &leaf.cert, &[], &host, at(now)).unwrap_err();
        assert_no_pin_matched(
            &err,
            &format!("{PROVIDER} at {now}"),
            HOST,
            HOST,
            &allowed,
            &path,
        );
    }
}

#[test]
fn expires_on_date_means_midnight_utc() {
    let provider = provider();
    let (root, leaf) = pki_around_2030();
    let date: Date = "2030-01-01".parse().unwrap();
    assert_eq!(date, Date::new(2030, 1, 1).unwrap(), "[{PROVIDER}]");
    let pins = pin_set([PinEntry::builder(pattern(HOST))
        .pin(backup(14))
        .pin(backup(15))
        .expires_on(date)]);
    assert_eq!(
        pins.lookup(HOST).unwrap().expires_at(),
        Some(at(NEW_YEAR_2030)),
        "[{PROVIDER}]"
    );

    let v = verifier(root.root_store(), pins, &provider);
    let host = ServerName::try_from(HOST).unwrap();
    let err = verify_at(&*v, &leaf.cert, &[], &host, at(NEW_YEAR_2030 - 1)).unwrap_err();
    assert_no_pin_matched(
        &err,
        PROVIDER,
        HOST,
        HOST,
        &[any(backup(14)), any(backup(15))],
        &[vec![Node::leaf(&leaf, HOST), Node::root(&root, false)]],
    );
    assert_eq!(
        verify_at(&*v, &leaf.cert, &[], &host, at(NEW_YEAR_2030)),
        Ok(()),
        "[{PROVIDER}]"
    );
}

// ---------------------------------------------------------------------------------------------
// 7. Report-only entries
// ---------------------------------------------------------------------------------------------

#[test]
fn report_only_entry_tolerates_wrong_pins() {
    let provider = provider();
    let pki = Pki::new();
    let v = verifier(
        pki.roots(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin(backup(16))
            .report_only()]),
        &provider,
    );
    assert_eq!(
        verify(&*v, &pki.leaf.cert, &pki.ints(), HOST),
        Ok(()),
        "[{PROVIDER}]"
    );
    assert_eq!(
        verify(&*v, &pki.stranger.cert, &pki.other_ints(), HOST),
        Ok(()),
        "[{PROVIDER}]"
    );
}

#[test]
fn report_only_entry_still_rejects_chain_and_name_errors() {
    let provider = provider();
    let root = Ca::root("Report Root");
    let int = root.intermediate("Report Intermediate");
    let untrusted_root = Ca::root("Report Untrusted Root");
    let untrusted = untrusted_root.leaf(&[HOST]);
    let wrong_name = int.leaf(&["other.test"]);
    let ints = vec![int.cert_der().clone()];

    let v = verifier(
        root.root_store(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin(spki(&untrusted.cert))
            .pin(spki(&wrong_name.cert))
            .report_only()]),
        &provider,
    );
    assert_eq!(
        verify(&*v, &untrusted.cert, &[], HOST),
        Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        "[{PROVIDER}]"
    );

    let err = verify(&*v, &wrong_name.cert, &ints, HOST).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. })
        ),
        "[{PROVIDER}] got {err:?}"
    );
    let webpki = WebPkiServerVerifier::builder_with_provider(root.root_store(), provider.clone())
        .build()
        .unwrap();
    assert_eq!(
        Err(err),
        verify(&*webpki, &wrong_name.cert, &ints, HOST),
        "[{PROVIDER}]"
    );
}

#[test]
fn report_only_entry_tolerates_its_own_deny_pins_but_not_global_ones() {
    let provider = provider();
    let pki = Pki::new();
    let v = verifier(
        pki.roots(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin(backup(17))
            .deny(spki(&pki.leaf.cert))
            .report_only()]),
        &provider,
    );
    assert_eq!(
        verify(&*v, &pki.leaf.cert, &pki.ints(), HOST),
        Ok(()),
        "[{PROVIDER}]"
    );

    let int_key = spki(pki.int.cert_der());
    let v = verifier(
        pki.roots(),
        PinSet::builder()
            .entry(
                PinEntry::builder(pattern(HOST))
                    .pin(spki(&pki.leaf.cert))
                    .report_only(),
            )
            .deny_everywhere(int_key)
            .build()
            .unwrap(),
        &provider,
    );
    let err = verify(&*v, &pki.leaf.cert, &pki.ints(), HOST).unwrap_err();
    match pinning_error(&err, PROVIDER) {
        ServerPinningError::DeniedPinMatched {
            host,
            pattern,
            denied,
            certificate,
            verified_paths,
        } => {
            assert_eq!(host, HOST, "[{PROVIDER}]");
            assert_eq!(pattern, None, "[{PROVIDER}]");
            assert_eq!(denied, any(int_key), "[{PROVIDER}]");
            assert_eq!(
                Node::of(&certificate),
                Node::intermediate(&pki.int),
                "[{PROVIDER}]"
            );
            assert_eq!(
                nodes(&verified_paths),
                [pki.path(&pki.leaf)],
                "[{PROVIDER}]"
            );
        }
        other => panic!("[{PROVIDER}] expected DeniedPinMatched, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 8. Deny pins
// ---------------------------------------------------------------------------------------------

#[test]
fn deny_pin_beats_an_allowed_pin() {
    let provider = provider();
    let pki = Pki::new();
    let int_key = spki(pki.int.cert_der());
    let v = verifier(
        pki.roots(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin(spki(&pki.leaf.cert))
            .pin(backup(18))
            .deny(int_key)]),
        &provider,
    );
    let err = verify(&*v, &pki.leaf.cert, &pki.ints(), HOST).unwrap_err();
    match pinning_error(&err, PROVIDER) {
        ServerPinningError::DeniedPinMatched {
            host,
            pattern: actual_pattern,
            denied,
            certificate,
            verified_paths,
        } => {
            assert_eq!(host, HOST, "[{PROVIDER}]");
            assert_eq!(actual_pattern, Some(pattern(HOST)), "[{PROVIDER}]");
            assert_eq!(denied, any(int_key), "[{PROVIDER}]");
            assert_eq!(
                certificate.position(),
                Position::Intermediate,
                "[{PROVIDER}]"
            );
            assert_eq!(
                certificate.subject(),
                subject("Pinned Intermediate"),
                "[{PROVIDER}]"
            );
            assert_eq!(
                Node::of(&certificate),
                Node::intermediate(&pki.int),
                "[{PROVIDER}]"
            );
            assert_eq!(
                nodes(&verified_paths),
                [pki.path(&pki.leaf)],
                "[{PROVIDER}]"
            );
        }
        other => panic!("[{PROVIDER}] expected DeniedPinMatched, got {other:?}"),
    }
}

#[test]
fn global_deny_pin_applies_to_unpinned_hosts() {
    let provider = provider();
    let pki = Pki::new();
    let root_key = spki(pki.root.cert_der());
    let v = verifier(
        pki.roots(),
        PinSet::builder()
            .entry(
                PinEntry::builder(pattern("elsewhere.test"))
                    .pin(backup(19))
                    .pin(backup(20)),
            )
            .deny_everywhere(root_key)
            .build()
            .unwrap(),
        &provider,
    );
    assert_eq!(
        verify(&*v, &pki.stranger.cert, &pki.other_ints(), HOST),
        Ok(()),
        "[{PROVIDER}] a chain to the other root is fine"
    );
    let err = verify(&*v, &pki.leaf.cert, &pki.ints(), HOST).unwrap_err();
    match pinning_error(&err, PROVIDER) {
        ServerPinningError::DeniedPinMatched {
            host,
            pattern,
            denied,
            certificate,
            verified_paths,
        } => {
            assert_eq!(host, HOST, "[{PROVIDER}]");
            assert_eq!(pattern, None, "[{PROVIDER}]");
            assert_eq!(denied, any(root_key), "[{PROVIDER}]");
            assert_eq!(
                Node::of(&certificate),
                Node::root(&pki.root, false),
                "[{PROVIDER}]"
            );
            assert_eq!(
                nodes(&verified_paths),
                [pki.path(&pki.leaf)],
                "[{PROVIDER}]"
            );
        }
        other => panic!("[{PROVIDER}] expected DeniedPinMatched, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Hosts without an entry
// ---------------------------------------------------------------------------------------------

const UNLISTED: &str = "unlisted.test";

#[test]
fn unpinned_host_gets_plain_webpki_by_default() {
    let provider = provider();
    let root = Ca::root("Unpinned Root");
    let leaf = root.leaf(&[HOST, UNLISTED]);
    let untrusted = Ca::root("Unpinned Untrusted Root").leaf(&[UNLISTED]);
    let v = verifier(
        root.root_store(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin(backup(21))
            .pin(backup(22))]),
        &provider,
    );
    assert_eq!(
        verify(&*v, &leaf.cert, &[], UNLISTED),
        Ok(()),
        "[{PROVIDER}]"
    );
    assert_eq!(
        verify(&*v, &untrusted.cert, &[], UNLISTED),
        Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        "[{PROVIDER}]"
    );
    // The listed host on the same certificate is still pinned.
    let err = verify(&*v, &leaf.cert, &[], HOST).unwrap_err();
    assert_no_pin_matched(
        &err,
        PROVIDER,
        HOST,
        HOST,
        &[any(backup(21)), any(backup(22))],
        &[vec![Node::leaf(&leaf, HOST), Node::root(&root, false)]],
    );
}

#[test]
fn unpinned_host_is_rejected_when_the_policy_says_so() {
    let provider = provider();
    let root = Ca::root("Strict Root");
    let leaf = root.leaf(&[HOST, UNLISTED]);
    let untrusted = Ca::root("Strict Untrusted Root").leaf(&[UNLISTED]);
    let v = verifier(
        root.root_store(),
        PinSet::builder()
            .entry(
                PinEntry::builder(pattern(HOST))
                    .pin(spki(&leaf.cert))
                    .pin(backup(23)),
            )
            .unpinned_hosts(UnpinnedHostPolicy::Reject)
            .build()
            .unwrap(),
        &provider,
    );
    let err = verify(&*v, &leaf.cert, &[], UNLISTED).unwrap_err();
    assert_eq!(
        pinning_error(&err, PROVIDER),
        ServerPinningError::HostNotPinned {
            host: UNLISTED.to_owned()
        },
        "[{PROVIDER}]"
    );
    assert_eq!(verify(&*v, &leaf.cert, &[], HOST), Ok(()), "[{PROVIDER}]");
    // A broken chain is still reported as such.
    assert_eq!(
        verify(&*v, &untrusted.cert, &[], UNLISTED),
        Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        "[{PROVIDER}]"
    );
}

// ---------------------------------------------------------------------------------------------
// 10. Chain and name errors win over matching pins
// ---------------------------------------------------------------------------------------------

fn webpki_verifier(
    roots: Arc<RootCertStore>,
    crls: Vec<CertificateRevocationListDer<'static>>,
    provider: &Arc<CryptoProvider>,
) -> Arc<WebPkiServerVerifier> {
    WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .with_crls(crls)
        .build()
        .unwrap()
}

#[test]
fn wrong_name_with_a_matching_pin_is_the_webpki_name_error() {
    let provider = provider();
    let pki = Pki::new();
    let v = verifier(
        pki.roots(),
        pin_set([PinEntry::builder(pattern("wrong.test"))
            .pin(spki(&pki.leaf.cert))
            .pin(backup(24))]),
        &provider,
    );
    let err = verify(&*v, &pki.leaf.cert, &pki.ints(), "wrong.test").unwrap_err();
    assert!(
        matches!(
            &err,
            Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. })
        ),
        "[{PROVIDER}] got {err:?}"
    );
    let webpki = webpki_verifier(pki.roots(), vec![], &provider);
    assert_eq!(
        Err(err),
        verify(&*webpki, &pki.leaf.cert, &pki.ints(), "wrong.test"),
        "[{PROVIDER}]"
    );
}

#[test]
fn expired_leaf_with_a_matching_pin_is_the_webpki_expiry_error() {
    let provider = provider();
    let pki = Pki::new();
    let expired = pki.int.leaf_with(LeafOptions::new(&[HOST]).expired());
    let v = verifier(
        pki.roots(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin(spki(&expired.cert))
            .pin(backup(25))]),
        &provider,
    );
    let host = ServerName::try_from(HOST).unwrap();
    let now = UnixTime::now();
    let err = verify_at(&*v, &expired.cert, &pki.ints(), &host, now).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::InvalidCertificate(CertificateError::ExpiredContext { time, .. })
                if *time == now
        ),
        "[{PROVIDER}] got {err:?}"
    );
    let webpki = webpki_verifier(pki.roots(), vec![], &provider);
    assert_eq!(
        Err(err),
        verify_at(&*webpki, &expired.cert, &pki.ints(), &host, now),
        "[{PROVIDER}]"
    );
}

#[test]
fn revoked_leaf_with_a_matching_pin_is_revoked() {
    let provider = provider();
    let pki = Pki::new();
    let crls = vec![pki.root.crl(&[]), pki.int.crl(&[pki.leaf.serial])];
    let v = PinningServerVerifier::builder(
        pki.roots(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin(spki(&pki.leaf.cert))
            .pin(spki(&pki.sibling.cert))]),
        provider.clone(),
    )
    .with_crls(crls.clone())
    .build()
    .unwrap();
    assert_eq!(
        verify(&*v, &pki.sibling.cert, &pki.ints(), HOST),
        Ok(()),
        "[{PROVIDER}] the unrevoked sibling passes"
    );
    assert_eq!(
        verify(&*v, &pki.leaf.cert, &pki.ints(), HOST),
        Err(Error::InvalidCertificate(CertificateError::Revoked)),
        "[{PROVIDER}]"
    );
    let webpki = webpki_verifier(pki.roots(), crls, &provider);
    assert_eq!(
        verify(&*webpki, &pki.leaf.cert, &pki.ints(), HOST),
        Err(Error::InvalidCertificate(CertificateError::Revoked)),
        "[{PROVIDER}]"
    );
}

// ---------------------------------------------------------------------------------------------
// 11. Parity with WebPkiServerVerifier on broken inputs
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct RevocationOptions {
    crls: Vec<CertificateRevocationListDer<'static>>,
    end_entity_only: bool,
    allow_unknown: bool,
}

struct BrokenCase {
    what: &'static str,
    leaf: CertificateDer<'static>,
    intermediates: Vec<CertificateDer<'static>>,
    host: &'static str,
    revocation: RevocationOptions,
    /// What the error must be, beyond equalling rustls's.
    expected: fn(&Error) -> bool,
}

/// `rustls::Error` equality treats every `Other` as different; compare those by their text.
fn same_error(a: &Error, b: &Error) -> bool {
    match (a, b) {
        (
            Error::InvalidCertificate(CertificateError::Other(_)),
            Error::InvalidCertificate(CertificateError::Other(_)),
        ) => format!("{a:?}") == format!("{b:?}"),
        _ => a == b,
    }
}

#[test]
fn broken_inputs_give_exactly_the_errors_of_webpki_server_verifier() {
    let provider = provider();
    let root = Ca::root("Parity Root");
    let int = root.intermediate("Parity Intermediate");
    let good = int.leaf(&[HOST]);
    let untrusted_root = Ca::root("Parity Untrusted Root");
    let untrusted_int = untrusted_root.intermediate("Parity Untrusted Intermediate");
    let untrusted = untrusted_int.leaf(&[HOST]);
    let expired = int.leaf_with(LeafOptions::new(&[HOST]).expired());
    let not_yet_valid = int.leaf_with(LeafOptions::new(&[HOST]).not_yet_valid());
    let wrong_name = int.leaf(&["other.test"]);
    let revoked = int.leaf(&[HOST]);
    let client_only = int.leaf_with(LeafOptions::new(&[HOST]).client_auth());
    let ca_as_leaf = int.leaf_with(LeafOptions::new(&[HOST]).ca());
    // Same issuer name as `int`, different key: the leaf's signature does not verify.
    let forger = root.intermediate("Parity Intermediate");
    let forged = forger.leaf(&[HOST]);

    let ints = vec![int.cert_der().clone()];
    let chain_crls = || vec![root.crl(&[]), int.crl(&[revoked.serial])];
    let case = |what: &'static str,
                leaf: &CertificateDer<'static>,
                expected: fn(&Error) -> bool| BrokenCase {
        what,
        leaf: leaf.clone(),
        intermediates: ints.clone(),
        host: HOST,
        revocation: RevocationOptions::default(),
        expected,
    };

    let cases = vec![
        BrokenCase {
            intermediates: vec![untrusted_int.cert_der().clone()],
            ..case("untrusted root", &untrusted.cert, |e| {
                *e == Error::InvalidCertificate(CertificateError::UnknownIssuer)
            })
        },
        case("expired leaf", &expired.cert, |e| {
            matches!(
                e,
                Error::InvalidCertificate(CertificateError::ExpiredContext { .. })
            )
        }),
        case("not yet valid leaf", &not_yet_valid.cert, |e| {
            matches!(
                e,
                Error::InvalidCertificate(CertificateError::NotValidYetContext { .. })
            )
        }),
        case("wrong name", &wrong_name.cert, |e| {
            matches!(
                e,
                Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. })
            )
        }),
        BrokenCase {
            revocation: RevocationOptions {
                crls: chain_crls(),
                ..RevocationOptions::default()
            },
            ..case("revoked leaf, whole chain checked", &revoked.cert, |e| {
                *e == Error::InvalidCertificate(CertificateError::Revoked)
            })
        },
        BrokenCase {
            revocation: RevocationOptions {
                crls: vec![int.crl(&[revoked.serial])],
                end_entity_only: true,
                allow_unknown: false,
            },
            ..case("revoked leaf, end entity only", &revoked.cert, |e| {
                *e == Error::InvalidCertificate(CertificateError::Revoked)
            })
        },
        BrokenCase {
            revocation: RevocationOptions {
                crls: vec![int.crl(&[revoked.serial])],
                end_entity_only: false,
                allow_unknown: true,
            },
            ..case("revoked leaf, unknown status allowed", &revoked.cert, |e| {
                *e == Error::InvalidCertificate(CertificateError::Revoked)
            })
        },
        BrokenCase {
            revocation: RevocationOptions {
                crls: vec![int.crl(&[])],
                ..RevocationOptions::default()
            },
            ..case("intermediate without a CRL", &good.cert, |e| {
                *e == Error::InvalidCertificate(CertificateError::UnknownRevocationStatus)
            })
        },
        BrokenCase {
            intermediates: vec![],
            ..case("missing intermediate", &good.cert, |e| {
                *e == Error::InvalidCertificate(CertificateError::UnknownIssuer)
            })
        },
        case(
            "garbage DER leaf",
            &CertificateDer::from(vec![1, 2, 3]),
            |e| *e == Error::InvalidCertificate(CertificateError::BadEncoding),
        ),
        case("client-auth-only leaf", &client_only.cert, |e| {
            matches!(
                e,
                Error::InvalidCertificate(CertificateError::InvalidPurposeContext { .. })
            )
        }),
        case("CA certificate as leaf", &ca_as_leaf.cert, |e| {
            matches!(e, Error::InvalidCertificate(CertificateError::Other(_)))
                && format!("{e:?}").contains("CaUsedAsEndEntity")
        }),
        case("forged issuer signature", &forged.cert, |e| {
            *e == Error::InvalidCertificate(CertificateError::BadSignature)
        }),
    ];

    let now = UnixTime::now();
    for case in cases {
        let label = format!("{PROVIDER}: {}", case.what);
        let mut allowed = vec![cert_pin(&case.leaf), spki(int.cert_der())];
        if let Ok(pin) = Pin::spki_of(&case.leaf) {
            allowed.push(pin);
        }
        let pins = pin_set([allowed
            .iter()
            .fold(PinEntry::builder(pattern(HOST)), |entry, pin| {
                entry.pin(*pin)
            })]);

        let RevocationOptions {
            crls,
            end_entity_only,
            allow_unknown,
        } = case.revocation;
        let mut pinning = PinningServerVerifier::builder(root.root_store(), pins, provider.clone())
            .with_crls(crls.clone());
        let mut webpki =
            WebPkiServerVerifier::builder_with_provider(root.root_store(), provider.clone())
                .with_crls(crls);
        if end_entity_only {
            pinning = pinning.only_check_end_entity_revocation();
            webpki = webpki.only_check_end_entity_revocation();
        }
        if allow_unknown {
            pinning = pinning.allow_unknown_revocation_status();
            webpki = webpki.allow_unknown_revocation_status();
        }
        let pinning = pinning.build().unwrap();
        let webpki = webpki.build().unwrap();

        let host = ServerName::try_from(case.host).unwrap();
        let expected = verify_at(&*webpki, &case.leaf, &case.intermediates, &host, now)
            .expect_err(&format!("[{label}] rustls accepted the broken input"));
        assert!(
            (case.expected)(&expected),
            "[{label}] unexpected rustls error {expected:?}"
        );
        let actual = verify_at(&*pinning, &case.leaf, &case.intermediates, &host, now).expect_err(
            &format!("[{label}] pinning verifier accepted the broken input"),
        );
        assert!(
            same_error(&actual, &expected),
            "[{label}] pinning verifier returned {actual:?}, rustls {expected:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 12. IP address hosts
// ---------------------------------------------------------------------------------------------

#[test]
fn ip_address_hosts_are_pinned() {
    let provider = provider();
    let root = Ca::root("IP Root");
    let leaf = root.leaf_with(
        LeafOptions::new(&[])
            .ip(Ipv4Addr::LOCALHOST)
            .ip(Ipv6Addr::LOCALHOST),
    );
    let path = vec![Node::leaf(&leaf, "test leaf"), Node::root(&root, false)];
    for (entry, address) in [
        ("127.0.0.1", IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ("[::1]", IpAddr::V6(Ipv6Addr::LOCALHOST)),
    ] {
        let label = format!("{PROVIDER}: {entry}");
        let server_name = ServerName::IpAddress(address.into());
        let right = verifier(
            root.root_store(),
            pin_set([PinEntry::builder(pattern(entry))
                .pin(spki(&leaf.cert))
                .pin(backup(26))]),
            &provider,
        );
        assert_eq!(
            verify_at(&*right, &leaf.cert, &[], &server_name, UnixTime::now()),
            Ok(()),
            "[{label}]"
        );

        let allowed = [any(backup(26)), any(backup(27))];
        let wrong = verifier(
            root.root_store(),
            pin_set([PinEntry::builder(pattern(entry))
                .pin(allowed[0].pin())
                .pin(allowed[1].pin())]),
            &provider,
        );
        let err = verify_at(&*wrong, &leaf.cert, &[], &server_name, UnixTime::now()).unwrap_err();
        assert_no_pin_matched(
            &err,
            &label,
            &address.to_string(),
            entry,
            &allowed,
            std::slice::from_ref(&path),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 13. Builder errors
// ---------------------------------------------------------------------------------------------

fn simple_pins(first: Pin) -> PinSet {
    pin_set([PinEntry::builder(pattern(HOST)).pin(first).pin(backup(28))])
}

#[test]
fn builder_rejects_an_empty_root_store() {
    let provider = provider();
    let err = PinningServerVerifier::builder(
        Arc::new(RootCertStore::empty()),
        simple_pins(backup(29)),
        provider,
    )
    .build()
    .unwrap_err();
    assert_eq!(err, VerifierBuilderError::NoRootAnchors, "[{PROVIDER}]");
}

#[test]
fn builder_rejects_a_root_certificate_pin_without_root_certificates() {
    let provider = provider();
    let root = Ca::root("Builder Root");
    let root_cert_pin = cert_pin(root.cert_der());
    let pins = pin_set([PinEntry::builder(pattern(HOST))
        .pin_at(root_cert_pin, PinScope::Root)
        .pin(backup(30))]);
    let err = PinningServerVerifier::builder(root.root_store(), pins.clone(), provider.clone())
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        VerifierBuilderError::CertificatePinOnRootWithoutRootCertificates {
            pattern: Some(pattern(HOST)),
            pin: root_cert_pin,
        },
        "[{PROVIDER}]"
    );

    // The same pin on the global deny list names no entry.
    let global = PinSet::builder()
        .deny_everywhere_at(root_cert_pin, PinScope::Root)
        .build()
        .unwrap();
    let err = PinningServerVerifier::builder(root.root_store(), global, provider.clone())
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        VerifierBuilderError::CertificatePinOnRootWithoutRootCertificates {
            pattern: None,
            pin: root_cert_pin,
        },
        "[{PROVIDER}]"
    );

    // Given the root certificate, it builds.
    PinningServerVerifier::builder(root.root_store(), pins, provider.clone())
        .with_root_certificates([root.cert_der().clone()])
        .build()
        .unwrap_or_else(|e| panic!("[{PROVIDER}] {e}"));
}

#[test]
fn builder_rejects_a_root_certificate_not_in_the_store() {
    let provider = provider();
    let root = Ca::root("Builder Store Root");
    let stray = Ca::root("Builder Stray Root");
    for (index, certificates) in [
        (0, vec![stray.cert_der().clone()]),
        (1, vec![root.cert_der().clone(), stray.cert_der().clone()]),
    ] {
        let err = PinningServerVerifier::builder(
            root.root_store(),
            simple_pins(backup(31)),
            provider.clone(),
        )
        .with_root_certificates(certificates)
        .build()
        .unwrap_err();
        assert_eq!(
            err,
            VerifierBuilderError::RootCertificateNotInStore {
                index,
                subject: subject("Builder Stray Root"),
            },
            "[{PROVIDER}]"
        );
    }
}

#[test]
fn builder_rejects_an_invalid_crl() {
    let provider = provider();
    let root = Ca::root("Builder CRL Root");
    // What rustls's own verifier builder says of the same CRL.
    let rustls_says = |crl: CertificateRevocationListDer<'static>| {
        match rustls::client::WebPkiServerVerifier::builder_with_provider(
            root.root_store(),
            provider.clone(),
        )
        .with_crls([crl])
        .build()
        {
            Err(rustls::client::VerifierBuilderError::InvalidCrl(error)) => error,
            other => panic!("[{PROVIDER}] rustls accepted the CRL: {other:?}"),
        }
    };
    let garbage = CertificateRevocationListDer::from(vec![1, 2, 3]);
    let err = PinningServerVerifier::builder(
        root.root_store(),
        simple_pins(backup(32)),
        provider.clone(),
    )
    .with_crls([garbage.clone()])
    .build()
    .unwrap_err();
    match err {
        VerifierBuilderError::InvalidCrl { index: 0, error } => {
            assert_eq!(
                format!("{error:?}"),
                format!("{:?}", rustls_says(garbage)),
                "[{PROVIDER}]"
            )
        }
        other => panic!("[{PROVIDER}] got {other:?}"),
    }

    let empty = CertificateRevocationListDer::from(vec![0x30, 0x00]);
    let err = PinningServerVerifier::builder(
        root.root_store(),
        simple_pins(backup(32)),
        provider.clone(),
    )
    .with_crls([root.crl(&[]), empty.clone()])
    .build()
    .unwrap_err();
    match err {
        VerifierBuilderError::InvalidCrl { index: 1, error } => {
            assert_eq!(
                format!("{error:?}"),
                format!("{:?}", rustls_says(empty)),
                "[{PROVIDER}]"
            )
        }
        other => panic!("[{PROVIDER}] got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 14. The failure message
// ---------------------------------------------------------------------------------------------

#[test]
fn no_pin_matched_message_lists_the_verified_path_and_the_pins() {
    let provider = provider();
    let pki = Pki::new();
    let allowed = [
        any(spki(&pki.leaf.cert)),
        ScopedPin::new(cert_pin(pki.int.cert_der()), PinScope::Leaf),
        ScopedPin::new(backup(33), PinScope::Root),
    ];
    let v = verifier(
        pki.roots(),
        pin_set([PinEntry::builder(pattern("**.pinned.test"))
            .pin(allowed[0].pin())
            .pin_at(allowed[1].pin(), PinScope::Leaf)
            .pin_at(allowed[2].pin(), PinScope::Root)]),
        &provider,
    );
    let err = verify(&*v, &pki.sibling.cert, &pki.ints(), HOST).unwrap_err();
    let pinning = pinning_error(&err, PROVIDER);
    assert!(
        matches!(&pinning, ServerPinningError::NoPinMatched { .. }),
        "[{PROVIDER}] got {pinning:?}"
    );

    for text in [pinning.to_string(), err.to_string()] {
        assert!(
            text.contains(&format!("\"{HOST}\"")),
            "[{PROVIDER}] host in {text}"
        );
        assert!(
            text.contains("\"**.pinned.test\""),
            "[{PROVIDER}] pattern in {text}"
        );
        for node in pki.path(&pki.sibling) {
            let line = format!("{}: {}", node.spki, node.subject);
            assert!(
                text.lines()
                    .any(|l| l.contains(&line) && l.contains(&node.position.to_string())),
                "[{PROVIDER}] missing `{line}` in {text}"
            );
        }
        for pin in &allowed {
            assert!(
                text.contains(&pin.to_string()),
                "[{PROVIDER}] missing {pin} in {text}"
            );
        }
    }
    assert_eq!(format!("{pinning:?}"), pinning.to_string(), "[{PROVIDER}]");
}

/// The host as rustls's `ServerName` carries it (pki-types drops a trailing dot).
fn server_name_text(host: &str) -> String {
    match ServerName::try_from(host).unwrap() {
        ServerName::DnsName(name) => name.as_ref().to_owned(),
        other => panic!("not a DNS name: {other:?}"),
    }
}

#[test]
fn host_spelling_does_not_bypass_the_entry() {
    let provider = provider();
    let pki = Pki::new();
    let allowed = [any(backup(34)), any(backup(35))];
    let v = verifier(
        pki.roots(),
        pin_set([PinEntry::builder(pattern(HOST))
            .pin(allowed[0].pin())
            .pin(allowed[1].pin())]),
        &provider,
    );
    for spelling in ["PINNED.TEST", "Pinned.Test", "pinned.test."] {
        let label = format!("{PROVIDER}: {spelling}");
        let result = verify(&*v, &pki.leaf.cert, &pki.ints(), spelling);
        let webpki = webpki_verifier(pki.roots(), vec![], &provider);
        assert_eq!(
            verify(&*webpki, &pki.leaf.cert, &pki.ints(), spelling),
            Ok(()),
            "[{label}] rustls accepts this spelling"
        );
        assert_no_pin_matched(
            &result.unwrap_err(),
            &label,
            &server_name_text(spelling),
            HOST,
            &allowed,
            &[pki.path(&pki.leaf)],
        );
    }
}

// Regressions found by mutation testing and review.

#[test]
fn name_errors_win_over_pin_errors() {
    let provider = provider();
    let pki = Pki::new();
    let v = verifier(
        pki.roots(),
        pin_set([PinEntry::builder(pattern("other.test"))
            .pin(backup(1))
            .pin(backup(2))]),
        &provider,
    );
    // The leaf names pinned.test only and no pin matches: the name is what is reported.
    let err = verify(&*v, &pki.leaf.cert, &pki.ints(), "other.test").unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidCertificate(CertificateError::NotValidForNameContext { .. })
        ),
        "[{PROVIDER}] got {err:?}"
    );
}

#[test]
fn report_only_entry_deny_does_not_hide_a_global_deny_further_up() {
    let provider = provider();
    let pki = Pki::new();
    let pins = PinSet::builder()
        .entry(
            PinEntry::builder(pattern(HOST))
                .pin(backup(1))
                .deny(spki(&pki.leaf.cert))
                .report_only(),
        )
        .deny_everywhere(spki(pki.int.cert_der()))
        .build()
        .unwrap();
    let v = verifier(pki.roots(), pins, &provider);
    let err = verify(&*v, &pki.leaf.cert, &pki.ints(), HOST).unwrap_err();
    match pinning_error(&err, PROVIDER) {
        ServerPinningError::DeniedPinMatched {
            pattern,
            certificate,
            ..
        } => {
            assert_eq!(pattern, None, "[{PROVIDER}] the global list denied it");
            assert_eq!(
                certificate.subject(),
                subject("Pinned Intermediate"),
                "[{PROVIDER}]"
            );
        }
        other => panic!("[{PROVIDER}] expected DeniedPinMatched, got {other}"),
    }
}

#[test]
fn report_only_accepts_when_any_path_fails_only_the_entry() {
    // Two verified paths: through root A (globally denied) and through root B (no allowed pin
    // matches). The second only breaks the report-only entry's pins, so it is tolerated.
    let provider = provider();
    let pki = CrossSigned::new();
    let pins = PinSet::builder()
        .entry(
            PinEntry::builder(pattern(HOST))
                .pin(backup(1))
                .report_only(),
        )
        .deny_everywhere_at(spki(pki.root_a.cert_der()), PinScope::Root)
        .build()
        .unwrap();
    let v = verifier(pki.roots(), pins, &provider);
    assert_eq!(
        verify(&*v, &pki.leaf.cert, &pki.presented(), HOST),
        Ok(()),
        "[{PROVIDER}]"
    );
}

#[test]
fn certificate_pins_match_every_given_issue_of_a_root() {
    // A root re-issued with the same name and key is the same trust anchor; a certificate pin
    // on either issue matches, whatever order the certificates are given in.
    let provider = provider();
    let pki = Pki::new();
    let reissued = Ca::root_with_key("Pinned Root", copy_key_pair(pki.root.key_pair()));
    assert_ne!(pki.root.cert_der(), reissued.cert_der());
    let orders = [
        [pki.root.cert_der().clone(), reissued.cert_der().clone()],
        [reissued.cert_der().clone(), pki.root.cert_der().clone()],
    ];
    for (order, certificates) in orders.iter().enumerate() {
        for pinned in [pki.root.cert_der(), reissued.cert_der()] {
            let pins = pin_set([PinEntry::builder(pattern(HOST))
                .pin_at(cert_pin(pinned), PinScope::Root)
                .pin(backup(1))]);
            let v = PinningServerVerifier::builder(pki.roots(), pins, provider.clone())
                .with_root_certificates(certificates.clone())
                .build()
                .unwrap();
            assert_eq!(
                verify(&*v, &pki.leaf.cert, &pki.ints(), HOST),
                Ok(()),
                "[{PROVIDER}] order {order}"
            );
        }
    }
}
