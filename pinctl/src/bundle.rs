//! `pinctl bundle`: signing keys, and signed pin bundles for a publishing pipeline.
//!
//! `keygen` makes a bundle-signing key pair, `sign` turns a policy file into a bundle body
//! and its detached signature, `verify` checks a bundle against trusted public keys as a
//! `PinStore` would (signature, then validity period), `inspect` shows what a bundle says,
//! marked as unverified unless `--trusted` keys verify it.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{PrivateKeyDer, SubjectPublicKeyInfoDer, UnixTime};
use rustls_pinning::bundle::{BundleKey, BundleVerifier, PinBundle};
use rustls_pinning::config::{self, ConfigFormat};
use rustls_pinning::{HostPattern, Pin, PinSet, UnpinnedHostPolicy};
use serde::{Deserialize, Serialize};

use crate::error::{CliError, InputError};
use crate::exit;
use crate::load;
use crate::output::{Output, Report};
use crate::when;
use crate::words;

/// Arguments of `pinctl bundle`.
#[derive(clap::Args, Debug)]
pub(crate) struct BundleArgs {
    #[command(subcommand)]
    command: BundleCommand,
}

#[derive(clap::Subcommand, Debug)]
enum BundleCommand {
    /// Generate a bundle-signing key pair: a PKCS#8 private key and its public key (SPKI),
    /// and print the key id (the SPKI pin that signatures name).
    Keygen(KeygenArgs),
    /// Sign a policy file as a bundle: writes the body and, beside it, its detached signature.
    Sign(SignArgs),
    /// Verify a bundle's signature with trusted public keys, then its validity period.
    Verify(VerifyArgs),
    /// Show a bundle's version, validity, signer and entries (NOT verified unless --trusted
    /// keys are given).
    Inspect(InspectArgs),
}

/// Runs a `pinctl bundle` subcommand.
pub(crate) fn run(args: &BundleArgs, output: &Output) -> Result<u8, CliError> {
    match &args.command {
        BundleCommand::Keygen(args) => keygen(args, output),
        BundleCommand::Sign(args) => sign(args, output),
        BundleCommand::Verify(args) => verify(args, output),
        BundleCommand::Inspect(args) => inspect(args, output),
    }
}

// ---------------------------------------------------------------------------------------
// keygen
// ---------------------------------------------------------------------------------------

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Algorithm {
    /// Ed25519.
    Ed25519,
    /// ECDSA on P-256 with SHA-256.
    EcdsaP256,
}

#[derive(clap::Args, Debug)]
struct KeygenArgs {
    /// The signature algorithm.
    #[arg(long, value_enum)]
    algorithm: Algorithm,
    /// Where to write the private key (PKCS#8 PEM, readable by its owner only). Keep it
    /// offline or in the publishing pipeline's secret store.
    #[arg(long, value_name = "KEY.pem")]
    out: PathBuf,
    /// Where to write the public key (SPKI PEM), the one clients trust. Without it, the
    /// public key is printed.
    #[arg(long, value_name = "PUB.pem")]
    public: Option<PathBuf>,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
}

fn keygen(args: &KeygenArgs, output: &Output) -> Result<u8, CliError> {
    let algorithm = match args.algorithm {
        Algorithm::Ed25519 => &rcgen::PKCS_ED25519,
        Algorithm::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
    };
    let key_pair = rcgen::KeyPair::generate_for(algorithm)
        .map_err(|e| CliError::invalid("key generation", e.to_string()))?;
    let spki =
        SubjectPublicKeyInfoDer::from(rcgen::PublicKeyData::subject_public_key_info(&key_pair));
    let key = BundleKey::from_spki(&spki)
        .map_err(|e| CliError::invalid("key generation", e.to_string()))?;
    // The key must be one the crypto provider can sign bundles with.
    let provider = rustls_pinning::default_crypto_provider();
    provider
        .key_provider
        .load_private_key(PrivateKeyDer::Pkcs8(key_pair.serialize_der().into()))
        .map_err(|e| {
            CliError::invalid(
                "key generation",
                format!("the crypto provider cannot load the new key: {e}"),
            )
        })?;
    let public_pem = key_pair.public_key_pem();
    write_new(
        &args.out,
        key_pair.serialize_pem().as_bytes(),
        args.force,
        true,
    )?;
    if let Some(path) = &args.public {
        write_new(path, public_pem.as_bytes(), args.force, false)?;
    }
    output.report(&KeygenReport {
        algorithm: key.algorithm().to_string(),
        key_id: key.id(),
        private_key: args.out.display().to_string(),
        public_key: args.public.as_ref().map(|p| p.display().to_string()),
        public_key_pem: public_pem,
    })?;
    Ok(exit::OK)
}

