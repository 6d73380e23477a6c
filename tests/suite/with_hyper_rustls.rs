//! hyper-rustls 0.27 (hyper-util's legacy client) with a pinned rustls configuration.

use rustls_pinning_test_support::integration as support;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use support::{find_rustls_error, runtime, HttpsServer, Scenario, BODY, BOTH_VERSIONS};

use super::{provider, PROVIDER};

fn client(
    config: rustls::ClientConfig,
) -> Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
    Empty<Bytes>,
> {
    // The config must come without ALPN: hyper-rustls sets it from enable_http1/enable_http2
    // and panics if it is already set.
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_only()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new()).build(connector)
}

#[test]
fn hyper_rustls_accepts_the_pinned_server_and_refuses_the_impostor() {
    let provider = provider();
    let scenario = Scenario::new();
    let genuine = HttpsServer::start(scenario.server_config(
        &scenario.genuine,
        &provider,
        BOTH_VERSIONS,
        &[b"http/1.1"],
    ));
    let impostor = HttpsServer::start(scenario.server_config(
        &scenario.impostor,
        &provider,
        BOTH_VERSIONS,
        &[b"http/1.1"],
    ));
    let config = scenario.client_config(&provider, BOTH_VERSIONS);
    assert!(
        config.alpn_protocols.is_empty(),
        "with_pinning sets no ALPN"
    );

    runtime().block_on(async {
        let response = client(config.clone())
            .get(genuine.url().parse().unwrap())
            .await
            .unwrap_or_else(|e| panic!("[{PROVIDER}] pinned server: {e:?}"));
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, BODY.as_bytes(), "[{PROVIDER}]");

        let error = client(config)
            .get(impostor.url().parse().unwrap())
            .await
            .expect_err("the impostor must be refused");
        let tls = find_rustls_error(&error)
            .unwrap_or_else(|| panic!("[{PROVIDER}] no rustls::Error in {error:?}"));
        scenario.assert_impostor_refused(tls, PROVIDER);
    });
}

#[test]
#[should_panic(expected = "ALPN protocols should not be pre-defined")]
fn hyper_rustls_panics_on_a_config_that_already_has_alpn() {
    let provider = provider();
    let mut config = Scenario::new().client_config(&provider, BOTH_VERSIONS);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let _ = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config);
}
