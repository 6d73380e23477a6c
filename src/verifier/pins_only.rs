//! Pins-only mode: a leaf pin as the only trust, for private and self-signed services. Its
//! verifier is a type of its own, installable only through rustls's `.dangerous()` path, and
//! published in [`danger`](crate::danger).

use core::fmt;
use std::sync::Arc;

use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};

use crate::policy::{EnforcementMode, PinScope, PinSet};
use crate::report::Reporting;
use crate::verifier::error::VerifierBuilderError;
use crate::verifier::trust::pins_only::{Checks, PinsOnly};
use crate::verifier::verification::{server_verifier_via_core, ServerCore, Trust};

/// Starts a verifier for private or self-signed services where **a leaf pin is the only
/// trust anchor**: no certificate authority is consulted and any chain the server sends is
/// ignored.
///
/// What it still checks, unless switched off by a call named for what it gives up: the leaf's
/// validity dates, the server name in the leaf, and the handshake signature (which proves the
/// server holds the pinned key). Every host must have an enforced entry with at least one pin
/// that may match the leaf; anything else is rejected, because there is nothing to fall back
/// on.
///
/// ```
/// use rustls_pinning::{danger, BuilderPinningExt, Pin, PinEntry, PinSet};
///
/// # fn demo(device_certificate: rustls::pki_types::CertificateDer<'static>) -> Result<(), Box<dyn std::error::Error>> {
/// let pins = PinSet::builder()
///     .entry(PinEntry::builder("device.local".parse()?)
///         .pin(Pin::spki_of(&device_certificate)?)
///         .allow_missing_backup_pin())
///     .build()?;
/// let provider = rustls_pinning::default_crypto_provider();
/// let verifier = danger::pins_only(pins, provider.clone()).build()?;
/// // Installed through rustls's own `.dangerous()`: this verifier replaces the CA.
/// let config = rustls::ClientConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()?
///     .dangerous()
///     .with_custom_certificate_verifier(verifier)
///     .with_no_client_auth();
/// # Ok(()) }
/// ```
///
/// [`BuilderPinningExt::with_pinning`](crate::BuilderPinningExt::with_pinning), the safe path
/// for verifiers that only add checks to a certificate authority's, does not take it:
///
/// ```compile_fail
/// use rustls_pinning::{danger, BuilderPinningExt, PinSet};
///
/// # fn demo(pins: PinSet) -> Result<(), Box<dyn std::error::Error>> {
/// let provider = rustls_pinning::default_crypto_provider();
/// let verifier = danger::pins_only(pins, provider.clone()).build()?;
/// let config = rustls::ClientConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()?
///     .with_pinning(verifier) // error: expected `Arc<PinningServerVerifier>`
///     .with_no_client_auth();
/// # Ok(()) }
/// ```
pub fn pins_only(pins: PinSet, provider: Arc<CryptoProvider>) -> PinsOnlyBuilder {
    PinsOnlyBuilder {
        pins,
        supported: provider.signature_verification_algorithms,
        checks: Checks {
            validity_dates: true,
            server_name: true,
            handshake_signatures: true,
        },
        reporting: None,
    }
}

/// Builds a pins-only verifier; see [`pins_only`].
#[derive(Debug)]
#[must_use]
pub struct PinsOnlyBuilder {
    pins: PinSet,
    supported: WebPkiSupportedAlgorithms,
    checks: Checks,
    reporting: Option<Reporting>,
}

