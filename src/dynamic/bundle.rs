//! Signed pin bundles: a whole pin policy with a version and a validity period, signed by a
//! key the application trusts, for updating pins without a release (feature `dynamic`).
//!
//! A bundle is two documents. The **body** is JSON:
//!
//! ```json
//! {
//!   "version": 42,
//!   "issued_at": "2026-11-23T00:00:00Z",
//!   "expires_at": "2026-12-23T00:00:00Z",
//!   "policy": { "version": 1, "entry": [{ "pattern": "**.example.com", "pins": ["sha256/..."] }] }
//! }
//! ```
//!
//! where `version` only ever grows, and `policy` has exactly the schema of a policy file
//! ([`crate::config`]). The **signature** is detached, over the body's exact bytes:
//!
//! ```json
//! { "algorithm": "ed25519", "key_id": "sha256/<SPKI pin of the signing key>", "signature": "<base64>" }
//! ```
//!
//! with `algorithm` one of `ed25519` and `ecdsa-p256-sha256` (an ASN.1 DER signature, as
//! `openssl dgst -sha256 -sign` makes). Signatures are checked with the rustls crypto
//! provider's own verification algorithms. The keys that may sign are given by the
//! application ([`BundleVerifier::new`]); the `key_id` only selects among them, so a bundle
//! can never bring its own key. The body is parsed only after its signature is verified.

use core::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use pki_types::{alg_id, AlgorithmIdentifier, PrivateKeyDer, SignatureVerificationAlgorithm};
use pki_types::{SubjectPublicKeyInfoDer, UnixTime};
use rustls::crypto::CryptoProvider;
use rustls::SignatureScheme;
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, ConfigFormat};
use crate::date::{format_rfc3339, parse_rfc3339_utc, LAST_WRITABLE_SECOND};
use crate::der;
use crate::policy::pin::Pin;
use crate::policy::PinSet;

/// How far in the future a bundle's `issued_at` may be, for clocks that disagree a little.
pub const ALLOWED_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// The largest bundle body [`BundleVerifier::verify`] reads: 1 MiB.
///
/// [`body`] writes about 250 bytes per entry with two pins, so 1 MiB holds some 4 000
/// entries, far more than a pin policy needs, while a body is read, hashed and
/// signature-checked whole.
/// A larger body is refused with [`BundleError::TooLarge`] before its signature is checked
/// or any of it is parsed; a fetcher should stop reading at this size (TUF's "endless data"
/// defence).
///
/// ```
/// assert_eq!(rustls_pinning::bundle::MAX_BUNDLE_BODY_BYTES, 1 << 20);
/// ```
pub const MAX_BUNDLE_BODY_BYTES: usize = 1024 * 1024;

/// The largest signature document [`BundleVerifier::verify`] reads: 4 KiB.
///
/// The documents [`sign`] writes are under 250 bytes (an ECDSA P-256 signature is at most 72
/// bytes, 96 in base64); 4 KiB leaves room for any formatting. A larger one is refused with
/// [`BundleError::TooLarge`] before it is parsed.
///
/// ```
/// assert_eq!(rustls_pinning::bundle::MAX_BUNDLE_SIGNATURE_BYTES, 4096);
/// ```
pub const MAX_BUNDLE_SIGNATURE_BYTES: usize = 4 * 1024;

/// A bundle-signing algorithm.
///
/// ```
/// use rustls_pinning::bundle::BundleAlgorithm;
/// assert_eq!(BundleAlgorithm::Ed25519.to_string(), "ed25519");
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BundleAlgorithm {
    /// Ed25519.
    Ed25519,
    /// ECDSA on P-256 with SHA-256, ASN.1 DER signatures.
    EcdsaP256Sha256,
}

