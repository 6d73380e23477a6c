//! What the integration examples share: a private PKI made at run time (a root, an issuing CA,
//! the genuine server's certificate and an impostor's certificate for the same address from
//! the same CA), the pins for the genuine key, and an HTTPS server on loopback.
//!
//! Not an example itself: each example includes it with `mod common;`.
#![allow(dead_code)]

use std::error::Error;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{RootCertStore, ServerConfig, SupportedProtocolVersion};
use rustls_pinning::{Pin, PinEntry, PinSet};

pub type DemoResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// The address the servers listen on and clients ask for; certificates carry it as an IP
/// subjectAltName and the pins are keyed by it.
pub const HOST: &str = "127.0.0.1";

/// What the HTTPS and gRPC servers answer.
pub const BODY: &str = "hello from the pinned server";

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
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(|_| async {
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            Bytes::from_static(BODY.as_bytes()),
                        )))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
    });
    Ok(addr)
}

/// The first `rustls::Error` down an error's source chain (`io::Error` is opened with
/// `get_ref`, because its `source()` skips the error it wraps).
pub fn find_rustls_error<'a>(error: &'a (dyn Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            if let Some(tls) = find_rustls_error(inner) {
                return Some(tls);
            }
        }
        current = error.source();
    }
    None
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
