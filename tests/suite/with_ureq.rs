//! ureq 3 (blocking): a connector that wraps ureq's TCP transport in a pinned rustls
//! connection, against a hyper server on loopback.

use rustls_pinning_test_support::integration as support;

use support::{HttpsServer, Scenario, BODY, BOTH_VERSIONS};

use super::{provider, PROVIDER};
use crate::ureq_connector::agent;

#[test]
fn ureq_accepts_the_pinned_server_and_refuses_the_impostor() {
    let provider = provider();
    let scenario = Scenario::new();
    let genuine = HttpsServer::start(scenario.server_config(
        &scenario.genuine,
        &provider,
        BOTH_VERSIONS,
        &[],
    ));
    let impostor = HttpsServer::start(scenario.server_config(
        &scenario.impostor,
        &provider,
        BOTH_VERSIONS,
        &[],
    ));
    let agent = agent(scenario.client_config(&provider, BOTH_VERSIONS));

    let body = agent
        .get(genuine.url())
        .call()
        .unwrap_or_else(|e| panic!("[{PROVIDER}] pinned server: {e}"))
        .body_mut()
        .read_to_string()
        .unwrap();
    assert_eq!(body, BODY, "[{PROVIDER}]");

    match agent.get(impostor.url()).call() {
        Err(ureq::Error::Rustls(tls)) => scenario.assert_impostor_refused(&tls, PROVIDER),
        other => panic!("[{PROVIDER}] expected a rustls error, got {other:?}"),
    }
}