/// Writes a file, refusing to replace one unless `force`; `private` files are readable by
/// their owner only (on Unix).
fn write_new(path: &Path, contents: &[u8], force: bool, private: bool) -> Result<(), CliError> {
    let mut options = OpenOptions::new();
    options.write(true);
    match force {
        true => options.create(true).truncate(true),
        false => options.create_new(true),
    };
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let write_error = |source: io::Error| {
        let source = match source.kind() {
            io::ErrorKind::AlreadyExists => io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the file exists (give --force to replace it)",
            ),
            _ => source,
        };
        CliError::Write {
            path: path.display().to_string(),
            source,
        }
    };
    let mut file = options.open(path).map_err(write_error)?;
    file.write_all(contents).map_err(write_error)
}

#[derive(Debug, Serialize)]
struct KeygenReport {
    algorithm: String,
    /// The SPKI pin of the public key: signatures name their key with it.
    key_id: Pin,
    private_key: String,
    public_key: Option<String>,
    public_key_pem: String,
}

impl Report for KeygenReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{} bundle-signing key", self.algorithm)?;
        writeln!(out, "  key id       {}", self.key_id)?;
        writeln!(out, "  private key  {} (keep it secret)", self.private_key)?;
        match &self.public_key {
            Some(path) => writeln!(
                out,
                "  public key   {path} (give it to clients and to `pinctl bundle verify --trusted`)"
            ),
            None => write!(out, "  public key:\n{}", self.public_key_pem),
        }
    }
}

// ---------------------------------------------------------------------------------------
// sign
// ---------------------------------------------------------------------------------------

#[derive(clap::Args, Debug)]
struct SignArgs {
    /// The signing key (PKCS#8 PEM, Ed25519 or ECDSA P-256), as `keygen` writes it.
    #[arg(long, value_name = "KEY.pem")]
    key: PathBuf,
    /// The policy to publish (.toml or .json), validated as a policy file.
    #[arg(long, value_name = "POLICY")]
    policy: PathBuf,
    /// The bundle's version: greater than every version published before, or clients refuse
    /// it as a rollback.
    #[arg(long, value_name = "N")]
    version: u64,
    /// How long the bundle is valid from its issue time (s, m, h, d or w).
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "30d",
        value_parser = when::parse_duration,
        conflicts_with = "expires"
    )]
    valid_for: Duration,
    /// When the bundle expires: a date (YYYY-MM-DD) or an RFC 3339 time.
    #[arg(long, value_name = "TIME", value_parser = when::parse_time)]
    expires: Option<UnixTime>,
    /// The issue time written in the bundle. Default: now.
    #[arg(long, value_name = "TIME", value_parser = when::parse_time)]
    issued_at: Option<UnixTime>,
    /// Where to write the bundle body; the signature goes to OUT.sig.
    #[arg(
        short = 'o',
        long = "out",
        value_name = "BUNDLE.json",
        default_value = "bundle.json"
    )]
    out: PathBuf,
}

