//! Wrap mode: pins enforced on top of rustls's own `WebPkiServerVerifier`, which does not
//! reveal the path it built. Leaf pins are compared directly; CA pins must be proven to sign
//! the leaf's chain, so a pinned CA certificate appended to an impostor's chain is useless.

use rustls_pinning_test_support as common;

use std::sync::Arc;

use common::{root_store, Ca, Leaf};
use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, Error, RootCertStore};
use rustls_pinning::{
    Pin, PinEntry, PinScope, PinSet, PinningServerVerifier, Position, ServerPinningError,
    UnpinnedHostPolicy,
};

use super::{provider, PROVIDER};

const HOST: &str = "wrap.test";

/// A pin no test certificate has, to satisfy the backup-pin rule.
const BACKUP: Pin = Pin::spki_sha256([0xB0; 32]);

/// Two independent CA hierarchies, both trusted by the inner verifier. `leaf` is the real
/// server (under `root`/`int`); `impostor` is a valid certificate for the same name from the
/// other CA.
struct Pki {
    root: Ca,
    int: Ca,
    leaf: Leaf,
    other_root: Ca,
    other_int: Ca,
    impostor: Leaf,
}

impl Pki {
    fn new() -> Self {
        let root = Ca::root("Wrap Root");
        let int = root.intermediate("Wrap Intermediate");
        let leaf = int.leaf(&[HOST]);
        let other_root = Ca::root("Other Trusted Root");
        let other_int = other_root.intermediate("Other Trusted Intermediate");
        let impostor = other_int.leaf(&[HOST]);
        Pki {
            root,
            int,
            leaf,
            other_root,
            other_int,
            impostor,
        }
    }

    fn roots(&self) -> Arc<RootCertStore> {
        root_store(&[&self.root, &self.other_root])
    }
}

fn spki(cert: &CertificateDer<'_>) -> Pin {
    Pin::spki_of(cert).unwrap()
}

fn inner(roots: Arc<RootCertStore>, provider: &Arc<CryptoProvider>) -> Arc<dyn ServerCertVerifier> {
    WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .unwrap()
}

fn wrapped(
    roots: Arc<RootCertStore>,
    pins: PinSet,
    provider: &Arc<CryptoProvider>,
) -> Arc<PinningServerVerifier> {
    PinningServerVerifier::wrap(inner(roots, provider), pins, provider.clone())
        .build()
        .unwrap()
}

fn entry_pins(pins: &[Pin]) -> PinSet {
    let mut entry = PinEntry::builder(HOST.parse().unwrap());
    for pin in pins {
        entry = entry.pin(*pin);
    }
    PinSet::builder().entry(entry).build().unwrap()
}

