//! tokio-rustls 0.26: a pinned `TlsConnector` speaking HTTP/1.1 by hand to a hyper server.

use rustls_pinning_test_support::integration as support;

use std::sync::Arc;

use rustls::pki_types::ServerName;
use support::{find_rustls_error, runtime, HttpsServer, Scenario, BODY, BOTH_VERSIONS, HOST};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::{provider, PROVIDER};

async fn get(connector: &TlsConnector, server: &HttpsServer) -> std::io::Result<String> {
    let tcp = TcpStream::connect(server.addr).await?;
    let name = ServerName::try_from(HOST).expect("a valid server name");
    let mut tls = connector.connect(name, tcp).await?;
    tls.write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await?;
    let mut response = String::new();
    tls.read_to_string(&mut response).await?;
    Ok(response)
}

#[test]
fn tokio_rustls_accepts_the_pinned_server_and_refuses_the_impostor() {
    let provider = provider();
    let scenario = Scenario::new();
    for version in BOTH_VERSIONS {
        let label = format!("{PROVIDER} {:?}", version.version);
        let genuine = HttpsServer::start(scenario.server_config(
            &scenario.genuine,
            &provider,
            &[version],
            &[],
        ));
        let impostor = HttpsServer::start(scenario.server_config(
            &scenario.impostor,
            &provider,
            &[version],
            &[],
        ));
        let connector = TlsConnector::from(Arc::new(scenario.client_config(&provider, &[version])));
        runtime().block_on(async {
            let response = get(&connector, &genuine)
                .await
                .unwrap_or_else(|e| panic!("[{label}] pinned server: {e}"));
            assert!(response.starts_with("HTTP/1.1 200"), "[{label}] {response}");
            assert!(response.ends_with(BODY), "[{label}] {response}");

            let error = get(&connector, &impostor)
                .await
                .expect_err("the impostor must be refused");
            let tls = find_rustls_error(&error)
                .unwrap_or_else(|| panic!("[{label}] no rustls::Error in {error:?}"));
            scenario.assert_impostor_refused(tls, &label);
        });
    }
}
