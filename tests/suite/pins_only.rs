//! `danger::pins_only`: a leaf pin as the only trust, for private and self-signed services.

use rustls_pinning_test_support as common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{connect, Ca, LeafOptions, TestServer, GREETING};
use rcgen::{CertificateParams, IsCa, KeyPair};
use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{CertificateError, Error, InconsistentKeys, ServerConfig, SupportedProtocolVersion};
use rustls_pinning::danger::{self, PinsOnlyBuilder, PinsOnlyVerifier};
use rustls_pinning::{
    AfterExpiry, Pin, PinEntry, PinEntryBuilder, PinScope, PinSet, ServerPinningError,
    VerifierBuilderError,
};

use super::{provider, PROVIDER};

/// A client config that verifies servers with a pins-only verifier, installed the only way
/// it can be: rustls's dangerous path (it replaces the certificate authority).
fn pins_only_client_config(
    verifier: Arc<PinsOnlyVerifier>,
    provider: &Arc<CryptoProvider>,
    version: &'static SupportedProtocolVersion,
) -> Arc<rustls::ClientConfig> {
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[version])
        .expect("provider supports the protocol version")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Arc::new(config)
}

const HOST: &str = "device.test";

/// A self-signed end-entity certificate (not a CA) for `names`, with rcgen's default,
/// very long validity.
struct SelfSigned {
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

impl SelfSigned {
    fn new(names: &[&str]) -> Self {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        params.is_ca = IsCa::ExplicitNoCa;
        let cert = params.self_signed(&key).unwrap().der().clone();
        SelfSigned {
            cert,
            key: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        }
    }

