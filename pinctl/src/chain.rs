//! Chains to check a policy against: certificate files (`--chain`, `--cafile`) or the chain a
//! live server presents (`--connect`), each certificate described once.

use std::path::Path;

use rustls::pki_types::CertificateDer;
use rustls_pinning::Position;

use crate::connect::{self, ServerArgs, Target};
use crate::describe::{describe, CertificateInfo};
use crate::error::{CliError, InputError, Location};
use crate::load;

/// Certificates in the order they were given (for a server: leaf first, as served).
#[derive(Debug)]
pub(crate) struct Chain {
    /// The file as given, `<stdin>`, or `HOST:PORT`.
    pub(crate) source: String,
    /// For a server: the host name (or address) it was reached as.
    pub(crate) host: Option<String>,
    /// Never empty.
    pub(crate) certificates: Vec<ChainCertificate>,
}

/// One certificate and what is shown of it.
#[derive(Debug, Clone)]
pub(crate) struct ChainCertificate {
    pub(crate) der: CertificateDer<'static>,
    pub(crate) info: CertificateInfo,
}

/// A presentation heuristic, for chains nothing has verified (`lint`, `expiry`): the position
/// of the `index`th certificate of `count` given leaf first. The first is the leaf, a
/// self-issued last certificate the root, the others intermediates. A verifier's positions
/// go by role on the path it verified, which is what `check` shows.
pub(crate) fn position_in_file(index: usize, count: usize, self_issued: bool) -> Position {
    if index == 0 {
        Position::Leaf
    } else if index + 1 == count && self_issued {
        Position::Root
    } else {
        Position::Intermediate
    }
}

/// Reads a certificate file (PEM, bundle or DER; `-` for standard input).
pub(crate) fn from_file(path: &Path) -> Result<Chain, CliError> {
    let file = load::load(path)?;
    let certificates = file
        .certificates
        .into_iter()
        .map(|certificate| {
            let info = describe(&certificate.der).map_err(|problem| {
                InputError::new(&file.name, Some(certificate.location), problem)
            })?;
            Ok(ChainCertificate {
                der: certificate.der,
                info,
            })
        })
        .collect::<Result<_, InputError>>()?;
    Ok(Chain {
        source: file.name,
        host: None,
        certificates,
    })
}

/// Connects to `target` and takes the chain it presents, unvalidated: the callers decide
/// what to trust.
pub(crate) fn from_server(args: &ServerArgs, target: &Target) -> Result<Chain, CliError> {
    let args = ServerArgs {
        connect: Some(target.clone()),
        cafile: None,
        ..args.clone()
    };
    let served = connect::fetch(&args, target)?;
    let source = target.to_string();
    let certificates = served
        .certificates
        .into_iter()
        .enumerate()
        .map(|(index, der)| {
            let info = describe(&der).map_err(|problem| {
                InputError::new(&source, Some(Location::Served(index)), problem)
            })?;
            Ok(ChainCertificate { der, info })
        })
        .collect::<Result<_, InputError>>()?;
    Ok(Chain {
        source,
        host: Some(served.server_name),
        certificates,
    })
}
