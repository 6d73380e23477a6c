//! An in-memory test PKI built with rcgen: roots, intermediates, cross-signed
//! certificates, leaves and CRLs.
//!
//! Everything is generated fresh per call, so each test gets its own keys and
//! cannot be confused by state from another test. All fallible rcgen calls
//! panic: a failure here is a broken fixture, not a test outcome.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose,
    NameConstraints, PublicKeyData, RevocationReason, RevokedCertParams, RsaKeySize, SanType,
    SerialNumber,
};
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::RootCertStore;

/// One day, the unit most validity windows are expressed in.
pub const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// Organization put in every subject, so the DNs look realistic and never
/// collide with anything outside the tests.
const ORGANIZATION: &str = "rustls-pinning test PKI";

/// First automatically assigned serial number. Kept far above the small
/// serials tests pick by hand (e.g. `serial: Some(42)`) so they never clash.
const FIRST_AUTO_SERIAL: u64 = 0x0100_0000;

static NEXT_SERIAL: AtomicU64 = AtomicU64::new(FIRST_AUTO_SERIAL);

/// A fresh, process-unique serial number.
///
/// rcgen's default serial is a hash of the subject public key, which would
/// give a re-issued certificate for the same key the *same* serial (and a
/// CRL entry would then revoke both). We always assign serials explicitly.
pub fn next_serial() -> u64 {
    NEXT_SERIAL.fetch_add(1, Ordering::Relaxed)
}

/// `SystemTime::now()` shifted by `offset` seconds (negative = past).
///
/// Saves tests from the `checked_sub(..).unwrap()` dance when they need
/// "an hour ago" or "in ten years".
pub fn now_plus(offset_secs: i64) -> SystemTime {
    let now = SystemTime::now();
    let delta = Duration::from_secs(offset_secs.unsigned_abs());
    if offset_secs >= 0 {
        now + delta
    } else {
        now - delta
    }
}

/// Converts a `SystemTime` into rcgen's timestamp type.
///
/// rcgen uses `time::OffsetDateTime` in its params but does not re-export
/// the `time` crate, and `time` is not a dev-dependency of this crate; the
/// value is built from rcgen's own `date_time_ymd` plus a std `Duration`, so
/// the type never has to be named.
macro_rules! asn1_time {
    ($t:expr) => {
        rcgen::date_time_ymd(1970, 1, 1)
            + $t.duration_since(UNIX_EPOCH)
                .expect("test timestamps are after 1970")
    };
}

/// The key algorithm of a generated key pair.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// ECDSA on P-256 with SHA-256: the common modern default.
    #[default]
    EcdsaP256,
    /// RSA 2048 with PKCS#1 v1.5 / SHA-256 signatures.
    Rsa2048,
    /// Ed25519.
    Ed25519,
}

impl KeyKind {
    /// Generates a fresh key pair of this kind (rcgen's aws-lc-rs backend,
    /// independent of the rustls provider under test).
    pub fn generate(self) -> KeyPair {
        match self {
            KeyKind::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            KeyKind::Rsa2048 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, RsaKeySize::_2048)
            }
            KeyKind::Ed25519 => KeyPair::generate_for(&rcgen::PKCS_ED25519),
        }
        .unwrap_or_else(|e| panic!("generating {self:?} key: {e}"))
    }
}

/// Duplicates a key pair.
///
/// `rcgen::KeyPair` is not `Clone`; this round-trips it through its PKCS#8
/// DER. Use it for "same key, new certificate" scenarios.
pub fn copy_key_pair(key: &KeyPair) -> KeyPair {
    KeyPair::try_from(key.serialized_der()).expect("re-parsing a generated key pair")
}

/// The full DER `SubjectPublicKeyInfo` (outer SEQUENCE included) of a key:
/// the exact bytes SPKI pins are computed over.
pub fn spki_of(key: &KeyPair) -> Vec<u8> {
    key.subject_public_key_info()
}

/// Where the key for a new certificate comes from.
pub enum KeySpec {
    /// Generate a fresh key of this kind.
    Generate(KeyKind),
    /// Reuse this key (see [`copy_key_pair`] to keep a copy for later).
    Existing(KeyPair),
}

