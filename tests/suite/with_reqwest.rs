//! reqwest 0.13 with a pinned rustls configuration, against a hyper server on loopback.

use rustls_pinning_test_support::integration as support;

use support::{find_rustls_error, runtime, HttpsServer, Scenario, BODY, BOTH_VERSIONS};

use super::{provider, PROVIDER};

/// reqwest takes the configuration through `tls_backend_preconfigured`, which downcasts it to
/// *its* `rustls::ClientConfig` and leaves the ALPN list exactly as given.
fn client(config: rustls::ClientConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .build()
        .expect("a rustls 0.23 ClientConfig is a backend reqwest recognises")
}

#[test]
fn reqwest_accepts_the_pinned_server_and_refuses_the_impostor() {
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
    let mut config = scenario.client_config(&provider, BOTH_VERSIONS);
    // reqwest does not set ALPN on a preconfigured config: offer what this build speaks.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];

    runtime().block_on(async {
        let response = client(config.clone())
            .get(genuine.url())
            .send()
            .await
            .unwrap_or_else(|e| panic!("[{PROVIDER}] pinned server: {e:?}"));
        assert_eq!(
            response.version(),
            reqwest::Version::HTTP_11,
            "[{PROVIDER}]"
        );
        assert_eq!(response.text().await.unwrap(), BODY, "[{PROVIDER}]");

        let error = client(config)
            .get(impostor.url())
            .send()
            .await
            .expect_err("the impostor must be refused");
        let tls = find_rustls_error(&error)
            .unwrap_or_else(|| panic!("[{PROVIDER}] no rustls::Error in {error:?}"));
        scenario.assert_impostor_refused(tls, PROVIDER);
    });
}

#[test]
fn reqwest_refuses_a_configuration_it_cannot_downcast() {
    let provider = provider();
    let scenario = Scenario::new();
    // An `Arc<ClientConfig>` (or a config from another rustls version) is not the type reqwest
    // looks for: build() fails instead of silently using its own verifier.
    let wrapped = std::sync::Arc::new(scenario.client_config(&provider, BOTH_VERSIONS));
    let error = reqwest::Client::builder()
        .tls_backend_preconfigured(wrapped)
        .build()
        .expect_err("an unknown backend is an error");
    assert!(
        format!("{error:?}").contains("Unknown TLS backend"),
        "{error:?}"
    );
}
