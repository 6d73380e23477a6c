//! Shared fixtures for the integration tests.
//!
//! Include with `mod common;` from a test binary. The module builds a
//! throw-away PKI in memory with rcgen ([`pki`]) and runs real TLS
//! handshakes over loopback with rustls's blocking API ([`net`]), so tests
//! exercise the same code paths a real client would, without any network
//! access or files on disk.
//!
//! Not every test binary uses every helper, hence the blanket allowances.
#![allow(dead_code, unused_imports)]

pub mod net;
pub mod pki;

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

pub use net::*;
pub use pki::*;

/// Every rustls crypto provider compiled into this build, with a label.
///
/// Tests loop over this so that `cargo test --all-features` runs each
/// scenario once per provider: pinning must not depend on which backend
/// verified the signatures. With neither `aws-lc-rs` nor `ring` enabled the
/// list is empty.
pub fn providers() -> Vec<(&'static str, Arc<CryptoProvider>)> {
    vec![
        #[cfg(feature = "aws-lc-rs")]
        (
            "aws-lc-rs",
            Arc::new(rustls::crypto::aws_lc_rs::default_provider()),
        ),
        #[cfg(feature = "ring")]
        ("ring", Arc::new(rustls::crypto::ring::default_provider())),
    ]
}
