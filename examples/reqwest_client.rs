//! reqwest with a pinned rustls configuration: `cargo run --example reqwest_client`.
//!
//! Traps: reqwest takes a finished config through `tls_backend_preconfigured` (formerly
//! `use_preconfigured_tls`), which downcasts it to the `rustls::ClientConfig` of reqwest's
//! own rustls: it must come from the same rustls version (0.23) and be passed by value, or
//! `build()` fails with "Unknown TLS backend". reqwest then leaves `alpn_protocols` as
//! given, so set it to what your reqwest build speaks (`h2` and/or `http/1.1`), or HTTP/2 is
//! never negotiated.

use rustls_pinning_test_support::demo as common;

use common::{expect_pin_failure, find_rustls_error, serve_https, DemoPki, DemoResult, BODY};
use rustls_pinning::{BuilderPinningExt, PinningServerVerifier};

fn main() -> DemoResult<()> {
    let provider = rustls_pinning::default_crypto_provider();
    let pki = DemoPki::new()?;
    let versions = rustls::DEFAULT_VERSIONS;
    let genuine =
        serve_https(pki.server_config(&pki.genuine, &provider, versions, &[b"http/1.1"])?)?;
    let impostor =
        serve_https(pki.server_config(&pki.impostor, &provider, versions, &[b"http/1.1"])?)?;

    let verifier =
        PinningServerVerifier::builder(pki.roots()?, pki.pins()?, provider.clone()).build()?;
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_pinning(verifier)
        .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let client = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .build()?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let body = client
            .get(format!("https://{genuine}/"))
            .send()
            .await?
            .text()
            .await?;
        if body != BODY {
            return Err(format!("unexpected body {body:?}").into());
        }
        println!("pinned server answered: {body}");
        match client.get(format!("https://{impostor}/")).send().await {
            Ok(_) => Err("the impostor was accepted".into()),
            Err(error) => expect_pin_failure(find_rustls_error(&error)),
        }
    })
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
