//! Attacks on the code that combines decisions: wrap mode's proofs, the hybrid store's two
//! policies, pin positions that depend on what a server sends, and client identities that
//! pretend to be SPIFFE IDs. Every case states what an attacker controls and asserts the exact
//! outcome.

#![cfg(feature = "dynamic")]

use rustls_pinning_test_support as common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{copy_key_pair, root_store, Ca, CaOptions, Leaf, LeafOptions};
use rcgen::{GeneralSubtree, KeyPair, NameConstraints};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{
    AlgorithmIdentifier, CertificateDer, InvalidSignature, PrivateKeyDer, ServerName,
    SignatureVerificationAlgorithm, SubjectPublicKeyInfoDer, UnixTime,
};
use rustls::server::danger::ClientCertVerifier;
use rustls::{RootCertStore, SignatureScheme};
use rustls_pinning::bundle::{self, BundleError, BundleKey, BundleVerifier};
use rustls_pinning::pin_store::{ApplyOutcome, HybridMode, PinStore};
use rustls_pinning::{
    ClientPinEntry, ClientPinSet, ClientPinningError, Pin, PinEntry, PinScope, PinSet,
    PinningClientVerifier, PinningServerVerifier, Position, ServerPinningError, UnpinnedHostPolicy,
};

use super::{provider, PROVIDER};

const HOST: &str = "hostile.test";
const OTHER: &str = "other.hostile.test";
const STRANGER: &str = "stranger.hostile.test";
const DAY: u64 = 24 * 3600;

/// A pin no test certificate has, to satisfy the backup-pin rule.
const BACKUP: Pin = Pin::spki_sha256([0xB0; 32]);
/// A pin nothing matches.
const NOWHERE: Pin = Pin::spki_sha256([0x0E; 32]);

fn spki(cert: &CertificateDer<'_>) -> Pin {
    Pin::spki_of(cert).unwrap()
}

fn cert_pin(cert: &CertificateDer<'_>) -> Pin {
    Pin::certificate_of(cert)
}

fn name(host: &str) -> ServerName<'static> {
    ServerName::try_from(host.to_owned()).unwrap()
}

