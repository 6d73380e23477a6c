//! The integration tests of rustls-pinning, in one binary: one module per concept, named as
//! the files of this directory are.
//!
//! Two tests run in processes of their own, being about the process itself:
//! `tests/allocations.rs` installs a counting global allocator, and
//! `tests/no_default_provider.rs` needs a process in which no default crypto provider was
//! ever installed.

mod adversarial;
mod android_nsc;
mod config;
mod dynamic;
mod explain;
mod handshake;
mod hostile;
mod mtls;
mod openssl_bundle;
mod parser_limits;
mod peers;
mod pin;
mod pin_set;
mod pins_only;
mod pki_smoke;
mod properties;
mod refresh;
mod reports;
mod rfc7469;
mod verifier_webpki;
mod with_hyper_rustls;
mod with_platform_verifier;
mod with_quinn;
mod with_reqwest;
mod with_tokio_rustls;
mod with_tonic;
mod with_ureq;
mod wrap;
