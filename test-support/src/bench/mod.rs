//! Fixtures shared by the benches (and the examples that time or measure what they do): a
//! verified path per key type, pin sets matching it at a chosen position, large pin sets
//! ([`fleet`]) and TLS over loopback ([`loopback`]).
//!
//! A bench uses it as the module it used to include:
//! `use rustls_pinning_test_support::bench as support;`.

pub mod fleet;
pub mod loopback;

use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::RootCertStore;
use rustls_pinning::{Pin, PinEntry, PinEntryBuilder, PinSet, PinningServerVerifier};
use webpki::{EndEntityCert, KeyUsage, VerifiedPath};

use crate::pki::{Ca, CaOptions, KeyKind, Leaf, LeafOptions};

/// The test PKI and helpers, as `support::common` (what the benches' module included).
pub use crate as common;

/// The host every bench connects to.
pub const HOST: &str = "api.bench.test";

/// The key types the benches run: what most servers use today.
pub const KEY_KINDS: [(KeyKind, &str); 2] = [
    (KeyKind::EcdsaP256, "ecdsa-p256"),
    (KeyKind::Rsa2048, "rsa-2048"),
];

/// Where on the verified path the pin matches, if anywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    Leaf,
    Intermediate,
    Root,
    None,
}

impl Match {
    pub const ALL: [Match; 4] = [Match::Leaf, Match::Intermediate, Match::Root, Match::None];

    pub fn label(self) -> &'static str {
        match self {
            Match::Leaf => "leaf",
            Match::Intermediate => "intermediate",
            Match::Root => "root",
            Match::None => "none",
        }
    }

    /// How many certificates, from the leaf up, the pin check has to hash: it stops at the
    /// first match, and the trust anchor's digest is computed when the verifier is built.
    pub fn certificates_hashed(self) -> usize {
        match self {
            Match::Leaf => 1,
            Match::Intermediate | Match::Root | Match::None => 2,
        }
    }
}

/// root -> intermediate -> leaf for [`HOST`], every key of one kind.
pub struct Chain {
    pub root: Ca,
    pub intermediate: Ca,
    pub leaf: Leaf,
    /// The root as the only trust anchor. Verifiers and verified paths share this `Arc`.
    pub roots: Arc<RootCertStore>,
    /// What the server sends after the leaf.
    pub intermediates: Vec<CertificateDer<'static>>,
}

impl Chain {
    pub fn new(kind: KeyKind) -> Chain {
        let root = Ca::root_with("Bench Root", kind);
        let intermediate = root.intermediate_with("Bench Intermediate", CaOptions::with_key(kind));
        let leaf = intermediate.leaf_with(LeafOptions::new(&[HOST]).key(kind));
        let roots = root.root_store();
        let intermediates = vec![intermediate.cert_der().clone()];
        let chain = Chain {
            root,
            intermediate,
            leaf,
            roots,
            intermediates,
        };
        // The reference hashes these bytes; they must be the ones the pins are computed over.
        for (spki, der) in chain.spkis().iter().zip(chain.certificates()) {
            assert_eq!(
                Pin::from_spki(&spki.as_slice().into()),
                Pin::spki_of(der).expect("certificate parses"),
            );
        }
        chain
    }

    /// Leaf, intermediate, root: the verified path, and what a server sending its root too
    /// presents.
    pub fn certificates(&self) -> [&CertificateDer<'static>; 3] {
        [
            &self.leaf.cert,
            self.intermediate.cert_der(),
            self.root.cert_der(),
        ]
    }

    /// The DER SubjectPublicKeyInfo of leaf, intermediate and root: the bytes SPKI pins hash.
    pub fn spkis(&self) -> [Vec<u8>; 3] {
        [
            self.leaf.spki_der(),
            self.intermediate.spki_der(),
            self.root.spki_der(),
        ]
    }

    /// The SPKI pin of the certificate at `position`; a pin of nothing on the path for
    /// [`Match::None`].
    pub fn pin(&self, position: Match) -> Pin {
        let index = match position {
            Match::Leaf => 0,
            Match::Intermediate => 1,
            Match::Root => 2,
            Match::None => return Pin::spki_sha256([0x5A; 32]),
        };
        Pin::from_spki(&self.spkis()[index].as_slice().into())
    }