impl PinsOnlyBuilder {
    /// Reports pin events (see [`PinningServerVerifierBuilder::with_reporting`](crate::PinningServerVerifierBuilder::with_reporting)).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{danger, reporters::MemoryReporter, PinSet, Reporting};
    /// let builder = danger::pins_only(PinSet::builder().build()?, rustls_pinning::default_crypto_provider())
    ///     .with_reporting(Reporting::new(Arc::new(MemoryReporter::new(100))));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_reporting(mut self, reporting: Reporting) -> Self {
        self.reporting = Some(reporting);
        self
    }

    /// Accepts a pinned leaf outside its validity dates: for devices without a clock or
    /// certificates nobody renews. An expired key is then trusted for as long as it is pinned.
    ///
    /// ```
    /// # use rustls_pinning::{danger, PinSet};
    /// let builder = danger::pins_only(PinSet::builder().build()?, rustls_pinning::default_crypto_provider())
    ///     .allow_expired_certificates();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allow_expired_certificates(mut self) -> Self {
        self.checks.validity_dates = false;
        self
    }

    /// Accepts a pinned leaf whatever names it carries: for certificates issued to the wrong
    /// name. A key pinned for one host then authenticates any host it is pinned for.
    ///
    /// ```
    /// # use rustls_pinning::{danger, PinSet};
    /// let builder = danger::pins_only(PinSet::builder().build()?, rustls_pinning::default_crypto_provider())
    ///     .allow_any_server_name();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allow_any_server_name(mut self) -> Self {
        self.checks.server_name = false;
        self
    }

    /// Does not verify the TLS handshake signature. **Anyone can then impersonate the
    /// server** by replaying its public certificate: only for test rigs that must accept a
    /// server whose key cannot sign.
    ///
    /// ```
    /// # use rustls_pinning::{danger, PinSet};
    /// let builder = danger::pins_only(PinSet::builder().build()?, rustls_pinning::default_crypto_provider())
    ///     .skip_handshake_signature_verification();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn skip_handshake_signature_verification(mut self) -> Self {
        self.checks.handshake_signatures = false;
        self
    }

    /// Checks that every entry can stand on its own and builds the verifier.
    ///
    /// ```
    /// # use rustls_pinning::{danger, PinSet};
    /// let verifier = danger::pins_only(PinSet::builder().build()?, rustls_pinning::default_crypto_provider())
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`VerifierBuilderError::UnsupportedInPinsOnlyMode`] for a report-only entry (it would
    /// accept any certificate), an entry with no pin that may match the leaf, or a pin scoped
    /// to an intermediate or root (there is no CA path to match it against).
    pub fn build(self) -> Result<Arc<PinsOnlyVerifier>, VerifierBuilderError> {
        for entry in self.pins.entries() {
            let unsupported = |reason| VerifierBuilderError::UnsupportedInPinsOnlyMode {
                pattern: entry.pattern().clone(),
                reason,
            };
            if entry.mode() == EnforcementMode::ReportOnly {
                return Err(unsupported(
                    "a report-only entry would accept any certificate",
                ));
            }
            if entry
                .allowed_pins()
                .iter()
                .any(|pin| matches!(pin.scope(), PinScope::Intermediate | PinScope::Root))
            {
                return Err(unsupported(
                    "pins scoped to an intermediate or root need a CA path; only the leaf is checked",
                ));
            }
            if entry.allowed_pins().is_empty() {
                return Err(unsupported(
                    "it needs at least one allowed pin for the leaf, the only trust there is",
                ));
            }
        }
        Ok(Arc::new(PinsOnlyVerifier {
            core: ServerCore::new(
                self.pins,
                Trust::PinsOnly(PinsOnly::new(self.supported, self.checks)),
                self.reporting,
            ),
        }))
    }
}

/// A server certificate verifier for which **a leaf pin is the only trust**: no certificate
/// authority is consulted. Built with [`pins_only`]; installed only through rustls's
/// `.dangerous().with_custom_certificate_verifier(..)`, never with
/// [`with_pinning`](crate::BuilderPinningExt::with_pinning).
///
/// It judges the leaf with the same decision engine as
/// [`PinningServerVerifier`](crate::PinningServerVerifier), and reports pin failures with the
/// same [`ServerPinningError`](crate::ServerPinningError).
///
/// ```
/// # use rustls_pinning::{danger, PinSet};
/// # fn demo(pins: PinSet) -> Result<(), Box<dyn std::error::Error>> {
/// let verifier: std::sync::Arc<danger::PinsOnlyVerifier> =
///     danger::pins_only(pins, rustls_pinning::default_crypto_provider()).build()?;
/// println!("{} pinned hosts", verifier.pins().len());
/// # Ok(()) }
/// ```
pub struct PinsOnlyVerifier {
    core: ServerCore,
}

server_verifier_via_core!(PinsOnlyVerifier, "rustls_pinning::danger::PinsOnlyVerifier");

impl fmt::Debug for PinsOnlyVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinsOnlyVerifier")
            .field("entries", &self.core.pins().len())
            .finish_non_exhaustive()
    }
}