fn verify(
    verifier: &dyn ServerCertVerifier,
    end_entity: &CertificateDer<'_>,
    intermediates: &[CertificateDer<'_>],
    host: &str,
) -> Result<ServerCertVerified, Error> {
    let name = ServerName::try_from(host).unwrap();
    verifier.verify_server_cert(end_entity, intermediates, &name, &[], UnixTime::now())
}

/// The `ServerPinningError` inside a rejection; panics (with `label`) on acceptance or another error.
fn pinning_error(result: Result<ServerCertVerified, Error>, label: &str) -> ServerPinningError {
    match result {
        Ok(_) => panic!("[{label}] accepted, expected a pinning rejection"),
        Err(error) => ServerPinningError::from_rustls(&error)
            .unwrap_or_else(|| panic!("[{label}] expected a ServerPinningError, got {error:?}"))
            .clone(),
    }
}

fn assert_no_pin_matched(result: Result<ServerCertVerified, Error>, label: &str) {
    match pinning_error(result, label) {
        ServerPinningError::NoPinMatched { host, pattern, .. } => {
            assert_eq!(host, HOST, "[{label}]");
            assert_eq!(pattern.to_string(), HOST, "[{label}]");
        }
        other => panic!("[{label}] expected NoPinMatched, got {other}"),
    }
}

#[test]
fn leaf_spki_pin_accepts_the_pinned_leaf_only() {
    let provider = provider();
    let pki = Pki::new();
    let sibling = pki.int.leaf(&[HOST]);
    let verifier = wrapped(
        pki.roots(),
        entry_pins(&[spki(&pki.leaf.cert), BACKUP]),
        &provider,
    );
    let chain = [pki.int.cert_der().clone()];

    assert!(
        verify(&*verifier, &pki.leaf.cert, &chain, HOST).is_ok(),
        "[{PROVIDER}] pinned leaf must be accepted"
    );
    assert_no_pin_matched(
        verify(&*verifier, &sibling.cert, &chain, HOST),
        &format!("{PROVIDER}: other leaf from the same intermediate"),
    );
}

#[test]
fn intermediate_pin_accepts_when_the_intermediate_is_presented() {
    let provider = provider();
    let pki = Pki::new();
    let verifier = wrapped(
        pki.roots(),
        entry_pins(&[spki(pki.int.cert_der()), BACKUP]),
        &provider,
    );
    verify(
        &*verifier,
        &pki.leaf.cert,
        &[pki.int.cert_der().clone()],
        HOST,
    )
    .unwrap_or_else(|e| panic!("[{PROVIDER}] pinned intermediate on the chain: {e}"));

    // A leaf pinned at the intermediate scope does not count as the leaf itself.
    let scoped = PinSet::builder()
        .entry(
            PinEntry::builder(HOST.parse().unwrap())
                .pin_at(spki(&pki.leaf.cert), PinScope::Intermediate)
                .pin(BACKUP),
        )
        .build()
        .unwrap();
    let verifier = wrapped(pki.roots(), scoped, &provider);
    assert_no_pin_matched(
        verify(
            &*verifier,
            &pki.leaf.cert,
            &[pki.int.cert_der().clone()],
            HOST,
        ),
        &format!("{PROVIDER}: leaf key scoped to intermediate"),
    );
}

#[test]
fn stuffed_pinned_intermediate_does_not_vouch_for_an_impostor() {
    let provider = provider();
    let pki = Pki::new();
    let verifier = wrapped(
        pki.roots(),
        entry_pins(&[spki(pki.int.cert_der()), BACKUP]),
        &provider,
    );
    let stuffed = [pki.other_int.cert_der().clone(), pki.int.cert_der().clone()];
    // The inner verifier on its own is happy: the impostor chains to a trusted root.
    inner(pki.roots(), &provider)
        .verify_server_cert(
            &pki.impostor.cert,
            &stuffed,
            &ServerName::try_from(HOST).unwrap(),
            &[],
            UnixTime::now(),
        )
        .unwrap_or_else(|e| panic!("[{PROVIDER}] impostor is WebPKI-valid: {e}"));

    let error = pinning_error(
        verify(&*verifier, &pki.impostor.cert, &stuffed, HOST),
        &format!("{PROVIDER}: stuffed intermediate"),
    );
    match &error {
        ServerPinningError::NoPinMatched { verified_paths, .. } => {
            // The pinned intermediate was not proven, so it is not on the reported path.
            let pinned = spki(pki.int.cert_der());
            assert!(
                verified_paths
                    .iter()
                    .flatten()
                    .all(|certificate| certificate.spki_pin() != pinned),
                "[{PROVIDER}] the stuffed intermediate must not be reported as on the path: {error}"
            );
        }
        other => panic!("[{PROVIDER}] expected NoPinMatched, got {other}"),
    }
}

#[test]
fn stuffed_pinned_root_does_not_vouch_for_an_impostor() {
    let provider = provider();
    let pki = Pki::new();
    let pins = || entry_pins(&[spki(pki.root.cert_der()), BACKUP]);
    let stuffed = [
        pki.other_int.cert_der().clone(),
        pki.root.cert_der().clone(),
    ];

    let verifier = wrapped(pki.roots(), pins(), &provider);
    assert_no_pin_matched(
        verify(&*verifier, &pki.impostor.cert, &stuffed, HOST),
        &format!("{PROVIDER}: stuffed root"),
    );

    // Also when the root is configured as a CA certificate: it still does not sign the
    // impostor's chain.
    let verifier =
        PinningServerVerifier::wrap(inner(pki.roots(), &provider), pins(), provider.clone())
            .with_ca_certificates([pki.root.cert_der().clone()])
            .build()
            .unwrap();
    assert_no_pin_matched(
        verify(&*verifier, &pki.impostor.cert, &stuffed, HOST),
        &format!("{PROVIDER}: stuffed root, root configured"),
    );

    // Sanity: the genuine server passes the same verifier.
    verify(
        &*verifier,
        &pki.leaf.cert,
        &[pki.int.cert_der().clone()],
        HOST,
    )
    .unwrap_or_else(|e| panic!("[{PROVIDER}] genuine chain under the pinned root: {e}"));
}

#[test]
fn root_pin_for_an_unsent_root_needs_the_root_certificate() {
    let provider = provider();
    let pki = Pki::new();
    let pins = || entry_pins(&[spki(pki.root.cert_der()), BACKUP]);
    let chain = [pki.int.cert_der().clone()];

    let without = wrapped(pki.roots(), pins(), &provider);
    assert_no_pin_matched(
        verify(&*without, &pki.leaf.cert, &chain, HOST),
        &format!("{PROVIDER}: root not given"),
    );

    let with = PinningServerVerifier::wrap(inner(pki.roots(), &provider), pins(), provider.clone())
        .with_ca_certificates([pki.root.cert_der().clone()])
        .build()
        .unwrap();
    verify(&*with, &pki.leaf.cert, &chain, HOST)
        .unwrap_or_else(|e| panic!("[{PROVIDER}] root given via with_ca_certificates: {e}"));
}

#[test]
fn scopes_follow_self_issuance_of_the_proven_certificate() {
    // Wrap mode cannot see the path's order: a proven CA counts as the root when it is
    // self-issued, as an intermediate otherwise.
    let provider = provider();
    let pki = Pki::new();
    let scoped = |pin: Pin, scope: PinScope| {
        let pins = PinSet::builder()
            .entry(
                PinEntry::builder(HOST.parse().unwrap())
                    .pin_at(pin, scope)
                    .pin(BACKUP),
            )
            .build()
            .unwrap();
        PinningServerVerifier::wrap(inner(pki.roots(), &provider), pins, provider.clone())
            .with_ca_certificates([pki.root.cert_der().clone()])
            .build()
            .unwrap()
    };
    let chain = [pki.int.cert_der().clone()];
    let root_pin = spki(pki.root.cert_der());
    let int_pin = spki(pki.int.cert_der());

    for (label, pin, scope, accepted) in [
        ("root key as root", root_pin, PinScope::Root, true),
        (
            "root key as intermediate",
            root_pin,
            PinScope::Intermediate,
            false,
        ),
        (
            "intermediate key as intermediate",
            int_pin,
            PinScope::Intermediate,
            true,
        ),
        ("intermediate key as root", int_pin, PinScope::Root, false),
        ("intermediate key as leaf", int_pin, PinScope::Leaf, false),
    ] {
        let result = verify(&*scoped(pin, scope), &pki.leaf.cert, &chain, HOST);
        if accepted {
            result.unwrap_or_else(|e| panic!("[{PROVIDER}: {label}] expected acceptance: {e}"));
        } else {
            assert_no_pin_matched(result, &format!("{PROVIDER}: {label}"));
        }
    }
}

#[test]
fn deny_pin_on_a_proven_intermediate_rejects() {
    let provider = provider();
    let pki = Pki::new();
    let denied = spki(pki.int.cert_der());
    let pins = PinSet::builder()
        .entry(
            PinEntry::builder(HOST.parse().unwrap())
                .pin(spki(&pki.leaf.cert))
                .pin(BACKUP)
                .deny(denied),
        )
        .build()
        .unwrap();
    let verifier = wrapped(pki.roots(), pins, &provider);
    let error = pinning_error(
        verify(
            &*verifier,
            &pki.leaf.cert,
            &[pki.int.cert_der().clone()],
            HOST,
        ),
        PROVIDER,
    );
    match &error {
        ServerPinningError::DeniedPinMatched {
            host,
            pattern,
            denied: matched,
            certificate,
            ..
        } => {
            assert_eq!(host, HOST, "[{PROVIDER}]");
            assert_eq!(
                pattern.as_ref().map(ToString::to_string).as_deref(),
                Some(HOST),
                "[{PROVIDER}]"
            );
            assert_eq!(matched.pin(), denied, "[{PROVIDER}]");
            assert_eq!(certificate.spki_pin(), denied, "[{PROVIDER}] {error}");
            assert_ne!(
                certificate.position(),
                Position::Leaf,
                "[{PROVIDER}] {error}"
            );
        }
        other => panic!("[{PROVIDER}] expected DeniedPinMatched, got {other}"),
    }
}

#[test]
fn deny_pin_on_an_appended_unrelated_certificate_is_ignored() {
    let provider = provider();
    let pki = Pki::new();
    let pins = PinSet::builder()
        .entry(
            PinEntry::builder(HOST.parse().unwrap())
                .pin(spki(&pki.leaf.cert))
                .pin(BACKUP)
                .deny(spki(pki.other_int.cert_der())),
        )
        .build()
        .unwrap();
    let verifier = wrapped(pki.roots(), pins, &provider);
    let chain = [pki.int.cert_der().clone(), pki.other_int.cert_der().clone()];
    verify(&*verifier, &pki.leaf.cert, &chain, HOST).unwrap_or_else(|e| {
        panic!("[{PROVIDER}] a denied certificate that is not on the path must not reject: {e}")
    });
}

#[test]
fn inner_verifier_errors_pass_through_unchanged() {
    let provider = provider();
    let pki = Pki::new();
    let untrusted_root = Ca::root("Untrusted Root");
    let untrusted = untrusted_root.leaf(&[HOST]);
    let pins = || entry_pins(&[spki(&untrusted.cert), spki(&pki.leaf.cert)]);
    let verifier = wrapped(pki.roots(), pins(), &provider);
    let plain = inner(pki.roots(), &provider);

    // Untrusted chain, even though its leaf is pinned.
    let error = verify(&*verifier, &untrusted.cert, &[], HOST).unwrap_err();
    assert_eq!(
        error,
        Error::InvalidCertificate(CertificateError::UnknownIssuer),
        "[{PROVIDER}] untrusted chain"
    );
    assert_eq!(
        Some(error),
        verify(&*plain, &untrusted.cert, &[], HOST).err(),
        "[{PROVIDER}] same error as the inner verifier"
    );

    // Wrong name: the pinned leaf is only valid for HOST. Pin the other name too.
    let other_host = "elsewhere.test";
    let pins = PinSet::builder()
        .entry(
            PinEntry::builder(other_host.parse().unwrap())
                .pin(spki(&pki.leaf.cert))
                .pin(BACKUP),
        )
        .build()
        .unwrap();
    let verifier = wrapped(pki.roots(), pins, &provider);
    let chain = [pki.int.cert_der().clone()];
    let error = verify(&*verifier, &pki.leaf.cert, &chain, other_host).unwrap_err();
    match &error {
        Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected,
            presented,
        }) => {
            assert_eq!(
                expected,
                &ServerName::try_from(other_host).unwrap(),
                "[{PROVIDER}]"
            );
            assert_eq!(presented, &[format!("DnsName(\"{HOST}\")")], "[{PROVIDER}]");
        }
        other => panic!("[{PROVIDER}] expected NotValidForNameContext, got {other:?}"),
    }
    assert_eq!(
        Some(error),
        verify(&*plain, &pki.leaf.cert, &chain, other_host).err(),
        "[{PROVIDER}] same error as the inner verifier"
    );
}