impl KeySpec {
    fn into_key_pair(self) -> KeyPair {
        match self {
            KeySpec::Generate(kind) => kind.generate(),
            KeySpec::Existing(key) => key,
        }
    }
}

impl Default for KeySpec {
    fn default() -> Self {
        KeySpec::Generate(KeyKind::default())
    }
}

impl From<KeyKind> for KeySpec {
    fn from(kind: KeyKind) -> Self {
        KeySpec::Generate(kind)
    }
}

impl From<KeyPair> for KeySpec {
    fn from(key: KeyPair) -> Self {
        KeySpec::Existing(key)
    }
}

fn subject(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, ORGANIZATION);
    dn.push(DnType::CommonName, common_name);
    dn
}

/// Options for [`Ca::intermediate_with`] (and the CA constructors).
pub struct CaOptions {
    /// The CA's key; a fresh ECDSA P-256 key by default.
    pub key: KeySpec,
    /// Basic-constraints path length; `None` = unconstrained.
    pub path_len: Option<u8>,
    /// Start of validity; default one day ago.
    pub not_before: SystemTime,
    /// End of validity; default ten years from now.
    pub not_after: SystemTime,
    /// Serial number; default a fresh unique one.
    pub serial: Option<u64>,
    /// A name constraints extension (permitted and excluded subtrees); none by default.
    pub name_constraints: Option<NameConstraints>,
}

impl Default for CaOptions {
    fn default() -> Self {
        CaOptions {
            key: KeySpec::default(),
            path_len: None,
            not_before: now_plus(-(DAY.as_secs() as i64)),
            not_after: now_plus(10 * 365 * DAY.as_secs() as i64),
            serial: None,
            name_constraints: None,
        }
    }
}

impl CaOptions {
    /// Default options with the given key.
    pub fn with_key(key: impl Into<KeySpec>) -> Self {
        CaOptions {
            key: key.into(),
            ..CaOptions::default()
        }
    }
}

/// A certificate authority (root or intermediate) that can issue
/// certificates and CRLs.
pub struct Ca {
    common_name: String,
    /// Kept so the CA's own certificate can be re-issued by another CA
    /// (cross-signing) with the same subject, extensions and key.
    params: CertificateParams,
    /// Owns the signing key.
    issuer: Issuer<'static, KeyPair>,
    cert: CertificateDer<'static>,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca")
            .field("common_name", &self.common_name)
            .finish_non_exhaustive()
    }
}

impl Ca {
    /// A self-signed root with a fresh ECDSA P-256 key.
    pub fn root(common_name: &str) -> Ca {
        Ca::root_opts(common_name, CaOptions::default())
    }

    /// A self-signed root with a fresh key of the given kind.
    pub fn root_with(common_name: &str, kind: KeyKind) -> Ca {
        Ca::root_opts(common_name, CaOptions::with_key(kind))
    }

    /// A self-signed root using an existing key, for "same key re-issued"
    /// scenarios (pass a [`copy_key_pair`] to reuse a key more than once).
    pub fn root_with_key(common_name: &str, key: KeyPair) -> Ca {
        Ca::root_opts(common_name, CaOptions::with_key(key))
    }

    /// A self-signed root with full control over key, validity and serial.
    pub fn root_opts(common_name: &str, opts: CaOptions) -> Ca {
        let (params, key) = Ca::params(common_name, opts);
        let cert = params
            .self_signed(&key)
            .unwrap_or_else(|e| panic!("self-signing root {common_name:?}: {e}"))
            .der()
            .clone();
        Ca::from_parts(common_name, params, key, cert)
    }

    /// An intermediate CA with a fresh ECDSA P-256 key, issued by `self`.
    pub fn intermediate(&self, common_name: &str) -> Ca {
        self.intermediate_with(common_name, CaOptions::default())
    }

    /// An intermediate CA issued by `self`, with the given options.
    pub fn intermediate_with(&self, common_name: &str, opts: CaOptions) -> Ca {
        let (params, key) = Ca::params(common_name, opts);
        let cert = params
            .signed_by(&key, &self.issuer)
            .unwrap_or_else(|e| panic!("issuing intermediate {common_name:?}: {e}"))
            .der()
            .clone();
        Ca::from_parts(common_name, params, key, cert)
    }