    fn pin(&self) -> Pin {
        Pin::spki_of(&self.cert).unwrap()
    }
}

fn single_pin(host: &str, pin: Pin) -> PinEntryBuilder {
    PinEntry::builder(host.parse().unwrap())
        .pin(pin)
        .allow_missing_backup_pin()
}

fn set(entry: PinEntryBuilder) -> PinSet {
    PinSet::builder().entry(entry).build().unwrap()
}

fn pins_only(pins: PinSet, provider: &Arc<CryptoProvider>) -> PinsOnlyBuilder {
    danger::pins_only(pins, provider.clone())
}

fn verify_at(
    verifier: &dyn ServerCertVerifier,
    end_entity: &CertificateDer<'_>,
    host: &str,
    now: UnixTime,
) -> Result<ServerCertVerified, Error> {
    let name = ServerName::try_from(host).unwrap();
    verifier.verify_server_cert(end_entity, &[], &name, &[], now)
}

fn verify(
    verifier: &dyn ServerCertVerifier,
    end_entity: &CertificateDer<'_>,
    host: &str,
) -> Result<ServerCertVerified, Error> {
    verify_at(verifier, end_entity, host, UnixTime::now())
}

fn pinning_error(result: Result<ServerCertVerified, Error>, label: &str) -> ServerPinningError {
    match result {
        Ok(_) => panic!("[{label}] accepted, expected a pinning rejection"),
        Err(error) => ServerPinningError::from_rustls(&error)
            .unwrap_or_else(|| panic!("[{label}] expected a ServerPinningError, got {error:?}"))
            .clone(),
    }
}

const VERSIONS: [(&str, &SupportedProtocolVersion); 2] = [
    ("TLS1.3", &rustls::version::TLS13),
    ("TLS1.2", &rustls::version::TLS12),
];

#[test]
fn pinned_self_signed_leaf_is_accepted_directly_and_in_a_handshake() {
    let provider = provider();
    let server_cert = SelfSigned::new(&[HOST]);
    let verifier = pins_only(set(single_pin(HOST, server_cert.pin())), &provider)
        .build()
        .unwrap();
    verify(&*verifier, &server_cert.cert, HOST)
        .unwrap_or_else(|e| panic!("[{PROVIDER}] pinned self-signed leaf: {e}"));

    let server = TestServer::with_chain(
        vec![server_cert.cert.clone()],
        server_cert.key.clone_key(),
        provider.clone(),
    );
    for (version_name, version) in VERSIONS {
        let reply = connect(
            server.addr,
            HOST,
            pins_only_client_config(verifier.clone(), &provider, version),
        )
        .unwrap_or_else(|e| panic!("[{PROVIDER} {version_name}] handshake: {e}"));
        assert_eq!(reply, GREETING, "[{PROVIDER} {version_name}]");
    }
}

#[test]
fn pinned_leaf_from_an_untrusted_private_ca_is_accepted() {
    let provider = provider();
    let private_ca = Ca::root("Private Device CA");
    let leaf = private_ca.leaf(&[HOST]);
    let verifier = pins_only(
        set(single_pin(HOST, Pin::spki_of(&leaf.cert).unwrap())),
        &provider,
    )
    .build()
    .unwrap();
    verify(&*verifier, &leaf.cert, HOST)
        .unwrap_or_else(|e| panic!("[{PROVIDER}] pinned leaf of a private CA: {e}"));

    let server = TestServer::with_chain(leaf.chain(&[]), leaf.private_key(), provider.clone());
    let reply = connect(
        server.addr,
        HOST,
        pins_only_client_config(verifier, &provider, &rustls::version::TLS13),
    )
    .unwrap_or_else(|e| panic!("[{PROVIDER}] handshake: {e}"));
    assert_eq!(reply, GREETING, "[{PROVIDER}]");
}

#[test]
fn unpinned_leaf_is_rejected_in_verify_and_handshake() {
    let provider = provider();
    let pinned = SelfSigned::new(&[HOST]);
    let other = SelfSigned::new(&[HOST]);
    let verifier = pins_only(set(single_pin(HOST, pinned.pin())), &provider)
        .build()
        .unwrap();
    match pinning_error(verify(&*verifier, &other.cert, HOST), PROVIDER) {
        ServerPinningError::NoPinMatched {
            host,
            pattern,
            verified_paths,
            ..
        } => {
            assert_eq!(host, HOST, "[{PROVIDER}]");
            assert_eq!(pattern.to_string(), HOST, "[{PROVIDER}]");
            assert_eq!(verified_paths.len(), 1, "[{PROVIDER}]");
            assert_eq!(verified_paths[0][0].spki_pin(), other.pin(), "[{PROVIDER}]");
        }
        error => panic!("[{PROVIDER}] expected NoPinMatched, got {error}"),
    }

    let server = TestServer::with_chain(
        vec![other.cert.clone()],
        other.key.clone_key(),
        provider.clone(),
    );
    let error = connect(
        server.addr,
        HOST,
        pins_only_client_config(verifier, &provider, &rustls::version::TLS13),
    )
    .unwrap_err();
    assert!(
        matches!(
            ServerPinningError::from_rustls(&error),
            Some(ServerPinningError::NoPinMatched { .. })
        ),
        "[{PROVIDER}] handshake: {error:?}"
    );
    assert_eq!(server.completed(), 0, "[{PROVIDER}]");
}

#[test]
fn host_without_an_entry_is_rejected() {
    let provider = provider();
    let server_cert = SelfSigned::new(&[HOST, "stranger.test"]);
    let verifier = pins_only(set(single_pin(HOST, server_cert.pin())), &provider)
        .build()
        .unwrap();
    match pinning_error(
        verify(&*verifier, &server_cert.cert, "stranger.test"),
        PROVIDER,
    ) {
        ServerPinningError::HostNotPinned { host } => {
            assert_eq!(host, "stranger.test", "[{PROVIDER}]")
        }
        error => panic!("[{PROVIDER}] expected HostNotPinned, got {error}"),
    }
}

#[test]
fn validity_dates_are_checked_unless_allowed() {
    let provider = provider();
    let private_ca = Ca::root("Private Validity CA");
    let expired = private_ca.leaf_with(LeafOptions::new(&[HOST]).expired());
    let future = private_ca.leaf_with(LeafOptions::new(&[HOST]).not_yet_valid());
    let pins = || {
        set(PinEntry::builder(HOST.parse().unwrap())
            .pin(Pin::spki_of(&expired.cert).unwrap())
            .pin(Pin::spki_of(&future.cert).unwrap()))
    };
    let now = UnixTime::now();

    let strict = pins_only(pins(), &provider).build().unwrap();
    match verify_at(&*strict, &expired.cert, HOST, now) {
        Err(Error::InvalidCertificate(CertificateError::ExpiredContext { time, not_after })) => {
            assert_eq!(time, now, "[{PROVIDER}]");
            assert!(not_after.as_secs() < now.as_secs(), "[{PROVIDER}]");
        }
        other => panic!("[{PROVIDER}] expected ExpiredContext, got {other:?}"),
    }
    match verify_at(&*strict, &future.cert, HOST, now) {
        Err(Error::InvalidCertificate(CertificateError::NotValidYetContext {
            time,
            not_before,
        })) => {
            assert_eq!(time, now, "[{PROVIDER}]");
            assert!(not_before.as_secs() > now.as_secs(), "[{PROVIDER}]");
        }
        other => panic!("[{PROVIDER}] expected NotValidYetContext, got {other:?}"),
    }

    let lenient = pins_only(pins(), &provider)
        .allow_expired_certificates()
        .build()
        .unwrap();
    verify_at(&*lenient, &expired.cert, HOST, now)
        .unwrap_or_else(|e| panic!("[{PROVIDER}] expired, allowed: {e}"));
    verify_at(&*lenient, &future.cert, HOST, now)
        .unwrap_or_else(|e| panic!("[{PROVIDER}] not yet valid, allowed: {e}"));
}

#[test]
fn server_name_is_checked_unless_allowed() {
    let provider = provider();
    let other_host = "other-device.test";
    let server_cert = SelfSigned::new(&[HOST]);
    let pins = || set(single_pin(other_host, server_cert.pin()));

    let strict = pins_only(pins(), &provider).build().unwrap();
    match verify(&*strict, &server_cert.cert, other_host) {
        Err(Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected,
            presented,
        })) => {
            assert_eq!(
                expected,
                ServerName::try_from(other_host).unwrap(),
                "[{PROVIDER}]"
            );
            assert_eq!(presented, [format!("DnsName(\"{HOST}\")")], "[{PROVIDER}]");
        }
        other => panic!("[{PROVIDER}] expected NotValidForNameContext, got {other:?}"),
    }

    let lenient = pins_only(pins(), &provider)
        .allow_any_server_name()
        .build()
        .unwrap();
    verify(&*lenient, &server_cert.cert, other_host)
        .unwrap_or_else(|e| panic!("[{PROVIDER}] any name allowed: {e}"));
}