#[test]
fn report_only_entry_with_wrong_pins_is_accepted() {
    let provider = provider();
    let pki = Pki::new();
    let pins = PinSet::builder()
        .entry(
            PinEntry::builder(HOST.parse().unwrap())
                .pin(BACKUP)
                .report_only(),
        )
        .build()
        .unwrap();
    let verifier = wrapped(pki.roots(), pins, &provider);
    verify(
        &*verifier,
        &pki.leaf.cert,
        &[pki.int.cert_der().clone()],
        HOST,
    )
    .unwrap_or_else(|e| panic!("[{PROVIDER}] report-only must not enforce: {e}"));

    // Report-only does not excuse an untrusted chain.
    let untrusted = Ca::root("Untrusted Root").leaf(&[HOST]);
    assert_eq!(
        verify(&*verifier, &untrusted.cert, &[], HOST).unwrap_err(),
        Error::InvalidCertificate(CertificateError::UnknownIssuer),
        "[{PROVIDER}] report-only with an untrusted chain"
    );
}

#[test]
fn unpinned_host_is_rejected_when_the_policy_says_so() {
    let provider = provider();
    let pki = Pki::new();
    let build = |policy| {
        PinSet::builder()
            .entry(
                PinEntry::builder("other.test".parse().unwrap())
                    .pin(spki(&pki.leaf.cert))
                    .pin(BACKUP),
            )
            .unpinned_hosts(policy)
            .build()
            .unwrap()
    };
    let chain = [pki.int.cert_der().clone()];

    let strict = wrapped(pki.roots(), build(UnpinnedHostPolicy::Reject), &provider);
    match pinning_error(verify(&*strict, &pki.leaf.cert, &chain, HOST), PROVIDER) {
        ServerPinningError::HostNotPinned { host } => assert_eq!(host, HOST, "[{PROVIDER}]"),
        other => panic!("[{PROVIDER}] expected HostNotPinned, got {other}"),
    }

    let lenient = wrapped(
        pki.roots(),
        build(UnpinnedHostPolicy::WebPkiOnly),
        &provider,
    );
    verify(&*lenient, &pki.leaf.cert, &chain, HOST)
        .unwrap_or_else(|e| panic!("[{PROVIDER}] WebPkiOnly lets an unpinned host through: {e}"));
}

