//! What the integration examples share: a private PKI made at run time (a root, an issuing CA,
//! the genuine server's certificate and an impostor's certificate for the same address from
//! the same CA), the pins for the genuine key, and an HTTPS server on loopback.
//!
//! Each example uses it as the module it used to include:
//! `use rustls_pinning_test_support::demo as common;`. Its steps return errors rather than
//! panic, as the examples do.

use std::error::Error;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{RootCertStore, ServerConfig, SupportedProtocolVersion};
use rustls_pinning::{Pin, PinEntry, PinSet};

pub use crate::error_chain::find_rustls_error;
use crate::http::HttpsServer;
pub use crate::http::{BODY, HOST};

pub type DemoResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// A certificate chain (leaf first) with its private key.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl Identity {
    pub fn key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }
}

pub struct DemoPki {
    pub root: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
    issuer_cert: CertificateDer<'static>,
    pub genuine: Identity,
    pub impostor: Identity,
}

impl DemoPki {
    pub fn new() -> DemoResult<Self> {
        let mut root_params = CertificateParams::new(Vec::<String>::new())?;
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        root_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Example Root");
        let root_key = KeyPair::generate()?;
        let root = root_params.self_signed(&root_key)?.der().clone();
        let root_issuer = Issuer::new(root_params, root_key);

        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Example Issuing CA");
        let ca_key = KeyPair::generate()?;
        let issuer_cert = ca_params.signed_by(&ca_key, &root_issuer)?.der().clone();
        let issuer = Issuer::new(ca_params, ca_key);

        let mut pki = DemoPki {
            root,
            issuer,
            issuer_cert,
            genuine: Identity {
                chain: Vec::new(),
                key: PrivateKeyDer::Pkcs8(Vec::new().into()),
            },
            impostor: Identity {
                chain: Vec::new(),
                key: PrivateKeyDer::Pkcs8(Vec::new().into()),
            },
        };
        pki.genuine = pki.issue(&[SanType::IpAddress(Ipv4Addr::LOCALHOST.into())], false)?;
        pki.impostor = pki.issue(&[SanType::IpAddress(Ipv4Addr::LOCALHOST.into())], false)?;
        Ok(pki)
    }

    /// A certificate from the issuing CA with a fresh key: a server certificate, or a client
    /// certificate when `client` is set.
    pub fn issue(&self, sans: &[SanType], client: bool) -> DemoResult<Identity> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.subject_alt_names = sans.to_vec();
        params.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &self.issuer)?.der().clone();
        Ok(Identity {
            chain: vec![cert, self.issuer_cert.clone()],
            key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        })
    }

    pub fn roots(&self) -> DemoResult<Arc<RootCertStore>> {
        let mut roots = RootCertStore::empty();
        roots.add(self.root.clone())?;
        Ok(Arc::new(roots))
    }

    /// The genuine server's key, plus a backup key kept offline for the next rotation.
    pub fn pins(&self) -> DemoResult<PinSet> {
        Ok(PinSet::builder()
            .entry(
                PinEntry::builder(HOST.parse()?)
                    .pin(Pin::spki_of(&self.genuine.chain[0])?)
                    .pin("sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=".parse()?),
            )
            .build()?)
    }

    pub fn server_config(
        &self,
        identity: &Identity,
        provider: &Arc<CryptoProvider>,
        versions: &[&'static SupportedProtocolVersion],
        alpn: &[&[u8]],
    ) -> DemoResult<ServerConfig> {
        let mut config = ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)?
            .with_no_client_auth()
            .with_single_cert(identity.chain.clone(), identity.key())?;
        config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
        Ok(config)
    }
}

/// Starts an HTTPS (HTTP/1.1) server answering [`BODY`] on a thread of its own; it lives until
/// the process exits.
pub fn serve_https(config: ServerConfig) -> DemoResult<SocketAddr> {
    Ok(HttpsServer::try_start(config)?.detach())
}

/// Prints the outcome for the impostor, or fails if it was not a pin failure.
pub fn expect_pin_failure(error: Option<&rustls::Error>) -> DemoResult<()> {
    match error.and_then(rustls_pinning::ServerPinningError::from_rustls) {
        Some(pinning) => {
            println!("impostor refused:\n{pinning}");
            Ok(())
        }
        None => Err(format!("expected a pinning failure, got {error:?}").into()),
    }
}
