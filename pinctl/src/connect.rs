//! Fetching the chain a live server presents.
//!
//! The handshake is ended as soon as the server's certificates arrive: the verifier that
//! records them refuses every server, so a connection made here can never carry application
//! data. With `--cafile` the recorded chain is also validated for the server name by
//! rustls's `WebPkiServerVerifier`, inside the same callback.

use core::fmt;
use core::str::FromStr;
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use serde::Serialize;

use crate::error::{CliError, ConnectError, InputError, Problem};
use crate::load;

/// The default for `--timeout`.
pub(crate) const DEFAULT_TIMEOUT_SECONDS: u64 = 10;

/// The options naming a live server, shared by every subcommand that can `--connect`.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct ServerArgs {
    /// The server to connect to, `HOST[:PORT]` (the help text says more).
    #[arg(
        long,
        value_name = "HOST[:PORT]",
        help = "Connect to a TLS server and use the chain it presents, leaf first. PORT \
                defaults to 443; write an IPv6 address with a port as [ADDRESS]:PORT"
    )]
    pub(crate) connect: Option<Target>,
    /// The name to send in SNI and to validate the chain for (default: HOST).
    #[arg(long, value_name = "NAME", requires = "connect")]
    pub(crate) servername: Option<String>,
    /// Validate the chain against the root certificates in FILE (PEM or DER) with rustls's
    /// WebPKI verifier. Without it the chain is shown as served, not validated.
    #[arg(long, value_name = "FILE", requires = "connect")]
    pub(crate) cafile: Option<PathBuf>,
    /// A deadline in seconds for the connection: name resolution, connection and handshake
    /// together, until the server's certificates have arrived.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = DEFAULT_TIMEOUT_SECONDS,
        value_parser = clap::value_parser!(u64).range(1..=600)
    )]
    pub(crate) timeout: u64,
}

/// The options of the subcommands that take several `--connect` servers (`lint`, `expiry`):
/// the name to send to each, and a deadline for each on its own.
#[derive(clap::Args, Clone, Debug)]
pub(crate) struct EachServerArgs {
    /// The name to send in SNI to every --connect server, and to look its entry up with
    /// (default: each HOST).
    #[arg(long, value_name = "NAME", requires = "connect")]
    pub(crate) servername: Option<String>,
    /// A deadline in seconds for each --connect server on its own: name resolution,
    /// connection and handshake together (N servers may take up to N times as long).
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = DEFAULT_TIMEOUT_SECONDS,
        value_parser = clap::value_parser!(u64).range(1..=600)
    )]
    pub(crate) timeout: u64,
}

impl EachServerArgs {
    /// The options to reach each server with (no chain validation: lint and expiry read the
    /// chain as served).
    pub(crate) fn server_args(&self) -> ServerArgs {
        ServerArgs {
            connect: None,
            servername: self.servername.clone(),
            cafile: None,
            timeout: self.timeout,
        }
    }
}

/// `HOST[:PORT]`, as given to `--connect`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    /// A DNS name or an IP address (without brackets).
    pub(crate) host: String,
    pub(crate) port: u16,
}

const DEFAULT_PORT: u16 = 443;

