//! `BundleVerifier::verify(body, signature, now)` with a fixed trusted Ed25519 key
//! (`fixtures/bundle-key.spki.der`).
//!
//! Input: 8 bytes of `now` (big-endian seconds), 2 bytes of signature length (big-endian), the
//! signature document, then the body. Never panic, and never accept a body other than the
//! ones the fixed key signed (`fixtures/signed-bundle-*.json`): the fuzzer has no private key,
//! so anything else it gets accepted is a forgery. An accepted bundle must also be within its
//! validity period at `now` and name the fixed key as its signer. A body over
//! `MAX_BUNDLE_BODY_BYTES` or a signature over `MAX_BUNDLE_SIGNATURE_BYTES` must be refused
//! with `BundleError::TooLarge` naming its exact size.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rustls::pki_types::{SubjectPublicKeyInfoDer, UnixTime};
use rustls_pinning::bundle::{
    BundleError, BundleKey, BundleVerifier, MAX_BUNDLE_BODY_BYTES, MAX_BUNDLE_SIGNATURE_BYTES,
};

const KEY: &[u8] = include_bytes!("../fixtures/bundle-key.spki.der");
const SIGNED_BODIES: &[&[u8]] = &[
    include_bytes!("../fixtures/signed-bundle-1.json"),
    include_bytes!("../fixtures/signed-bundle-2.json"),
];

fn verifier() -> &'static (BundleVerifier, BundleKey) {
    static VERIFIER: OnceLock<(BundleVerifier, BundleKey)> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        let key = BundleKey::from_spki(&SubjectPublicKeyInfoDer::from(KEY)).expect("fixed key");
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        let verifier = BundleVerifier::new(vec![key.clone()], &provider).expect("fixed verifier");
        (verifier, key)
    })
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 10 {
        return;
    }
    let (now, rest) = data.split_at(8);
    let now = u64::from_be_bytes(now.try_into().expect("8 bytes"));
    let (length, rest) = rest.split_at(2);
    let length = usize::from(u16::from_be_bytes([length[0], length[1]])).min(rest.len());
    let (signature, body) = rest.split_at(length);
    let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(now));
    let (verifier, key) = verifier();
    let result = verifier.verify(body, signature, now);
    // Oversized documents are refused before anything else, by name and exact size.
    if body.len() > MAX_BUNDLE_BODY_BYTES {
        assert!(matches!(
            result,
            Err(BundleError::TooLarge { what: "bundle body", size, .. }) if size == body.len()
        ));
    } else if signature.len() > MAX_BUNDLE_SIGNATURE_BYTES {
        assert!(matches!(
            result,
            Err(BundleError::TooLarge { what: "bundle signature", size, .. })
                if size == signature.len()
        ));
    }
    if let Ok(bundle) = result {
        assert!(
            SIGNED_BODIES.contains(&body),
            "accepted a body the key never signed:\n{}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(bundle.signed_by(), key.id());
        assert!(bundle.issued_at().as_secs() < bundle.expires_at().as_secs());
        assert!(
            bundle.expires_at().as_secs() > now.as_secs(),
            "accepted an expired bundle"
        );
        let _ = bundle.pins().len();
    }
});
