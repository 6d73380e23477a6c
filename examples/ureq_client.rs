//! ureq 3 (blocking) with a pinned rustls configuration: `cargo run --example ureq_client`.
//!
//! Trap: ureq has no verifier hook. Its rustls connector builds the `ClientConfig` from
//! `TlsConfig` (root certificates or the platform verifier) and nothing else, so pinning
//! needs a connector of its own in the chain, after `TcpConnector`, that wraps the socket in
//! a rustls connection built from our config (the `ureq::unversioned::transport` API, outside
//! ureq's semver promises). Mapping the handshake's `io::Error` back to
//! `ureq::Error::Rustls` keeps the pinning error typed.

use rustls_pinning_test_support::demo as common;
mod ureq_connector;

use common::{expect_pin_failure, serve_https, DemoPki, DemoResult, BODY};
use rustls_pinning::{BuilderPinningExt, PinningServerVerifier};
use ureq_connector::agent;

fn main() -> DemoResult<()> {
    let provider = rustls_pinning::default_crypto_provider();
    let pki = DemoPki::new()?;
    let versions = rustls::DEFAULT_VERSIONS;
    let genuine = serve_https(pki.server_config(&pki.genuine, &provider, versions, &[])?)?;
    let impostor = serve_https(pki.server_config(&pki.impostor, &provider, versions, &[])?)?;

    let verifier =
        PinningServerVerifier::builder(pki.roots()?, pki.pins()?, provider.clone()).build()?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_pinning(verifier)
        .with_no_client_auth();
    let agent = agent(config);

    let body = agent
        .get(format!("https://{genuine}/"))
        .call()?
        .body_mut()
        .read_to_string()?;
    if body != BODY {
        return Err(format!("unexpected body {body:?}").into());
    }
    println!("pinned server answered: {body}");
    match agent.get(format!("https://{impostor}/")).call() {
        Err(ureq::Error::Rustls(error)) => expect_pin_failure(Some(&error)),
        other => Err(format!("expected a rustls error, got {other:?}").into()),
    }
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
