//! Reading policy text: a file or standard input, bounded in size, as UTF-8. `lint` keeps the
//! text to see what the file lists before the builder merges it, and `convert` reads formats
//! the library's `config::load` does not.

use std::io::{self, Read};
use std::path::Path;

use crate::error::CliError;
use crate::load;

/// The largest policy read; policies are kilobytes.
const SIZE_LIMIT: u64 = 16 * 1024 * 1024;

/// Reads `path` (`-` for standard input), shown as `name` in errors.
pub(crate) fn read_text(path: &Path, name: &str) -> Result<String, CliError> {
    let mut bytes = Vec::new();
    // One byte over the limit tells "too large" from "exactly at the limit".
    let read = if path.as_os_str() == load::STDIN {
        io::stdin()
            .lock()
            .take(SIZE_LIMIT + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|file| file.take(SIZE_LIMIT + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| CliError::invalid(name, format!("cannot read: {e}")))?;
    if bytes.len() as u64 > SIZE_LIMIT {
        return Err(CliError::invalid(
            name,
            format!("larger than {SIZE_LIMIT} bytes; policies are far smaller"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        CliError::invalid(
            name,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })
}
