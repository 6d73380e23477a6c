//! rustls-platform-verifier wrapped in pinning: `cargo run --example platform_verifier`.
//!
//! The operating system decides trust (its roots, enterprise roots, revocation, whatever the
//! platform does), and pins are enforced on top with `PinningServerVerifier::wrap`. The example's
//! private root is not in the OS store, so it is added with `Verifier::new_with_extra_roots`.

use rustls_pinning_test_support::demo as common;

use std::sync::Arc;

use common::{expect_pin_failure, find_rustls_error, serve_https, DemoPki, DemoResult, HOST};
use rustls::pki_types::ServerName;
use rustls_pinning::{BuilderPinningExt, PinningServerVerifier};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

async fn get(connector: &TlsConnector, addr: std::net::SocketAddr) -> std::io::Result<String> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let name = ServerName::try_from(HOST).map_err(std::io::Error::other)?;
    let mut tls = connector.connect(name, tcp).await?;
    tls.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await?;
    let mut response = String::new();
    tls.read_to_string(&mut response).await?;
    Ok(response)
}

fn main() -> DemoResult<()> {
    let provider = rustls_pinning::default_crypto_provider();
    let pki = DemoPki::new()?;
    let versions = rustls::DEFAULT_VERSIONS;
    let genuine = serve_https(pki.server_config(&pki.genuine, &provider, versions, &[])?)?;
    let impostor = serve_https(pki.server_config(&pki.impostor, &provider, versions, &[])?)?;

    let platform = rustls_platform_verifier::Verifier::new_with_extra_roots(
        [pki.root.clone()],
        provider.clone(),
    )?;
    let verifier =
        PinningServerVerifier::wrap(Arc::new(platform), pki.pins()?, provider.clone()).build()?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_pinning(verifier)
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(config));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let response = get(&connector, genuine).await?;
        println!(
            "pinned server answered: {}",
            response.lines().last().unwrap_or_default()
        );
        match get(&connector, impostor).await {
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
