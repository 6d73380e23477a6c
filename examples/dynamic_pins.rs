//! A pinned key rotated at run time by publishing a signed bundle, with no client restart:
//! `cargo run --example dynamic_pins --features dynamic`.
//!
//! Everything runs on loopback with a PKI made at start-up:
//!
//! - a **bundle server** (HTTPS) publishing `pins.json` and its detached signature
//!   `pins.json.sig`, signed with an Ed25519 key whose public half the client is given;
//! - an **API server**, first with its old key, then a second one with a new key;
//! - a **client** whose static policy (compiled in) pins both servers. Its `PinStore` fetches
//!   bundles through a reqwest-based `PinSource` whose own connection is pinned by the static
//!   policy (bootstrap trust: a network attacker cannot even serve it a stale bundle).
//!
//! Steps: (1) the first bundle is applied and the API answers; (2) the API moves to a new
//! key, which no policy pins yet, so the client refuses it; (3) the operator publishes a
//! bundle pinning the new key, the refresher applies it and the client, rebuilt from the
//! store's new configuration, is accepted; (4) a tampered bundle is refused and audited, and
//! the store keeps the last good one.

use rustls_pinning_test_support::demo as common;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use common::{find_rustls_error, DemoPki, DemoResult, Identity};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rcgen::{KeyPair, PublicKeyData, SanType};
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{PrivateKeyDer, SubjectPublicKeyInfoDer, UnixTime};
use rustls_pinning::bundle::{self, BundleKey, BundleVerifier};
use rustls_pinning::pin_store::{BundleEvent, BundleEventKind, HybridMode, PinStore};
use rustls_pinning::refresh::{FetchError, FetchedBundle, PinSource, RefreshSchedule, Refresher};
use rustls_pinning::{
    BuilderPinningExt, Pin, PinEntry, PinSet, PinningServerVerifier, ServerPinningError,
};

const BUNDLES: &str = "bundles.example.test";
const API: &str = "api.example.test";
const DAY: u64 = 24 * 3600;

/// The signed bundle the bundle server currently publishes.
type Published = Arc<Mutex<(Vec<u8>, Vec<u8>)>>;