fn sign(args: &SignArgs, output: &Output) -> Result<u8, CliError> {
    let key_name = args.key.display().to_string();
    let key = read_file(&args.key)?;
    let key = PrivateKeyDer::from_pem_slice(&key).map_err(|e| {
        CliError::invalid(&key_name, format!("no PEM private key (PKCS#8) found: {e}"))
    })?;
    let pins = config::load(&args.policy)?;
    let issued_at = args.issued_at.unwrap_or_else(UnixTime::now);
    let expires_at = match args.expires {
        Some(expires) => expires,
        None => UnixTime::since_unix_epoch(Duration::from_secs(
            issued_at.as_secs().saturating_add(args.valid_for.as_secs()),
        )),
    };
    // The bundle's RFC 3339 times have four-digit years.
    let expiry_option = match args.expires {
        Some(_) => "--expires",
        None => "--valid-for",
    };
    if expires_at.as_secs() > LAST_WRITABLE_SECOND {
        return Err(CliError::invalid(
            expiry_option,
            "the bundle would expire after 9999-12-31T23:59:59Z, the last time a bundle can name",
        ));
    }
    if expires_at.as_secs() <= issued_at.as_secs() {
        return Err(CliError::invalid(
            expiry_option,
            format!(
                "the bundle would expire ({}) before it is issued ({})",
                when::rfc3339(expires_at),
                when::rfc3339(issued_at)
            ),
        ));
    }
    let provider = rustls_pinning::default_crypto_provider();
    let body = rustls_pinning::bundle::body(&pins, args.version, issued_at, expires_at)
        .map_err(|error| CliError::about_policy(&args.policy.display().to_string(), error))?;
    let signature = rustls_pinning::bundle::sign(&body, &key, &provider)
        .map_err(|e| CliError::invalid(&key_name, e.to_string()))?;
    // Check the result the way clients will, with the key's public half.
    let public = provider
        .key_provider
        .load_private_key(key.clone_key())
        .ok()
        .and_then(|key| key.public_key().map(|spki| spki.into_owned()))
        .ok_or_else(|| CliError::invalid(&key_name, "cannot tell the key's public half"))?;
    let public =
        BundleKey::from_spki(&public).map_err(|e| CliError::invalid(&key_name, e.to_string()))?;
    BundleVerifier::new(vec![public.clone()], &provider)
        .and_then(|verifier| verifier.verify(&body, &signature, issued_at))
        .map_err(|e| {
            CliError::invalid(&key_name, format!("the signed bundle does not verify: {e}"))
        })?;

    let signature_path = signature_path(&args.out);
    std::fs::write(&args.out, &body).map_err(|source| CliError::Write {
        path: args.out.display().to_string(),
        source,
    })?;
    std::fs::write(&signature_path, &signature).map_err(|source| CliError::Write {
        path: signature_path.display().to_string(),
        source,
    })?;
    output.report(&SignReport {
        bundle: args.out.display().to_string(),
        signature: signature_path.display().to_string(),
        version: args.version,
        issued_at: when::rfc3339(issued_at),
        expires_at: when::rfc3339(expires_at),
        algorithm: public.algorithm().to_string(),
        key_id: public.id(),
        entries: pins.len(),
    })?;
    Ok(exit::OK)
}

/// 9999-12-31T23:59:59Z, the last second an RFC 3339 time with a four-digit year names.
const LAST_WRITABLE_SECOND: u64 = 253_402_300_799;

/// `BUNDLE.json.sig` beside `BUNDLE.json`.
fn signature_path(bundle: &Path) -> PathBuf {
    let mut name = bundle.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// Reads a key, bundle or signature file, bounded in size like every file pinctl reads.
fn read_file(path: &Path) -> Result<Vec<u8>, CliError> {
    load::read_limited(path, load::SIZE_LIMIT)
        .map_err(|problem| InputError::new(&path.display().to_string(), None, problem).into())
}

#[derive(Debug, Serialize)]
struct SignReport {
    bundle: String,
    signature: String,
    version: u64,
    issued_at: String,
    expires_at: String,
    algorithm: String,
    key_id: Pin,
    entries: usize,
}

impl Report for SignReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{}: bundle version {} with {} entr{}, valid from {} to {}",
            self.bundle,
            self.version,
            self.entries,
            if self.entries == 1 { "y" } else { "ies" },
            self.issued_at,
            self.expires_at
        )?;
        writeln!(
            out,
            "{}: signed with {} key {}",
            self.signature, self.algorithm, self.key_id
        )
    }
}

// ---------------------------------------------------------------------------------------
// verify
// ---------------------------------------------------------------------------------------

#[derive(clap::Args, Debug)]
struct VerifyArgs {
    /// A trusted public key (SPKI PEM, as `keygen --public` writes it; a file may hold
    /// several), repeatable. Only these keys may have signed the bundle.
    #[arg(long, value_name = "PUB.pem", required = true)]
    trusted: Vec<PathBuf>,
    /// The bundle body.
    #[arg(value_name = "BUNDLE.json")]
    bundle: PathBuf,
    /// The detached signature (default: BUNDLE.json.sig).
    #[arg(long, value_name = "FILE")]
    signature: Option<PathBuf>,
    /// Check the validity period at this time instead of now.
    #[arg(long, value_name = "TIME", value_parser = when::parse_time)]
    at: Option<UnixTime>,
}

