//! `PinningServerVerifier` (WebPKI mode, one fixed test root) fed arbitrary certificate chains and
//! server names, compared with rustls's own `WebPkiServerVerifier` over the same root.
//!
//! Input: one byte picking `now` (see `TIMES`), one byte of server-name length, the server
//! name, then certificates as a 2-byte big-endian length followed by DER; the first is the
//! end-entity certificate, the rest are intermediates. `examples/gen_seeds.rs` writes real
//! chains in this form to `seeds/verifier_chain/`.
//!
//! Never panic, and:
//! - never accept what `WebPkiServerVerifier` rejects;
//! - always reject for `wrongpin.test`, whose pins match no certificate of the test PKI;
//! - accept for an entry pinning the intermediate's key only when a presented intermediate
//!   carries that key, for `leafpin.test` only when the leaf is the pinned certificate, and for
//!   `deny.test` never when the leaf carries the denied key;
//! - for a host without an entry in force (unpinned hosts get plain WebPKI, no global deny pins)
//!   and for the report-only entry, give the same verdict as `WebPkiServerVerifier`.

#![no_main]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::RootCertStore;
use rustls_pinning::{
    AfterExpiry, EnforcementMode, Pin, PinEntry, PinSet, PinningServerVerifier, UnpinnedHostPolicy,
};

const ROOT: &[u8] = include_bytes!("../fixtures/root.der");
const INTERMEDIATE: &[u8] = include_bytes!("../fixtures/intermediate.der");
const PINNED_LEAF: &[u8] = include_bytes!("../fixtures/pinned-leaf.der");

/// 2027-01-01 (everything valid), 2020-01-01 (before the PKI), 2050-01-01 (after it),
/// 2040-01-01 (certificates valid, `expiring.test`'s entry expired).
const TIMES: [u64; 4] = [1_798_761_600, 1_577_836_800, 2_524_608_000, 2_208_988_800];
/// When `expiring.test`'s entry expires: 2030-01-01.
const ENTRY_EXPIRY: u64 = 1_893_456_000;

struct Verifiers {
    pinning: Arc<PinningServerVerifier>,
    webpki: Arc<WebPkiServerVerifier>,
    intermediate_key: Pin,
    denied_leaf_key: Pin,
}

fn reserve(byte: u8) -> Pin {
    Pin::spki_sha256([byte; 32])
}

fn verifiers() -> &'static Verifiers {
    static VERIFIERS: OnceLock<Verifiers> = OnceLock::new();
    VERIFIERS.get_or_init(|| {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut roots = RootCertStore::empty();
        roots.add(CertificateDer::from(ROOT)).expect("fixed root");
        let roots = Arc::new(roots);
        let root = Pin::spki_of(&CertificateDer::from(ROOT)).expect("root SPKI");
        let intermediate = Pin::spki_of(&CertificateDer::from(INTERMEDIATE)).expect("SPKI");
        let leaf_certificate = Pin::certificate_of(&CertificateDer::from(PINNED_LEAF));
        let leaf_key = Pin::spki_of(&CertificateDer::from(PINNED_LEAF)).expect("leaf SPKI");
        let entry = |pattern: &str| PinEntry::builder(pattern.parse().expect("fixed pattern"));
        let pins = PinSet::builder()
            .entry(
                entry("pinned.test")
                    .pin(intermediate)
                    .backup_pin(reserve(0xE0)),
            )
            .entry(entry("**.rooted.test").pin(root).backup_pin(reserve(0xE1)))
            .entry(
                entry("leafpin.test")
                    .pin(leaf_certificate)
                    .backup_pin(reserve(0xE2)),
            )
            .entry(
                entry("wrongpin.test")
                    .pin(reserve(1))
                    .backup_pin(reserve(2)),
            )
            .entry(
                entry("*.wild.test")
                    .pin(reserve(3))
                    .backup_pin(reserve(4))
                    .mode(EnforcementMode::ReportOnly),
            )
            .entry(
                entry("expiring.test")
                    .pin(reserve(5))
                    .backup_pin(reserve(6))
                    .expires_at(UnixTime::since_unix_epoch(Duration::from_secs(
                        ENTRY_EXPIRY,
                    )))
                    .after_expiry(AfterExpiry::Skip),
            )
            .entry(
                entry("deny.test")
                    .pin(intermediate)
                    .backup_pin(reserve(0xE3))
                    .deny(leaf_key),
            )
            .entry(
                entry("192.0.2.1")
                    .pin(intermediate)
                    .backup_pin(reserve(0xE4)),
            )
            .unpinned_hosts(UnpinnedHostPolicy::WebPkiOnly)
            .build()
            .expect("fixed pin set");
        let pinning = PinningServerVerifier::builder(roots.clone(), pins, provider.clone())
            .build()
            .expect("pinning verifier");
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider)
            .build()
            .expect("webpki verifier");
        Verifiers {
            pinning,
            webpki,
            intermediate_key: intermediate,
            denied_leaf_key: leaf_key,
        }
    })
}

