//! tonic (gRPC) with the pinning verifier: `cargo run --example tonic_client`.
//!
//! Traps: tonic 0.14 builds the rustls config itself; `Endpoint::tls_config_with_verifier`
//! swaps its WebPKI verifier for ours, and fails with `VerifierConflict` if the
//! `ClientTlsConfig` also names CA certificates, trust anchors or root sets. tonic picks the
//! handshake's crypto provider itself (the process default, else its `tls-ring` or
//! `tls-aws-lc` feature); the verifier checks signatures with the provider it was built
//! with. On the server side, `ServerTlsConfig` calls `ServerConfig::builder()`, which panics
//! when both providers are compiled in and none is installed, so this example terminates TLS
//! with tokio-rustls and hands the streams to `Server::serve_with_incoming`.
//!
//! The service is hand-written over a raw-bytes codec, so no protobuf code generation is
//! needed.

use rustls_pinning_test_support::demo as common;

use std::convert::Infallible;
use std::sync::Arc;

use bytes::{Buf, BufMut};
use common::{expect_pin_failure, find_rustls_error, DemoPki, DemoResult};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::http::uri::PathAndQuery;
use tonic::codegen::{http, BoxFuture, Context, Poll, Service};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::transport::{Channel, ClientTlsConfig, Endpoint, Server};
use tonic::Status;

#[derive(Clone, Copy)]
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

/// `example.Greeter/Greet`: answers "hello, <request>".
#[derive(Clone)]
struct Greeter;

impl NamedService for Greeter {
    const NAME: &'static str = "example.Greeter";
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

async fn serve(config: rustls::ServerConfig) -> DemoResult<std::net::SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (streams, incoming) =
        mpsc::channel::<Result<tokio_rustls::server::TlsStream<TcpStream>, std::io::Error>>(4);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, streams) = (acceptor.clone(), streams.clone());
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    let _ = streams.send(Ok(tls)).await;
                }
            });
        }
    });
    tokio::spawn(Server::builder().serve_with_incoming(Greeter, ReceiverStream::new(incoming)));
    Ok(addr)
}

async fn connect(
    addr: std::net::SocketAddr,
    verifier: Arc<rustls_pinning::PinningServerVerifier>,
) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(format!("https://{addr}"))?
        .tls_config_with_verifier(ClientTlsConfig::new(), verifier)?
        .connect()
        .await
}

fn main() -> DemoResult<()> {
    let provider = rustls_pinning::default_crypto_provider();
    let pki = DemoPki::new()?;
    let versions = rustls::DEFAULT_VERSIONS;
    let verifier =
        rustls_pinning::PinningServerVerifier::builder(pki.roots()?, pki.pins()?, provider.clone())
            .build()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let genuine =
            serve(pki.server_config(&pki.genuine, &provider, versions, &[b"h2"])?).await?;
        let impostor =
            serve(pki.server_config(&pki.impostor, &provider, versions, &[b"h2"])?).await?;

        let mut client = tonic::client::Grpc::new(connect(genuine, verifier.clone()).await?);
        client.ready().await?;
        let reply = client
            .unary(
                tonic::Request::new(b"pins".to_vec()),
                PathAndQuery::from_static("/example.Greeter/Greet"),
                RawCodec,
            )
            .await?;
        println!(
            "pinned server answered: {}",
            String::from_utf8_lossy(reply.get_ref())
        );
        match connect(impostor, verifier).await {
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
