//! quinn 0.11 (QUIC): a pinned client endpoint against a quinn server endpoint on loopback.

use rustls_pinning_test_support as common;
use rustls_pinning_test_support::integration as support;

use std::net::SocketAddr;
use std::sync::Arc;

use quinn::crypto::rustls::{QuicClientConfig, QuicServerConfig};
use quinn::{ConnectionError, Endpoint};
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{ServerName, UnixTime};
use support::{runtime, Scenario, HOST};

use super::{provider, PROVIDER};

const ALPN: &[u8] = b"pinning-test";
const TLS13: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];

fn server(scenario: &Scenario, leaf: &common::Leaf, provider: &Arc<CryptoProvider>) -> Endpoint {
    let crypto = scenario.server_config(leaf, provider, TLS13, &[ALPN]);
    let config =
        quinn::ServerConfig::with_crypto(Arc::new(QuicServerConfig::try_from(crypto).unwrap()));
    let endpoint = Endpoint::server(config, "127.0.0.1:0".parse().unwrap()).unwrap();
    let accepting = endpoint.clone();
    tokio::spawn(async move {
        while let Some(incoming) = accepting.accept().await {
            tokio::spawn(async move {
                let Ok(connection) = incoming.await else {
                    return;
                };
                if let Ok((mut send, mut recv)) = connection.accept_bi().await {
                    let request = recv.read_to_end(1024).await.unwrap_or_default();
                    let mut reply = b"hello, ".to_vec();
                    reply.extend(request);
                    let _ = send.write_all(&reply).await;
                    let _ = send.finish();
                }
                connection.closed().await;
            });
        }
    });
    endpoint
}

async fn request(client: &Endpoint, addr: SocketAddr) -> Result<Vec<u8>, ConnectionError> {
    let connection = client.connect(addr, HOST).unwrap().await?;
    let (mut send, mut recv) = connection.open_bi().await?;
    send.write_all(b"pins").await.unwrap();
    send.finish().unwrap();
    let reply = recv.read_to_end(1024).await.unwrap();
    connection.close(0u32.into(), b"done");
    Ok(reply)
}

#[test]
fn quinn_accepts_the_pinned_server_and_refuses_the_impostor() {
    let provider = provider();
    let scenario = Scenario::new();
    runtime().block_on(async {
        let genuine = server(&scenario, &scenario.genuine, &provider);
        let impostor = server(&scenario, &scenario.impostor, &provider);

        // QUIC is TLS 1.3 only; quinn-proto 0.11 panics at connect (it unwraps rustls's
        // "TLS 1.3 support is required for QUIC") if the config lacks TLS 1.3.
        let mut crypto = scenario.client_config(&provider, TLS13);
        crypto.alpn_protocols = vec![ALPN.to_vec()];
        let quic = QuicClientConfig::try_from(crypto).unwrap();
        let mut client = Endpoint::client("127.0.0.1:0".parse().unwrap()).unwrap();
        client.set_default_client_config(quinn::ClientConfig::new(Arc::new(quic)));

        let reply = request(&client, genuine.local_addr().unwrap())
            .await
            .unwrap_or_else(|e| panic!("[{PROVIDER}] pinned server: {e}"));
        assert_eq!(reply, b"hello, pins", "[{PROVIDER}]");

        let error = request(&client, impostor.local_addr().unwrap())
            .await
            .expect_err("the impostor must be refused");
        // quinn flattens the rustls error into the transport error's text: compare it
        // with the error the verifier gives for the impostor's chain.
        let expected = scenario
            .verifier(&provider)
            .verify_server_cert(
                &scenario.impostor.cert,
                &[scenario.intermediate.cert_der().clone()],
                &ServerName::try_from(HOST).unwrap(),
                &[],
                UnixTime::now(),
            )
            .expect_err("the impostor fails the verifier");
        scenario.assert_impostor_refused(&expected, PROVIDER);
        match error {
            ConnectionError::TransportError(transport) => {
                assert_eq!(transport.reason, expected.to_string(), "[{PROVIDER}]");
            }
            other => panic!("[{PROVIDER}] unexpected {other:?}"),
        }
        client.wait_idle().await;
    });
}
