//! `pinctl pins`: every certificate of files or of a live server's chain, with its pins.

use std::io::{self, Write};
use std::path::PathBuf;

use serde::Serialize;

use crate::connect::{self, ServerArgs, Target, Validation};
use crate::describe::{describe, CertificateInfo};
use crate::error::{CliError, InputError, Location};
use crate::exit;
use crate::load::{self, Format};
use crate::output::{Output, Report};

/// Arguments of `pinctl pins`.
#[derive(clap::Args, Debug)]
pub(crate) struct PinsArgs {
    /// Certificate files: PEM (one certificate or a bundle) or DER; `-` reads standard input.
    #[arg(
        value_name = "FILE",
        required_unless_present = "connect",
        conflicts_with = "connect"
    )]
    files: Vec<PathBuf>,
    #[command(flatten)]
    server: ServerArgs,
}

/// Prints the report. Exits with [`exit::PROBLEM_FOUND`] when `--cafile` was given and the
/// served chain does not validate.
pub(crate) fn run(args: &PinsArgs, output: &Output) -> Result<u8, CliError> {
    let chains = match &args.server.connect {
        Some(target) => vec![served_chain(&args.server, target)?],
        None => args
            .files
            .iter()
            .map(|path| file_chain(path))
            .collect::<Result<_, _>>()?,
    };
    let report = PinsReport { chains };
    output.report(&report)?;
    let invalid = report.chains.iter().any(|chain| {
        matches!(
            chain.server,
            Some(ServerReport {
                validation: Validation::Invalid { .. },
                ..
            })
        )
    });
    Ok(if invalid {
        exit::PROBLEM_FOUND
    } else {
        exit::OK
    })
}

fn file_chain(path: &std::path::Path) -> Result<ChainReport, CliError> {
    let file = load::load(path)?;
    let certificates = file
        .certificates
        .iter()
        .enumerate()
        .map(|(index, certificate)| {
            Ok(CertificateReport {
                index,
                location: Some(certificate.location.to_string()),
                info: describe(&certificate.der).map_err(|problem| {
                    InputError::new(&file.name, Some(certificate.location), problem)
                })?,
            })
        })
        .collect::<Result<_, InputError>>()?;
    Ok(ChainReport {
        source: file.name,
        format: Some(file.format),
        server: None,
        certificates,
        skipped: file
            .skipped
            .into_iter()
            .map(|block| SkippedReport {
                label: block.label,
                location: block.location.to_string(),
            })
            .collect(),
    })
}

fn served_chain(args: &ServerArgs, target: &Target) -> Result<ChainReport, CliError> {
    let chain = connect::fetch(args, target)?;
    let source = target.to_string();
    let certificates = chain
        .certificates
        .iter()
        .enumerate()
        .map(|(index, certificate)| {
            Ok(CertificateReport {
                index,
                location: None,
                info: describe(certificate).map_err(|problem| {
                    InputError::new(&source, Some(Location::Served(index)), problem)
                })?,
            })
        })
        .collect::<Result<_, InputError>>()?;
    Ok(ChainReport {
        source,
        format: None,
        server: Some(ServerReport {
            address: chain.address.to_string(),
            server_name: chain.server_name,
            validation: chain.validation,
        }),
        certificates,
        skipped: Vec::new(),
    })
}

/// What `pinctl pins` prints.
#[derive(Debug, Serialize)]
pub(crate) struct PinsReport {
    /// One per file, in command-line order, or the one chain of the server.
    chains: Vec<ChainReport>,
}

#[derive(Debug, Serialize)]
struct ChainReport {
    /// The file as given, `<stdin>`, or the server as `HOST:PORT`.
    source: String,
    /// For a file: how it was encoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<Format>,
    /// For a server: where the chain came from and whether it validated.
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<ServerReport>,
    /// In file order; for a server, as it sent them (leaf first).
    certificates: Vec<CertificateReport>,
    /// PEM blocks that are not certificates.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    skipped: Vec<SkippedReport>,
}

#[derive(Debug, Serialize)]
struct ServerReport {
    address: String,
    server_name: String,
    validation: Validation,
}

#[derive(Debug, Serialize)]
struct CertificateReport {
    index: usize,
    /// Where in the file (PEM block and line); absent for a served chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    #[serde(flatten)]
    info: CertificateInfo,
}

#[derive(Debug, Serialize)]
struct SkippedReport {
    label: String,
    location: String,
}

impl Report for PinsReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        for (number, chain) in self.chains.iter().enumerate() {
            if number > 0 {
                writeln!(out)?;
            }
            chain.write_human(out)?;
        }
        Ok(())
    }
}

impl ChainReport {
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()> {
        let count = match self.certificates.len() {
            1 => String::from("1 certificate"),
            n => format!("{n} certificates"),
        };
        match (&self.server, self.format) {
            (Some(server), _) => {
                writeln!(
                    out,
                    "{}: {count} as served, leaf first (address {}, server name {})",
                    self.source, server.address, server.server_name
                )?;
                match &server.validation {
                    Validation::NotValidated => writeln!(
                        out,
                        "  NOT VALIDATED: shown as the server sent it; nothing vouches for \
                         this chain (give --cafile to validate it)"
                    )?,
                    Validation::Valid { roots } => writeln!(
                        out,
                        "  valid for {} with the roots in {roots}",
                        server.server_name
                    )?,
                    Validation::Invalid { roots, error } => writeln!(
                        out,
                        "  INVALID for {} with the roots in {roots}: {error}",
                        server.server_name
                    )?,
                }
            }
            (None, Some(Format::Pem)) => writeln!(out, "{}: {count} (PEM)", self.source)?,
            (None, Some(Format::Der)) => writeln!(out, "{}: {count} (DER)", self.source)?,
            (None, None) => writeln!(out, "{}: {count}", self.source)?,
        }
        for certificate in &self.certificates {
            let info = &certificate.info;
            let heading = match (&certificate.location, certificate.index) {
                (Some(location), index) => format!("[{index}] {location}"),
                (None, 0) => String::from("[0] leaf"),
                (None, index) => format!("[{index}]"),
            };
            writeln!(out, "  {heading}")?;
            writeln!(out, "      subject     {}", info.subject)?;
            let self_issued = if info.self_issued {
                " (self-issued)"
            } else {
                ""
            };
            writeln!(out, "      issuer      {}{self_issued}", info.issuer)?;
            writeln!(out, "      not before  {}", info.not_before)?;
            writeln!(out, "      not after   {}", info.not_after)?;
            writeln!(out, "      key         {}", info.key)?;
            writeln!(out, "      SPKI pin    {}", info.spki_pin)?;
            writeln!(out, "      cert pin    {}", info.certificate_pin)?;
        }
        for block in &self.skipped {
            writeln!(
                out,
                "  skipped {}: {}, not a certificate",
                block.location, block.label
            )?;
        }
        Ok(())
    }
}