#[test]
fn deny_pins_on_the_leaf_reject() {
    let provider = provider();
    let pki = Pki::new();
    let leaf_key = spki(&pki.leaf.cert);
    let chain = [pki.int.cert_der().clone()];
    let entry_deny = PinSet::builder()
        .entry(
            PinEntry::builder(HOST.parse().unwrap())
                .pin(spki(pki.int.cert_der()))
                .pin(BACKUP)
                .deny(leaf_key),
        )
        .build()
        .unwrap();
    let global_deny = PinSet::builder().deny_everywhere(leaf_key).build().unwrap();
    for (label, pins, expected_pattern) in [
        ("entry deny", entry_deny, Some(HOST.parse().unwrap())),
        ("global deny", global_deny, None),
    ] {
        let verifier = wrapped(pki.roots(), pins, &provider);
        match pinning_error(verify(&*verifier, &pki.leaf.cert, &chain, HOST), label) {
            ServerPinningError::DeniedPinMatched {
                pattern,
                denied,
                certificate,
                ..
            } => {
                assert_eq!(pattern, expected_pattern, "[{PROVIDER}: {label}]");
                assert_eq!(denied.pin(), leaf_key, "[{PROVIDER}: {label}]");
                assert_eq!(
                    certificate.position(),
                    Position::Leaf,
                    "[{PROVIDER}: {label}]"
                );
            }
            other => panic!("[{PROVIDER}: {label}] expected DeniedPinMatched, got {other}"),
        }
    }
}