impl FromStr for Target {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let parse_port = |port: &str| {
            port.parse::<u16>()
                .ok()
                .filter(|&port| port != 0)
                .ok_or_else(|| format!("\"{port}\" is not a port number (1 to 65535)"))
        };
        let (host, port) = if let Some(bracketed) = text.strip_prefix('[') {
            let (address, rest) = bracketed
                .split_once(']')
                .ok_or_else(|| format!("\"{text}\": missing ']' after the IPv6 address"))?;
            let port = match rest {
                "" => DEFAULT_PORT,
                _ => parse_port(
                    rest.strip_prefix(':')
                        .ok_or_else(|| format!("\"{text}\": expected :PORT after ']'"))?,
                )?,
            };
            address
                .parse::<std::net::Ipv6Addr>()
                .map_err(|_| format!("\"{address}\" is not an IPv6 address"))?;
            (address, port)
        } else if text.parse::<IpAddr>().is_ok() {
            (text, DEFAULT_PORT)
        } else {
            match text.rsplit_once(':') {
                Some((host, port)) if !host.contains(':') => (host, parse_port(port)?),
                Some(_) => {
                    return Err(format!(
                        "\"{text}\": write an IPv6 address with a port as [ADDRESS]:PORT"
                    ))
                }
                None => (text, DEFAULT_PORT),
            }
        };
        if host.is_empty() {
            return Err(format!("\"{text}\": the host is empty"));
        }
        Ok(Self {
            host: host.to_owned(),
            port,
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The chain a server presented, and what became of its validation.
#[derive(Debug)]
pub(crate) struct ServedChain {
    /// The address the handshake was made with.
    pub(crate) address: SocketAddr,
    /// The name sent in SNI (none for an IP address) and validated for.
    pub(crate) server_name: String,
    /// Leaf first, in the order the server sent them; never empty.
    pub(crate) certificates: Vec<CertificateDer<'static>>,
    pub(crate) validation: Validation,
}

/// Whether a served chain was validated, and with what result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub(crate) enum Validation {
    /// No `--cafile`: the chain is shown as served, and nothing vouches for it.
    NotValidated,
    /// rustls's WebPKI verifier accepts the chain for the server name with these roots.
    Valid { roots: String },
    /// It refuses it, for this reason.
    Invalid { roots: String, error: String },
}

/// Connects to the server `args` name and records its chain.
///
/// # Errors
/// [`InputError`] for an unusable `--cafile`, [`ConnectError`] when no certificate arrives
/// within the timeout.
pub(crate) fn fetch(args: &ServerArgs, target: &Target) -> Result<ServedChain, CliError> {
    let provider = rustls_pinning::default_crypto_provider();
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let server_name_text = args
        .servername
        .clone()
        .unwrap_or_else(|| target.host.clone());
    let server_name =
        ServerName::try_from(server_name_text.clone()).map_err(|e| ConnectError::ServerName {
            target: target.to_string(),
            name: server_name_text.clone(),
            reason: e.to_string(),
        })?;
    let validator = match &args.cafile {
        Some(path) => Some((load::display_name(path), webpki_verifier(path, &provider)?)),
        None => None,
    };
    let recorder = Arc::new(ChainRecorder {
        validator: validator.as_ref().map(|(_, verifier)| verifier.clone()),
        schemes: provider
            .signature_verification_algorithms
            .supported_schemes(),
        recorded: Mutex::new(None),
    });
    let tls_error = |e: rustls::Error| ConnectError::Tls {
        target: target.to_string(),
        reason: e.to_string(),
    };
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let connection = ClientConnection::new(Arc::new(config), server_name).map_err(tls_error)?;

    let addresses = resolve(target, args.timeout, deadline)?;
    let (socket, address) = connect(target, &addresses, args.timeout, deadline)?;
    let recorded = record_chain(
        target,
        connection,
        socket,
        &recorder,
        args.timeout,
        deadline,
    )?;
    let validation = match (validator, recorded.validation) {
        (Some((roots, _)), Some(Ok(()))) => Validation::Valid { roots },
        (Some((roots, _)), Some(Err(error))) => Validation::Invalid {
            roots,
            error: error.to_string(),
        },
        _ => Validation::NotValidated,
    };
    Ok(ServedChain {
        address,
        server_name: server_name_text,
        certificates: recorded.chain,
        validation,
    })
}

/// A WebPKI verifier trusting the certificates of `path`.
fn webpki_verifier(
    path: &std::path::Path,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, CliError> {
    let file = load::load(path)?;
    let mut roots = RootCertStore::empty();
    for certificate in file.certificates {
        roots.add(certificate.der).map_err(|e| {
            InputError::new(
                &file.name,
                Some(certificate.location),
                Problem::NotATrustAnchor {
                    reason: e.to_string(),
                },
            )
        })?;
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| {
            CliError::from(InputError::new(
                &file.name,
                None,
                Problem::NotATrustAnchor {
                    reason: e.to_string(),
                },
            ))
        })
}

fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|left| !left.is_zero())
}

/// Resolves the host within the deadline.
///
/// std's resolver (`getaddrinfo`) blocks and cannot be interrupted or given a timeout, so it
/// runs on a helper thread and the answer is awaited on a channel with the time left until
/// the deadline. When that passes first, the thread is left behind to finish on its own (its
/// answer goes nowhere); the process exits soon after, taking it along.
fn resolve(
    target: &Target,
    seconds: u64,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, ConnectError> {
    if let Ok(ip) = target.host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, target.port)]);
    }
    let timeout = || ConnectError::Timeout {
        target: target.to_string(),
        seconds,
        stage: "resolving the host name",
    };
    let resolve_error = |source| ConnectError::Resolve {
        target: target.to_string(),
        source,
    };
    let (sender, receiver) = mpsc::channel();
    let (host, port) = (target.host.clone(), target.port);
    thread::Builder::new()
        .name(String::from("resolve"))
        .spawn(move || {
            let result = (host.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect::<Vec<_>>);
            // The receiver is gone if the deadline passed: nothing left to tell.
            let _ = sender.send(result);
        })
        .map_err(resolve_error)?;
    let addresses = receiver
        .recv_timeout(remaining(deadline).ok_or_else(timeout)?)
        .map_err(|_| timeout())?
        .map_err(resolve_error)?;
    if addresses.is_empty() {
        return Err(ConnectError::NoAddress {
            target: target.to_string(),
        });
    }
    Ok(addresses)
}

