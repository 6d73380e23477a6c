//! One call to put a [`PinningServerVerifier`] into a rustls client configuration.

use std::sync::Arc;

use rustls::client::WantsClientCert;
use rustls::{ClientConfig, ConfigBuilder, WantsVerifier};

use crate::verifier::PinningServerVerifier;

mod sealed {
    pub trait Sealed {}
    impl Sealed for rustls::ConfigBuilder<rustls::ClientConfig, rustls::WantsVerifier> {}
}

/// Adds [`with_pinning`](Self::with_pinning) to rustls's client configuration builder.
///
/// rustls files every custom verifier under `.dangerous()`, because most custom verifiers
/// weaken validation. A [`PinningServerVerifier`] built with [`PinningServerVerifier::builder`] only ever
/// adds checks to WebPKI, so this trait offers it without the detour.
///
/// ```
/// use rustls_pinning::{BuilderPinningExt, PinSet, PinningServerVerifier};
/// # fn demo(roots: std::sync::Arc<rustls::RootCertStore>) -> Result<(), Box<dyn std::error::Error>> {
/// let provider = rustls_pinning::default_crypto_provider();
/// let verifier = PinningServerVerifier::builder(roots, PinSet::builder().build()?, provider.clone()).build()?;
/// let config = rustls::ClientConfig::builder_with_provider(provider)
///     .with_safe_default_protocol_versions()?
///     .with_pinning(verifier)
///     .with_no_client_auth();
/// # Ok(()) }
/// ```
pub trait BuilderPinningExt: sealed::Sealed {
    /// Verifies servers with `verifier`.
    fn with_pinning(
        self,
        verifier: Arc<PinningServerVerifier>,
    ) -> ConfigBuilder<ClientConfig, WantsClientCert>;
}

impl BuilderPinningExt for ConfigBuilder<ClientConfig, WantsVerifier> {
    fn with_pinning(
        self,
        verifier: Arc<PinningServerVerifier>,
    ) -> ConfigBuilder<ClientConfig, WantsClientCert> {
        self.dangerous().with_custom_certificate_verifier(verifier)
    }
}
