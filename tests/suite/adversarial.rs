//! Adversarial chains: what an attacker (or a broken CA) can put in front of the verifier, in
//! WebPKI mode (`PinningServerVerifier::builder`) and wrap mode (`PinningServerVerifier::wrap` around
//! rustls's own `WebPkiServerVerifier`).
//!
//! Every case states the expected outcome and why, and asserts the exact result: acceptance,
//! the exact `rustls::Error`, the exact webpki error carried in `CertificateError::Other`, or
//! `ServerPinningError::NoPinMatched` with the exact verified paths. Where the chain itself is
//! broken, rustls's own verifier must say the same; where pins are the only reason to refuse,
//! rustls's own verifier must accept (so the refusal is the pin's doing, nothing else).
//!
//! Certificate shapes rcgen has no option for are made from its parameters: name constraints
//! through `CaOptions::name_constraints`, a CA certificate re-issued with the same key and
//! subject by another (possibly untrusted) CA through `Ca::cross_sign`, certificates sharing
//! a key through `CaOptions::with_key(copy_key_pair(..))`, and a certificate signed with an
//! end-entity's key through `Leaf::issue` (rcgen's `Issuer::from_ca_cert_der`).

use rustls_pinning_test_support as common;

use std::sync::Arc;

use common::{copy_key_pair, root_store, Ca, CaOptions, Leaf, LeafOptions};
use rcgen::{GeneralSubtree, NameConstraints};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};
use rustls_pinning::{
    Pin, PinEntry, PinScope, PinSet, PinningServerVerifier, Position, ServerPinningError,
};

use super::{provider, PROVIDER};

const HOST: &str = "pinned.test";

/// A pin no test certificate carries, to satisfy the backup-pin rule.
const BACKUP: Pin = Pin::spki_sha256([0xB0; 32]);

/// Another pin no test certificate carries: an entry pinned to it matches nothing.
const NOWHERE: Pin = Pin::spki_sha256([0xA0; 32]);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn spki(cert: &CertificateDer<'_>) -> Pin {
    Pin::spki_of(cert).unwrap()
}

fn cert_pin(cert: &CertificateDer<'_>) -> Pin {
    Pin::certificate_of(cert)
}

/// A set pinning `host` to `pin` at `scope`, with [`BACKUP`].
fn pinning(host: &str, pin: Pin, scope: PinScope) -> PinSet {
    PinSet::builder()
        .entry(
            PinEntry::builder(host.parse().unwrap())
                .pin_at(pin, scope)
                .backup_pin(BACKUP),
        )
        .build()
        .unwrap()
}

/// The two pinning verifiers under test, and rustls's own for comparison, over the same roots.
struct Verifiers {
    webpki: Arc<PinningServerVerifier>,
    wrap: Arc<PinningServerVerifier>,
    rustls: Arc<WebPkiServerVerifier>,
}

impl Verifiers {
    /// Both pinning verifiers are given the root certificates (WebPKI mode for certificate
    /// pins on roots, wrap mode so that a root the server does not send can be proven).
    fn new(roots: &[&Ca], pins: PinSet, provider: &Arc<CryptoProvider>) -> Self {
        let store = root_store(roots);
        let certificates = roots
            .iter()
            .map(|root| root.cert_der().clone())
            .collect::<Vec<_>>();
        let rustls = WebPkiServerVerifier::builder_with_provider(store.clone(), provider.clone())
            .build()
            .unwrap();
        let webpki = PinningServerVerifier::builder(store, pins.clone(), provider.clone())
            .with_root_certificates(certificates.clone())
            .build()
            .unwrap();
        let wrap = PinningServerVerifier::wrap(rustls.clone(), pins, provider.clone())
            .with_ca_certificates(certificates)
            .build()
            .unwrap();
        Verifiers {
            webpki,
            wrap,
            rustls,
        }
    }
}