    /// Re-issues `other`'s CA certificate (same subject, same public key,
    /// same extensions, new serial) with `self` as issuer.
    ///
    /// Anything issued by `other` then chains to `self` via this certificate:
    /// `leaf -> intermediate -> [other, signed by self] -> self`. This is how
    /// a new root is bootstrapped under an old, widely-trusted one.
    pub fn cross_sign(&self, other: &Ca) -> CertificateDer<'static> {
        let mut params = other.params.clone();
        params.serial_number = Some(SerialNumber::from(next_serial()));
        params
            .signed_by(other.key_pair(), &self.issuer)
            .unwrap_or_else(|e| panic!("cross-signing {:?}: {e}", other.common_name))
            .der()
            .clone()
    }

    /// A server-auth leaf for the given DNS names, with default options.
    pub fn leaf(&self, dns_names: &[&str]) -> Leaf {
        self.leaf_with(LeafOptions::new(dns_names))
    }

    /// A leaf (end-entity, unless `opts.is_ca`) issued by `self`.
    pub fn leaf_with(&self, opts: LeafOptions) -> Leaf {
        issue_leaf(&self.issuer, opts)
    }

    /// A CRL signed by this CA listing `revoked_serials`, valid from an hour
    /// ago until a day from now.
    pub fn crl(&self, revoked_serials: &[u64]) -> CertificateRevocationListDer<'static> {
        self.crl_at(
            revoked_serials,
            now_plus(-3600),
            now_plus(DAY.as_secs() as i64),
        )
    }

    /// A CRL with an explicit `thisUpdate`/`nextUpdate` (e.g. a stale one).
    pub fn crl_at(
        &self,
        revoked_serials: &[u64],
        this_update: SystemTime,
        next_update: SystemTime,
    ) -> CertificateRevocationListDer<'static> {
        let params = CertificateRevocationListParams {
            this_update: asn1_time!(this_update),
            next_update: asn1_time!(next_update),
            crl_number: SerialNumber::from(next_serial()),
            issuing_distribution_point: None,
            revoked_certs: revoked_serials
                .iter()
                .map(|&serial| RevokedCertParams {
                    serial_number: SerialNumber::from(serial),
                    revocation_time: asn1_time!(this_update),
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        params
            .signed_by(&self.issuer)
            .unwrap_or_else(|e| panic!("signing CRL of {:?}: {e}", self.common_name))
            .der()
            .clone()
    }

    /// This CA's certificate (self-signed for a root, issued by the parent
    /// for an intermediate).
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert
    }

    /// This CA's key pair.
    pub fn key_pair(&self) -> &KeyPair {
        self.issuer.key()
    }

    /// Full DER `SubjectPublicKeyInfo` of this CA's key.
    pub fn spki_der(&self) -> Vec<u8> {
        spki_of(self.key_pair())
    }

    /// A root store with this CA's certificate as the only trust anchor.
    pub fn root_store(&self) -> Arc<RootCertStore> {
        root_store(&[self])
    }

    /// The common name this CA was created with.
    pub fn common_name(&self) -> &str {
        &self.common_name
    }

    fn params(common_name: &str, opts: CaOptions) -> (CertificateParams, KeyPair) {
        let CaOptions {
            key,
            path_len,
            not_before,
            not_after,
            serial,
            name_constraints,
        } = opts;
        let mut params = CertificateParams::default();
        params.name_constraints = name_constraints;
        params.distinguished_name = subject(common_name);
        params.is_ca = IsCa::Ca(match path_len {
            Some(n) => BasicConstraints::Constrained(n),
            None => BasicConstraints::Unconstrained,
        });
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = asn1_time!(not_before);
        params.not_after = asn1_time!(not_after);
        params.serial_number = Some(SerialNumber::from(serial.unwrap_or_else(next_serial)));
        params.use_authority_key_identifier_extension = true;
        (params, key.into_key_pair())
    }

    fn from_parts(
        common_name: &str,
        params: CertificateParams,
        key: KeyPair,
        cert: CertificateDer<'static>,
    ) -> Ca {
        Ca {
            common_name: common_name.to_owned(),
            issuer: Issuer::new(params.clone(), key),
            params,
            cert,
        }
    }
}

