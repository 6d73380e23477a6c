//! The ecosystem integration tests' scenario (reqwest, hyper-rustls, tokio-rustls, tonic,
//! quinn, ureq, the platform verifier): a pinned server and an impostor from the same CA,
//! with the HTTPS servers of [`crate::http`] and [`find_rustls_error`] at hand.
//!
//! A test binary uses it as the module it used to include:
//! `use rustls_pinning_test_support::integration as support;`.

use std::net::Ipv4Addr;
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pinning::{
    BuilderPinningExt, Pin, PinEntry, PinSet, PinningServerVerifier, ServerPinningError,
};

pub use crate::error_chain::find_rustls_error;
pub use crate::http::{runtime, HttpsServer, BODY, HOST};
use crate::pki::{Ca, Leaf, LeafOptions};

/// A CA, the genuine server's leaf, and an impostor: a leaf for the same name from the same
/// CA (so plain WebPKI accepts it) with another key.
pub struct Scenario {
    pub root: Ca,
    pub intermediate: Ca,
    pub genuine: Leaf,
    pub impostor: Leaf,
}

impl Default for Scenario {
    fn default() -> Self {
        Self::new()
    }
}

impl Scenario {
    pub fn new() -> Self {
        let root = Ca::root("Integration Root");
        let intermediate = root.intermediate("Integration Issuing CA");
        let leaf = || {
            intermediate.leaf_with(LeafOptions::new(&["api.pinned.test"]).ip(Ipv4Addr::LOCALHOST))
        };
        let genuine = leaf();
        let impostor = leaf();
        Scenario {
            root,
            intermediate,
            genuine,
            impostor,
        }
    }

    pub fn roots(&self) -> Arc<RootCertStore> {
        self.root.root_store()
    }

    /// The genuine leaf's key and an offline backup.
    pub fn pins(&self) -> PinSet {
        PinSet::builder()
            .entry(
                PinEntry::builder(HOST.parse().unwrap())
                    .pin(Pin::spki_of(&self.genuine.cert).unwrap())
                    .pin(Pin::spki_sha256([0xB0; 32])),
            )
            .build()
            .unwrap()
    }

    pub fn verifier(&self, provider: &Arc<CryptoProvider>) -> Arc<PinningServerVerifier> {
        PinningServerVerifier::builder(self.roots(), self.pins(), provider.clone())
            .build()
            .unwrap()
    }

    /// A pinned client configuration without ALPN, for the given protocol versions.
    pub fn client_config(
        &self,
        provider: &Arc<CryptoProvider>,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> ClientConfig {
        ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .unwrap()
            .with_pinning(self.verifier(provider))
            .with_no_client_auth()
    }

    /// A server configuration presenting `leaf` and its intermediate.
    pub fn server_config(
        &self,
        leaf: &Leaf,
        provider: &Arc<CryptoProvider>,
        versions: &[&'static rustls::SupportedProtocolVersion],
        alpn: &[&[u8]],
    ) -> ServerConfig {
        let mut config = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(leaf.chain(&[&self.intermediate]), leaf.private_key())
            .unwrap();
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        config
    }

    /// Asserts that `error` is the pin failure the impostor causes.
    pub fn assert_impostor_refused(&self, error: &rustls::Error, label: &str) {
        let pinning = ServerPinningError::from_rustls(error)
            .unwrap_or_else(|| panic!("[{label}] expected a ServerPinningError, got {error:?}"));
        match pinning {
            ServerPinningError::NoPinMatched {
                host,
                verified_paths,
                ..
            } => {
                assert_eq!(host, HOST, "[{label}]");
                assert_eq!(
                    verified_paths[0][0].spki_pin(),
                    Pin::spki_of(&self.impostor.cert).unwrap(),
                    "[{label}] the error names the impostor's key"
                );
            }
            other => panic!("[{label}] unexpected pinning error {other:?}"),
        }
    }
}

/// Both TLS versions rustls offers.
pub const BOTH_VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];
