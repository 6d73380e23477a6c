//! Pins computed by the crate agree with OpenSSL's (checked-in fixtures, see
//! `tests/fixtures/README.md`) and with the keys rcgen generates.

use rustls_pinning_test_support as common;

use common::{Ca, KeyKind};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, SubjectPublicKeyInfoDer};
use rustls_pinning::{Pin, PinKind};

/// (fixture, SPKI pin from openssl, `openssl x509 -fingerprint -sha256` output)
const OPENSSL: [(&str, &str, &str); 2] = [
    (
        "ec-p256.pem",
        "sha256/SjtAhZXRQqF+h2o8x22sYhDwzHhj2NyVbHExADvymXo=",
        "sha256 Fingerprint=2A:4E:23:15:40:7A:FF:83:D5:A4:E5:4B:D8:8D:49:F9:0E:9C:F1:D6:43:AD:65:3A:D9:84:C7:C0:1B:24:3D:30",
    ),
    (
        "rsa-2048.pem",
        "sha256/Q7DwKZ3vvOSzvtySv44yAx0OciuLI4APDO+lAa61iUA=",
        "sha256 Fingerprint=45:AA:77:29:98:94:46:01:C5:ED:6E:BD:27:DC:6C:42:89:58:8F:6C:05:6B:45:0D:62:2E:DD:BD:D2:BF:7B:24",
    ),
];

fn fixture(name: &str) -> CertificateDer<'static> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    CertificateDer::from_pem_file(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn spki_pins_agree_with_openssl() {
    for (file, spki_pin, _) in OPENSSL {
        let certificate = fixture(file);
        let computed = Pin::spki_of(&certificate).unwrap();
        assert_eq!(computed.to_string(), spki_pin, "{file}");
        assert_eq!(spki_pin.parse::<Pin>(), Ok(computed), "{file}");
    }
}

#[test]
fn certificate_pins_agree_with_openssl_fingerprints() {
    for (file, _, fingerprint) in OPENSSL {
        let certificate = fixture(file);
        let parsed: Pin = fingerprint.parse().unwrap();
        assert_eq!(parsed.kind(), PinKind::Certificate, "{file}");
        assert_eq!(Pin::certificate_of(&certificate), parsed, "{file}");
        assert_eq!(parsed.to_string().parse::<Pin>(), Ok(parsed), "{file}");
    }
}

#[test]
fn spki_pin_of_a_certificate_is_the_pin_of_its_key() {
    for kind in [KeyKind::EcdsaP256, KeyKind::Ed25519, KeyKind::Rsa2048] {
        let ca = Ca::root_with("Pin Test CA", kind);
        let from_certificate = Pin::spki_of(ca.cert_der()).unwrap();
        let from_key = Pin::from_spki(&SubjectPublicKeyInfoDer::from(ca.spki_der()));
        assert_eq!(from_certificate, from_key, "{kind:?}");
        assert_ne!(
            from_certificate,
            Pin::spki_sha256(*Pin::certificate_of(ca.cert_der()).sha256()),
            "{kind:?}: an SPKI pin is not the certificate digest"
        );
    }
}