fn main() -> DemoResult<()> {
    let provider = rustls_pinning::default_crypto_provider();
    let pki = DemoPki::new()?;
    let dns =
        |name: &str| -> DemoResult<Vec<SanType>> { Ok(vec![SanType::DnsName(name.try_into()?)]) };
    let bundle_server_identity = pki.issue(&dns(BUNDLES)?, false)?;
    let api_old = pki.issue(&dns(API)?, false)?;
    let api_new = pki.issue(&dns(API)?, false)?;
    let reserve: Pin = "sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=".parse()?;
    let key_pin = |identity: &Identity| Pin::spki_of(&identity.chain[0]);

    // The bundle-signing key; the client is given only its public half.
    let signing = KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
    let signing_private = PrivateKeyDer::Pkcs8(signing.serialize_der().into());
    let trusted = BundleKey::from_spki(&SubjectPublicKeyInfoDer::from(
        signing.subject_public_key_info(),
    ))?;
    println!("bundle-signing key {}", trusted.id());

    // The static policy compiled into the client.
    let static_pins = PinSet::builder()
        .entry(
            PinEntry::builder(BUNDLES.parse()?)
                .pin(key_pin(&bundle_server_identity)?)
                .backup_pin(reserve),
        )
        .entry(
            PinEntry::builder(API.parse()?)
                .pin(key_pin(&api_old)?)
                .backup_pin(reserve),
        )
        .build()?;

    // Servers.
    let now = UnixTime::now();
    let sign = |pins: &PinSet, version: u64| -> DemoResult<(Vec<u8>, Vec<u8>)> {
        let body = bundle::body(
            pins,
            version,
            now,
            UnixTime::since_unix_epoch(Duration::from_secs(now.as_secs() + 30 * DAY)),
        )?;
        let signature = bundle::sign(&body, &signing_private, &provider)?;
        Ok((body, signature))
    };
    let published: Published = Arc::new(Mutex::new(sign(&static_pins, 1)?));
    let bundle_server = serve(
        pki.server_config(
            &bundle_server_identity,
            &provider,
            rustls::DEFAULT_VERSIONS,
            &[b"http/1.1"],
        )?,
        Content::Bundle(published.clone()),
    )?;
    let api_old_server = serve(
        pki.server_config(
            &api_old,
            &provider,
            rustls::DEFAULT_VERSIONS,
            &[b"http/1.1"],
        )?,
        Content::Text("API (old key)"),
    )?;
    let api_new_server = serve(
        pki.server_config(
            &api_new,
            &provider,
            rustls::DEFAULT_VERSIONS,
            &[b"http/1.1"],
        )?,
        Content::Text("API (new key)"),
    )?;

    // The client's store, audit trail and bundle source.
    let (audit, audited) = mpsc::channel::<BundleEvent>();
    let audit = Mutex::new(audit);
    let roots = pki.roots()?;
    let factory = {
        let (roots, provider) = (roots.clone(), provider.clone());
        move |pins| PinningServerVerifier::builder(roots.clone(), pins, provider.clone()).build()
    };
    let store = Arc::new(
        PinStore::builder(
            static_pins.clone(),
            factory,
            BundleVerifier::new(vec![trusted], &provider)?,
        )
        .hybrid_mode(HybridMode::Either)
        .with_client_config({
            let provider = provider.clone();
            move |verifier: Arc<dyn ServerCertVerifier>| {
                let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
                    .with_safe_default_protocol_versions()?
                    .dangerous()
                    .with_custom_certificate_verifier(verifier)
                    .with_no_client_auth();
                config.alpn_protocols = vec![b"http/1.1".to_vec()];
                Ok(config)
            }
        })
        .with_observer(Arc::new(move |event: &BundleEvent| {
            if let Ok(audit) = audit.lock() {
                let _ = audit.send(event.clone());
            }
        }))
        .build()?,
    );
    let bootstrap = PinningServerVerifier::builder(roots, static_pins, provider.clone()).build()?;
    let source = Arc::new(ReqwestSource::new(bootstrap, bundle_server, &provider)?);
    let refresher = Refresher::spawn(
        store.clone(),
        source,
        RefreshSchedule::default().interval(Duration::from_secs(3600)),
        |outcome| println!("    refresh: {outcome:?}"),
    )?;

    println!("\n(1) the refresher applies bundle version 1; the API answers");
    expect_audit(&audited, BundleEventKind::Applied, Some(1))?;
    let reply = get(&store, api_old_server)?;
    println!("    API says: {reply}");

    println!("\n(2) the API moves to a new key that no policy pins yet: refused");
    match get(&store, api_new_server) {
        Ok(_) => return Err("a key nobody pinned was accepted".into()),
        Err(error) => {
            match find_rustls_error(error.as_ref()).and_then(ServerPinningError::from_rustls) {
                Some(pinning) => println!("    refused: {}", first_line(&pinning.to_string())),
                None => return Err(format!("expected a pin failure, got {error}").into()),
            }
        }
    }

    println!("\n(3) the operator publishes version 2 pinning the new key; no client restart");
    let rotated = PinSet::builder()
        .entry(
            PinEntry::builder(API.parse()?)
                .pin(key_pin(&api_new)?)
                .backup_pin(reserve),
        )
        .build()?;
    *published.lock().map_err(|_| "lock")? = sign(&rotated, 2)?;
    refresher.refresh_now();
    let event = expect_audit(&audited, BundleEventKind::Applied, Some(2))?;
    println!(
        "    audit: version {:?} -> {:?}, pins added {:?}",
        event.old_version,
        event.new_version,
        event
            .added
            .iter()
            .map(|change| change.pin.as_str())
            .collect::<Vec<_>>()
    );
    let reply = get(&store, api_new_server)?;
    println!("    API says: {reply}");

    println!("\n(4) a tampered bundle is refused and audited; version 2 stays in force");
    let (body, signature) = sign(&rotated, 3)?;
    let tampered = String::from_utf8(body)?.replace("\"version\": 3", "\"version\": 4");
    *published.lock().map_err(|_| "lock")? = (tampered.into_bytes(), signature);
    refresher.refresh_now();
    let event = expect_audit(&audited, BundleEventKind::Rejected, None)?;
    println!("    audit: {}", event.reason.unwrap_or_default());
    let in_force = store.bundle().map(|bundle| bundle.version());
    if in_force != Some(2) {
        return Err(format!("expected version 2 in force, found {in_force:?}").into());
    }
    println!("    still accepted: {}", get(&store, api_new_server)?);
    drop(refresher);
    println!("\nrotation done by publishing a bundle; the client was never restarted");
    Ok(())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// Waits for the next audit record and checks it.
fn expect_audit(
    audited: &mpsc::Receiver<BundleEvent>,
    kind: BundleEventKind,
    version: Option<u64>,
) -> DemoResult<BundleEvent> {
    let event = audited.recv_timeout(Duration::from_secs(30))?;
    if event.kind != kind || (version.is_some() && event.new_version != version) {
        return Err(format!("expected {kind:?} {version:?}, got {event:?}").into());
    }
    Ok(event)
}

/// GET / on the API with a reqwest client built from the store's current configuration: an
/// application rebuilds its client like this after each update.
fn get(store: &PinStore, api: SocketAddr) -> DemoResult<String> {
    let config = store
        .client_config()
        .ok_or("the store makes configurations")?;
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured((*config).clone())
        .resolve(API, api)
        .build()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        Ok(client
            .get(format!("https://{API}:{}/", api.port()))
            .send()
            .await?
            .text()
            .await?)
    })
}