fn verify(
    verifier: &dyn ServerCertVerifier,
    leaf: &CertificateDer<'_>,
    chain: &[CertificateDer<'static>],
    host: &str,
) -> Result<(), Error> {
    let name = ServerName::try_from(host.to_owned()).unwrap();
    verifier
        .verify_server_cert(leaf, chain, &name, &[], UnixTime::now())
        .map(|_| ())
}

/// One certificate of a verified (or, in wrap mode, proven) path as the error lists it.
type Node = (Position, Pin);

fn leaf_node(cert: &CertificateDer<'_>) -> Node {
    (Position::Leaf, spki(cert))
}

fn int_node(cert: &CertificateDer<'_>) -> Node {
    (Position::Intermediate, spki(cert))
}

fn root_node(cert: &CertificateDer<'_>) -> Node {
    (Position::Root, spki(cert))
}

/// What a verification must give.
#[derive(Clone, Debug)]
enum Expected {
    Accepted,
    /// Exactly this error (never `CertificateError::Other`, whose equality is always false).
    Rustls(Error),
    /// `CertificateError::Other` carrying exactly this webpki error, as rustls reports it.
    Webpki(webpki::Error),
    /// A pin failure listing exactly these paths, leaf first.
    NoPinMatched(Vec<Vec<Node>>),
}

fn no_pin(paths: &[&[Node]]) -> Expected {
    Expected::NoPinMatched(paths.iter().map(|path| path.to_vec()).collect())
}

fn assert_outcome(label: &str, host: &str, actual: &Result<(), Error>, expected: &Expected) {
    match (expected, actual) {
        (Expected::Accepted, Ok(())) => {}
        (Expected::Rustls(error), Err(actual)) if error == actual => {}
        (
            Expected::Webpki(error),
            Err(Error::InvalidCertificate(CertificateError::Other(other))),
        ) if other.0.downcast_ref::<webpki::Error>() == Some(error) => {}
        (Expected::NoPinMatched(paths), Err(error)) => match ServerPinningError::from_rustls(error)
        {
            Some(ServerPinningError::NoPinMatched {
                host: actual_host,
                verified_paths,
                ..
            }) => {
                assert_eq!(actual_host, host, "[{label}] host");
                let actual = verified_paths
                    .iter()
                    .map(|path| {
                        path.iter()
                            .map(|certificate| (certificate.position(), certificate.spki_pin()))
                            .collect::<Vec<_>>()
                    })
                    .collect::<Vec<_>>();
                assert_eq!(&actual, paths, "[{label}] verified paths");
            }
            _ => panic!("[{label}] expected NoPinMatched, got {error:?}"),
        },
        _ => panic!("[{label}] expected {expected:?}, got {actual:?}"),
    }
}

/// Runs one case through both modes and rustls's own verifier. rustls must report the same
/// chain error, and must accept wherever the pinning verifiers refuse only for the pins.
fn check(
    label: &str,
    verifiers: &Verifiers,
    leaf: &CertificateDer<'_>,
    chain: &[CertificateDer<'static>],
    host: &str,
    webpki_mode: Expected,
    wrap_mode: Expected,
) {
    let rustls = verify(&*verifiers.rustls, leaf, chain, host);
    let expected_rustls = match &webpki_mode {
        Expected::Accepted | Expected::NoPinMatched(_) => Expected::Accepted,
        chain_error => chain_error.clone(),
    };
    assert_outcome(&format!("{label}: rustls"), host, &rustls, &expected_rustls);
    assert_outcome(
        &format!("{label}: webpki mode"),
        host,
        &verify(&*verifiers.webpki, leaf, chain, host),
        &webpki_mode,
    );
    assert_outcome(
        &format!("{label}: wrap mode"),
        host,
        &verify(&*verifiers.wrap, leaf, chain, host),
        &wrap_mode,
    );
}

/// The pinned service (`root` > `int` > `leaf`) and, under another trusted root, an attacker
/// holding a valid certificate for the same name (`other_root` > `other_a` > `other_b` >
/// `impostor`), as a mis-issuing or compromised public CA would give one.
struct Pki {
    root: Ca,
    int: Ca,
    leaf: Leaf,
    other_root: Ca,
    other_a: Ca,
    other_b: Ca,
    impostor: Leaf,
}

impl Pki {
    fn new() -> Self {
        let root = Ca::root("Pinned Root");
        let int = root.intermediate("Pinned Intermediate");
        let leaf = int.leaf(&[HOST]);
        let other_root = Ca::root("Other Root");
        let other_a = other_root.intermediate("Other Intermediate A");
        let other_b = other_a.intermediate("Other Intermediate B");
        let impostor = other_b.leaf(&[HOST]);
        Pki {
            root,
            int,
            leaf,
            other_root,
            other_a,
            other_b,
            impostor,
        }
    }

    fn verifiers(&self, pins: PinSet, provider: &Arc<CryptoProvider>) -> Verifiers {
        Verifiers::new(&[&self.root, &self.other_root], pins, provider)
    }

    /// The impostor's only valid path, as WebPKI mode lists it.
    fn impostor_path(&self) -> Vec<Node> {
        vec![
            leaf_node(&self.impostor.cert),
            int_node(self.other_b.cert_der()),
            int_node(self.other_a.cert_der()),
            root_node(self.other_root.cert_der()),
        ]
    }

    /// What wrap mode lists for the impostor: the leaf, then every candidate CA it could prove
    /// (the presented intermediates in the order sent, then the configured roots).
    fn impostor_proven(&self) -> Vec<Node> {
        self.impostor_path()
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Chain stuffing in every position
// ---------------------------------------------------------------------------------------------

/// The impostor sends its own valid chain with the pinned certificate stuffed into it: right
/// after the leaf, between its intermediates, at the end, several times, or the whole pinned
/// chain appended. Expected: `NoPinMatched` in both modes, listing only the impostor's own
/// path. Why: pins are matched against the verified path (WebPKI mode) or against candidates
/// proven to sign the leaf's chain (wrap mode); a stuffed certificate is on neither, because
/// nothing it signs leads to the impostor's leaf. rustls accepts every one of these chains,
/// so the refusal is the pin's alone.
#[test]
fn chain_stuffing_in_every_position_is_refused() {
    let provider = provider();
    let pki = Pki::new();
    let (leaf, int, root) = (
        pki.leaf.cert.clone(),
        pki.int.cert_der().clone(),
        pki.root.cert_der().clone(),
    );
    let (a, b) = (
        pki.other_a.cert_der().clone(),
        pki.other_b.cert_der().clone(),
    );
    let pinned_certificates = [
        ("leaf", leaf.clone(), PinScope::Leaf),
        ("intermediate", int.clone(), PinScope::Intermediate),
        ("root", root.clone(), PinScope::Root),
    ];
    for (what, stuffed, scope) in &pinned_certificates {
        for (kind, pin) in [("spki", spki(stuffed)), ("certificate", cert_pin(stuffed))] {
            for scope in [PinScope::Any, *scope] {
                let label = format!("{PROVIDER}: {kind} pin on the {what} ({scope:?})");
                let verifiers = pki.verifiers(pinning(HOST, pin, scope), &provider);
                // The pinned service itself passes: the pins are right.
                check(
                    &format!("{label}, genuine chain"),
                    &verifiers,
                    &leaf,
                    std::slice::from_ref(&int),
                    HOST,
                    Expected::Accepted,
                    Expected::Accepted,
                );
                let p = stuffed.clone();
                let positions: [(&str, Vec<CertificateDer<'static>>); 5] = [
                    (
                        "right after the leaf",
                        vec![p.clone(), b.clone(), a.clone()],
                    ),
                    (
                        "between intermediates",
                        vec![b.clone(), p.clone(), a.clone()],
                    ),
                    ("at the end", vec![b.clone(), a.clone(), p.clone()]),
                    (
                        "duplicated",
                        vec![p.clone(), b.clone(), p.clone(), a.clone(), p.clone()],
                    ),
                    (
                        "the whole pinned chain appended",
                        vec![
                            b.clone(),
                            a.clone(),
                            leaf.clone(),
                            int.clone(),
                            root.clone(),
                        ],
                    ),
                ];
                for (position, chain) in positions {
                    check(
                        &format!("{label}, stuffed {position}"),
                        &verifiers,
                        &pki.impostor.cert,
                        &chain,
                        HOST,
                        no_pin(&[&pki.impostor_path()]),
                        no_pin(&[&pki.impostor_proven()]),
                    );
                }
            }
        }
    }
}

/// The same attack over a real TLS handshake: the impostor's server sends its chain with the
/// pinned leaf, intermediate and root stuffed in. Expected: the client's handshake fails with
/// `NoPinMatched` in both modes and both TLS versions, while the pinned service connects.
#[test]
fn chain_stuffing_over_a_real_handshake_is_refused() {
    let provider = provider();
    let pki = Pki::new();
    let genuine = common::TestServer::with_chain(
        pki.leaf.chain(&[&pki.int]),
        pki.leaf.private_key(),
        provider.clone(),
    );
    let stuffed = vec![
        pki.impostor.cert.clone(),
        pki.leaf.cert.clone(),
        pki.other_b.cert_der().clone(),
        pki.int.cert_der().clone(),
        pki.other_a.cert_der().clone(),
        pki.root.cert_der().clone(),
    ];
    let impostor =
        common::TestServer::with_chain(stuffed, pki.impostor.private_key(), provider.clone());
    let verifiers = pki.verifiers(
        pinning(HOST, spki(pki.int.cert_der()), PinScope::Any),
        &provider,
    );
    for (mode, verifier) in [("webpki", &verifiers.webpki), ("wrap", &verifiers.wrap)] {
        for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
            let label = format!("{PROVIDER}: {mode} mode, {:?}", version.version);
            let client = common::pinned_client_config(verifier.clone(), &provider, version);
            assert_eq!(
                common::connect(genuine.addr, HOST, client.clone()),
                Ok(common::GREETING.to_owned()),
                "[{label}] the pinned service"
            );
            let result = common::connect(impostor.addr, HOST, client).map(|_| ());
            assert_outcome(
                &format!("{label}, the impostor"),
                HOST,
                &result,
                &no_pin(&[&pki.impostor_path()]),
            );
        }
    }
}

/// A chain stuffed with sixty decoy intermediates: each has the issuing CA's name and is
/// genuinely signed by the trusted root, but carries another key, so each costs webpki two
/// signature checks before it fails. webpki's budget is 100 signatures per verification.
#[test]
fn decoy_intermediates_exhaust_the_path_search_budget_and_fail_closed() {
    let provider = provider();
    let pki = Pki::new();
    let decoys = (0..60)
        .map(|_| {
            pki.root
                .intermediate("Pinned Intermediate")
                .cert_der()
                .clone()
        })
        .collect::<Vec<_>>();
    let int = pki.int.cert_der().clone();
    let pinned = pki.verifiers(pinning(HOST, spki(&int), PinScope::Any), &provider);
    let unpinned = pki.verifiers(pinning(HOST, NOWHERE, PinScope::Any), &provider);

    // Decoys first: the budget runs out before the genuine intermediate is tried, so
    // nothing is verified. Expected: webpki's MaximumSignatureChecksExceeded, exactly as
    // rustls reports it; a pin cannot rescue a chain webpki gave up on (fail closed).
    let decoys_first = decoys
        .iter()
        .cloned()
        .chain([int.clone()])
        .collect::<Vec<_>>();
    let exhausted = Expected::Webpki(webpki::Error::MaximumSignatureChecksExceeded);
    check(
        &format!("{PROVIDER}: decoys before the pinned intermediate"),
        &pinned,
        &pki.leaf.cert,
        &decoys_first,
        HOST,
        exhausted.clone(),
        exhausted,
    );

    // Genuine intermediate first: the first path verifies and matches the pin. Expected:
    // accepted, without reading the decoys.
    let genuine_first = [int.clone()]
        .into_iter()
        .chain(decoys.iter().cloned())
        .collect::<Vec<_>>();
    check(
        &format!("{PROVIDER}: pinned intermediate before the decoys"),
        &pinned,
        &pki.leaf.cert,
        &genuine_first,
        HOST,
        Expected::Accepted,
        Expected::Accepted,
    );

    // Genuine intermediate first but not pinned: the pin check rejects the valid path,
    // webpki goes on into the decoys until the budget is spent. Expected: a pin failure
    // listing the one valid path (rustls accepts it), not a budget error: a valid path was
    // verified, so the refusal is about pins.
    check(
        &format!("{PROVIDER}: unpinned chain before the decoys"),
        &unpinned,
        &pki.leaf.cert,
        &genuine_first,
        HOST,
        no_pin(&[&[
            leaf_node(&pki.leaf.cert),
            int_node(&int),
            root_node(pki.root.cert_der()),
        ]]),
        // Wrap mode tries at most eight candidates: the genuine intermediate and seven
        // decoys (a decoy as the sole anchor does not sign the leaf, so is not listed).
        // The configured roots come after the sixty decoys and are never tried: the cap
        // bounds the work a server can cause, at the price of a shorter error message.
        no_pin(&[&[leaf_node(&pki.leaf.cert), int_node(&int)]]),
    );
}

// ---------------------------------------------------------------------------------------------
// 2. The pinned certificate served with a different key
// ---------------------------------------------------------------------------------------------

/// Serves a fixed chain with a fixed signing key, whether or not they belong together
/// (rustls's own `with_single_cert` refuses a mismatched pair).
#[derive(Debug)]
struct MismatchedKey(Arc<CertifiedKey>);

impl ResolvesServerCert for MismatchedKey {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// The attacker serves the genuine, pinned chain (it is public) but signs the handshake with
/// its own key. Expected, in both modes and both TLS versions: the chain and its pins pass,
/// then the handshake signature fails, `InvalidCertificate(BadSignature)`. Why: a certificate
/// proves nothing without its private key; pinning does not replace the handshake signature
/// check, and the pinning verifier hands it to the same webpki code rustls uses.
#[test]
fn the_pinned_chain_served_with_another_key_fails_the_handshake_signature() {
    let provider = provider();
    let pki = Pki::new();
    let pins = pinning(HOST, spki(&pki.leaf.cert), PinScope::Leaf);
    let verifiers = pki.verifiers(pins, &provider);
    // Same algorithm (ECDSA P-256) as the genuine key, so that only the key differs.
    let stolen_chain = pki.leaf.chain(&[&pki.int]);
    let attacker_key = common::KeyKind::EcdsaP256.generate();
    let signing_key = provider
        .key_provider
        .load_private_key(rustls::pki_types::PrivateKeyDer::Pkcs8(
            attacker_key.serialize_der().into(),
        ))
        .unwrap();
    let certified = Arc::new(CertifiedKey::new(stolen_chain.clone(), signing_key));
    let server_config = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(MismatchedKey(certified)));
    let server = common::TestServer::start(Arc::new(server_config));
    let genuine =
        common::TestServer::with_chain(stolen_chain, pki.leaf.private_key(), provider.clone());
    for (mode, verifier) in [("webpki", &verifiers.webpki), ("wrap", &verifiers.wrap)] {
        for version in [&rustls::version::TLS13, &rustls::version::TLS12] {
            let label = format!("{PROVIDER}: {mode} mode, {:?}", version.version);
            let client = common::pinned_client_config(verifier.clone(), &provider, version);
            assert_eq!(
                common::connect(genuine.addr, HOST, client.clone()),
                Ok(common::GREETING.to_owned()),
                "[{label}] the genuine server"
            );
            assert_eq!(
                common::connect(server.addr, HOST, client),
                Err(Error::InvalidCertificate(CertificateError::BadSignature)),
                "[{label}] the attacker"
            );
        }
    }
}

/// The pinned CA issues a second certificate with the pinned leaf's exact subject and name
/// but a fresh key (a mis-issuance, or a renewal nobody told the client about).
/// Expected: leaf SPKI and certificate pins refuse it, `NoPinMatched` with its path; an
/// intermediate pin accepts it. Why: a leaf pin names one key or one certificate, while a CA
/// pin trusts whatever that CA signs, which is the trade-off of pinning higher up.
#[test]
fn a_look_alike_leaf_with_a_new_key_is_refused_by_leaf_pins_only() {
    let provider = provider();
    let pki = Pki::new();
    let look_alike = pki.int.leaf(&[HOST]);
    let chain = [pki.int.cert_der().clone()];
    // Wrap mode proves the same certificates WebPKI mode verifies (the root is given).
    let path = [
        leaf_node(&look_alike.cert),
        int_node(pki.int.cert_der()),
        root_node(pki.root.cert_der()),
    ];
    for (what, pin, scope) in [
        ("leaf spki", spki(&pki.leaf.cert), PinScope::Any),
        ("leaf spki", spki(&pki.leaf.cert), PinScope::Leaf),
        ("leaf certificate", cert_pin(&pki.leaf.cert), PinScope::Leaf),
    ] {
        let verifiers = pki.verifiers(pinning(HOST, pin, scope), &provider);
        check(
            &format!("{PROVIDER}: {what} ({scope:?})"),
            &verifiers,
            &look_alike.cert,
            &chain,
            HOST,
            no_pin(&[&path]),
            no_pin(&[&path]),
        );
    }
    let verifiers = pki.verifiers(
        pinning(HOST, spki(pki.int.cert_der()), PinScope::Intermediate),
        &provider,
    );
    check(
        &format!("{PROVIDER}: intermediate pin"),
        &verifiers,
        &look_alike.cert,
        &chain,
        HOST,
        Expected::Accepted,
        Expected::Accepted,
    );
}

// ---------------------------------------------------------------------------------------------
// 3. A pinned intermediate re-signed by an untrusted key
// ---------------------------------------------------------------------------------------------

#[test]
fn a_pinned_intermediate_re_signed_by_an_untrusted_key_gains_nothing() {
    let provider = provider();
    let pki = Pki::new();
    let untrusted = Ca::root("Untrusted Root");
    // The pinned intermediate's exact subject and key, issued by the untrusted root.
    let re_signed = untrusted.cross_sign(&pki.int);
    let int = pki.int.cert_der().clone();

    for (what, pin) in [
        ("spki pin on the intermediate", spki(&int)),
        ("certificate pin on the intermediate", cert_pin(&int)),
    ] {
        let verifiers = pki.verifiers(pinning(HOST, pin, PinScope::Any), &provider);
        // The genuine leaf with only the re-signed copy: the one chain ends at the
        // untrusted root. Expected: UnknownIssuer, as rustls says. Why: pins never create
        // trust; the pinned key is there, but no path reaches a trusted root.
        check(
            &format!("{PROVIDER}: {what}, re-signed copy only"),
            &verifiers,
            &pki.leaf.cert,
            std::slice::from_ref(&re_signed),
            HOST,
            Expected::Rustls(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
            Expected::Rustls(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        );
        // The re-signed copy sent before the genuine intermediate. Expected: accepted
        // through leaf > intermediate > root; the detour through the untrusted root is
        // tried and dropped by webpki, not by the pin.
        check(
            &format!("{PROVIDER}: {what}, re-signed copy then genuine"),
            &verifiers,
            &pki.leaf.cert,
            &[re_signed.clone(), int.clone()],
            HOST,
            Expected::Accepted,
            Expected::Accepted,
        );
    }

    // A pin on the re-signed certificate itself, with both sent. WebPKI mode: the
    // re-signed certificate is on no verified path (its issuer is untrusted), so
    // NoPinMatched listing the genuine path. Wrap mode: accepted. Why the modes differ:
    // wrap mode cannot see the inner verifier's path, so it counts a pinned CA certificate
    // that provably signs the leaf's chain, and the re-signed copy does (it carries the
    // key that signed the leaf); only a holder of that key could have made the leaf, so
    // nothing is gained over WebPKI mode's answer.
    let verifiers = pki.verifiers(
        pinning(HOST, cert_pin(&re_signed), PinScope::Any),
        &provider,
    );
    check(
        &format!("{PROVIDER}: certificate pin on the re-signed copy"),
        &verifiers,
        &pki.leaf.cert,
        &[re_signed.clone(), int.clone()],
        HOST,
        no_pin(&[&[
            leaf_node(&pki.leaf.cert),
            int_node(&int),
            root_node(pki.root.cert_der()),
        ]]),
        Expected::Accepted,
    );

    // A fake intermediate with the pinned intermediate's name and a new key, under the
    // untrusted root, issuing a leaf for the host.
    let fake = untrusted.intermediate("Pinned Intermediate");
    let forged = fake.leaf(&[HOST]);
    let verifiers = pki.verifiers(pinning(HOST, spki(&int), PinScope::Any), &provider);
    // Alone: the only chain ends at the untrusted root. Expected: UnknownIssuer.
    check(
        &format!("{PROVIDER}: fake intermediate alone"),
        &verifiers,
        &forged.cert,
        &[fake.cert_der().clone()],
        HOST,
        Expected::Rustls(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        Expected::Rustls(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
    );
    // With the genuine intermediate appended: same name, but its key did not sign the
    // forged leaf. Expected: BadSignature, webpki's most specific failure, as rustls
    // reports it.
    check(
        &format!("{PROVIDER}: fake intermediate with the genuine one appended"),
        &verifiers,
        &forged.cert,
        &[fake.cert_der().clone(), int.clone()],
        HOST,
        Expected::Rustls(Error::InvalidCertificate(CertificateError::BadSignature)),
        Expected::Rustls(Error::InvalidCertificate(CertificateError::BadSignature)),
    );

    // The same fake intermediate issued by a *trusted* CA (a name collision at another
    // public CA). The chain is valid, so rustls accepts it. Expected: NoPinMatched with
    // pins on the genuine intermediate, by key or by certificate. Why: pins name keys and
    // certificates, never subject names.
    let colliding = pki.other_root.intermediate("Pinned Intermediate");
    let collided = colliding.leaf(&[HOST]);
    let path = [
        leaf_node(&collided.cert),
        int_node(colliding.cert_der()),
        root_node(pki.other_root.cert_der()),
    ];
    for (what, pin) in [
        ("spki pin", spki(&int)),
        ("certificate pin", cert_pin(&int)),
    ] {
        let verifiers = pki.verifiers(pinning(HOST, pin, PinScope::Any), &provider);
        check(
            &format!("{PROVIDER}: same-name intermediate at a trusted CA, {what}"),
            &verifiers,
            &collided.cert,
            &[colliding.cert_der().clone(), int.clone()],
            HOST,
            no_pin(&[&path]),
            no_pin(&[&path]),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Paths longer than webpki allows
// ---------------------------------------------------------------------------------------------

/// `root` > `ints[0]` > ... > `ints[n-1]` > leaf for [`HOST`].
fn deep_chain(depth: usize) -> (Ca, Vec<Ca>, Leaf) {
    let root = Ca::root("Deep Root");
    let mut ints: Vec<Ca> = Vec::new();
    for level in 0..depth {
        let name = format!("Deep Intermediate {level}");
        let next = match ints.last() {
            Some(parent) => parent.intermediate(&name),
            None => root.intermediate(&name),
        };
        ints.push(next);
    }
    let leaf = ints.last().unwrap().leaf(&[HOST]);
    (root, ints, leaf)
}

/// The intermediates as a server sends them: the leaf's issuer first.
fn sent(ints: &[Ca]) -> Vec<CertificateDer<'static>> {
    ints.iter().rev().map(|ca| ca.cert_der().clone()).collect()
}

/// webpki accepts at most six intermediates between the leaf and the trust anchor.
/// Expected: six pass (with the pin on the topmost intermediate); seven fail with webpki's
/// MaximumPathDepthExceeded, exactly as rustls reports it, in both modes, although the chain
/// carries the pinned key. Why: the depth limit is part of validation, which pins only
/// narrow.
#[test]
fn a_path_longer_than_webpki_allows_is_refused_despite_a_pinned_key() {
    let provider = provider();
    let (root, ints, leaf) = deep_chain(7);
    let pins = pinning(HOST, spki(ints[0].cert_der()), PinScope::Intermediate);
    let verifiers = Verifiers::new(&[&root], pins.clone(), &provider);

    let six = &ints[..6];
    let leaf_of_six = six[5].leaf(&[HOST]);
    check(
        &format!("{PROVIDER}: six intermediates"),
        &verifiers,
        &leaf_of_six.cert,
        &sent(six),
        HOST,
        Expected::Accepted,
        Expected::Accepted,
    );
    let too_deep = Expected::Webpki(webpki::Error::MaximumPathDepthExceeded);
    check(
        &format!("{PROVIDER}: seven intermediates"),
        &verifiers,
        &leaf.cert,
        &sent(&ints),
        HOST,
        too_deep.clone(),
        too_deep,
    );

    // Wrap mode around a verifier without that limit (it accepts any chain): the leaf is
    // compared directly, but a CA pin counts only if webpki can prove the pinned
    // certificate signs the chain. The topmost intermediate is six levels up: proven, so
    // accepted. The root is seven levels up: its proof exceeds the depth limit, so
    // NoPinMatched, listing what could be proven. Why: wrap mode fails closed when it
    // cannot prove a CA pin, whatever the inner verifier decided.
    for (what, pin, expected) in [
        (
            "topmost intermediate",
            spki(ints[0].cert_der()),
            Expected::Accepted,
        ),
        (
            "root",
            spki(root.cert_der()),
            no_pin(&[&[
                leaf_node(&leaf.cert),
                int_node(ints[6].cert_der()),
                int_node(ints[5].cert_der()),
                int_node(ints[4].cert_der()),
                int_node(ints[3].cert_der()),
                int_node(ints[2].cert_der()),
                int_node(ints[1].cert_der()),
                int_node(ints[0].cert_der()),
            ]]),
        ),
    ] {
        let wrap = PinningServerVerifier::wrap(
            Arc::new(AcceptsAnyChain(provider.clone())),
            pinning(HOST, pin, PinScope::Any),
            provider.clone(),
        )
        .with_ca_certificates([root.cert_der().clone()])
        .build()
        .unwrap();
        assert_outcome(
            &format!("{PROVIDER}: wrap mode, no depth limit inside, pin on the {what}"),
            HOST,
            &verify(&*wrap, &leaf.cert, &sent(&ints), HOST),
            &expected,
        );
    }
}

/// An intermediate whose basic constraints allow no CA below it (pathLenConstraint 0), with
/// one below it anyway. Expected: webpki's PathLenConstraintViolated in both modes, as rustls
/// reports it, although the leaf is pinned. Why: a pin is checked only on a valid path.
#[test]
fn a_path_length_constraint_violation_is_refused_despite_a_pinned_leaf() {
    let provider = provider();
    let root = Ca::root("Path Length Root");
    let constrained = root.intermediate_with(
        "No Sub-CA Intermediate",
        CaOptions {
            path_len: Some(0),
            ..CaOptions::default()
        },
    );
    let below = constrained.intermediate("Forbidden Sub-CA");
    let leaf = below.leaf(&[HOST]);
    let verifiers = Verifiers::new(
        &[&root],
        pinning(HOST, spki(&leaf.cert), PinScope::Leaf),
        &provider,
    );
    let violated = Expected::Webpki(webpki::Error::PathLenConstraintViolated);
    check(
        &format!("{PROVIDER}: pathLen 0 with a sub-CA"),
        &verifiers,
        &leaf.cert,
        &[below.cert_der().clone(), constrained.cert_der().clone()],
        HOST,
        violated.clone(),
        violated,
    );
}

/// Accepts every chain: stands in for an inner verifier with other rules than webpki's.
#[derive(Debug)]
struct AcceptsAnyChain(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptsAnyChain {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

// ---------------------------------------------------------------------------------------------
// 5. Cross-signed loops
// ---------------------------------------------------------------------------------------------

/// Roots A and B cross-sign each other (A's key and name issued by B, B's by A); the server
/// sends both cross certificates after its intermediate (issued by A). webpki refuses to put
/// a certificate on a path twice (same key and name), so the loop A > B > A > ... is cut and
/// every verification ends.
#[test]
fn cross_signed_loops_terminate_with_the_right_verdict() {
    let provider = provider();
    let a = Ca::root("Loop Root A");
    let b = Ca::root("Loop Root B");
    let a_by_b = b.cross_sign(&a);
    let b_by_a = a.cross_sign(&b);
    let int = a.intermediate("Loop Intermediate");
    let leaf = int.leaf(&[HOST]);
    let chain = [int.cert_der().clone(), a_by_b.clone(), b_by_a.clone()];
    let stranger = Ca::root("Unrelated Root");

    // Only B trusted: one path, leaf > int > A(by B) > B. Expected: a pin on B's key is
    // accepted in both modes (wrap mode proves B, given as a root); a pin on nothing in
    // the chain gives NoPinMatched with that one path (the detour through B(by A) would
    // need A(by B) twice and is cut).
    let only_b = |pin| Verifiers::new(&[&b], pinning(HOST, pin, PinScope::Any), &provider);
    check(
        &format!("{PROVIDER}: B trusted, B pinned"),
        &only_b(spki(b.cert_der())),
        &leaf.cert,
        &chain,
        HOST,
        Expected::Accepted,
        Expected::Accepted,
    );
    let via_b = [
        leaf_node(&leaf.cert),
        int_node(int.cert_der()),
        int_node(&a_by_b),
        root_node(b.cert_der()),
    ];
    check(
        &format!("{PROVIDER}: B trusted, nothing pinned on the chain"),
        &only_b(NOWHERE),
        &leaf.cert,
        &chain,
        HOST,
        no_pin(&[&via_b]),
        // Wrap mode lists every candidate it proves: the intermediate, both cross
        // certificates (B(by A) carries B's key, which signs A(by B)) and B itself, given
        // as a root. Only a self-issued certificate counts as the root.
        no_pin(&[&[
            leaf_node(&leaf.cert),
            int_node(int.cert_der()),
            int_node(&a_by_b),
            int_node(&b_by_a),
            root_node(b.cert_der()),
        ]]),
    );

    // Both trusted: three paths verify, leaf > int > A; leaf > int > A(by B) > B; and
    // leaf > int > A(by B) > B(by A) > A (the anchor is not a certificate on the path, so
    // reaching A's key again through the anchor is no loop). On that third path A(by B)
    // has the subject and key of the path's anchor, A: it is a copy of the root and
    // counts as the root by its role, never as an intermediate. Expected: NoPinMatched
    // listing all three when no pin matches; a pin on B's key accepted.
    let both = |pin| Verifiers::new(&[&a, &b], pinning(HOST, pin, PinScope::Any), &provider);
    check(
        &format!("{PROVIDER}: both trusted, B pinned"),
        &both(spki(b.cert_der())),
        &leaf.cert,
        &chain,
        HOST,
        Expected::Accepted,
        Expected::Accepted,
    );
    check(
        &format!("{PROVIDER}: both trusted, nothing pinned on the chain"),
        &both(NOWHERE),
        &leaf.cert,
        &chain,
        HOST,
        no_pin(&[
            &[
                leaf_node(&leaf.cert),
                int_node(int.cert_der()),
                root_node(a.cert_der()),
            ],
            &via_b,
            &[
                leaf_node(&leaf.cert),
                int_node(int.cert_der()),
                root_node(&a_by_b),
                int_node(&b_by_a),
                root_node(a.cert_der()),
            ],
        ]),
        no_pin(&[&[
            leaf_node(&leaf.cert),
            int_node(int.cert_der()),
            int_node(&a_by_b),
            int_node(&b_by_a),
            root_node(a.cert_der()),
            root_node(b.cert_der()),
        ]]),
    );

    // Neither trusted: the loop leads nowhere. Expected: UnknownIssuer, as rustls says,
    // even with A's key pinned.
    let neither = Verifiers::new(
        &[&stranger],
        pinning(HOST, spki(a.cert_der()), PinScope::Any),
        &provider,
    );
    check(
        &format!("{PROVIDER}: neither trusted"),
        &neither,
        &leaf.cert,
        &chain,
        HOST,
        Expected::Rustls(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        Expected::Rustls(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
    );
}

// ---------------------------------------------------------------------------------------------
// 6. A leaf that is also a CA, and an end entity acting as one
// ---------------------------------------------------------------------------------------------

#[test]
fn a_ca_certificate_cannot_serve_as_a_leaf_and_a_leaf_cannot_issue() {
    let provider = provider();
    let pki = Pki::new();
    let int = pki.int.cert_der().clone();

    // A certificate for the host with CA:TRUE, pinned by its own key. Expected: webpki's
    // CaUsedAsEndEntity in both modes, as rustls reports it. Why: a CA certificate must
    // not act as a server; pinning its key does not change what it is.
    let ca_leaf = pki.int.leaf_with(LeafOptions::new(&[HOST]).ca());
    let verifiers = pki.verifiers(
        pinning(HOST, spki(&ca_leaf.cert), PinScope::Leaf),
        &provider,
    );
    let ca_as_leaf = Expected::Webpki(webpki::Error::CaUsedAsEndEntity);
    check(
        &format!("{PROVIDER}: CA:TRUE leaf"),
        &verifiers,
        &ca_leaf.cert,
        std::slice::from_ref(&int),
        HOST,
        ca_as_leaf.clone(),
        ca_as_leaf,
    );

    // Someone holding the pinned server's key mints a certificate for another name with
    // it, naming the pinned leaf as issuer, and sends the pinned leaf as its
    // "intermediate". Expected: webpki's EndEntityUsedAsCa in both modes, as rustls
    // reports it, although the pinned key (scope any) signs the chain. Why: a CA:FALSE
    // certificate cannot issue; a stolen server key is not a CA key.
    for (what, host) in [("same host", HOST), ("another host", "elsewhere.test")] {
        let verifiers = pki.verifiers(
            pinning(host, spki(&pki.leaf.cert), PinScope::Any),
            &provider,
        );
        let minted = pki.leaf.issue(LeafOptions::new(&[host]));
        let end_entity_as_ca = Expected::Webpki(webpki::Error::EndEntityUsedAsCa);
        check(
            &format!("{PROVIDER}: end entity used as a CA, {what}"),
            &verifiers,
            &minted.cert,
            &[pki.leaf.cert.clone(), int.clone()],
            host,
            end_entity_as_ca.clone(),
            end_entity_as_ca,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Name constraints
// ---------------------------------------------------------------------------------------------

fn dns_subtree(name: &str) -> GeneralSubtree {
    GeneralSubtree::DnsName(name.to_owned())
}

fn constrained(permitted: &[&str], excluded: &[&str]) -> CaOptions {
    CaOptions {
        name_constraints: Some(NameConstraints {
            permitted_subtrees: permitted.iter().map(|name| dns_subtree(name)).collect(),
            excluded_subtrees: excluded.iter().map(|name| dns_subtree(name)).collect(),
        }),
        ..CaOptions::default()
    }
}

#[test]
fn name_constraints_hold_whatever_is_pinned() {
    let provider = provider();
    let root = Ca::root("Constrained Root");
    let permitted = root.intermediate_with("Permits pinned.test", constrained(&[HOST], &[]));
    let excluding = root.intermediate_with("Excludes pinned.test", constrained(&[], &[HOST]));
    let inside = format!("api.{HOST}");
    let outside = "outside.example";

    // (issuer, leaf name, expected). Expected: names inside a permitted subtree, or
    // outside an excluded one, are accepted with the issuing CA's key pinned; names
    // violating either give webpki's NameConstraintViolation in both modes, as rustls
    // reports it, even though the leaf's own key is pinned for that name. Why: name
    // constraints bound what a CA may certify; a pin only narrows what validation allows.
    let cases = [
        (&permitted, inside.as_str(), true),
        (&permitted, outside, false),
        (&excluding, inside.as_str(), false),
        (&excluding, outside, true),
    ];
    for (ca, host, allowed) in cases {
        let leaf = ca.leaf(&[host]);
        let chain = [ca.cert_der().clone()];
        let label = format!("{PROVIDER}: {} issuing {host}", ca.common_name());
        let expected = match allowed {
            true => Expected::Accepted,
            false => Expected::Webpki(webpki::Error::NameConstraintViolation),
        };
        let by_ca = PinSet::builder()
            .entry(
                PinEntry::builder(host.parse().unwrap())
                    .pin_at(spki(ca.cert_der()), PinScope::Intermediate)
                    .pin_at(spki(&leaf.cert), PinScope::Leaf),
            )
            .build()
            .unwrap();
        let verifiers = Verifiers::new(&[&root], by_ca, &provider);
        check(
            &label,
            &verifiers,
            &leaf.cert,
            &chain,
            host,
            expected.clone(),
            expected,
        );
    }

    // A constrained root: the trust anchor's own constraints apply too.
    let constrained_root = Ca::root_opts("Root Permitting pinned.test", constrained(&[HOST], &[]));
    let int = constrained_root.intermediate("Under a Constrained Root");
    for (host, allowed) in [(inside.as_str(), true), (outside, false)] {
        let leaf = int.leaf(&[host]);
        let verifiers = Verifiers::new(
            &[&constrained_root],
            pinning(host, spki(constrained_root.cert_der()), PinScope::Root),
            &provider,
        );
        let expected = match allowed {
            true => Expected::Accepted,
            false => Expected::Webpki(webpki::Error::NameConstraintViolation),
        };
        check(
            &format!("{PROVIDER}: constrained root, {host}"),
            &verifiers,
            &leaf.cert,
            &[int.cert_der().clone()],
            host,
            expected.clone(),
            expected,
        );
    }
}

/// Two certificates for one intermediate key and name: one issued by the pinned root with a
/// constraint to `pinned.test`, one issued by another trusted root without constraints. A
/// leaf for a name outside the constraint has a valid path only through the unconstrained
/// copy. Expected, with the pinned root's key pinned: NoPinMatched listing only the other
/// root's path, in both modes. Why: webpki checks name constraints before the pin check sees
/// a path, so the pin cannot be satisfied through a path that violates them.
#[test]
fn a_pin_is_not_satisfied_through_a_path_that_violates_name_constraints() {
    let provider = provider();
    let pinned_root = Ca::root("Pinned Root");
    let other_root = Ca::root("Other Root");
    let shared = common::KeyKind::EcdsaP256.generate();
    let with_key = |options: CaOptions| CaOptions {
        key: copy_key_pair(&shared).into(),
        ..options
    };
    let narrow =
        pinned_root.intermediate_with("Shared Intermediate", with_key(constrained(&[HOST], &[])));
    let wide = other_root.intermediate_with("Shared Intermediate", with_key(CaOptions::default()));
    let host = "outside.example";
    let leaf = narrow.leaf(&[host]);
    let verifiers = Verifiers::new(
        &[&pinned_root, &other_root],
        pinning(host, spki(pinned_root.cert_der()), PinScope::Root),
        &provider,
    );
    let wide_path = [
        leaf_node(&leaf.cert),
        int_node(wide.cert_der()),
        root_node(other_root.cert_der()),
    ];
    check(
        &format!("{PROVIDER}: constrained and unconstrained copies"),
        &verifiers,
        &leaf.cert,
        &[narrow.cert_der().clone(), wide.cert_der().clone()],
        host,
        no_pin(&[&wide_path]),
        no_pin(&[&wide_path]),
    );
}

// ---------------------------------------------------------------------------------------------
// 8. Certificates sharing a key under different subjects
// ---------------------------------------------------------------------------------------------

#[test]
fn certificates_sharing_a_key_under_different_subjects() {
    let provider = provider();
    let pki = Pki::new();
    let int = pki.int.cert_der().clone();
    // The pinned intermediate's key, certified again by the same root under another name.
    let alias = pki.root.intermediate_with(
        "Alias Intermediate",
        CaOptions::with_key(copy_key_pair(pki.int.key_pair())),
    );
    let alias_leaf = alias.leaf(&[HOST]);
    let alias_path = [
        leaf_node(&alias_leaf.cert),
        int_node(alias.cert_der()),
        root_node(pki.root.cert_der()),
    ];

    // SPKI pin: it names the key, so either certificate of it satisfies it. Expected:
    // accepted under the alias too.
    let by_key = pki.verifiers(pinning(HOST, spki(&int), PinScope::Intermediate), &provider);
    check(
        &format!("{PROVIDER}: spki pin, leaf under the alias"),
        &by_key,
        &alias_leaf.cert,
        &[alias.cert_der().clone()],
        HOST,
        Expected::Accepted,
        Expected::Accepted,
    );

    // Certificate pin: it names one certificate. Expected: NoPinMatched under the alias,
    // also when the pinned certificate is sent along (its name is not the alias leaf's
    // issuer, so it is on no path, and in wrap mode it cannot be proven: webpki matches
    // issuers by name before it checks a signature).
    let by_certificate = pki.verifiers(pinning(HOST, cert_pin(&int), PinScope::Any), &provider);
    for (what, chain) in [
        ("alias only", vec![alias.cert_der().clone()]),
        (
            "alias and the pinned certificate",
            vec![alias.cert_der().clone(), int.clone()],
        ),
    ] {
        check(
            &format!("{PROVIDER}: certificate pin, {what}"),
            &by_certificate,
            &alias_leaf.cert,
            &chain,
            HOST,
            no_pin(&[&alias_path]),
            no_pin(&[&alias_path]),
        );
    }

    // A root's key under another name, which the client does not trust. Expected:
    // UnknownIssuer in both modes, as rustls says, with the trusted root's key pinned.
    // Why: trust anchors are found by name, then by signature; the key alone is not an
    // anchor.
    let twin = Ca::root_with_key("Twin Root", copy_key_pair(pki.root.key_pair()));
    let twin_int = twin.intermediate("Twin Intermediate");
    let twin_leaf = twin_int.leaf(&[HOST]);
    let by_root = pki.verifiers(
        pinning(HOST, spki(pki.root.cert_der()), PinScope::Any),
        &provider,
    );
    check(
        &format!("{PROVIDER}: the trusted root's key under another name"),
        &by_root,
        &twin_leaf.cert,
        &[twin_int.cert_der().clone(), twin.cert_der().clone()],
        HOST,
        Expected::Rustls(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
        Expected::Rustls(Error::InvalidCertificate(CertificateError::UnknownIssuer)),
    );

    // Another trusted CA certifies the pinned intermediate's key as a leaf for the host.
    // With the pin scoped to intermediates: NoPinMatched, the key is in the leaf position.
    // With the pin at any position: accepted. Why: an SPKI pin names a key wherever it
    // appears, and only the holder of that key can complete the handshake with this leaf.
    let same_key_leaf = pki
        .other_b
        .leaf_with(LeafOptions::new(&[HOST]).key(copy_key_pair(pki.int.key_pair())));
    let chain = [
        pki.other_b.cert_der().clone(),
        pki.other_a.cert_der().clone(),
    ];
    let path = [
        leaf_node(&same_key_leaf.cert),
        int_node(pki.other_b.cert_der()),
        int_node(pki.other_a.cert_der()),
        root_node(pki.other_root.cert_der()),
    ];
    check(
        &format!("{PROVIDER}: the pinned CA key as a leaf, pin scoped to intermediates"),
        &pki.verifiers(pinning(HOST, spki(&int), PinScope::Intermediate), &provider),
        &same_key_leaf.cert,
        &chain,
        HOST,
        no_pin(&[&path]),
        no_pin(&[&path]),
    );
    check(
        &format!("{PROVIDER}: the pinned CA key as a leaf, pin at any position"),
        &pki.verifiers(pinning(HOST, spki(&int), PinScope::Any), &provider),
        &same_key_leaf.cert,
        &chain,
        HOST,
        Expected::Accepted,
        Expected::Accepted,
    );
}
