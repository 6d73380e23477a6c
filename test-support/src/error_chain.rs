//! Finding the TLS error a client library wrapped.

use std::error::Error as StdError;

/// The first `rustls::Error` down the source chain of `error`.
///
/// `io::Error::source()` skips the error it wraps (it returns the *wrapped error's* source),
/// so an `io::Error` is opened with `get_ref()` instead: client libraries commonly carry the
/// handshake failure as `io::Error::new(InvalidData, rustls::Error)`.
pub fn find_rustls_error<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            if let Some(tls) = find_rustls_error(inner) {
                return Some(tls);
            }
        }
        current = error.source();
    }
    None
}
