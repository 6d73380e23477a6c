//! The shared fixtures, named `common` as in the library's tests.

pub use rustls_pinning_test_support::*;
