//! Where results and errors go: text for people by default, JSON with `--json`.
//!
//! Results go to standard output and errors to standard error, so a pipeline reading the
//! JSON never sees an error message in it.

use std::io::{self, Write};

use serde::Serialize;

use crate::error::CliError;

/// A subcommand's result: JSON through `Serialize`, text through [`Report::write_human`].
pub(crate) trait Report: Serialize {
    /// Writes the result for a person to read.
    fn write_human(&self, out: &mut dyn Write) -> io::Result<()>;
}

/// How results and errors are printed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Output {
    json: bool,
}

impl Output {
    pub(crate) fn new(json: bool) -> Self {
        Self { json }
    }

    /// Prints `report` on standard output.
    pub(crate) fn report(&self, report: &impl Report) -> Result<(), CliError> {
        let mut out = io::stdout().lock();
        let written = if self.json {
            serde_json::to_writer_pretty(&mut out, report)
                .map_err(io::Error::from)
                .and_then(|()| writeln!(out))
        } else {
            report.write_human(&mut out)
        };
        written.and_then(|()| out.flush()).map_err(CliError::Output)
    }

    /// Prints `error` on standard error: `pinctl: error: ...`, or with `--json` an object
    /// `{"error": "...", "exit_code": N}` on one line.
    pub(crate) fn error(&self, error: &CliError) {
        if matches!(error, CliError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe) {
            // The reader went away (`pinctl ... | head`): nobody is left to tell.
            return;
        }
        let message = error.to_string();
        let text = if self.json {
            serde_json::json!({ "error": message, "exit_code": error.exit_code() }).to_string()
        } else {
            format!("pinctl: error: {message}")
        };
        // Nothing more can be done if standard error is gone too.
        let _ = writeln!(io::stderr().lock(), "{text}");
    }
}