/// A leaf (end-entity, unless `opts.is_ca`) signed by `issuer`.
fn issue_leaf(issuer: &Issuer<'_, KeyPair>, opts: LeafOptions) -> Leaf {
    let LeafOptions {
        common_name,
        dns_names,
        ip_addresses,
        uris,
        key,
        not_before,
        not_after,
        serial,
        is_ca,
        extended_key_usages,
    } = opts;
    let common_name = common_name
        .or_else(|| dns_names.first().cloned())
        .unwrap_or_else(|| "test leaf".to_owned());
    let serial = serial.unwrap_or_else(next_serial);
    let key_pair = key.into_key_pair();

    let mut params = CertificateParams::default();
    params.distinguished_name = subject(&common_name);
    params.subject_alt_names = dns_names
        .iter()
        .map(|name| {
            SanType::DnsName(
                name.as_str()
                    .try_into()
                    .unwrap_or_else(|e| panic!("DNS SAN {name:?}: {e}")),
            )
        })
        .chain(ip_addresses.iter().copied().map(SanType::IpAddress))
        .chain(uris.iter().map(|uri| {
            SanType::URI(
                uri.as_str()
                    .try_into()
                    .unwrap_or_else(|e| panic!("URI SAN {uri:?}: {e}")),
            )
        }))
        .collect();
    params.not_before = asn1_time!(not_before);
    params.not_after = asn1_time!(not_after);
    params.serial_number = Some(SerialNumber::from(serial));
    params.use_authority_key_identifier_extension = true;
    params.extended_key_usages = extended_key_usages;
    if is_ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
        ];
    } else {
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    }

    let cert = params
        .signed_by(&key_pair, issuer)
        .unwrap_or_else(|e| panic!("issuing leaf {common_name:?}: {e}"))
        .der()
        .clone();
    Leaf {
        key: PrivateKeyDer::Pkcs8(key_pair.serialize_der().into()),
        cert,
        key_pair,
        serial,
    }
}

/// A root store trusting each of `cas` as an anchor.
pub fn root_store(cas: &[&Ca]) -> Arc<RootCertStore> {
    let mut store = RootCertStore::empty();
    for ca in cas {
        store
            .add(ca.cert_der().clone())
            .unwrap_or_else(|e| panic!("adding {:?} as trust anchor: {e}", ca.common_name));
    }
    Arc::new(store)
}

/// Options for [`Ca::leaf_with`].
///
/// Build with [`LeafOptions::new`] and either the builder methods or struct
/// update syntax: `LeafOptions { serial: Some(7), ..LeafOptions::new(&["a.test"]) }`.
pub struct LeafOptions {
    /// Subject CN; defaults to the first DNS name (or "test leaf").
    pub common_name: Option<String>,
    /// DNS subjectAltNames.
    pub dns_names: Vec<String>,
    /// IP subjectAltNames.
    pub ip_addresses: Vec<IpAddr>,
    /// URI subjectAltNames (for example SPIFFE IDs of client workloads).
    pub uris: Vec<String>,
    /// The leaf's key; a fresh ECDSA P-256 key by default.
    pub key: KeySpec,
    /// Start of validity; default one day ago.
    pub not_before: SystemTime,
    /// End of validity; default 90 days from now.
    pub not_after: SystemTime,
    /// Serial number; default a fresh unique one.
    pub serial: Option<u64>,
    /// Issue it with `CA:TRUE` (and keyCertSign), e.g. to test that a CA
    /// certificate is refused as an end-entity.
    pub is_ca: bool,
    /// Extended key usages; default `[ServerAuth]`.
    pub extended_key_usages: Vec<ExtendedKeyUsagePurpose>,
}