impl BundleAlgorithm {
    fn name(self) -> &'static str {
        match self {
            Self::Ed25519 => "ed25519",
            Self::EcdsaP256Sha256 => "ecdsa-p256-sha256",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "ed25519" => Some(Self::Ed25519),
            "ecdsa-p256-sha256" => Some(Self::EcdsaP256Sha256),
            _ => None,
        }
    }

    fn ids(self) -> (AlgorithmIdentifier, AlgorithmIdentifier) {
        match self {
            Self::Ed25519 => (alg_id::ED25519, alg_id::ED25519),
            Self::EcdsaP256Sha256 => (alg_id::ECDSA_P256, alg_id::ECDSA_SHA256),
        }
    }

    fn scheme(self) -> SignatureScheme {
        match self {
            Self::Ed25519 => SignatureScheme::ED25519,
            Self::EcdsaP256Sha256 => SignatureScheme::ECDSA_NISTP256_SHA256,
        }
    }
}

impl fmt::Display for BundleAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a bundle, its signature or a signing key was refused.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The body or the signature document is larger than this crate reads
    /// ([`MAX_BUNDLE_BODY_BYTES`], [`MAX_BUNDLE_SIGNATURE_BYTES`]); it was refused before
    /// being parsed.
    #[error("{what}: {size} bytes is more than the {limit} bytes it may have")]
    TooLarge {
        /// `bundle body` or `bundle signature`.
        what: &'static str,
        /// Its size in bytes.
        size: usize,
        /// The most this crate reads.
        limit: usize,
    },
    /// The signature document does not parse.
    #[error("bundle signature: {reason}")]
    MalformedSignature {
        /// What is wrong with it.
        reason: String,
    },
    /// The signature names a key that is not among the trusted ones.
    #[error("bundle signed by {key_id}, which is not a trusted bundle-signing key")]
    UnknownKey {
        /// The key it names.
        key_id: Pin,
    },
    /// The signature's algorithm is not the trusted key's.
    #[error("bundle signed with {found} but trusted key {key_id} is a {expected} key")]
    AlgorithmMismatch {
        /// The key.
        key_id: Pin,
        /// The key's algorithm.
        expected: BundleAlgorithm,
        /// The signature's algorithm.
        found: BundleAlgorithm,
    },
    /// The signature does not verify: the body was altered or signed by another key.
    #[error("bundle signature by {key_id} does not verify: the body was altered or not signed by this key")]
    BadSignature {
        /// The key it claims.
        key_id: Pin,
    },
    /// The body is not a bundle document.
    #[error("bundle body:{line}:{column}: {reason}")]
    MalformedBundle {
        /// From 1.
        line: usize,
        /// From 1.
        column: usize,
        /// What the parser said.
        reason: String,
    },
    /// The bundle's policy is refused by the pin-set builder.
    #[error("bundle policy: {0}")]
    InvalidPolicy(#[source] Box<ConfigError>),
    /// The bundle's validity period is over.
    #[error("bundle version {version} expired at {}", format_rfc3339(expires_at.as_secs()))]
    Expired {
        /// Its version.
        version: u64,
        /// When it expired.
        expires_at: UnixTime,
    },
    /// The bundle was issued in the future, or expires before it was issued.
    #[error("bundle version {version} is not valid yet: issued at {}, expires at {}", format_rfc3339(issued_at.as_secs()), format_rfc3339(expires_at.as_secs()))]
    NotYetValid {
        /// Its version.
        version: u64,
        /// When it says it was issued.
        issued_at: UnixTime,
        /// When it says it expires.
        expires_at: UnixTime,
    },
    /// The bundle's version is not greater than one already applied: a replay or a rollback.
    #[error("bundle version {version} is not newer than version {current}, already applied (rollback refused)")]
    NotNewer {
        /// Its version.
        version: u64,
        /// The newest version applied so far.
        current: u64,
    },
    /// The verifier for the bundle's policy could not be made (for example a certificate
    /// pin on a root the verifier has no certificate for).
    #[error("bundle policy: {0}")]
    Verifier(#[source] crate::verifier::VerifierBuilderError),
    /// The client configuration for the new verifier could not be made.
    #[error("client configuration for the bundle: {0}")]
    ClientConfig(#[source] rustls::Error),
    /// A signing or verification key cannot be used.
    #[error("bundle key: {reason}")]
    UnsupportedKey {
        /// Why.
        reason: String,
    },
}

/// A public key trusted to sign bundles.
///
/// ```
/// use rustls_pinning::bundle::BundleKey;
/// use rustls::pki_types::{pem::PemObject, SubjectPublicKeyInfoDer};
///
/// let pem = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";
/// let key = BundleKey::from_spki(&SubjectPublicKeyInfoDer::from_pem_slice(pem.as_bytes())?)?;
/// assert_eq!(key.algorithm().to_string(), "ed25519");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleKey {
    id: Pin,
    algorithm: BundleAlgorithm,
    public_key: Vec<u8>,
}

impl BundleKey {
    /// A key from its SubjectPublicKeyInfo (the DER inside a `PUBLIC KEY` PEM block).
    ///
    /// ```
    /// # use rustls_pinning::bundle::BundleKey;
    /// # use rustls::pki_types::SubjectPublicKeyInfoDer;
    /// assert!(BundleKey::from_spki(&SubjectPublicKeyInfoDer::from(&b"not a key"[..])).is_err());
    /// ```
    ///
    /// # Errors
    /// [`BundleError::UnsupportedKey`] unless it is an Ed25519 or P-256 key.
    pub fn from_spki(spki: &SubjectPublicKeyInfoDer<'_>) -> Result<Self, BundleError> {
        let (algorithm_id, public_key) =
            der::spki_parts(spki.as_ref()).ok_or_else(|| BundleError::UnsupportedKey {
                reason: String::from("not a DER SubjectPublicKeyInfo"),
            })?;
        let algorithm = [BundleAlgorithm::Ed25519, BundleAlgorithm::EcdsaP256Sha256]
            .into_iter()
            .find(|algorithm| algorithm.ids().0.as_ref() == algorithm_id)
            .ok_or_else(|| BundleError::UnsupportedKey {
                reason: String::from("only Ed25519 and ECDSA P-256 keys may sign bundles"),
            })?;
        Ok(Self {
            id: Pin::from_spki(spki),
            algorithm,
            public_key: public_key.to_vec(),
        })
    }

    /// The key's id: the SPKI pin of the key, as signatures name it.
    ///
    /// ```
    /// # use rustls_pinning::bundle::BundleKey;
    /// # fn demo(key: &BundleKey) { println!("{}", key.id()); }
    /// ```
    pub fn id(&self) -> Pin {
        self.id
    }

    /// The key's algorithm.
    ///
    /// ```
    /// # use rustls_pinning::bundle::BundleKey;
    /// # fn demo(key: &BundleKey) { println!("{}", key.algorithm()); }
    /// ```
    pub fn algorithm(&self) -> BundleAlgorithm {
        self.algorithm
    }
}

/// A verified bundle: its version, validity and policy.
#[derive(Clone, Debug)]
pub struct PinBundle {
    version: u64,
    issued_at: UnixTime,
    expires_at: UnixTime,
    signed_by: Pin,
    pins: PinSet,
}

impl PinBundle {
    /// The bundle's version.
    ///
    /// ```
    /// # use rustls_pinning::bundle::PinBundle;
    /// # fn demo(bundle: &PinBundle) { println!("version {}", bundle.version()); }
    /// ```
    pub fn version(&self) -> u64 {
        self.version
    }

    /// When it was issued.
    ///
    /// ```
    /// # use rustls_pinning::bundle::PinBundle;
    /// # fn demo(bundle: &PinBundle) { let _ = bundle.issued_at(); }
    /// ```
    pub fn issued_at(&self) -> UnixTime {
        self.issued_at
    }

    /// When it expires; after that the static policy applies alone.
    ///
    /// ```
    /// # use rustls_pinning::bundle::PinBundle;
    /// # fn demo(bundle: &PinBundle) { let _ = bundle.expires_at(); }
    /// ```
    pub fn expires_at(&self) -> UnixTime {
        self.expires_at
    }

    /// The key that signed it.
    ///
    /// ```
    /// # use rustls_pinning::bundle::PinBundle;
    /// # fn demo(bundle: &PinBundle) { println!("signed by {}", bundle.signed_by()); }
    /// ```
    pub fn signed_by(&self) -> Pin {
        self.signed_by
    }

    /// The policy.
    ///
    /// ```
    /// # use rustls_pinning::bundle::PinBundle;
    /// # fn demo(bundle: &PinBundle) { println!("{} entries", bundle.pins().len()); }
    /// ```
    pub fn pins(&self) -> &PinSet {
        &self.pins
    }
}

/// The signature document.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureFile {
    algorithm: String,
    key_id: String,
    signature: String,
}