#[test]
fn expired_entry_has_no_fallback() {
    let provider = provider();
    let server_cert = SelfSigned::new(&[HOST]);
    let expiry = UnixTime::since_unix_epoch(
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap() - Duration::from_secs(3600),
    );
    let entry = || single_pin(HOST, server_cert.pin()).expires_at(expiry);

    let skip = pins_only(set(entry()), &provider).build().unwrap();
    match pinning_error(verify(&*skip, &server_cert.cert, HOST), PROVIDER) {
        ServerPinningError::EntryExpiredWithoutFallback {
            host,
            pattern,
            expired_at,
        } => {
            assert_eq!(host, HOST, "[{PROVIDER}]");
            assert_eq!(pattern.to_string(), HOST, "[{PROVIDER}]");
            assert_eq!(expired_at, expiry, "[{PROVIDER}]");
        }
        error => panic!("[{PROVIDER}] expected EntryExpiredWithoutFallback, got {error}"),
    }

    let keep = pins_only(
        set(entry().after_expiry(AfterExpiry::KeepEnforcing)),
        &provider,
    )
    .build()
    .unwrap();
    verify(&*keep, &server_cert.cert, HOST)
        .unwrap_or_else(|e| panic!("[{PROVIDER}] expired entry kept enforcing: {e}"));
}

#[test]
fn entries_that_need_a_ca_are_refused_at_build_time() {
    let provider = provider();
    let pin = Pin::spki_sha256([1; 32]);
    let backup = Pin::spki_sha256([2; 32]);
    let cases = [
        (
            "report-only",
            PinEntry::builder(HOST.parse().unwrap())
                .pin(pin)
                .pin(backup)
                .report_only(),
        ),
        (
            "deny pins only",
            PinEntry::builder(HOST.parse().unwrap()).deny(pin),
        ),
        (
            "root-scoped pin",
            PinEntry::builder(HOST.parse().unwrap())
                .pin(pin)
                .pin_at(backup, PinScope::Root),
        ),
        (
            "intermediate-scoped pin",
            PinEntry::builder(HOST.parse().unwrap())
                .pin(pin)
                .pin_at(backup, PinScope::Intermediate),
        ),
    ];
    for (case, entry) in cases {
        match pins_only(set(entry), &provider).build() {
            Err(VerifierBuilderError::UnsupportedInPinsOnlyMode { pattern, .. }) => {
                assert_eq!(pattern.to_string(), HOST, "[{PROVIDER}] {case}");
            }
            Err(other) => {
                panic!("[{PROVIDER}] {case}: expected UnsupportedInPinsOnlyMode, got {other}")
            }
            Ok(_) => panic!("[{PROVIDER}] {case}: built, expected UnsupportedInPinsOnlyMode"),
        }
    }

    // A leaf-scoped pin is fine.
    let leaf_scoped = PinEntry::builder(HOST.parse().unwrap())
        .pin_at(pin, PinScope::Leaf)
        .pin(backup);
    pins_only(set(leaf_scoped), &provider)
        .build()
        .unwrap_or_else(|e| panic!("[{PROVIDER}] leaf-scoped pins: {e}"));
}

/// Serves the pinned certificate but signs the handshake with another key, which rustls's
/// own `with_single_cert` would refuse to configure.
#[derive(Debug)]
struct MismatchedKey(Arc<CertifiedKey>);

impl ResolvesServerCert for MismatchedKey {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

fn mismatched_key_server(
    cert: &CertificateDer<'static>,
    signing_key: PrivateKeyDer<'static>,
    provider: &Arc<CryptoProvider>,
) -> TestServer {
    let key = provider.key_provider.load_private_key(signing_key).unwrap();
    let certified = CertifiedKey::new(vec![cert.clone()], key);
    let config = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .unwrap()
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(MismatchedKey(Arc::new(certified))));
    TestServer::start(Arc::new(config))
}

