//! The shared fixtures, with `providers()` listing the crypto providers of pinctl's own build
//! (its `aws-lc-rs` and `ring` features): pinctl cannot forward its features to the fixtures,
//! a dev-dependency, because `cargo install` drops dev-dependencies and refuses features that
//! name them.
#![allow(dead_code, unused_imports)]

pub use rustls_pinning_test_support::*;

rustls_pinning_test_support::define_providers!();