/// The body document, with the policy kept as raw JSON so that it is parsed by the policy
/// code and its errors keep their meaning.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyFile {
    version: u64,
    issued_at: String,
    expires_at: String,
    policy: Box<serde_json::value::RawValue>,
}

/// Checks bundles against the trusted keys with a crypto provider's verification algorithms.
///
/// ```
/// use rustls_pinning::bundle::{BundleKey, BundleVerifier};
/// # fn demo(key: BundleKey, body: &[u8], signature: &[u8]) -> Result<(), rustls_pinning::bundle::BundleError> {
/// let verifier = BundleVerifier::new(vec![key], &rustls_pinning::default_crypto_provider())?;
/// let bundle = verifier.verify(body, signature, rustls::pki_types::UnixTime::now())?;
/// println!("bundle version {} with {} entries", bundle.version(), bundle.pins().len());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct BundleVerifier {
    keys: Vec<(BundleKey, &'static dyn SignatureVerificationAlgorithm)>,
}

impl fmt::Debug for BundleVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|(key, _)| key.id))
            .finish()
    }
}

impl BundleVerifier {
    /// Trusts `keys`, checking that `provider` can verify their signatures.
    ///
    /// ```
    /// # use rustls_pinning::bundle::{BundleError, BundleVerifier};
    /// let none = BundleVerifier::new(Vec::new(), &rustls_pinning::default_crypto_provider());
    /// assert!(matches!(none, Err(BundleError::UnsupportedKey { .. })));
    /// ```
    ///
    /// # Errors
    /// No key, or a key the provider cannot verify.
    pub fn new(keys: Vec<BundleKey>, provider: &CryptoProvider) -> Result<Self, BundleError> {
        if keys.is_empty() {
            return Err(BundleError::UnsupportedKey {
                reason: String::from("at least one trusted bundle-signing key is needed"),
            });
        }
        let keys = keys
            .into_iter()
            .map(|key| {
                let (public_key_alg, signature_alg) = key.algorithm.ids();
                provider
                    .signature_verification_algorithms
                    .all
                    .iter()
                    .find(|algorithm| {
                        algorithm.public_key_alg_id() == public_key_alg
                            && algorithm.signature_alg_id() == signature_alg
                    })
                    .map(|algorithm| (key.clone(), *algorithm))
                    .ok_or_else(|| BundleError::UnsupportedKey {
                        reason: format!(
                            "the crypto provider cannot verify {} signatures (key {})",
                            key.algorithm, key.id
                        ),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { keys })
    }

    /// Verifies `signature` over `body`, then parses the body and checks its validity period
    /// at `now`.
    ///
    /// ```
    /// # use rustls_pinning::bundle::{BundleError, BundleVerifier};
    /// # fn demo(verifier: &BundleVerifier) {
    /// let result = verifier.verify(b"{}", b"not a signature", rustls::pki_types::UnixTime::now());
    /// assert!(matches!(result, Err(BundleError::MalformedSignature { .. })));
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`BundleError::TooLarge`] for a body over [`MAX_BUNDLE_BODY_BYTES`] or a signature
    /// document over [`MAX_BUNDLE_SIGNATURE_BYTES`], checked first; otherwise see
    /// [`BundleError`].
    pub fn verify(
        &self,
        body: &[u8],
        signature: &[u8],
        now: UnixTime,
    ) -> Result<PinBundle, BundleError> {
        // Sizes first: nothing of an oversized document is parsed, hashed or verified.
        for (what, size, limit) in [
            ("bundle body", body.len(), MAX_BUNDLE_BODY_BYTES),
            (
                "bundle signature",
                signature.len(),
                MAX_BUNDLE_SIGNATURE_BYTES,
            ),
        ] {
            if size > limit {
                return Err(BundleError::TooLarge { what, size, limit });
            }
        }
        let malformed = |reason: String| BundleError::MalformedSignature { reason };
        let file: SignatureFile =
            serde_json::from_slice(signature).map_err(|error| malformed(error.to_string()))?;
        let found = BundleAlgorithm::from_name(&file.algorithm).ok_or_else(|| {
            malformed(format!(
                "unknown algorithm {:?}, expected \"ed25519\" or \"ecdsa-p256-sha256\"",
                file.algorithm
            ))
        })?;
        let key_id: Pin = file
            .key_id
            .parse()
            .map_err(|error| malformed(format!("key_id: {error}")))?;
        let signature = STANDARD
            .decode(file.signature.as_bytes())
            .map_err(|error| malformed(format!("signature: not base64: {error}")))?;
        let (key, algorithm) = self
            .keys
            .iter()
            .find(|(key, _)| key.id == key_id)
            .ok_or(BundleError::UnknownKey { key_id })?;
        if key.algorithm != found {
            return Err(BundleError::AlgorithmMismatch {
                key_id,
                expected: key.algorithm,
                found,
            });
        }
        algorithm
            .verify_signature(&key.public_key, body, &signature)
            .map_err(|_| BundleError::BadSignature { key_id })?;
        parse_body(body, key_id, now)
    }
}

fn parse_body(body: &[u8], signed_by: Pin, now: UnixTime) -> Result<PinBundle, BundleError> {
    let malformed = |line: usize, column: usize, reason: String| BundleError::MalformedBundle {
        line: line.max(1),
        column: column.max(1),
        reason,
    };
    let file: BodyFile = serde_json::from_slice(body).map_err(|error| {
        let reason = error.to_string();
        let reason = reason
            .rfind(" at line ")
            .map_or(reason.clone(), |index| reason[..index].to_owned());
        malformed(error.line(), error.column(), reason)
    })?;
    let time = |field: &str, text: &str| {
        parse_rfc3339_utc(text)
            .map(|secs| UnixTime::since_unix_epoch(Duration::from_secs(secs)))
            .ok_or_else(|| {
                malformed(
                    1,
                    1,
                    format!("{field}: expected a UTC time such as \"2026-12-31T00:00:00Z\", got {text:?}"),
                )
            })
    };
    let issued_at = time("issued_at", &file.issued_at)?;
    let expires_at = time("expires_at", &file.expires_at)?;
    let pins = crate::config::parse_named(file.policy.get(), ConfigFormat::Json, "bundle policy")
        .map_err(|error| BundleError::InvalidPolicy(Box::new(error)))?;
    let version = file.version;
    if issued_at.as_secs() > now.as_secs().saturating_add(ALLOWED_CLOCK_SKEW.as_secs())
        || expires_at.as_secs() <= issued_at.as_secs()
    {
        return Err(BundleError::NotYetValid {
            version,
            issued_at,
            expires_at,
        });
    }
    if expires_at.as_secs() <= now.as_secs() {
        return Err(BundleError::Expired {
            version,
            expires_at,
        });
    }
    Ok(PinBundle {
        version,
        issued_at,
        expires_at,
        signed_by,
        pins,
    })
}

/// Writes a bundle body for `pins`: what a publishing pipeline signs with [`sign`].
///
/// ```
/// use std::time::Duration;
/// use rustls::pki_types::UnixTime;
/// use rustls_pinning::{bundle, Pin, PinEntry, PinSet};
///
/// let pins = PinSet::builder().entry(PinEntry::builder("api.example.com".parse()?)
///     .pin(Pin::spki_sha256([1; 32])).backup_pin(Pin::spki_sha256([2; 32]))).build()?;
/// let issued = UnixTime::since_unix_epoch(Duration::from_secs(1_800_000_000));
/// let expires = UnixTime::since_unix_epoch(Duration::from_secs(1_802_592_000));
/// let body = bundle::body(&pins, 7, issued, expires)?;
/// assert!(String::from_utf8(body)?.contains("\"version\": 7"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`ConfigError::NotExpressible`] when `issued_at`, `expires_at` or an entry's expiry is
/// after 9999-12-31T23:59:59Z, which the bundle's RFC 3339 times cannot write.
pub fn body(
    pins: &PinSet,
    version: u64,
    issued_at: UnixTime,
    expires_at: UnixTime,
) -> Result<Vec<u8>, ConfigError> {
    for (field, time) in [("issued_at", issued_at), ("expires_at", expires_at)] {
        if time.as_secs() > LAST_WRITABLE_SECOND {
            return Err(ConfigError::NotExpressible {
                target: "a pin bundle",
                subject: String::from(field),
                reason: "it is after 9999-12-31T23:59:59Z, the last time a bundle can name",
            });
        }
    }
    let policy = crate::config::to_string(pins, ConfigFormat::Json)?;
    let indented = policy.trim_end().replace('\n', "\n  ");
    Ok(format!(
        "{{\n  \"version\": {version},\n  \"issued_at\": \"{}\",\n  \"expires_at\": \"{}\",\n  \"policy\": {indented}\n}}\n",
        format_rfc3339(issued_at.as_secs()),
        format_rfc3339(expires_at.as_secs()),
    )
    .into_bytes())
}

/// Signs a bundle body with a private key (PKCS#8 Ed25519 or ECDSA P-256) through the
/// crypto provider, and returns the detached signature document.
///
/// ```
/// # use rustls::pki_types::PrivateKeyDer;
/// # fn demo(body: &[u8], key: &PrivateKeyDer<'_>) -> Result<(), rustls_pinning::bundle::BundleError> {
/// let signature = rustls_pinning::bundle::sign(body, key, &rustls_pinning::default_crypto_provider())?;
/// std::fs::write("bundle.json.sig", signature).ok();
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`BundleError::UnsupportedKey`] for a key the provider cannot load or that is not
/// Ed25519 or ECDSA P-256.
pub fn sign(
    body: &[u8],
    key: &PrivateKeyDer<'_>,
    provider: &Arc<CryptoProvider>,
) -> Result<Vec<u8>, BundleError> {
    let unsupported = |reason: String| BundleError::UnsupportedKey { reason };
    let signing_key = provider
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|error| unsupported(format!("cannot load the signing key: {error}")))?;
    let spki = signing_key.public_key().ok_or_else(|| {
        unsupported(String::from(
            "the provider cannot tell the key's public half",
        ))
    })?;
    let public = BundleKey::from_spki(&spki)?;
    let signer = signing_key
        .choose_scheme(&[public.algorithm.scheme()])
        .ok_or_else(|| {
            unsupported(format!(
                "the key cannot make {} signatures",
                public.algorithm
            ))
        })?;
    let signature = signer
        .sign(body)
        .map_err(|error| unsupported(format!("signing failed: {error}")))?;
    let file = SignatureFile {
        algorithm: public.algorithm.name().to_owned(),
        key_id: public.id.to_string(),
        signature: STANDARD.encode(signature),
    };
    serde_json::to_vec_pretty(&file)
        .map(|mut text| {
            text.push(b'\n');
            text
        })
        .map_err(|error| unsupported(error.to_string()))
}