impl LeafOptions {
    /// Defaults for a server certificate valid for `dns_names`.
    pub fn new(dns_names: &[&str]) -> Self {
        LeafOptions {
            common_name: None,
            dns_names: dns_names.iter().map(|s| (*s).to_owned()).collect(),
            ip_addresses: Vec::new(),
            uris: Vec::new(),
            key: KeySpec::default(),
            not_before: now_plus(-(DAY.as_secs() as i64)),
            not_after: now_plus(90 * DAY.as_secs() as i64),
            serial: None,
            is_ca: false,
            extended_key_usages: vec![ExtendedKeyUsagePurpose::ServerAuth],
        }
    }

    /// Sets the subject common name.
    pub fn common_name(mut self, cn: &str) -> Self {
        self.common_name = Some(cn.to_owned());
        self
    }

    /// Adds an IP address SAN.
    pub fn ip(mut self, ip: impl Into<IpAddr>) -> Self {
        self.ip_addresses.push(ip.into());
        self
    }

    /// Adds a URI SAN, such as a SPIFFE ID.
    pub fn uri(mut self, uri: &str) -> Self {
        self.uris.push(uri.to_owned());
        self
    }

    /// Uses a key of the given kind, or the given existing key.
    pub fn key(mut self, key: impl Into<KeySpec>) -> Self {
        self.key = key.into();
        self
    }

    /// Sets the validity window.
    pub fn validity(mut self, not_before: SystemTime, not_after: SystemTime) -> Self {
        self.not_before = not_before;
        self.not_after = not_after;
        self
    }

    /// Valid from 30 days ago until yesterday.
    pub fn expired(self) -> Self {
        let day = DAY.as_secs() as i64;
        self.validity(now_plus(-30 * day), now_plus(-day))
    }

    /// Valid from tomorrow for 90 days.
    pub fn not_yet_valid(self) -> Self {
        let day = DAY.as_secs() as i64;
        self.validity(now_plus(day), now_plus(90 * day))
    }

    /// Sets the serial number.
    pub fn serial(mut self, serial: u64) -> Self {
        self.serial = Some(serial);
        self
    }

    /// Marks the leaf as a CA certificate.
    pub fn ca(mut self) -> Self {
        self.is_ca = true;
        self
    }

    /// Replaces the extended key usages.
    pub fn ekus(mut self, ekus: Vec<ExtendedKeyUsagePurpose>) -> Self {
        self.extended_key_usages = ekus;
        self
    }

    /// A client certificate: EKU clientAuth only.
    pub fn client_auth(self) -> Self {
        self.ekus(vec![ExtendedKeyUsagePurpose::ClientAuth])
    }
}

/// An issued end-entity certificate and its private key.
pub struct Leaf {
    /// The certificate.
    pub cert: CertificateDer<'static>,
    /// PKCS#8 private key, ready for `ServerConfig::with_single_cert`
    /// (use `clone_key()` to keep a copy).
    pub key: PrivateKeyDer<'static>,
    /// The same key as an rcgen key pair, e.g. to issue another certificate
    /// for it via [`copy_key_pair`].
    pub key_pair: KeyPair,
    /// The serial number, for CRLs.
    pub serial: u64,
}

impl std::fmt::Debug for Leaf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leaf")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl Leaf {
    /// Full DER `SubjectPublicKeyInfo` of the leaf's key.
    pub fn spki_der(&self) -> Vec<u8> {
        spki_of(&self.key_pair)
    }

    /// A copy of the private key.
    pub fn private_key(&self) -> PrivateKeyDer<'static> {
        self.key.clone_key()
    }

    /// A certificate signed with this end-entity certificate's key, naming its subject as
    /// the issuer, as if it were a CA: for "end entity used as a CA" cases.
    pub fn issue(&self, opts: LeafOptions) -> Leaf {
        let issuer = Issuer::from_ca_cert_der(&self.cert, copy_key_pair(&self.key_pair))
            .expect("parsing a generated certificate");
        issue_leaf(&issuer, opts)
    }

    /// The chain a server would send: this leaf, then `intermediates` in
    /// the order given (issuer of the previous one first).
    pub fn chain(&self, intermediates: &[&Ca]) -> Vec<CertificateDer<'static>> {
        std::iter::once(self.cert.clone())
            .chain(intermediates.iter().map(|ca| ca.cert_der().clone()))
            .collect()
    }
}