#[test]
fn handshake_signature_by_another_key_is_rejected() {
    let provider = provider();
    let pinned = SelfSigned::new(&[HOST]);
    let thief = SelfSigned::new(&[HOST]);
    let server = mismatched_key_server(&pinned.cert, thief.key.clone_key(), &provider);
    let verifier = pins_only(set(single_pin(HOST, pinned.pin())), &provider)
        .build()
        .unwrap();
    for (version_name, version) in VERSIONS {
        let error = connect(
            server.addr,
            HOST,
            pins_only_client_config(verifier.clone(), &provider, version),
        )
        .unwrap_err();
        assert_eq!(
            error,
            Error::InvalidCertificate(CertificateError::BadSignature),
            "[{PROVIDER} {version_name}]"
        );
    }
    assert_eq!(server.completed(), 0, "[{PROVIDER}]");

    // Sanity: the same server setup with the matching key passes.
    let honest = mismatched_key_server(&pinned.cert, pinned.key.clone_key(), &provider);
    for (version_name, version) in VERSIONS {
        let reply = connect(
            honest.addr,
            HOST,
            pins_only_client_config(verifier.clone(), &provider, version),
        )
        .unwrap_or_else(|e| panic!("[{PROVIDER} {version_name}] matching key: {e}"));
        assert_eq!(reply, GREETING, "[{PROVIDER} {version_name}]");
    }
}

#[test]
fn handshake_signature_by_another_key_passes_when_checking_is_skipped() {
    let provider = provider();
    let pinned = SelfSigned::new(&[HOST]);
    let thief = SelfSigned::new(&[HOST]);
    let server = mismatched_key_server(&pinned.cert, thief.key.clone_key(), &provider);
    let verifier = pins_only(set(single_pin(HOST, pinned.pin())), &provider)
        .skip_handshake_signature_verification()
        .build()
        .unwrap();
    for (version_name, version) in VERSIONS {
        let reply = connect(
            server.addr,
            HOST,
            pins_only_client_config(verifier.clone(), &provider, version),
        )
        .unwrap_or_else(|e| panic!("[{PROVIDER} {version_name}] signature check skipped: {e}"));
        assert_eq!(reply, GREETING, "[{PROVIDER} {version_name}]");
    }
}

#[test]
fn rustls_refuses_the_mismatched_key_without_a_custom_resolver() {
    // Why the tests above build the `CertifiedKey` by hand: the checked constructor (used by
    // `with_single_cert`) refuses a key that does not match the certificate.
    let provider = provider();
    let pinned = SelfSigned::new(&[HOST]);
    let thief = SelfSigned::new(&[HOST]);
    let result =
        CertifiedKey::from_der(vec![pinned.cert.clone()], thief.key.clone_key(), &provider);
    assert_eq!(
        result.err(),
        Some(Error::InconsistentKeys(InconsistentKeys::KeyMismatch)),
        "[{PROVIDER}]"
    );
}

#[test]
fn deny_pins_apply_to_the_pinned_leaf() {
    let provider = provider();
    let device = SelfSigned::new(&[HOST]);
    let pins = PinSet::builder()
        .entry(single_pin(HOST, Pin::certificate_of(&device.cert)))
        .deny_everywhere(device.pin())
        .build()
        .unwrap();
    let verifier = pins_only(pins, &provider).build().unwrap();
    match pinning_error(verify(&*verifier, &device.cert, HOST), PROVIDER) {
        ServerPinningError::DeniedPinMatched {
            pattern, denied, ..
        } => {
            assert_eq!(pattern, None, "[{PROVIDER}]");
            assert_eq!(denied.pin(), device.pin(), "[{PROVIDER}]");
        }
        other => panic!("[{PROVIDER}] expected DeniedPinMatched, got {other}"),
    }
}

#[test]
fn certificate_errors_are_reported_before_pin_errors() {
    // An expired certificate with the wrong key is reported as expired, as WebPKI mode and
    // rustls report certificate problems before trust problems.
    let provider = provider();
    let private_ca = Ca::root("Private Order CA");
    let expired = private_ca.leaf_with(LeafOptions::new(&[HOST]).expired());
    let pinned = SelfSigned::new(&[HOST]);
    let verifier = pins_only(set(single_pin(HOST, pinned.pin())), &provider)
        .build()
        .unwrap();
    let result = verify(&*verifier, &expired.cert, HOST);
    assert!(
        matches!(
            result,
            Err(Error::InvalidCertificate(
                CertificateError::ExpiredContext { .. }
            ))
        ),
        "[{PROVIDER}] got {result:?}"
    );
}