#[test]
fn report_only_never_waives_a_global_deny() {
    let provider = provider();
    let pki = Pki::new();
    let chain = [pki.int.cert_der().clone()];
    // With and without an entry-level deny that report-only would tolerate on its own.
    for own_deny in [false, true] {
        let mut entry = PinEntry::builder(HOST.parse().unwrap())
            .pin(BACKUP)
            .report_only();
        if own_deny {
            entry = entry.deny(spki(&pki.leaf.cert));
        }
        let pins = PinSet::builder()
            .entry(entry)
            .deny_everywhere(spki(pki.int.cert_der()))
            .build()
            .unwrap();
        let verifier = wrapped(pki.roots(), pins, &provider);
        let label = format!("{PROVIDER}: own deny {own_deny}");
        match pinning_error(verify(&*verifier, &pki.leaf.cert, &chain, HOST), &label) {
            ServerPinningError::DeniedPinMatched { pattern, .. } => {
                assert_eq!(pattern, None, "[{label}]");
            }
            other => panic!("[{label}] expected DeniedPinMatched, got {other}"),
        }
    }
}

/// An inner verifier that trusts every chain, so that only the pin proof stands between a
/// chain and acceptance.
#[derive(Debug)]
struct TrustsEverything(Arc<CryptoProvider>);

impl ServerCertVerifier for TrustsEverything {
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
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, Error> {
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
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[test]
fn ca_proof_is_made_at_the_handshake_time() {
    // The pinned root signs the chain only through an intermediate that has expired: at the
    // handshake's `now` that is no proof, even though the inner verifier let it through.
    let provider = provider();
    let root = Ca::root("Proof Time Root");
    let expired_int = root.intermediate_with(
        "Expired Intermediate",
        common::CaOptions {
            not_before: common::now_plus(-30 * 86_400),
            not_after: common::now_plus(-86_400),
            ..Default::default()
        },
    );
    let leaf = expired_int.leaf(&[HOST]);
    let pins = entry_pins(&[spki(root.cert_der()), BACKUP]);
    let inner: Arc<dyn ServerCertVerifier> = Arc::new(TrustsEverything(provider.clone()));
    let verifier = PinningServerVerifier::wrap(inner, pins, provider.clone())
        .with_ca_certificates([root.cert_der().clone()])
        .build()
        .unwrap();
    let chain = [expired_int.cert_der().clone()];
    assert_no_pin_matched(
        verify(&*verifier, &leaf.cert, &chain, HOST),
        &format!("{PROVIDER}: expired intermediate"),
    );

    // The same construction with a valid intermediate is proven: the test isolates time.
    let int = root.intermediate("Valid Intermediate");
    let leaf = int.leaf(&[HOST]);
    verify(&*verifier, &leaf.cert, &[int.cert_der().clone()], HOST)
        .unwrap_or_else(|e| panic!("[{PROVIDER}] valid intermediate: {e}"));
}
