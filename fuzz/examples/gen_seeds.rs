//! Writes the fuzz targets' fixed material and seed corpora:
//! `fixtures/` (the verifier's trust anchor and pinned certificates, the bundle key and the
//! bodies it signed) and `seeds/<target>/`.
//!
//! Run from `fuzz/`: `cargo run --example gen_seeds`. The keys are fresh each time, so the
//! fixtures and the seeds must be regenerated (and committed) together.

use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SanType, SerialNumber,
};
use rustls::pki_types::{PrivateKeyDer, UnixTime};
use rustls_pinning::config::{self, ConfigFormat};
use rustls_pinning::{bundle, Pin, PinEntry, PinSet};

const P256: &rcgen::SignatureAlgorithm = &rcgen::PKCS_ECDSA_P256_SHA256;

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    der: Vec<u8>,
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "rustls-pinning fuzz PKI");
    name.push(DnType::CommonName, common_name);
    name
}

fn ca_params(common_name: &str, serial: u64) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = rcgen::date_time_ymd(2045, 1, 1);
    params.serial_number = Some(SerialNumber::from(serial));
    params.use_authority_key_identifier_extension = true;
    params
}

fn root(common_name: &str, serial: u64) -> Ca {
    let key = KeyPair::generate_for(P256).unwrap();
    let params = ca_params(common_name, serial);
    let der = params.self_signed(&key).unwrap().der().to_vec();
    Ca {
        issuer: Issuer::new(params, key),
        der,
    }
}

fn intermediate(parent: &Ca, common_name: &str, serial: u64) -> Ca {
    let key = KeyPair::generate_for(P256).unwrap();
    let params = ca_params(common_name, serial);
    let der = params
        .signed_by(&key, &parent.issuer)
        .unwrap()
        .der()
        .to_vec();
    Ca {
        issuer: Issuer::new(params, key),
        der,
    }
}

struct LeafSpec<'a> {
    names: &'a [&'a str],
    serial: u64,
    algorithm: &'static rcgen::SignatureAlgorithm,
    is_ca: bool,
    expired: bool,
}

fn leaf(issuer: &Ca, spec: LeafSpec<'_>) -> Vec<u8> {
    let key = KeyPair::generate_for(spec.algorithm).unwrap();
    let mut params = CertificateParams::default();
    params.distinguished_name = name(spec.names.first().copied().unwrap_or("leaf"));
    params.subject_alt_names = spec
        .names
        .iter()
        .map(|name| match name.parse() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName((*name).try_into().unwrap()),
        })
        .collect();
    params.not_before = rcgen::date_time_ymd(2025, 1, 1);
    params.not_after = if spec.expired {
        rcgen::date_time_ymd(2026, 1, 1)
    } else {
        rcgen::date_time_ymd(2045, 1, 1)
    };
    params.serial_number = Some(SerialNumber::from(spec.serial));
    params.use_authority_key_identifier_extension = true;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    if spec.is_ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyCertSign,
        ];
    } else {
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    }
    params
        .signed_by(&key, &issuer.issuer)
        .unwrap()
        .der()
        .to_vec()
}

