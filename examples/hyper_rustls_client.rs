//! hyper-rustls (hyper-util's client) with a pinned rustls configuration:
//! `cargo run --example hyper_rustls_client`.
//!
//! Trap: `HttpsConnectorBuilder::with_tls_config` panics if the config already has ALPN
//! protocols ("ALPN protocols should not be pre-defined"); it sets them itself from
//! `enable_http1()` / `enable_http2()`. Build the pinned config without ALPN (as
//! `with_pinning` does), and clear `alpn_protocols` on a config shared with reqwest.

use rustls_pinning_test_support::demo as common;

use common::{expect_pin_failure, find_rustls_error, serve_https, DemoPki, DemoResult, BODY};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls_pinning::{BuilderPinningExt, PinningServerVerifier};

fn main() -> DemoResult<()> {
    let provider = rustls_pinning::default_crypto_provider();
    let pki = DemoPki::new()?;
    let versions = rustls::DEFAULT_VERSIONS;
    let genuine = serve_https(pki.server_config(&pki.genuine, &provider, versions, &[])?)?;
    let impostor = serve_https(pki.server_config(&pki.impostor, &provider, versions, &[])?)?;

    let verifier =
        PinningServerVerifier::builder(pki.roots()?, pki.pins()?, provider.clone()).build()?;
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_pinning(verifier)
        .with_no_client_auth();
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_only()
        .enable_http1()
        .build();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = Client::builder(TokioExecutor::new()).build::<_, Empty<Bytes>>(connector);
        let response = client.get(format!("https://{genuine}/").parse()?).await?;
        let body = response.into_body().collect().await?.to_bytes();
        if body != BODY.as_bytes() {
            return Err(format!("unexpected body {body:?}").into());
        }
        println!("pinned server answered: {BODY}");
        match client.get(format!("https://{impostor}/").parse()?).await {
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