fn trusted_keys(paths: &[PathBuf]) -> Result<Vec<BundleKey>, CliError> {
    let mut keys = Vec::new();
    for path in paths {
        let name = path.display().to_string();
        let bytes = read_file(path)?;
        let mut found = 0;
        for (index, spki) in SubjectPublicKeyInfoDer::pem_slice_iter(&bytes).enumerate() {
            let spki = spki.map_err(|e| {
                CliError::invalid(&name, format!("PUBLIC KEY block {}: {e}", index + 1))
            })?;
            let key = BundleKey::from_spki(&spki).map_err(|e| {
                CliError::invalid(&name, format!("PUBLIC KEY block {}: {e}", index + 1))
            })?;
            keys.push(key);
            found += 1;
        }
        if found == 0 {
            return Err(CliError::invalid(
                &name,
                "no \"-----BEGIN PUBLIC KEY-----\" block: give the public key (keygen --public)",
            ));
        }
    }
    Ok(keys)
}

/// The outcome of checking a bundle with trusted keys.
#[derive(Debug, Serialize)]
struct Verification {
    verified: bool,
    /// Why it was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// The key that signed it, when verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    signed_by: Option<Pin>,
    /// The time the validity period was checked at.
    at: String,
}

fn check_with(
    trusted: &[PathBuf],
    body: &[u8],
    signature: &[u8],
    at: UnixTime,
) -> Result<(Verification, Option<PinBundle>), CliError> {
    let provider = rustls_pinning::default_crypto_provider();
    let keys = trusted_keys(trusted)?;
    let verifier = BundleVerifier::new(keys, &provider)
        .map_err(|e| CliError::invalid("--trusted", e.to_string()))?;
    Ok(match verifier.verify(body, signature, at) {
        Ok(bundle) => (
            Verification {
                verified: true,
                reason: None,
                signed_by: Some(bundle.signed_by()),
                at: when::rfc3339(at),
            },
            Some(bundle),
        ),
        Err(error) => (
            Verification {
                verified: false,
                reason: Some(error.to_string()),
                signed_by: None,
                at: when::rfc3339(at),
            },
            None,
        ),
    })
}

fn verify(args: &VerifyArgs, output: &Output) -> Result<u8, CliError> {
    let body = read_file(&args.bundle)?;
    let signature_file = args
        .signature
        .clone()
        .unwrap_or_else(|| signature_path(&args.bundle));
    let signature = read_file(&signature_file)?;
    let at = args.at.unwrap_or_else(UnixTime::now);
    let (verification, bundle) = check_with(&args.trusted, &body, &signature, at)?;
    let report = VerifyReport {
        bundle: args.bundle.display().to_string(),
        signature: signature_file.display().to_string(),
        summary: bundle.as_ref().map(|bundle| BundleSummary {
            version: bundle.version(),
            issued_at: when::rfc3339(bundle.issued_at()),
            expires_at: when::rfc3339(bundle.expires_at()),
            entries: bundle.pins().len(),
        }),
        verification,
    };
    output.report(&report)?;
    Ok(match report.verification.verified {
        true => exit::OK,
        false => exit::PROBLEM_FOUND,
    })
}

#[derive(Debug, Serialize)]
struct BundleSummary {
    version: u64,
    issued_at: String,
    expires_at: String,
    entries: usize,
}

#[derive(Debug, Serialize)]
struct VerifyReport {
    bundle: String,
    signature: String,
    #[serde(flatten)]
    verification: Verification,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<BundleSummary>,
}

