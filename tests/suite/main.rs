//! The integration tests of rustls-pinning, in one binary: one module per concept, named as
//! the files of this directory are.
//!
//! A test that needs a crypto provider runs once per provider compiled in, without a loop:
//! `with_aws_lc_rs` and `with_ring` include the same files, each with its own `provider()`
//! and `PROVIDER` (the label assert messages print), so a test's name says which provider
//! it ran with (`with_ring::verifier_webpki::...`). With only one provider feature only its
//! module exists; with neither, only the modules compiled once. Those, at the top, need no
//! provider, or take the build's default (`rustls_pinning::default_crypto_provider()`) for
//! a signature whose algorithm is not what they test.
//!
//! Two other test binaries run in processes of their own, being about the process itself:
//! `tests/allocations/` installs a counting global allocator, and
//! `tests/no_default_provider.rs` needs a process in which no default crypto provider was
//! ever installed.

// Each provider module includes the same files.
#![allow(clippy::duplicate_mod)]

mod android_nsc;
mod config;
mod layers;
mod openssl_bundle;
mod parser_limits;
mod peer_tools;
mod pin;
mod pin_set;
mod properties;
mod refresh;
mod rfc7469;

// examples/ureq_client.rs's connector, which with_ureq tests.
#[cfg(any(feature = "aws-lc-rs", feature = "ring"))]
#[path = "../../examples/ureq_connector/mod.rs"]
mod ureq_connector;

#[cfg(feature = "aws-lc-rs")]
#[path = "."]
mod with_aws_lc_rs {
    rustls_pinning_test_support::define_provider!(aws_lc_rs);

    mod adversarial;
    mod dynamic;
    mod explain;
    mod handshake;
    mod hostile;
    mod mtls;
    mod peers;
    mod pins_only;
    mod pki_smoke;
    mod reports;
    mod verifier_webpki;
    mod with_hyper_rustls;
    mod with_platform_verifier;
    mod with_quinn;
    mod with_reqwest;
    mod with_tokio_rustls;
    mod with_tonic;
    mod with_ureq;
    mod wrap;
}

#[cfg(feature = "ring")]
#[path = "."]
mod with_ring {
    rustls_pinning_test_support::define_provider!(ring);

    mod adversarial;
    mod dynamic;
    mod explain;
    mod handshake;
    mod hostile;
    mod mtls;
    mod peers;
    mod pins_only;
    mod pki_smoke;
    mod reports;
    mod verifier_webpki;
    mod with_hyper_rustls;
    mod with_platform_verifier;
    mod with_quinn;
    mod with_reqwest;
    mod with_tokio_rustls;
    mod with_tonic;
    mod with_ureq;
    mod wrap;
}

/// Each provider feature has its module, labelled with the provider's name (pki_smoke checks
/// that `provider()` is the provider named).
#[test]
fn providers_are_listed() {
    let labels: &[&str] = &[
        #[cfg(feature = "aws-lc-rs")]
        with_aws_lc_rs::PROVIDER,
        #[cfg(feature = "ring")]
        with_ring::PROVIDER,
    ];
    assert_eq!(cfg!(feature = "aws-lc-rs"), labels.contains(&"aws-lc-rs"));
    assert_eq!(cfg!(feature = "ring"), labels.contains(&"ring"));
}

/// Every file of this directory is a module of the suite (a file that is not is never
/// compiled, unlike a file of `tests/`), and both provider modules include the same files.
#[test]
fn every_file_is_a_module_and_both_providers_include_the_same_files() {
    let directory = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/suite");
    let main = std::fs::read_to_string(format!("{directory}/main.rs")).unwrap();
    // The modules a text declares, but for those elsewhere (`#[path = ...]`).
    let modules = |text: &str| -> Vec<String> {
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        lines
            .iter()
            .enumerate()
            .filter(|(index, _)| *index == 0 || !lines[index - 1].starts_with("#[path"))
            .filter_map(|(_, line)| line.strip_prefix("mod ")?.strip_suffix(';'))
            .map(str::to_owned)
            .collect()
    };
    let block = |name: &str| -> Vec<String> {
        let start = main
            .find(&format!("mod {name} {{"))
            .unwrap_or_else(|| panic!("no module {name}"));
        let end = start + main[start..].find("\n}").unwrap();
        modules(&main[start..end])
    };
    let once: Vec<String> = modules(&main[..main.find("mod with_aws_lc_rs {").unwrap()]);
    let aws_lc_rs = block("with_aws_lc_rs");
    assert_eq!(aws_lc_rs, block("with_ring"), "the provider modules differ");
    for module in &aws_lc_rs {
        assert!(
            !once.contains(module),
            "{module} is both compiled once and per provider"
        );
    }
    let mut files: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter_map(|name| Some(name.strip_suffix(".rs")?.to_owned()))
        .filter(|name| name != "main")
        .collect();
    files.sort();
    let mut declared: Vec<String> = once.into_iter().chain(aws_lc_rs).collect();
    declared.sort();
    assert_eq!(
        declared, files,
        "files of tests/suite/ and modules of main.rs"
    );
}
