//! Every pin the crate computes for a bundle of 21 certificates made with OpenSSL (RSA 2048,
//! 3072 and 4096, EC P-256, P-384 and P-521, Ed25519 and Ed448; self-signed and CA-issued)
//! equals the one OpenSSL printed. The bundle, OpenSSL's output and the script that made both
//! are in `tests/fixtures/openssl-bundle/` (see `tests/fixtures/README.md`).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls_pinning::{Pin, PinKind};

/// One line of `openssl-pins.tsv`.
struct OpensslPins {
    /// The certificate's name in `make.sh`, which says its key type.
    name: String,
    /// `openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
    /// openssl dgst -sha256 -binary | base64`
    spki_base64: String,
    /// `openssl x509 -noout -fingerprint -sha256`
    fingerprint: String,
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/openssl-bundle/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn openssl_pins() -> Vec<OpensslPins> {
    fixture("openssl-pins.tsv")
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [name, spki_base64, fingerprint] = fields[..] else {
                panic!("openssl-pins.tsv: not three tab-separated fields: {line:?}");
            };
            OpensslPins {
                name: name.to_owned(),
                spki_base64: spki_base64.to_owned(),
                fingerprint: fingerprint.to_owned(),
            }
        })
        .collect()
}

fn bundle() -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(fixture("bundle.pem").as_bytes())
        .collect::<Result<_, _>>()
        .expect("bundle.pem is PEM")
}

#[test]
fn the_bundle_covers_every_key_type_and_both_kinds_of_issuer() {
    let expected = openssl_pins();
    assert!(expected.len() >= 20, "{} certificates", expected.len());
    assert_eq!(bundle().len(), expected.len(), "one line per certificate");
    for kind in [
        "rsa-2048", "rsa-3072", "rsa-4096", "ec-p256", "ec-p384", "ec-p521", "ed25519", "ed448",
    ] {
        for issuer in ["self-signed-", "leaf-"] {
            assert!(
                expected
                    .iter()
                    .any(|line| line.name == format!("{issuer}{kind}")),
                "no {issuer}{kind}"
            );
        }
    }
}

#[test]
fn spki_pins_equal_openssl_for_every_certificate() {
    for (certificate, expected) in bundle().iter().zip(openssl_pins()) {
        let computed = Pin::spki_of(certificate).unwrap();
        assert_eq!(
            computed.to_string(),
            format!("sha256/{}", expected.spki_base64),
            "{}",
            expected.name
        );
    }
}

#[test]
fn certificate_pins_equal_openssl_fingerprints_for_every_certificate() {
    for (certificate, expected) in bundle().iter().zip(openssl_pins()) {
        let fingerprint: Pin = expected.fingerprint.parse().unwrap();
        assert_eq!(
            fingerprint.kind(),
            PinKind::Certificate,
            "{}",
            expected.name
        );
        assert_eq!(
            Pin::certificate_of(certificate),
            fingerprint,
            "{}",
            expected.name
        );
    }
}