fn spec(names: &[&'static str], serial: u64) -> LeafSpec<'static> {
    LeafSpec {
        names: Box::leak(names.to_vec().into_boxed_slice()),
        serial,
        algorithm: P256,
        is_ca: false,
        expired: false,
    }
}

/// A `verifier_chain` input.
fn chain_input(time: u8, server_name: &str, chain: &[&[u8]]) -> Vec<u8> {
    let mut input = vec![time, u8::try_from(server_name.len()).unwrap()];
    input.extend_from_slice(server_name.as_bytes());
    for certificate in chain {
        input.extend_from_slice(&u16::try_from(certificate.len()).unwrap().to_be_bytes());
        input.extend_from_slice(certificate);
    }
    input
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join(name), bytes).unwrap();
}

/// Android's limits (`config::MAX_ANDROID_XML_*`), as the seeds probe them.
const ANDROID_MAX_BYTES: usize = 1 << 20;
const ANDROID_MAX_DEPTH: usize = 32;
const ANDROID_MAX_NODES: usize = 100_000;

/// Seeds at and just past every parser bound: deep and oversized Android XML, an oversized
/// HPKP header, headers RFC 7469 parses in ways that once went wrong, and an oversized bundle
/// body and signature. They need no key, so `--limits-only` writes them alone, leaving the
/// keys, fixtures and other seeds as they are.
fn limit_seeds(seeds: &Path) {
    let pin = |byte: u8| Pin::spki_sha256([byte; 32]).base64();
    let pin_set = format!(
        "<pin-set><pin digest=\"SHA-256\">{}</pin><pin digest=\"SHA-256\">{}</pin></pin-set>",
        pin(1),
        pin(2)
    );
    // `levels` nested <domain-config>s, the outermost pinned: the innermost <domain> sits at
    // depth levels + 2.
    let nested = |levels: usize| {
        let mut xml = String::from("<network-security-config>\n");
        for level in 0..levels {
            xml.push_str(&format!("<domain-config><domain>d{level}.example</domain>"));
            if level == 0 {
                xml.push_str(&pin_set);
            }
            xml.push('\n');
        }
        xml.push_str(&"</domain-config>".repeat(levels));
        xml.push_str("</network-security-config>\n");
        xml
    };
    let pinned = format!(
        "<network-security-config><domain-config><domain>a.example</domain>{pin_set}</domain-config></network-security-config>\n"
    );
    let padding = ANDROID_MAX_BYTES + 1 - pinned.len() - "<!---->".len();
    let too_large = format!("<!--{}-->{pinned}", "x".repeat(padding));
    let many_nodes = format!(
        "<network-security-config>{}</network-security-config>",
        "<a/>".repeat(ANDROID_MAX_NODES - 1)
    );
    let header = |rest: &str| format!("pin-sha256=\"{}\"; pin-sha256=\"{}\"{rest}", pin(1), pin(2));
    let long_header = {
        let mut text = header("; max-age=60; ext=\"");
        text.push_str(&"x".repeat(8 * 1024 + 1 - text.len() - 1));
        text.push('"');
        text
    };
    let dir = seeds.join("config_parse");
    for (selector, name, text) in [
        (
            2u8,
            "android-depth-at-limit.xml",
            nested(ANDROID_MAX_DEPTH - 2),
        ),
        (
            2,
            "android-depth-over-limit.xml",
            nested(ANDROID_MAX_DEPTH - 1),
        ),
        (2, "android-too-large.xml", too_large),
        (2, "android-too-many-nodes.xml", many_nodes),
        (4, "hpkp-too-large.txt", long_header),
        (
            4,
            "hpkp-max-age-beyond-u64.txt",
            header("; max-age=18446744073709551616"),
        ),
        (
            4,
            "hpkp-report-only-without-max-age.txt",
            header("; includeSubDomains"),
        ),
        (
            4,
            "hpkp-malformed-extension.txt",
            header("; max-age=60; ext=a\"b"),
        ),
    ] {
        let mut input = vec![selector];
        input.extend_from_slice(text.as_bytes());
        write(&dir, name, &input);
    }
    let dir = seeds.join("bundle_verify");
    let now = 1_780_000_000u64.to_be_bytes();
    for (name, signature, body) in [
        (
            "body-too-large",
            b"{}".to_vec(),
            vec![b' '; 1024 * 1024 + 1],
        ),
        (
            "signature-too-large",
            vec![b' '; 4 * 1024 + 1],
            b"{}".to_vec(),
        ),
    ] {
        let mut input = now.to_vec();
        input.extend_from_slice(&u16::try_from(signature.len()).unwrap().to_be_bytes());
        input.extend_from_slice(&signature);
        input.extend_from_slice(&body);
        write(&dir, name, &input);
    }
}

fn main() {
    let fixtures = Path::new("fixtures");
    let seeds = Path::new("seeds");
    limit_seeds(seeds);
    if std::env::args().any(|argument| argument == "--limits-only") {
        println!("wrote the limit seeds under seeds/");
        return;
    }

    // The verifier's PKI.
    let root_ca = root("Fuzz Root", 1);
    let inter = intermediate(&root_ca, "Fuzz Intermediate", 2);
    let other_inter = intermediate(&root_ca, "Fuzz Other Intermediate", 3);
    let untrusted = root("Untrusted Root", 4);
    let untrusted_inter = intermediate(&untrusted, "Untrusted Intermediate", 5);
    let all_names = [
        "pinned.test",
        "leafpin.test",
        "a.rooted.test",
        "wrongpin.test",
        "www.wild.test",
        "expiring.test",
        "deny.test",
        "unpinned.test",
        "192.0.2.1",
    ];
    let pinned_leaf = leaf(&inter, spec(&all_names, 10));
    write(fixtures, "root.der", &root_ca.der);
    write(fixtures, "intermediate.der", &inter.der);
    write(fixtures, "pinned-leaf.der", &pinned_leaf);

    let other_leaf = leaf(&inter, spec(&all_names, 11));
    let via_other = leaf(&other_inter, spec(&all_names, 12));
    let stranger = leaf(&untrusted_inter, spec(&all_names, 13));
    let ca_leaf = leaf(
        &inter,
        LeafSpec {
            is_ca: true,
            ..spec(&all_names, 14)
        },
    );
    let expired = leaf(
        &inter,
        LeafSpec {
            expired: true,
            ..spec(&all_names, 15)
        },
    );
    let ed25519 = leaf(
        &inter,
        LeafSpec {
            algorithm: &rcgen::PKCS_ED25519,
            ..spec(&all_names, 16)
        },
    );
    let dir = seeds.join("verifier_chain");
    let chains: Vec<(&str, Vec<&[u8]>)> = vec![
        ("pinned", vec![&pinned_leaf, &inter.der]),
        ("other-leaf", vec![&other_leaf, &inter.der]),
        ("via-other-intermediate", vec![&via_other, &other_inter.der]),
        ("with-root", vec![&pinned_leaf, &inter.der, &root_ca.der]),
        ("missing-intermediate", vec![&pinned_leaf]),
        ("untrusted", vec![&stranger, &untrusted_inter.der]),
        (
            "stuffed",
            vec![
                &pinned_leaf,
                &untrusted_inter.der,
                &other_inter.der,
                &inter.der,
            ],
        ),
        ("ca-leaf", vec![&ca_leaf, &inter.der]),
        ("expired", vec![&expired, &inter.der]),
        ("ed25519", vec![&ed25519, &inter.der]),
    ];
    for (label, chain) in &chains {
        // Every time for every host: a chain only reaches the pin check of an entry when it is
        // valid at `now`, and `expiring.test` behaves differently before and after its expiry.
        for host in &all_names {
            for time in 0..4u8 {
                write(
                    &dir,
                    &format!("{label}-{host}-{time}"),
                    &chain_input(time, host, chain),
                );
            }
        }
    }

    // Bundles, signed with a fixed Ed25519 key.
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let key = KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    write(
        fixtures,
        "bundle-key.spki.der",
        &key.subject_public_key_info(),
    );
    let private = PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let at = |secs: u64| UnixTime::since_unix_epoch(Duration::from_secs(secs));
    let pins_one = PinSet::builder()
        .entry(
            PinEntry::builder("api.example.com".parse().unwrap())
                .pin(Pin::spki_sha256([1; 32]))
                .backup_pin(Pin::spki_sha256([2; 32])),
        )
        .build()
        .unwrap();
    let pins_two =
        config::parse(include_str!("../seeds_src/policy.json"), ConfigFormat::Json).unwrap();
    let bodies = [
        bundle::body(&pins_one, 1, at(1_767_225_600), at(2_082_758_400)).unwrap(),
        bundle::body(&pins_two, 2, at(1_767_225_600), at(1_798_761_600)).unwrap(),
    ];
    let dir = seeds.join("bundle_verify");
    for (index, body) in bodies.iter().enumerate() {
        write(fixtures, &format!("signed-bundle-{}.json", index + 1), body);
        let signature = bundle::sign(body, &private, &provider).unwrap();
        for (label, now) in [
            ("valid", 1_780_000_000u64),
            ("early", 1_700_000_000),
            ("late", 2_100_000_000),
        ] {
            let mut input = now.to_be_bytes().to_vec();
            input.extend_from_slice(&u16::try_from(signature.len()).unwrap().to_be_bytes());
            input.extend_from_slice(&signature);
            input.extend_from_slice(body);
            write(&dir, &format!("bundle-{}-{label}", index + 1), &input);
        }
    }

    // Text seeds.
    let dir = seeds.join("config_parse");
    for (selector, file) in [
        (0u8, "policy.toml"),
        (1, "policy.json"),
        (2, "network_security_config.xml"),
        (4, "hpkp.txt"),
    ] {
        let text = fs::read(Path::new("seeds_src").join(file)).unwrap();
        let mut input = vec![selector];
        input.extend_from_slice(&text);
        write(&dir, file, &input);
    }
    let dir = seeds.join("pin_parse");
    let pin = Pin::spki_sha256([0xFB; 32]);
    for (label, text) in [
        ("spki", pin.to_string()),
        ("cert", Pin::certificate_sha256([7; 32]).to_string()),
        ("curl", format!("sha256//{}", pin.base64())),
        ("hpkp", format!("pin-sha256=\"{}\"", pin.base64())),
        ("hex", "AB:".repeat(31) + "AB"),
        ("openssl", format!("sha256 Fingerprint={}", "0f".repeat(32))),
        ("list", format!("sha256//{0}; sha256//{0}", pin.base64())),
        ("sha1", "ab".repeat(20)),
    ] {
        write(&dir, label, text.as_bytes());
    }
    let dir = seeds.join("host_pattern");
    for (label, text) in [
        (
            "exact",
            "api.example.com\napi.example.com\nAPI.Example.COM.",
        ),
        ("one-label", "*.example.com\nwww.example.com\nexample.com"),
        (
            "any-depth",
            "**.example.com\na.b.example.com\nexample.com\nbadexample.com",
        ),
        (
            "idna",
            "**.bücher.example\nwww.xn--bcher-kva.example\nBÜCHER.example",
        ),
        ("ipv4", "192.0.2.1\n192.0.2.1\n192.000.002.001"),
        (
            "ipv6",
            "[2001:db8::1]\n2001:db8::1\n[2001:0db8:0:0:0:0:0:1]",
        ),
        ("co-uk", "*.co.uk\nfoo.co.uk\na.b.co.uk"),
    ] {
        write(&dir, label, text.as_bytes());
    }
    println!("wrote fixtures/ and seeds/");
}