fn verify_at(
    verifier: &dyn ServerCertVerifier,
    leaf: &CertificateDer<'_>,
    chain: &[CertificateDer<'_>],
    host: &str,
    now: UnixTime,
) -> Result<(), rustls::Error> {
    verifier
        .verify_server_cert(leaf, chain, &name(host), &[], now)
        .map(|_| ())
}

fn verify(
    verifier: &dyn ServerCertVerifier,
    leaf: &CertificateDer<'_>,
    chain: &[CertificateDer<'_>],
    host: &str,
) -> Result<(), rustls::Error> {
    verify_at(verifier, leaf, chain, host, UnixTime::now())
}

/// The `ServerPinningError` of a rejection; panics with `label` on acceptance or another error.
fn pinning_error(result: Result<(), rustls::Error>, label: &str) -> ServerPinningError {
    match result {
        Ok(()) => panic!("[{label}] accepted, expected a pinning rejection"),
        Err(error) => ServerPinningError::from_rustls(&error)
            .unwrap_or_else(|| panic!("[{label}] expected a ServerPinningError, got {error:?}"))
            .clone(),
    }
}

/// Asserts a rejection for a deny pin: which pin, on which certificate, from which list.
fn assert_denied(
    result: Result<(), rustls::Error>,
    label: &str,
    denied: Pin,
    subject: &str,
    pattern: Option<&str>,
) {
    match pinning_error(result, label) {
        ServerPinningError::DeniedPinMatched {
            denied: pin,
            certificate,
            pattern: list,
            ..
        } => {
            assert_eq!(pin.pin(), denied, "[{label}] deny pin");
            assert!(
                certificate.subject().contains(subject),
                "[{label}] denied certificate {}",
                certificate.subject()
            );
            assert_eq!(
                list.map(|pattern| pattern.to_string()),
                pattern.map(str::to_owned),
                "[{label}] deny list"
            );
        }
        other => panic!("[{label}] expected DeniedPinMatched, got {other}"),
    }
}

fn assert_no_pin_matched(result: Result<(), rustls::Error>, label: &str, pattern: &str) {
    match pinning_error(result, label) {
        ServerPinningError::NoPinMatched { pattern: found, .. } => {
            assert_eq!(found.to_string(), pattern, "[{label}]")
        }
        other => panic!("[{label}] expected NoPinMatched, got {other}"),
    }
}

fn assert_host_not_pinned(result: Result<(), rustls::Error>, label: &str, host: &str) {
    match pinning_error(result, label) {
        ServerPinningError::HostNotPinned { host: found } => assert_eq!(found, host, "[{label}]"),
        other => panic!("[{label}] expected HostNotPinned, got {other}"),
    }
}

fn entry(host: &str) -> rustls_pinning::PinEntryBuilder {
    PinEntry::builder(host.parse().unwrap())
}

fn webpki_inner(
    roots: Arc<RootCertStore>,
    provider: &Arc<CryptoProvider>,
) -> Arc<dyn ServerCertVerifier> {
    WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .unwrap()
}

fn wrapped(
    roots: Arc<RootCertStore>,
    pins: PinSet,
    extra: Vec<CertificateDer<'static>>,
    provider: &Arc<CryptoProvider>,
) -> Arc<PinningServerVerifier> {
    PinningServerVerifier::wrap(webpki_inner(roots, provider), pins, provider.clone())
        .with_ca_certificates(extra)
        .build()
        .unwrap()
}

fn webpki(
    roots: Arc<RootCertStore>,
    pins: PinSet,
    provider: &Arc<CryptoProvider>,
) -> Arc<PinningServerVerifier> {
    PinningServerVerifier::builder(roots, pins, provider.clone())
        .build()
        .unwrap()
}

/// A root, an intermediate the policies below deny, and a leaf for [`HOST`] under it; a
/// second leaf for [`STRANGER`]; and an untrusted CA that signs decoys.
struct Pki {
    root: Ca,
    int: Ca,
    leaf: Leaf,
    stranger: Leaf,
    decoy_issuer: Ca,
}

impl Pki {
    fn new() -> Self {
        let root = Ca::root("Hostile Root");
        let int = root.intermediate("Denied Intermediate");
        let leaf = int.leaf(&[HOST]);
        let stranger = int.leaf(&[STRANGER]);
        Self {
            root,
            int,
            leaf,
            stranger,
            decoy_issuer: Ca::root("Decoy Issuer"),
        }
    }

    fn roots(&self) -> Arc<RootCertStore> {
        root_store(&[&self.root])
    }

    /// A certificate carrying `ca`'s key under the name `subject`, signed by the untrusted
    /// decoy issuer: what any attacker can make from a public certificate.
    fn decoy(&self, subject: &str, ca: &Ca) -> CertificateDer<'static> {
        self.decoy_issuer
            .intermediate_with(subject, CaOptions::with_key(copy_key_pair(ca.key_pair())))
            .cert_der()
            .clone()
    }

    /// `ca`'s exact subject and key with name constraints of its own (`variant` tells them
    /// apart), so that each makes a distinct proof; `permit_host` says whether the
    /// constraints allow [`HOST`].
    fn constrained_copy(
        &self,
        ca: &Ca,
        variant: usize,
        permit_host: bool,
    ) -> CertificateDer<'static> {
        let permitted = match permit_host {
            true => "hostile.test",
            false => "nowhere.invalid",
        };
        let options = CaOptions {
            name_constraints: Some(NameConstraints {
                permitted_subtrees: vec![GeneralSubtree::DnsName(permitted.into())],
                excluded_subtrees: vec![GeneralSubtree::DnsName(format!("x{variant}.invalid"))],
            }),
            ..CaOptions::with_key(copy_key_pair(ca.key_pair()))
        };
        self.decoy_issuer
            .intermediate_with(ca.common_name(), options)
            .cert_der()
            .clone()
    }

    /// The policies that deny the intermediate's key, globally and in the entry; the leaf's
    /// key is pinned, so the leaf alone would be accepted.
    fn denying_policies(&self) -> [(&'static str, PinSet, Option<&'static str>); 2] {
        let leaf_pin = spki(&self.leaf.cert);
        let int_pin = spki(self.int.cert_der());
        [
            (
                "deny_everywhere",
                PinSet::builder()
                    .entry(entry(HOST).pin(leaf_pin).backup_pin(BACKUP))
                    .deny_everywhere(int_pin)
                    .build()
                    .unwrap(),
                None,
            ),
            (
                "the entry's deny pin",
                PinSet::builder()
                    .entry(entry(HOST).pin(leaf_pin).backup_pin(BACKUP).deny(int_pin))
                    .build()
                    .unwrap(),
                Some(HOST),
            ),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Wrap mode: a denied CA hidden behind decoys
// ---------------------------------------------------------------------------------------------

/// The server controls which certificates it sends and their order. Certificates carrying
/// the denied key under other names (any signature: no private key is needed) sent before
/// the real, denied intermediate must not use up the proofs before the denied one is decided.
/// Expected: DeniedPinMatched for the intermediate, whatever the number and place of decoys.
#[test]
fn wrap_mode_decoys_under_other_names_cannot_hide_a_denied_ca() {
    let provider = provider();
    let pki = Pki::new();
    let int = pki.int.cert_der().clone();
    for (policy_name, pins, list) in pki.denying_policies() {
        let verifier = wrapped(pki.roots(), pins, Vec::new(), &provider);
        for decoys in [1, 8, 9, 40] {
            let decoys = (0..decoys)
                .map(|k| pki.decoy(&format!("Decoy {k}"), &pki.int))
                .collect::<Vec<_>>();
            for (order, chain) in [
                ("decoys first", [decoys.clone(), vec![int.clone()]].concat()),
                ("decoys last", [vec![int.clone()], decoys.clone()].concat()),
            ] {
                let label = format!(
                    "{PROVIDER}: {policy_name}, {} decoys, {order}",
                    decoys.len()
                );
                assert_denied(
                    verify(&*verifier, &pki.leaf.cert, &chain, HOST),
                    &label,
                    spki(&int),
                    "Denied Intermediate",
                    list,
                );
            }
        }
    }
}

/// Eight copies of an allowed (pinned) root sent before the denied intermediate: copies are
/// one proof, so they cannot crowd the denied certificate out. Expected: DeniedPinMatched.
#[test]
fn wrap_mode_copies_of_an_allowed_root_cannot_hide_a_denied_ca() {
    let provider = provider();
    let pki = Pki::new();
    let int = pki.int.cert_der().clone();
    let root = pki.root.cert_der().clone();
    // The root re-issued with its own name and key but another serial: a distinct
    // certificate making the same proof.
    let reissued = Ca::root_opts(
        pki.root.common_name(),
        CaOptions::with_key(copy_key_pair(pki.root.key_pair())),
    )
    .cert_der()
    .clone();
    let pins = PinSet::builder()
        .entry(
            entry(HOST)
                .pin_at(spki(&root), PinScope::Root)
                .backup_pin(BACKUP),
        )
        .deny_everywhere(spki(&int))
        .build()
        .unwrap();
    let verifier = wrapped(pki.roots(), pins, Vec::new(), &provider);
    for (what, copies) in [
        ("the same root eight times", vec![root.clone(); 8]),
        ("eight re-issues of the root", vec![reissued.clone(); 8]),
    ] {
        let chain = [copies, vec![int.clone()]].concat();
        assert_denied(
            verify(&*verifier, &pki.leaf.cert, &chain, HOST),
            &format!("{PROVIDER}: {what} before the denied intermediate"),
            spki(&int),
            "Denied Intermediate",
            None,
        );
    }
    // The control: without the denied intermediate's key on the path, the root pin
    // accepts (a clean chain from the same server).
    let clean_int = pki.root.intermediate("Clean Intermediate");
    let clean_leaf = clean_int.leaf(&[HOST]);
    assert_eq!(
        verify(
            &*verifier,
            &clean_leaf.cert,
            &[clean_int.cert_der().clone(), root.clone()],
            HOST
        ),
        Ok(()),
        "[{PROVIDER}] a clean chain to the pinned root"
    );
}

/// Denied keys given to `with_ca_certificates` (a root the server does not send) are
/// candidates like presented ones: configured decoys before it change nothing.
#[test]
fn wrap_mode_configured_ca_certificates_are_decided_deny_first() {
    let provider = provider();
    let pki = Pki::new();
    let root = pki.root.cert_der().clone();
    let pins = PinSet::builder()
        .entry(entry(HOST).pin(spki(&pki.leaf.cert)).backup_pin(BACKUP))
        .deny_everywhere_at(spki(&root), PinScope::Root)
        .build()
        .unwrap();
    let decoys = (0..12)
        .map(|k| pki.decoy(&format!("Configured Decoy {k}"), &pki.root))
        .collect::<Vec<_>>();
    let verifier = wrapped(
        pki.roots(),
        pins,
        [decoys, vec![root.clone()]].concat(),
        &provider,
    );
    assert_denied(
        verify(
            &*verifier,
            &pki.leaf.cert,
            &[pki.int.cert_der().clone()],
            HOST,
        ),
        &format!("{PROVIDER}: denied root behind twelve configured decoys"),
        spki(&root),
        "Hostile Root",
        None,
    );
}

/// When the certificates that may carry a denied key make more distinct proofs than wrap
/// mode makes per handshake (here: the denied key and name under different name
/// constraints), the chain is refused with a typed error: it is never judged on the part that
/// was proven. Expected: ProofBudgetExhausted { denied: true } above the budget,
/// DeniedPinMatched at it.
#[test]
fn wrap_mode_refuses_when_deny_candidates_exceed_the_proof_budget() {
    let provider = provider();
    let pki = Pki::new();
    let int = pki.int.cert_der().clone();
    for (policy_name, pins, list) in pki.denying_policies() {
        let verifier = wrapped(pki.roots(), pins, Vec::new(), &provider);
        // Eight distinct proofs (seven copies and the intermediate): all decided.
        let seven = (0..7)
            .map(|k| pki.constrained_copy(&pki.int, k, false))
            .collect::<Vec<_>>();
        assert_denied(
            verify(
                &*verifier,
                &pki.leaf.cert,
                &[seven.clone(), vec![int.clone()]].concat(),
                HOST,
            ),
            &format!("{PROVIDER}: {policy_name}, eight deny proofs"),
            spki(&int),
            "Denied Intermediate",
            list,
        );
        // Nine: one more than the budget.
        let eight = (0..8)
            .map(|k| pki.constrained_copy(&pki.int, k, false))
            .collect::<Vec<_>>();
        let label = format!("{PROVIDER}: {policy_name}, nine deny proofs");
        match pinning_error(
            verify(
                &*verifier,
                &pki.leaf.cert,
                &[eight, vec![int.clone()]].concat(),
                HOST,
            ),
            &label,
        ) {
            ServerPinningError::ProofBudgetExhausted {
                host,
                candidates,
                denied,
                budget,
            } => {
                assert_eq!(
                    (host.as_str(), candidates, denied, budget),
                    (HOST, 9, true, 8),
                    "[{label}]"
                );
            }
            other => panic!("[{label}] expected ProofBudgetExhausted, got {other}"),
        }
    }
}

/// Allowed candidates past the budget: when the proven ones do not accept the chain, the
/// refusal says the budget ran out rather than "no pin matched". A server can only refuse
/// itself this way. Expected: ProofBudgetExhausted { denied: false }; with the genuine
/// intermediate first, accepted.
#[test]
fn wrap_mode_allowed_candidates_past_the_budget_fail_closed() {
    let provider = provider();
    let pki = Pki::new();
    let int = pki.int.cert_der().clone();
    let pins = PinSet::builder()
        .entry(
            entry(HOST)
                .pin_at(spki(&int), PinScope::Intermediate)
                .backup_pin(BACKUP),
        )
        .build()
        .unwrap();
    let verifier = wrapped(pki.roots(), pins, Vec::new(), &provider);
    // Copies whose constraints exclude the host: each a proof that fails.
    let copies = (0..8)
        .map(|k| pki.constrained_copy(&pki.int, k, false))
        .collect::<Vec<_>>();
    let label = format!("{PROVIDER}: eight failing copies, then the genuine one");
    match pinning_error(
        verify(
            &*verifier,
            &pki.leaf.cert,
            &[copies.clone(), vec![int.clone()]].concat(),
            HOST,
        ),
        &label,
    ) {
        ServerPinningError::ProofBudgetExhausted {
            candidates, denied, ..
        } => assert_eq!((candidates, denied), (1, false), "[{label}]"),
        other => panic!("[{label}] expected ProofBudgetExhausted, got {other}"),
    }
    assert_eq!(
        verify(
            &*verifier,
            &pki.leaf.cert,
            &[vec![int.clone()], copies].concat(),
            HOST
        ),
        Ok(()),
        "[{PROVIDER}] the genuine intermediate first"
    );
}

// ---------------------------------------------------------------------------------------------
// 2. Positions by role, whatever the server sends
// ---------------------------------------------------------------------------------------------

/// A server that also sends its self-signed root lets webpki validate a path on which that
/// root is an intermediate under its own anchor. A pin scoped to the intermediate position on
/// the root's key must not be satisfied by that, and a pin scoped to the root must be
/// satisfied whether the root is sent or not, in every mode. Expected: root scope accepted in
/// all six cases, intermediate scope NoPinMatched in all six.
#[test]
fn a_pins_position_does_not_depend_on_whether_the_root_is_sent() {
    let provider = provider();
    let pki = Pki::new();
    let root = pki.root.cert_der().clone();
    let int = pki.int.cert_der().clone();
    let pins = |pin: Pin, scope| {
        PinSet::builder()
            .entry(entry(HOST).pin_at(pin, scope).backup_pin(BACKUP))
            .build()
            .unwrap()
    };
    for (what, pin) in [("SPKI", spki(&root)), ("certificate", cert_pin(&root))] {
        for (scope, accepted) in [(PinScope::Root, true), (PinScope::Intermediate, false)] {
            let verifiers: [(&str, Arc<PinningServerVerifier>); 2] = [
                (
                    "WebPKI",
                    PinningServerVerifier::builder(pki.roots(), pins(pin, scope), provider.clone())
                        .with_root_certificates([root.clone()])
                        .build()
                        .unwrap(),
                ),
                (
                    "wrap",
                    wrapped(pki.roots(), pins(pin, scope), vec![root.clone()], &provider),
                ),
            ];
            for (mode, verifier) in verifiers {
                for (sent, chain) in [
                    ("root not sent", vec![int.clone()]),
                    ("root sent", vec![int.clone(), root.clone()]),
                    (
                        "root sent twice",
                        vec![root.clone(), int.clone(), root.clone()],
                    ),
                ] {
                    let label =
                        format!("{PROVIDER}: {what} pin on the root at {scope:?}, {mode}, {sent}");
                    let result = verify(&*verifier, &pki.leaf.cert, &chain, HOST);
                    match accepted {
                        true => assert_eq!(result, Ok(()), "[{label}]"),
                        false => {
                            let error = pinning_error(result, &label);
                            let ServerPinningError::NoPinMatched { verified_paths, .. } = &error
                            else {
                                panic!("[{label}] expected NoPinMatched, got {error}");
                            };
                            // Wherever the root's key shows up, it is listed as the root.
                            for path in verified_paths {
                                for certificate in path {
                                    if certificate.spki_pin() == spki(&root) {
                                        assert_eq!(
                                            certificate.position(),
                                            Position::Root,
                                            "[{label}] {error}"
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Many paths: the most severe refusal is never pushed out of the message
// ---------------------------------------------------------------------------------------------

/// Ten copies of the intermediate (one name and key, ten serials) give webpki ten verified
/// paths, in the order the server sends them; none matches the entry's pin, and only the last
/// carries a certificate denied everywhere. The message describes a bounded number of paths,
/// but the deny must be reported whatever its place. Expected: DeniedPinMatched (global) for
/// the tenth copy.
#[test]
fn a_deny_on_the_last_of_many_paths_is_still_the_reported_refusal() {
    let provider = provider();
    let pki = Pki::new();
    let copies = (0..10)
        .map(|_| pki.root.cross_sign(&pki.int))
        .collect::<Vec<_>>();
    let last = copies.last().unwrap().clone();
    let pins = PinSet::builder()
        .entry(entry(HOST).pin(NOWHERE).backup_pin(BACKUP))
        .deny_everywhere(cert_pin(&last))
        .build()
        .unwrap();
    let verifier = webpki(pki.roots(), pins, &provider);
    let label = format!("{PROVIDER}: ten paths, the deny on the last");
    match pinning_error(verify(&*verifier, &pki.leaf.cert, &copies, HOST), &label) {
        ServerPinningError::DeniedPinMatched {
            denied,
            certificate,
            pattern,
            verified_paths,
            ..
        } => {
            assert_eq!(denied.pin(), cert_pin(&last), "[{label}]");
            assert_eq!(certificate.certificate_pin(), Some(cert_pin(&last)));
            assert_eq!(pattern, None, "[{label}]");
            assert!(
                verified_paths.len() <= 9 && verified_paths.len() >= 2,
                "[{label}] {} paths described",
                verified_paths.len()
            );
        }
        other => panic!("[{label}] expected DeniedPinMatched, got {other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 4. The hybrid store: a bundle may add hosts and keys, never remove a static protection
// ---------------------------------------------------------------------------------------------

/// A bundle-signing key pair.
struct Signer {
    private: PrivateKeyDer<'static>,
    public: BundleKey,
}

impl Signer {
    fn new() -> Self {
        let pair = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        Self {
            private: PrivateKeyDer::Pkcs8(pair.serialize_der().into()),
            public: BundleKey::from_spki(&SubjectPublicKeyInfoDer::from(common::spki_of(&pair)))
                .unwrap(),
        }
    }

    /// A bundle of `pins`, version `version`, valid from `issued` for a day.
    fn bundle(
        &self,
        pins: &PinSet,
        version: u64,
        issued: UnixTime,
        provider: &Arc<CryptoProvider>,
    ) -> (Vec<u8>, Vec<u8>) {
        let body = bundle::body(pins, version, issued, plus(issued, DAY)).unwrap();
        let signature = bundle::sign(&body, &self.private, provider).unwrap();
        (body, signature)
    }
}

fn plus(time: UnixTime, secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(time.as_secs() + secs))
}

/// A store over `roots` enforcing `static_pins`, with `bundle_pins` applied as version 1.
fn store_with_bundle(
    roots: Arc<RootCertStore>,
    static_pins: PinSet,
    bundle_pins: &PinSet,
    mode: HybridMode,
    provider: &Arc<CryptoProvider>,
) -> PinStore {
    let signer = Signer::new();
    let factory_provider = provider.clone();
    let store = PinStore::builder(
        static_pins,
        move |pins| {
            PinningServerVerifier::builder(roots.clone(), pins, factory_provider.clone()).build()
        },
        BundleVerifier::new(vec![signer.public.clone()], provider).unwrap(),
    )
    .hybrid_mode(mode)
    .build()
    .unwrap();
    let (body, signature) = signer.bundle(bundle_pins, 1, UnixTime::now(), provider);
    assert_eq!(
        store.apply(&body, &signature, UnixTime::now()).unwrap(),
        ApplyOutcome::Applied {
            old_version: None,
            new_version: 1
        }
    );
    store
}

const MODES: [HybridMode; 2] = [HybridMode::Either, HybridMode::Both];

/// The static policy refuses hosts it does not pin; a bundle that pins another host and does
/// not repeat the rule is in force. A host neither policy pins gets the stricter rule, in
/// both modes and in both directions. Expected: HostNotPinned; the hosts a policy pins are
/// still judged by their pins.
#[test]
fn a_bundle_cannot_lift_the_rule_for_unpinned_hosts() {
    let provider = provider();
    let pki = Pki::new();
    let other = pki.int.leaf(&[OTHER]);
    let chain = [pki.int.cert_der().clone()];
    let strict = |host: &str, leaf: &Leaf| {
        PinSet::builder()
            .entry(entry(host).pin(spki(&leaf.cert)).backup_pin(BACKUP))
            .unpinned_hosts(UnpinnedHostPolicy::Reject)
            .build()
            .unwrap()
    };
    let lenient = |host: &str, leaf: &Leaf| {
        PinSet::builder()
            .entry(entry(host).pin(spki(&leaf.cert)).backup_pin(BACKUP))
            .build()
            .unwrap()
    };
    for mode in MODES {
        for (direction, static_pins, bundle_pins) in [
            (
                "strict static, lenient bundle",
                strict(HOST, &pki.leaf),
                lenient(OTHER, &other),
            ),
            (
                "lenient static, strict bundle",
                lenient(HOST, &pki.leaf),
                strict(OTHER, &other),
            ),
        ] {
            let store = store_with_bundle(pki.roots(), static_pins, &bundle_pins, mode, &provider);
            let verifier = store.verifier();
            let label = format!("{PROVIDER}: {mode:?}, {direction}");
            assert_host_not_pinned(
                verify(&*verifier, &pki.stranger.cert, &chain, STRANGER),
                &label,
                STRANGER,
            );
            assert_eq!(
                verify(&*verifier, &pki.leaf.cert, &chain, HOST),
                Ok(()),
                "[{label}] the host the static policy pins"
            );
            let other_result = verify(&*verifier, &other.cert, &chain, OTHER);
            assert_eq!(other_result, Ok(()), "[{label}] the host the bundle pins");
        }
    }
}

/// Roots A and B both trusted, A cross-signed by B: the leaf has two verified paths,
/// leaf > int > A (tried first, anchors before intermediates) and leaf > int > A(by B) > B.
/// The static entry denies A's key at the root position (only the first path has it there),
/// and the static policy denies B's key everywhere (only the second path has it); the bundle
/// pins the leaf's key, on both paths. Every path carries a static deny, so no combination of
/// policies may accept, and the global deny must not hide behind the entry deny. Expected:
/// DeniedPinMatched for B's key from the global list, in both modes.
#[test]
fn a_static_deny_everywhere_on_one_path_is_not_hidden_by_an_entry_deny_on_another() {
    let provider = provider();
    let a = Ca::root("Root A");
    let b = Ca::root("Root B");
    let a_by_b = b.cross_sign(&a);
    let int = a.intermediate("Shared Intermediate");
    let leaf = int.leaf(&[HOST]);
    let chain = [int.cert_der().clone(), a_by_b];
    let static_pins = PinSet::builder()
        .entry(
            entry(HOST)
                .pin(spki(int.cert_der()))
                .backup_pin(BACKUP)
                .deny_at(spki(a.cert_der()), PinScope::Root),
        )
        .deny_everywhere_at(spki(b.cert_der()), PinScope::Root)
        .build()
        .unwrap();
    let bundle_pins = PinSet::builder()
        .entry(entry(HOST).pin(spki(&leaf.cert)).backup_pin(BACKUP))
        .build()
        .unwrap();
    for mode in MODES {
        let store = store_with_bundle(
            root_store(&[&a, &b]),
            static_pins.clone(),
            &bundle_pins,
            mode,
            &provider,
        );
        assert_denied(
            verify(&*store.verifier(), &leaf.cert, &chain, HOST),
            &format!("{PROVIDER}: {mode:?}"),
            spki(b.cert_der()),
            "Root B",
            None,
        );
    }
}

/// The static entry denies a key the bundle's entry for the same host allows. Expected:
/// DeniedPinMatched from the static entry in both modes (a bundle adds keys, but not a key
/// the static policy refuses).
#[test]
fn a_bundle_cannot_lift_a_static_entry_deny() {
    let provider = provider();
    let pki = Pki::new();
    let chain = [pki.int.cert_der().clone()];
    let static_pins = PinSet::builder()
        .entry(
            entry(HOST)
                .pin(spki(pki.int.cert_der()))
                .backup_pin(BACKUP)
                .deny(spki(&pki.leaf.cert)),
        )
        .build()
        .unwrap();
    let bundle_pins = PinSet::builder()
        .entry(entry(HOST).pin(spki(&pki.leaf.cert)).backup_pin(BACKUP))
        .build()
        .unwrap();
    for mode in MODES {
        let store = store_with_bundle(
            pki.roots(),
            static_pins.clone(),
            &bundle_pins,
            mode,
            &provider,
        );
        assert_denied(
            verify(&*store.verifier(), &pki.leaf.cert, &chain, HOST),
            &format!("{PROVIDER}: {mode:?}"),
            spki(&pki.leaf.cert),
            HOST,
            Some(HOST),
        );
    }
}

/// A bundle entry in report-only mode for a host the static policy enforces, matching none
/// of the chain. Report-only tolerates its own mismatch; it must not tolerate the static
/// policy's. Expected: NoPinMatched from the static entry in both modes.
#[test]
fn a_report_only_bundle_entry_cannot_lift_static_enforcement() {
    let provider = provider();
    let pki = Pki::new();
    let chain = [pki.int.cert_der().clone()];
    let static_pins = PinSet::builder()
        .entry(entry(HOST).pin(NOWHERE).backup_pin(BACKUP))
        .build()
        .unwrap();
    let bundle_pins = PinSet::builder()
        .entry(entry(HOST).pin(NOWHERE).backup_pin(BACKUP).report_only())
        .build()
        .unwrap();
    for mode in MODES {
        let store = store_with_bundle(
            pki.roots(),
            static_pins.clone(),
            &bundle_pins,
            mode,
            &provider,
        );
        assert_no_pin_matched(
            verify(&*store.verifier(), &pki.leaf.cert, &chain, HOST),
            &format!("{PROVIDER}: {mode:?}"),
            HOST,
        );
    }
}

/// The static policy denies a key everywhere and the bundle pins it. Expected:
/// DeniedPinMatched from the global list in both modes.
#[test]
fn a_bundle_cannot_lift_a_static_deny_everywhere() {
    let provider = provider();
    let pki = Pki::new();
    let chain = [pki.int.cert_der().clone()];
    let leaf_pin = spki(&pki.leaf.cert);
    let static_pins = PinSet::builder()
        .entry(entry(OTHER).pin(NOWHERE).backup_pin(BACKUP))
        .deny_everywhere(leaf_pin)
        .build()
        .unwrap();
    let bundle_pins = PinSet::builder()
        .entry(entry(HOST).pin(leaf_pin).backup_pin(BACKUP))
        .build()
        .unwrap();
    for mode in MODES {
        let store = store_with_bundle(
            pki.roots(),
            static_pins.clone(),
            &bundle_pins,
            mode,
            &provider,
        );
        assert_denied(
            verify(&*store.verifier(), &pki.leaf.cert, &chain, HOST),
            &format!("{PROVIDER}: {mode:?}"),
            leaf_pin,
            HOST,
            None,
        );
    }
}

/// What a bundle may do: in `Either` mode add a key for a host the static policy pins (the
/// rotation it did not foresee) and add a host; in `Both` mode narrow a static entry.
#[test]
fn a_bundle_adds_keys_in_either_mode_and_narrows_in_both_mode() {
    let provider = provider();
    let pki = Pki::new();
    let chain = [pki.int.cert_der().clone()];
    let static_pins = PinSet::builder()
        .entry(entry(HOST).pin(NOWHERE).backup_pin(BACKUP))
        .build()
        .unwrap();
    let bundle_pins = PinSet::builder()
        .entry(entry(HOST).pin(spki(&pki.leaf.cert)).backup_pin(BACKUP))
        .entry(entry(STRANGER).pin(NOWHERE).backup_pin(BACKUP))
        .build()
        .unwrap();
    let either = store_with_bundle(
        pki.roots(),
        static_pins.clone(),
        &bundle_pins,
        HybridMode::Either,
        &provider,
    );
    assert_eq!(
        verify(&*either.verifier(), &pki.leaf.cert, &chain, HOST),
        Ok(()),
        "[{PROVIDER}] Either: the bundle's key"
    );
    assert_no_pin_matched(
        verify(&*either.verifier(), &pki.stranger.cert, &chain, STRANGER),
        &format!("{PROVIDER}: Either, a host only the bundle pins"),
        STRANGER,
    );
    let both = store_with_bundle(
        pki.roots(),
        bundle_pins.clone(),
        &static_pins,
        HybridMode::Both,
        &provider,
    );
    assert_no_pin_matched(
        verify(&*both.verifier(), &pki.leaf.cert, &chain, HOST),
        &format!("{PROVIDER}: Both, the bundle revokes the static key"),
        HOST,
    );
}

/// The bundle in force, replayed: after it expired, or with a signature that does not
/// verify. Both are refused exactly as a new bundle would be; only the same valid bundle
/// while it is valid is "unchanged".
#[test]
fn replays_of_the_bundle_in_force_are_checked_like_any_bundle() {
    let provider = provider();
    let pki = Pki::new();
    let signer = Signer::new();
    let roots = pki.roots();
    let factory_provider = provider.clone();
    let store = PinStore::builder(
        PinSet::builder()
            .entry(entry(HOST).pin(NOWHERE).backup_pin(BACKUP))
            .build()
            .unwrap(),
        move |pins| {
            PinningServerVerifier::builder(roots.clone(), pins, factory_provider.clone()).build()
        },
        BundleVerifier::new(vec![signer.public.clone()], &provider).unwrap(),
    )
    .build()
    .unwrap();
    let issued = UnixTime::now();
    let pins = PinSet::builder()
        .entry(entry(HOST).pin(spki(&pki.leaf.cert)).backup_pin(BACKUP))
        .build()
        .unwrap();
    let (body, signature) = signer.bundle(&pins, 7, issued, &provider);
    assert_eq!(
        store.apply(&body, &signature, issued).unwrap(),
        ApplyOutcome::Applied {
            old_version: None,
            new_version: 7
        }
    );
    assert_eq!(
        store.apply(&body, &signature, plus(issued, 60)).unwrap(),
        ApplyOutcome::Unchanged,
        "[{PROVIDER}] the same valid bundle"
    );
    let garbage = br#"{"algorithm":"ed25519","key_id":"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","signature":"AAAA"}"#;
    let error = store.apply(&body, garbage, plus(issued, 60)).unwrap_err();
    assert!(
        matches!(error, BundleError::UnknownKey { .. }),
        "[{PROVIDER}] garbage signature: {error}"
    );
    let forged = bundle::sign(&body, &Signer::new().private, &provider).unwrap();
    let error = store.apply(&body, &forged, plus(issued, 60)).unwrap_err();
    assert!(
        matches!(error, BundleError::UnknownKey { .. }),
        "[{PROVIDER}] another key's signature: {error}"
    );
    let expired_at = plus(issued, DAY + 1);
    let error = store.apply(&body, &signature, expired_at).unwrap_err();
    assert!(
        matches!(error, BundleError::Expired { version: 7, .. }),
        "[{PROVIDER}] replayed after its expiry: {error}"
    );
    assert_eq!(store.newest_version(), Some(7));
}

// ---------------------------------------------------------------------------------------------
// 5. One validation per handshake
// ---------------------------------------------------------------------------------------------

/// A signature verification algorithm that counts its uses.
#[derive(Debug)]
struct Counting {
    inner: &'static dyn SignatureVerificationAlgorithm,
    count: &'static AtomicUsize,
}

impl SignatureVerificationAlgorithm for Counting {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.inner.verify_signature(public_key, message, signature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.public_key_alg_id()
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.signature_alg_id()
    }

    fn fips(&self) -> bool {
        self.inner.fips()
    }
}

/// `provider` with every signature verification counted in the returned counter.
fn counting(provider: &Arc<CryptoProvider>) -> (Arc<CryptoProvider>, &'static AtomicUsize) {
    let count: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
    let wrap = |algorithm: &'static dyn SignatureVerificationAlgorithm| {
        let counted: &'static dyn SignatureVerificationAlgorithm = Box::leak(Box::new(Counting {
            inner: algorithm,
            count,
        }));
        counted
    };
    let supported = provider.signature_verification_algorithms;
    let all: &'static [&'static dyn SignatureVerificationAlgorithm] = Box::leak(
        supported
            .all
            .iter()
            .map(|a| wrap(*a))
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    let mapping: &'static [(
        SignatureScheme,
        &'static [&'static dyn SignatureVerificationAlgorithm],
    )] = Box::leak(
        supported
            .mapping
            .iter()
            .map(|(scheme, algorithms)| {
                let counted: &'static [&'static dyn SignatureVerificationAlgorithm] = Box::leak(
                    algorithms
                        .iter()
                        .map(|a| wrap(*a))
                        .collect::<Vec<_>>()
                        .into_boxed_slice(),
                );
                (*scheme, counted)
            })
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    let provider = CryptoProvider {
        signature_verification_algorithms: WebPkiSupportedAlgorithms { all, mapping },
        ..(**provider).clone()
    };
    (Arc::new(provider), count)
}

/// A store with a bundle in force validates the chain once, judging both policies inside
/// that one path search: it makes exactly as many signature verifications as a plain
/// `PinningServerVerifier` on the same chain (and not twice as many).
#[test]
fn a_store_with_a_bundle_in_force_validates_each_chain_once() {
    let provider = provider();
    let pki = Pki::new();
    let (counted, count) = counting(&provider);
    let chain = [pki.int.cert_der().clone()];
    let static_pins = PinSet::builder()
        .entry(entry(HOST).pin(spki(pki.int.cert_der())).backup_pin(BACKUP))
        .build()
        .unwrap();
    let bundle_pins = PinSet::builder()
        .entry(entry(HOST).pin(spki(&pki.leaf.cert)).backup_pin(BACKUP))
        .build()
        .unwrap();
    let plain = webpki(pki.roots(), static_pins.clone(), &counted);
    let measure = |verifier: &dyn ServerCertVerifier, label: &str| {
        let before = count.load(Ordering::Relaxed);
        assert_eq!(
            verify(verifier, &pki.leaf.cert, &chain, HOST),
            Ok(()),
            "[{label}]"
        );
        count.load(Ordering::Relaxed) - before
    };
    let plain_count = measure(&*plain, &format!("{PROVIDER}: plain"));
    assert_eq!(
        plain_count, 2,
        "[{PROVIDER}] leaf and intermediate signatures"
    );
    for mode in MODES {
        let store = store_with_bundle(
            pki.roots(),
            static_pins.clone(),
            &bundle_pins,
            mode,
            &counted,
        );
        assert_eq!(
            measure(&*store.verifier(), &format!("{PROVIDER}: {mode:?}")),
            plain_count,
            "[{PROVIDER}] {mode:?}: signature verifications per handshake"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 6. mTLS: URIs that claim to be SPIFFE IDs
// ---------------------------------------------------------------------------------------------

/// A client with a certificate from the shared client CA names a URI that claims the
/// `spiffe` scheme but breaks the SPIFFE ID rules, next to a policy with a pinned SPIFFE ID
/// and an `Any` entry pinning the client's own key (so falling through to `Any` would
/// accept it). Expected: InvalidSpiffeId naming the URI, for every broken form; the control
/// cases (the pinned ID with its key; a valid other ID through `Any`) are accepted.
#[test]
fn uris_claiming_to_be_spiffe_ids_must_be_valid_ones() {
    const BILLING: &str = "spiffe://prod.test/ns/billing";
    let provider = provider();
    let ca = Ca::root("Client CA");
    let billing = ca.leaf_with(LeafOptions::new(&[]).uri(BILLING).client_auth());
    let intruder_key = KeyPair::generate().unwrap();
    let intruder_pin = Pin::spki_of(
        &ca.leaf_with(
            LeafOptions::new(&[])
                .key(copy_key_pair(&intruder_key))
                .client_auth(),
        )
        .cert,
    )
    .unwrap();
    let policy = ClientPinSet::builder()
        .entry(
            ClientPinEntry::builder(BILLING.parse().unwrap())
                .pin(spki(&billing.cert))
                .pin(BACKUP),
        )
        .entry(
            ClientPinEntry::builder("*".parse().unwrap())
                .pin(intruder_pin)
                .pin(BACKUP),
        )
        .build()
        .unwrap();
    let verifier = PinningClientVerifier::builder(root_store(&[&ca]), policy, provider.clone())
        .build()
        .unwrap();
    let check = |uri: &str| {
        let leaf = ca.leaf_with(
            LeafOptions::new(&[])
                .uri(uri)
                .key(copy_key_pair(&intruder_key))
                .client_auth(),
        );
        verifier
            .verify_client_cert(&leaf.cert, &[], UnixTime::now())
            .map(|_| ())
    };
    assert_eq!(
        verifier
            .verify_client_cert(&billing.cert, &[], UnixTime::now())
            .map(|_| ()),
        Ok(()),
        "[{PROVIDER}] the pinned workload"
    );
    assert_eq!(
        check("spiffe://prod.test/ns/batch"),
        Ok(()),
        "[{PROVIDER}] a valid other ID, through the Any entry"
    );
    for (uri, rule) in [
        ("spiffe://prod.test/ns/%62illing", "percent-encoding"),
        ("spiffe://prod.test/ns/./billing", "'.'"),
        ("spiffe://prod.test/ns/../ns/billing", "'..'"),
        ("spiffe://prod.test/ns/billing/", "trailing '/'"),
        ("spiffe://prod.test//ns/billing", "empty"),
        ("spiffe://prod.test:443/ns/billing", "port"),
        ("spiffe://admin@prod.test/ns/billing", "port or user"),
        ("spiffe://prod.test/ns/billing?x=1", "query"),
        ("spiffe://prod.test/ns/billing#x", "fragment"),
        ("SPIFFE://prod.test/ns/billing", "lower-case spiffe"),
        ("Spiffe://prod.test/ns/billing", "lower-case spiffe"),
        ("spiffe://PROD.test/ns/billing", "lower-case letters"),
        ("spiffe:prod.test/ns/billing", "starts with spiffe://"),
        ("spiffe://", "trust domain"),
    ] {
        let label = format!("{PROVIDER}: {uri}");
        let error = check(uri).expect_err(&label);
        match ClientPinningError::from_rustls(&error) {
            Some(ClientPinningError::InvalidSpiffeId { presented, reason }) => {
                assert_eq!(presented, uri, "[{label}]");
                assert!(reason.contains(rule), "[{label}] reason: {reason}");
            }
            other => panic!("[{label}] expected InvalidSpiffeId, got {other:?} ({error:?})"),
        }
    }
}
