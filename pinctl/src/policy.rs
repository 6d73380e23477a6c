//! Reading policy text: a file or standard input, bounded in size as the library bounds it
//! ([`MAX_POLICY_BYTES`]), as UTF-8. `lint` keeps the text to see what the file lists before
//! the builder merges it, and `convert` reads formats the library's `config::load` does not.

use std::path::Path;

use rustls_pinning::config::{ConfigError, MAX_POLICY_BYTES};

use crate::error::{CliError, InputError, Problem};
use crate::load;

/// Reads `path` (`-` for standard input), shown as `name` in errors.
pub(crate) fn read_text(path: &Path, name: &str) -> Result<String, CliError> {
    let bytes = load::read_limited(path, MAX_POLICY_BYTES).map_err(|problem| match problem {
        // The library's own error, as `config::load` reports it.
        Problem::TooLarge { size, limit } => CliError::from(ConfigError::TooLarge {
            origin: name.to_owned(),
            what: "policy file",
            size: usize::try_from(size).unwrap_or(usize::MAX),
            limit,
        }),
        problem => InputError::new(name, None, problem).into(),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        CliError::invalid(
            name,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}