impl Report for VerifyReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        match (&self.summary, &self.verification.reason) {
            (Some(summary), _) => {
                writeln!(
                    out,
                    "{}: VERIFIED: version {}, signed by {}, valid from {} to {} ({} entr{})",
                    self.bundle,
                    summary.version,
                    self.verification
                        .signed_by
                        .map(|pin| pin.to_string())
                        .unwrap_or_default(),
                    summary.issued_at,
                    summary.expires_at,
                    summary.entries,
                    if summary.entries == 1 { "y" } else { "ies" }
                )
            }
            (None, reason) => writeln!(
                out,
                "{}: REJECTED: {}",
                self.bundle,
                reason.as_deref().unwrap_or("not verified")
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------
// inspect
// ---------------------------------------------------------------------------------------

#[derive(clap::Args, Debug)]
struct InspectArgs {
    /// The bundle body.
    #[arg(value_name = "BUNDLE.json")]
    bundle: PathBuf,
    /// The detached signature (default: BUNDLE.json.sig, if it exists).
    #[arg(long, value_name = "FILE")]
    signature: Option<PathBuf>,
    /// Verify with these trusted public keys (SPKI PEM); without them nothing shown is
    /// verified.
    #[arg(long, value_name = "PUB.pem")]
    trusted: Vec<PathBuf>,
    /// The time to judge the validity period at. Default: now.
    #[arg(long, value_name = "TIME", value_parser = when::parse_time)]
    at: Option<UnixTime>,
}

/// The body, read for display only.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    version: u64,
    issued_at: String,
    expires_at: String,
    policy: Box<serde_json::value::RawValue>,
}

/// The signature document, read for display only.
#[derive(Deserialize)]
struct SignatureFile {
    algorithm: String,
    key_id: String,
}

fn inspect(args: &InspectArgs, output: &Output) -> Result<u8, CliError> {
    let name = args.bundle.display().to_string();
    let bytes = read_file(&args.bundle)?;
    let body: Body = serde_json::from_slice(&bytes).map_err(|e| {
        let reason = e.to_string();
        let reason = reason
            .rfind(" at line ")
            .map_or(reason.clone(), |index| reason[..index].to_owned());
        CliError::invalid(format!("{name}:{}:{}", e.line(), e.column()), reason)
    })?;
    let time = |field: &str, text: &str| {
        when::parse_time(text).map_err(|e| CliError::invalid(&name, format!("{field}: {e}")))
    };
    let issued_at = time("issued_at", &body.issued_at)?;
    let expires_at = time("expires_at", &body.expires_at)?;
    let pins = config::parse_named(
        body.policy.get(),
        ConfigFormat::Json,
        &format!("{name}: policy"),
    )?;
    let at = args.at.unwrap_or_else(UnixTime::now);

    let signature_file = match &args.signature {
        Some(path) => Some(path.clone()),
        None => Some(signature_path(&args.bundle)).filter(|path| path.exists()),
    };
    let signature_bytes = match &signature_file {
        Some(path) => Some(read_file(path)?),
        None => None,
    };
    let signature = signature_bytes.as_ref().map(|bytes| {
        match serde_json::from_slice::<SignatureFile>(bytes) {
            Ok(file) => SignatureSummary {
                file: signature_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                algorithm: Some(file.algorithm),
                key_id: Some(file.key_id),
                problem: None,
            },
            Err(e) => SignatureSummary {
                file: signature_file
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                algorithm: None,
                key_id: None,
                problem: Some(format!("not a signature document: {e}")),
            },
        }
    });
    let verification = match (&signature_bytes, args.trusted.is_empty()) {
        (_, true) => None,
        (None, false) => Some(Verification {
            verified: false,
            reason: Some(String::from("no signature file")),
            signed_by: None,
            at: when::rfc3339(at),
        }),
        (Some(signature), false) => Some(check_with(&args.trusted, &bytes, signature, at)?.0),
    };
    let validity = if issued_at.as_secs() > at.as_secs() {
        "not-yet-valid"
    } else if expires_at.as_secs() <= at.as_secs() {
        "expired"
    } else {
        "valid"
    };
    let report = InspectReport {
        bundle: name,
        verified: verification.as_ref().is_some_and(|v| v.verified),
        verification,
        version: body.version,
        issued_at: when::rfc3339(issued_at),
        expires_at: when::rfc3339(expires_at),
        expires_in_seconds: when::seconds_between(at, expires_at),
        validity,
        signature,
        policy: PolicySummary::of(&pins, at),
    };
    output.report(&report)?;
    Ok(match &report.verification {
        Some(verification) if !verification.verified => exit::PROBLEM_FOUND,
        _ => exit::OK,
    })
}

#[derive(Debug, Serialize)]
struct SignatureSummary {
    file: String,
    /// As the signature document claims it: not checked without --trusted.
    algorithm: Option<String>,
    key_id: Option<String>,
    problem: Option<String>,
}

#[derive(Debug, Serialize)]
struct PolicySummary {
    unpinned_hosts: &'static str,
    denied_everywhere: Vec<Pin>,
    entries: Vec<EntrySummary>,
}

#[derive(Debug, Serialize)]
struct EntrySummary {
    pattern: HostPattern,
    mode: &'static str,
    primary_pins: Vec<Pin>,
    backup_pins: Vec<Pin>,
    deny_pins: Vec<Pin>,
    expires_at: Option<String>,
    expired: bool,
}

impl PolicySummary {
    fn of(pins: &PinSet, at: UnixTime) -> Self {
        Self {
            unpinned_hosts: match pins.unpinned_host_policy() {
                UnpinnedHostPolicy::Reject => "reject",
                _ => "webpki-only",
            },
            denied_everywhere: pins
                .globally_denied_pins()
                .iter()
                .map(|p| p.pin())
                .collect(),
            entries: pins
                .entries()
                .map(|entry| EntrySummary {
                    pattern: entry.pattern().clone(),
                    mode: words::mode_label(entry.mode()),
                    primary_pins: entry.primary_pins().iter().map(|p| p.pin()).collect(),
                    backup_pins: entry.backup_pins().iter().map(|p| p.pin()).collect(),
                    deny_pins: entry.denied_pins().iter().map(|p| p.pin()).collect(),
                    expires_at: entry.expires_at().map(when::rfc3339),
                    expired: entry.is_expired_at(at),
                })
                .collect(),
        }
    }
}

/// What `pinctl bundle inspect` prints.
#[derive(Debug, Serialize)]
struct InspectReport {
    bundle: String,
    /// True only when --trusted keys verified the signature and the validity period.
    verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<Verification>,
    version: u64,
    issued_at: String,
    expires_at: String,
    expires_in_seconds: i64,
    /// At the time of inspection: `valid`, `expired` or `not-yet-valid`.
    validity: &'static str,
    signature: Option<SignatureSummary>,
    policy: PolicySummary,
}

impl Report for InspectReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let status = match &self.verification {
            None => String::from(
                "NOT VERIFIED: what follows is what the file says (give --trusted PUB.pem to \
                 verify it)",
            ),
            Some(v) if v.verified => format!(
                "VERIFIED: signed by trusted key {}",
                v.signed_by.map(|pin| pin.to_string()).unwrap_or_default()
            ),
            Some(v) => format!("NOT VERIFIED: {}", v.reason.as_deref().unwrap_or("refused")),
        };
        writeln!(
            out,
            "{}: bundle version {}, {status}",
            self.bundle, self.version
        )?;
        writeln!(out, "  issued   {}", self.issued_at)?;
        let validity = match self.validity {
            "expired" => " EXPIRED",
            "not-yet-valid" => " NOT YET VALID",
            _ => "",
        };
        writeln!(
            out,
            "  expires  {} ({}){validity}",
            self.expires_at,
            when::relative(self.expires_in_seconds)
        )?;
        match &self.signature {
            None => writeln!(out, "  signed   no signature file")?,
            Some(SignatureSummary {
                file,
                problem: Some(problem),
                ..
            }) => writeln!(out, "  signed   {file}: {problem}")?,
            Some(signature) => writeln!(
                out,
                "  signed   {} key {} (according to {})",
                signature.algorithm.as_deref().unwrap_or("?"),
                signature.key_id.as_deref().unwrap_or("?"),
                signature.file
            )?,
        }
        let policy = &self.policy;
        writeln!(
            out,
            "  policy   {} entr{}, unpinned hosts: {}, {} pin(s) denied everywhere",
            policy.entries.len(),
            if policy.entries.len() == 1 {
                "y"
            } else {
                "ies"
            },
            policy.unpinned_hosts,
            policy.denied_everywhere.len()
        )?;
        for entry in &policy.entries {
            let expiry = match (&entry.expires_at, entry.expired) {
                (Some(at), true) => format!(", EXPIRED {at}"),
                (Some(at), false) => format!(", expires {at}"),
                (None, _) => String::new(),
            };
            writeln!(
                out,
                "    \"{}\": {}, {} primary, {} backup, {} deny{expiry}",
                entry.pattern,
                entry.mode,
                entry.primary_pins.len(),
                entry.backup_pins.len(),
                entry.deny_pins.len()
            )?;
        }
        Ok(())
    }
}