fn connect(
    target: &Target,
    addresses: &[SocketAddr],
    seconds: u64,
    deadline: Instant,
) -> Result<(TcpStream, SocketAddr), ConnectError> {
    let mut attempts = Vec::new();
    for &address in addresses {
        let Some(left) = remaining(deadline) else {
            break;
        };
        match TcpStream::connect_timeout(&address, left) {
            Ok(socket) => return Ok((socket, address)),
            Err(e) => attempts.push((address, e)),
        }
    }
    if remaining(deadline).is_none() {
        return Err(ConnectError::Timeout {
            target: target.to_string(),
            seconds,
            stage: "connecting",
        });
    }
    Err(ConnectError::Connect {
        target: target.to_string(),
        attempts,
    })
}

/// Runs the handshake until the recorder has the chain, or the deadline passes.
///
/// Each read and each write gets the time left until the deadline, computed again before
/// it: a server that keeps sending a byte at a time, or that completes the handshake late,
/// cannot hold the connection past the deadline (rustls's `complete_io` keeps reading while
/// bytes arrive, so a timeout set once before it bounds only the wait for each byte).
fn record_chain(
    target: &Target,
    mut connection: ClientConnection,
    mut socket: TcpStream,
    recorder: &ChainRecorder,
    seconds: u64,
    deadline: Instant,
) -> Result<Recorded, ConnectError> {
    let timeout = || ConnectError::Timeout {
        target: target.to_string(),
        seconds,
        stage: "waiting for the server's certificate",
    };
    let handshake_error = |reason: String| ConnectError::Handshake {
        target: target.to_string(),
        reason,
    };
    let io_error = |e: io::Error| match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => timeout(),
        _ => handshake_error(e.to_string()),
    };
    loop {
        if let Some(recorded) = recorder.take() {
            return Ok(recorded);
        }
        if !connection.is_handshaking() {
            // The recorder refuses every server, so a handshake cannot complete.
            return Err(handshake_error(String::from(
                "the handshake ended without a certificate",
            )));
        }
        let left = remaining(deadline).ok_or_else(timeout)?;
        if connection.wants_write() {
            socket.set_write_timeout(Some(left)).map_err(io_error)?;
            match connection.write_tls(&mut socket) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                written => {
                    written.map_err(io_error)?;
                }
            }
            continue;
        }
        if !connection.wants_read() {
            return Err(handshake_error(String::from(
                "the handshake stalled: nothing to send and nothing to wait for",
            )));
        }
        socket.set_read_timeout(Some(left)).map_err(io_error)?;
        match connection.read_tls(&mut socket) {
            Ok(0) => {
                return Err(handshake_error(String::from(
                    "the server closed the connection",
                )))
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_error(e)),
        }
        if let Err(e) = connection.process_new_packets() {
            // The recorder's own refusal ends the handshake: the chain is there.
            let recorded = recorder.take();
            // Tell the server why, as rustls would, if there is time left to.
            if let Some(left) = remaining(deadline) {
                if socket.set_write_timeout(Some(left)).is_ok() {
                    let _ = connection.write_tls(&mut socket);
                }
            }
            return recorded.ok_or_else(|| handshake_error(e.to_string()));
        }
    }
}