/// Whether to print each verdict (`RUSTLS_PINNING_FUZZ_DEBUG=1`), to check what the seeds reach.
fn debug() -> bool {
    static DEBUG: OnceLock<bool> = OnceLock::new();
    *DEBUG.get_or_init(|| std::env::var_os("RUSTLS_PINNING_FUZZ_DEBUG").is_some())
}

fuzz_target!(|data: &[u8]| {
    let [time, name_len, rest @ ..] = data else {
        return;
    };
    let now = UnixTime::since_unix_epoch(Duration::from_secs(TIMES[usize::from(*time % 4)]));
    let name_len = usize::from(*name_len).min(rest.len());
    let (name, mut rest) = rest.split_at(name_len);
    let Ok(name) = std::str::from_utf8(name) else {
        return;
    };
    let Ok(server_name) = ServerName::try_from(name.to_owned()) else {
        return;
    };
    let mut certificates = Vec::new();
    while rest.len() >= 2 && certificates.len() < 10 {
        let length = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        certificates.push(CertificateDer::from(rest[2..2 + length].to_vec()));
        rest = &rest[2 + length..];
    }
    let Some((end_entity, intermediates)) = certificates.split_first() else {
        return;
    };

    let verifiers = verifiers();
    let pinned =
        verifiers
            .pinning
            .verify_server_cert(end_entity, intermediates, &server_name, &[], now);
    let plain =
        verifiers
            .webpki
            .verify_server_cert(end_entity, intermediates, &server_name, &[], now);
    assert!(
        pinned.is_err() || plain.is_ok(),
        "pinning accepted {name:?} at {now:?} where WebPKI rejects: {plain:?}"
    );

    if debug() {
        eprintln!(
            "{name:?} at {}: pinning {pinned:?}, webpki {plain:?}",
            now.as_secs()
        );
    }

    let host = match &server_name {
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => other.to_str().into_owned(),
    };
    let entry = verifiers.pinning.pins().lookup(&host);
    let pattern = entry.map(|entry| entry.pattern().to_string());
    if pinned.is_ok() {
        let carries = |certificate: &CertificateDer<'_>, pin: &Pin| {
            Pin::spki_of(certificate).is_ok_and(|key| &key == pin)
        };
        match pattern.as_deref() {
            Some("pinned.test" | "deny.test" | "192.0.2.1") => assert!(
                intermediates
                    .iter()
                    .any(|certificate| carries(certificate, &verifiers.intermediate_key)),
                "accepted {name:?} without the pinned intermediate key in the chain"
            ),
            Some("leafpin.test") => assert_eq!(
                end_entity.as_ref(),
                PINNED_LEAF,
                "accepted {name:?} with a leaf other than the pinned certificate"
            ),
            _ => {}
        }
        if pattern.as_deref() == Some("deny.test") {
            assert!(
                !carries(end_entity, &verifiers.denied_leaf_key),
                "accepted {name:?} with the denied leaf key"
            );
        }
    }
    match entry {
        Some(entry) if entry.pattern().to_string() == "wrongpin.test" => {
            assert!(pinned.is_err(), "accepted {name:?} with no matching pin");
        }
        Some(entry) if entry.mode() == EnforcementMode::ReportOnly => {
            assert_eq!(
                pinned.is_ok(),
                plain.is_ok(),
                "report-only {name:?}: {pinned:?} {plain:?}"
            );
        }
        Some(entry) if entry.is_expired_at(now) && entry.after_expiry() == AfterExpiry::Skip => {
            assert_eq!(
                pinned.is_ok(),
                plain.is_ok(),
                "expired entry {name:?}: {pinned:?} {plain:?}"
            );
        }
        Some(_) => {}
        None => {
            assert_eq!(
                pinned.is_ok(),
                plain.is_ok(),
                "unpinned {name:?}: {pinned:?} {plain:?}"
            );
        }
    }
});