    /// An entry for [`HOST`]: the pin matching at `position` (any scope, as `.pin()` gives)
    /// and a backup pin that matches nothing, in that order.
    pub fn entry(&self, position: Match) -> PinEntryBuilder {
        PinEntry::builder(HOST.parse().expect("pattern"))
            .pin(self.pin(position))
            .pin(Pin::spki_sha256([0xB0; 32]))
    }

    /// A WebPKI-mode verifier trusting [`Chain::roots`] and enforcing `pins`.
    pub fn verifier(
        &self,
        pins: PinSet,
        provider: &Arc<CryptoProvider>,
    ) -> Arc<PinningServerVerifier> {
        PinningServerVerifier::builder(self.roots.clone(), pins, provider.clone())
            .build()
            .expect("pinning verifier")
    }

    /// A verifier whose one entry matches at `position`.
    pub fn verifier_matching(
        &self,
        position: Match,
        provider: &Arc<CryptoProvider>,
    ) -> Arc<PinningServerVerifier> {
        let pins = PinSet::builder()
            .entry(self.entry(position))
            .build()
            .expect("pin set");
        self.verifier(pins, provider)
    }

    /// Runs `f` with the path webpki verifies for the leaf, built from [`Chain::roots`] as
    /// a `PinningServerVerifier` does, so the anchor's precomputed digests are found.
    pub fn with_verified_path<R>(
        &self,
        provider: &CryptoProvider,
        now: UnixTime,
        f: impl FnOnce(&VerifiedPath<'_>) -> R,
    ) -> R {
        let cert = EndEntityCert::try_from(&self.leaf.cert).expect("leaf parses");
        let path = cert
            .verify_for_usage(
                provider.signature_verification_algorithms.all,
                &self.roots.roots,
                &self.intermediates,
                now,
                KeyUsage::server_auth(),
                None,
                None,
            )
            .expect("the chain verifies");
        f(&path)
    }
}

/// [`HOST`] as rustls passes it to the verifier.
pub fn server_name() -> ServerName<'static> {
    ServerName::try_from(HOST).expect("valid name")
}

/// A `PinStore` over [`Chain::roots`] enforcing `static_pins`, with `bundle_pins` applied as a
/// signed bundle valid for a day: the hybrid verifier as it runs with a bundle in force.
#[cfg(feature = "dynamic")]
pub fn store_with_bundle(
    chain: &Chain,
    static_pins: PinSet,
    bundle_pins: &PinSet,
    mode: rustls_pinning::pin_store::HybridMode,
    provider: &Arc<CryptoProvider>,
) -> rustls_pinning::pin_store::PinStore {
    use rcgen::PublicKeyData;
    use rustls::pki_types::{PrivateKeyDer, SubjectPublicKeyInfoDer};
    use rustls_pinning::bundle::{self, BundleKey, BundleVerifier};
    use rustls_pinning::pin_store::PinStore;

    let signing = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("signing key");
    let private = PrivateKeyDer::Pkcs8(signing.serialize_der().into());
    let public = BundleKey::from_spki(&SubjectPublicKeyInfoDer::from(
        signing.subject_public_key_info(),
    ))
    .expect("bundle key");
    let roots = chain.roots.clone();
    let factory_provider = provider.clone();
    let store = PinStore::builder(
        static_pins,
        move |pins| {
            PinningServerVerifier::builder(roots.clone(), pins, factory_provider.clone()).build()
        },
        BundleVerifier::new(vec![public], provider).expect("bundle verifier"),
    )
    .hybrid_mode(mode)
    .build()
    .expect("store");
    let now = UnixTime::now();
    let expires =
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.as_secs() + 24 * 3600));
    let body = bundle::body(bundle_pins, 1, now, expires).expect("bundle body");
    let signature = bundle::sign(&body, &private, provider).expect("bundle signature");
    store.apply(&body, &signature, now).expect("bundle applied");
    store
}
