//! Reading policy text: a file or standard input, bounded in size as the library bounds it
//! ([`MAX_POLICY_BYTES`]), as UTF-8. `lint` keeps the text to see what the file lists before
//! the builder merges it, and `convert` reads formats the library's `config::load` does not.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use rustls_pinning::config::{ConfigError, MAX_POLICY_BYTES};

use crate::error::CliError;
use crate::load;

/// Reads `path` (`-` for standard input), shown as `name` in errors.
pub(crate) fn read_text(path: &Path, name: &str) -> Result<String, CliError> {
    let limit = MAX_POLICY_BYTES as u64;
    let too_large = |size: u64| {
        CliError::from(ConfigError::TooLarge {
            origin: name.to_owned(),
            what: "policy file",
            size: usize::try_from(size).unwrap_or(usize::MAX),
            limit: MAX_POLICY_BYTES,
        })
    };
    let cannot_read = |e: io::Error| CliError::invalid(name, format!("cannot read: {e}"));
    let mut bytes = Vec::new();
    // One byte over the limit tells "too large" from "exactly at the limit".
    if path.as_os_str() == load::STDIN {
        io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot_read)?;
    } else {
        let file = File::open(path).map_err(cannot_read)?;
        // A file that says it is too large is not read at all.
        let declared = file.metadata().map_err(cannot_read)?.len();
        if declared > limit {
            return Err(too_large(declared));
        }
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot_read)?;
    }
    if bytes.len() > MAX_POLICY_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        CliError::invalid(
            name,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}
