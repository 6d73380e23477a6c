//! tonic 0.14: a gRPC channel whose TLS uses the pinning verifier
//! (`Endpoint::tls_config_with_verifier`), calling a tonic server over loopback.

use rustls_pinning_test_support as common;
use rustls_pinning_test_support::integration as support;

use std::convert::Infallible;
use std::sync::Arc;

use bytes::{Buf, BufMut};
use rustls::crypto::CryptoProvider;
use rustls::ServerConfig;
use support::{find_rustls_error, runtime, Scenario, BOTH_VERSIONS};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::codegen::{http, BoxFuture, Context, Poll, Service};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::transport::{Channel, ClientTlsConfig, Endpoint, Server};
use tonic::Status;

use super::{provider, PROVIDER};

/// Messages are raw bytes, so no protobuf code generation is needed.
#[derive(Clone, Copy, Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}

const METHOD: &str = "/pinning.test.Greeter/Greet";

/// A one-method gRPC service: answers "hello, <request>".
#[derive(Clone)]
struct Greeter;

impl NamedService for Greeter {
    const NAME: &'static str = "pinning.test.Greeter";
}

struct Greet;

impl UnaryService<Vec<u8>> for Greet {
    type Response = Vec<u8>;
    type Future = BoxFuture<tonic::Response<Vec<u8>>, Status>;

    fn call(&mut self, request: tonic::Request<Vec<u8>>) -> Self::Future {
        Box::pin(async move {
            let mut reply = b"hello, ".to_vec();
            reply.extend(request.into_inner());
            Ok(tonic::Response::new(reply))
        })
    }
}

impl<B> Service<http::Request<B>> for Greeter
where
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<tonic::codegen::StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        Box::pin(async move { Ok(Grpc::new(RawCodec).unary(Greet, request).await) })
    }
}

/// Serves `Greeter` over TLS with `config` until the returned sender is dropped. The TLS
/// handshakes happen here, with a `ServerConfig` built for an explicit provider: tonic's own
/// `ServerTlsConfig` calls `ServerConfig::builder()`, which panics when both providers are
/// compiled in and none is installed.
async fn serve(config: ServerConfig) -> (std::net::SocketAddr, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (streams, incoming) =
        mpsc::channel::<Result<tokio_rustls::server::TlsStream<TcpStream>, std::io::Error>>(4);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let streams = streams.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    let _ = streams.send(Ok(tls)).await;
                }
            });
        }
    });
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(Server::builder().serve_with_incoming_shutdown(
        Greeter,
        ReceiverStream::new(incoming),
        async {
            let _ = stopped.await;
        },
    ));
    (addr, stop)
}

async fn connect(
    addr: std::net::SocketAddr,
    scenario: &Scenario,
    provider: &Arc<CryptoProvider>,
) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(format!("https://{addr}"))?
        .tls_config_with_verifier(ClientTlsConfig::new(), scenario.verifier(provider))?
        .connect()
        .await
}

fn server_config(
    scenario: &Scenario,
    leaf: &common::Leaf,
    provider: &Arc<CryptoProvider>,
) -> ServerConfig {
    scenario.server_config(leaf, provider, BOTH_VERSIONS, &[b"h2"])
}

#[test]
fn tonic_accepts_the_pinned_server_and_refuses_the_impostor() {
    let provider = provider();
    let scenario = Scenario::new();
    runtime().block_on(async {
        let (genuine, _stop_genuine) =
            serve(server_config(&scenario, &scenario.genuine, &provider)).await;
        let (impostor, _stop_impostor) =
            serve(server_config(&scenario, &scenario.impostor, &provider)).await;

        let channel = connect(genuine, &scenario, &provider)
            .await
            .unwrap_or_else(|e| panic!("[{PROVIDER}] pinned server: {e:?}"));
        let mut client = tonic::client::Grpc::new(channel);
        client.ready().await.unwrap();
        let reply = client
            .unary(
                tonic::Request::new(b"pins".to_vec()),
                PathAndQuery::from_static(METHOD),
                RawCodec,
            )
            .await
            .unwrap_or_else(|e| panic!("[{PROVIDER}] call: {e:?}"));
        assert_eq!(reply.into_inner(), b"hello, pins", "[{PROVIDER}]");

        let error = connect(impostor, &scenario, &provider)
            .await
            .expect_err("the impostor must be refused");
        let tls = find_rustls_error(&error)
            .unwrap_or_else(|| panic!("[{PROVIDER}] no rustls::Error in {error:?}"));
        scenario.assert_impostor_refused(tls, PROVIDER);
    });
}

#[test]
fn tonic_refuses_a_verifier_mixed_with_ca_certificates() {
    let provider = provider();
    let scenario = Scenario::new();
    let ca = tonic::transport::Certificate::from_pem(
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    );
    let result = Endpoint::from_static("https://127.0.0.1:1").tls_config_with_verifier(
        ClientTlsConfig::new().ca_certificate(ca),
        scenario.verifier(&provider),
    );
    let error = result.expect_err("the custom verifier replaces the CA list");
    assert!(
        format!("{error:?}").contains("VerifierConflict"),
        "{error:?}"
    );
}