/// Fetches bundles over HTTPS with reqwest, its connection pinned by the static policy.
///
/// reqwest's traps apply: the configuration goes in by value through
/// `tls_backend_preconfigured`, from the same rustls version, with ALPN set by hand.
#[derive(Debug)]
struct ReqwestSource {
    client: reqwest::Client,
    base: String,
    runtime: tokio::runtime::Runtime,
}

impl ReqwestSource {
    fn new(
        bootstrap: Arc<PinningServerVerifier>,
        server: SocketAddr,
        provider: &Arc<rustls::crypto::CryptoProvider>,
    ) -> DemoResult<Self> {
        let mut tls = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()?
            .with_pinning(bootstrap)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .resolve(BUNDLES, server)
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            client,
            base: format!("https://{BUNDLES}:{}", server.port()),
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
        })
    }
}

impl PinSource for ReqwestSource {
    fn fetch(&self) -> Result<FetchedBundle, FetchError> {
        self.runtime.block_on(async {
            let get = |path: &'static str| async move {
                let response = self
                    .client
                    .get(format!("{}/{path}", self.base))
                    .send()
                    .await?;
                let response = response.error_for_status()?;
                Ok::<_, FetchError>(response.bytes().await?.to_vec())
            };
            Ok(FetchedBundle::new(
                get("pins.json").await?,
                get("pins.json.sig").await?,
            ))
        })
    }
}

/// What a loopback server answers.
enum Content {
    Text(&'static str),
    Bundle(Published),
}

/// An HTTPS server on its own thread, for as long as the process runs.
fn serve(config: rustls::ServerConfig, content: Content) -> DemoResult<SocketAddr> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let content = Arc::new(content);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, content) = (acceptor.clone(), content.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service =
                        service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                            let body = match (&*content, request.uri().path()) {
                                (Content::Text(text), _) => Some(text.as_bytes().to_vec()),
                                (Content::Bundle(published), "/pins.json") => {
                                    published.lock().ok().map(|bundle| bundle.0.clone())
                                }
                                (Content::Bundle(published), "/pins.json.sig") => {
                                    published.lock().ok().map(|bundle| bundle.1.clone())
                                }
                                _ => None,
                            };
                            async move {
                                let response = match body {
                                    Some(body) => {
                                        hyper::Response::new(Full::new(Bytes::from(body)))
                                    }
                                    None => {
                                        let mut response =
                                            hyper::Response::new(Full::new(Bytes::new()));
                                        *response.status_mut() = hyper::StatusCode::NOT_FOUND;
                                        response
                                    }
                                };
                                Ok::<_, std::convert::Infallible>(response)
                            }
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

#[cfg(test)]
mod tests {
    #[test]
    fn example_runs() {
        if let Err(error) = super::main() {
            panic!("example failed: {error}");
        }
    }
}
