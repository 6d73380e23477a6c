//! ureq 3 (blocking): a connector that wraps ureq's TCP transport in a pinned rustls
//! connection, against a hyper server on loopback.

use rustls_pinning_test_support as common;
use rustls_pinning_test_support::integration as support;
#[path = "../../examples/ureq_connector/mod.rs"]
mod ureq_connector;

use common::providers;
use support::{HttpsServer, Scenario, BODY, BOTH_VERSIONS};
use ureq_connector::agent;

#[test]
fn ureq_accepts_the_pinned_server_and_refuses_the_impostor() {
    for (name, provider) in providers() {
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
            .unwrap_or_else(|e| panic!("[{name}] pinned server: {e}"))
            .body_mut()
            .read_to_string()
            .unwrap();
        assert_eq!(body, BODY, "[{name}]");

        match agent.get(impostor.url()).call() {
            Err(ureq::Error::Rustls(tls)) => scenario.assert_impostor_refused(&tls, name),
            other => panic!("[{name}] expected a rustls error, got {other:?}"),
        }
    }
}