/// What [`ChainRecorder`] saw.
#[derive(Debug)]
struct Recorded {
    chain: Vec<CertificateDer<'static>>,
    /// The WebPKI verdict, when there were roots to validate with.
    validation: Option<Result<(), rustls::Error>>,
}

/// A `ServerCertVerifier` for display only: it records the chain, asks the WebPKI verifier
/// (if any) what it thinks of it, and then refuses the server, always.
///
/// No method returns success, so no handshake made with it can complete and no application
/// data can ever be sent over its connections. It is private to this module, and only
/// [`fetch`] builds one.
#[derive(Debug)]
struct ChainRecorder {
    validator: Option<Arc<WebPkiServerVerifier>>,
    schemes: Vec<SignatureScheme>,
    recorded: Mutex<Option<Recorded>>,
}

/// The error the recorder ends every handshake with.
const RECORDED: &str =
    "pinctl recorded the certificate chain for display; it never continues a handshake";

impl ChainRecorder {
    fn take(&self) -> Option<Recorded> {
        self.recorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

impl ServerCertVerifier for ChainRecorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let validation = self.validator.as_ref().map(|verifier| {
            verifier
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map(|_| ())
        });
        let chain = core::iter::once(end_entity)
            .chain(intermediates)
            .map(|certificate| certificate.clone().into_owned())
            .collect();
        *self.recorded.lock().unwrap_or_else(PoisonError::into_inner) =
            Some(Recorded { chain, validation });
        Err(rustls::Error::General(String::from(RECORDED)))
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General(String::from(RECORDED)))
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Err(rustls::Error::General(String::from(RECORDED)))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(host: &str, port: u16) -> Result<Target, String> {
        Ok(Target {
            host: host.to_owned(),
            port,
        })
    }

    #[test]
    fn parses_host_and_port() {
        assert_eq!("example.com".parse(), target("example.com", 443));
        assert_eq!("example.com:8443".parse(), target("example.com", 8443));
        assert_eq!("127.0.0.1:4433".parse(), target("127.0.0.1", 4433));
        assert_eq!("127.0.0.1".parse(), target("127.0.0.1", 443));
        assert_eq!("::1".parse(), target("::1", 443));
        assert_eq!("[::1]".parse(), target("::1", 443));
        assert_eq!("[::1]:8443".parse(), target("::1", 8443));
        assert_eq!(
            "[::1]:8443".parse::<Target>().unwrap().to_string(),
            "[::1]:8443"
        );
        for bad in [
            "",
            ":443",
            "host:",
            "host:0",
            "host:70000",
            "host:https",
            "[::1",
            "[::1]x",
            "[nope]:1",
            "a:b:c",
        ] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }

    #[test]
    fn recorder_refuses_even_a_chain_webpki_accepts() {
        // No roots to check here: the point is that the verdict never turns into success.
        let provider = rustls_pinning::default_crypto_provider();
        let recorder = ChainRecorder {
            validator: None,
            schemes: provider
                .signature_verification_algorithms
                .supported_schemes(),
            recorded: Mutex::new(None),
        };
        let leaf = CertificateDer::from(vec![0x30, 0x00]);
        let name = ServerName::try_from("example.com").unwrap();
        let result = recorder.verify_server_cert(&leaf, &[], &name, &[], UnixTime::now());
        assert!(matches!(result, Err(rustls::Error::General(_))));
        let recorded = recorder.take().unwrap();
        assert_eq!(recorded.chain, vec![leaf]);
        assert!(recorded.validation.is_none());
        assert!(recorder.take().is_none());
    }
}
