//! quinn (QUIC) with a pinned rustls configuration: `cargo run --example quinn_client`.
//!
//! Traps: QUIC is TLS 1.3 only. Build the config with TLS 1.3 (quinn-proto 0.11 panics at
//! `connect` on a config without it) from a provider offering TLS13_AES_128_GCM_SHA256, and
//! convert it with `QuicClientConfig::try_from` (which fails with `NoInitialCipherSuite`
//! otherwise). quinn reports a refused certificate as a `TransportError` whose `reason` is
//! the rustls error's text: the typed `ServerPinningError` does not survive, its message does.

use rustls_pinning_test_support::demo as common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::{DemoPki, DemoResult, HOST};
use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{ConnectionError, Endpoint};
use rustls_pinning::{BuilderPinningExt, PinningServerVerifier};

const ALPN: &[u8] = b"hello";
const TLS13: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];

/// A QUIC server answering one message per connection.
fn serve(config: rustls::ServerConfig) -> DemoResult<Endpoint> {
    let config = quinn::ServerConfig::with_crypto(Arc::new(QuicServerConfig::try_from(config)?));
    let endpoint = Endpoint::server(config, "127.0.0.1:0".parse()?)?;
    let accepting = endpoint.clone();
    tokio::spawn(async move {
        while let Some(incoming) = accepting.accept().await {
            tokio::spawn(async move {
                let Ok(connection) = incoming.await else {
                    return;
                };
                if let Ok((mut send, _)) = connection.accept_bi().await {
                    let _ = send.write_all(b"hello over QUIC").await;
                    let _ = send.finish();
                }
                connection.closed().await;
            });
        }
    });
    Ok(endpoint)
}

/// Sends one message; the outer error is a local failure, the inner one the connection's.
async fn request(
    client: &Endpoint,
    addr: SocketAddr,
) -> DemoResult<Result<String, ConnectionError>> {
    let connection = match client.connect(addr, HOST)?.await {
        Ok(connection) => connection,
        Err(error) => return Ok(Err(error)),
    };
    let (mut send, mut recv) = connection.open_bi().await?;
    send.write_all(b"hi").await?;
    send.finish()?;
    let reply = recv.read_to_end(1024).await?;
    connection.close(0u32.into(), b"done");
    Ok(Ok(String::from_utf8_lossy(&reply).into_owned()))
}

fn main() -> DemoResult<()> {
    let provider = rustls_pinning::default_crypto_provider();
    let pki = DemoPki::new()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let genuine = serve(pki.server_config(&pki.genuine, &provider, TLS13, &[ALPN])?)?;
        let impostor = serve(pki.server_config(&pki.impostor, &provider, TLS13, &[ALPN])?)?;

        let verifier =
            PinningServerVerifier::builder(pki.roots()?, pki.pins()?, provider.clone()).build()?;
        let mut tls = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(TLS13)?
            .with_pinning(verifier)
            .with_no_client_auth();
        tls.alpn_protocols = vec![ALPN.to_vec()];
        let mut client = Endpoint::client("127.0.0.1:0".parse()?)?;
        client.set_default_client_config(quinn::ClientConfig::new(Arc::new(
            QuicClientConfig::try_from(tls)?,
        )));

        let reply = request(&client, genuine.local_addr()?).await??;
        println!("pinned server answered: {reply}");
        match request(&client, impostor.local_addr()?).await? {
            Err(ConnectionError::TransportError(error))
                if error.reason.contains("certificate pinning failure") =>
            {
                println!("impostor refused:\n{}", error.reason);
            }
            other => return Err(format!("expected a pinning failure, got {other:?}").into()),
        }
        client.wait_idle().await;
        Ok(())
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
