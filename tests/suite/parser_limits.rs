//! Size and depth bounds of every parser of untrusted input: Android network security
//! configurations, RFC 7469 headers, signed bundles and certificates. Each bound is checked
//! just under it (accepted, or refused for another reason) and just over it (refused with the
//! typed error, every field asserted), and the deep inputs run on a thread with a 256 KiB
//! stack: a parser that still recursed once per level would overflow it and abort the test
//! process.

use std::thread;

use rustls::pki_types::CertificateDer;
use rustls_pinning::{HpkpError, HpkpPolicy, Pin, PinError};

/// Small enough that recursing once per level of a deep input overflows it.
const SMALL_STACK: usize = 256 * 1024;

/// Runs `test` on a thread with a [`SMALL_STACK`] and returns what it returned; a panic in it
/// fails the calling test with the panic's message.
fn on_small_stack<T: Send + 'static>(test: impl FnOnce() -> T + Send + 'static) -> T {
    let handle = thread::Builder::new()
        .name("small stack".into())
        .stack_size(SMALL_STACK)
        .spawn(test)
        .expect("spawn a thread");
    match handle.join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

fn b64(byte: u8) -> String {
    Pin::spki_sha256([byte; 32]).base64()
}

// ---------------------------------------------------------------------------------------------
// RFC 7469 headers
// ---------------------------------------------------------------------------------------------

/// A valid header of exactly `len` bytes: two pins and max-age, padded by an unknown
/// directive (which the parser ignores).
fn header_of_length(len: usize) -> String {
    let start = format!(
        "pin-sha256=\"{}\"; pin-sha256=\"{}\"; max-age=60; ext=\"",
        b64(1),
        b64(2)
    );
    let padding = len - start.len() - 1;
    format!("{start}{}\"", "x".repeat(padding))
}

#[test]
fn an_hpkp_header_over_8_kib_is_refused_before_parsing() {
    assert_eq!(HpkpPolicy::MAX_HEADER_BYTES, 8192);
    let limit = HpkpPolicy::MAX_HEADER_BYTES;
    let at_limit = header_of_length(limit);
    assert_eq!(at_limit.len(), limit);
    let policy = HpkpPolicy::parse(&at_limit).unwrap();
    assert_eq!(policy.pins().len(), 2);

    let over = header_of_length(limit + 1);
    for result in [
        HpkpPolicy::parse(&over),
        HpkpPolicy::parse_report_only(&over),
    ] {
        assert_eq!(
            result,
            Err(HpkpError::TooLarge {
                size: limit + 1,
                limit
            })
        );
    }
    // Checked before parsing: a megabyte that is not a header at all gives the same error.
    let garbage = "\"".repeat(1 << 20);
    assert_eq!(
        HpkpPolicy::parse(&garbage),
        Err(HpkpError::TooLarge {
            size: 1 << 20,
            limit
        })
    );
    assert_eq!(
        HpkpError::TooLarge {
            size: limit + 1,
            limit
        }
        .to_string(),
        "Public-Key-Pins: 8193 bytes is more than the 8192 bytes a header value may have"
    );
}

#[test]
fn hpkp_parsing_needs_no_deep_stack() {
    let many = on_small_stack(|| {
        let mut text = format!(
            "pin-sha256=\"{}\"; pin-sha256=\"{}\"; max-age=1",
            b64(1),
            b64(2)
        );
        // Empty directives are tolerated: the most a header can hold.
        while text.len() < HpkpPolicy::MAX_HEADER_BYTES {
            text.push(';');
        }
        HpkpPolicy::parse(&text).map(|policy| policy.pins().len())
    });
    assert_eq!(many, Ok(2));
}

// ---------------------------------------------------------------------------------------------
// Certificates (the crate's own DER reader)
// ---------------------------------------------------------------------------------------------

/// `levels` SEQUENCEs, each holding the next, with four-byte lengths.
fn nested_sequences(levels: usize) -> Vec<u8> {
    let mut der = vec![0x05, 0x00]; // NULL at the bottom
    for _ in 0..levels {
        let len = u32::try_from(der.len()).unwrap().to_be_bytes();
        let mut outer = vec![0x30, 0x84];
        outer.extend_from_slice(&len);
        outer.extend_from_slice(&der);
        der = outer;
    }
    der
}

#[test]
fn deeply_nested_der_is_malformed_not_a_stack_overflow() {
    let results = on_small_stack(|| {
        [1, 2, 3, 10, 1_000, 50_000]
            .into_iter()
            .map(|levels| {
                let der = CertificateDer::from(nested_sequences(levels));
                (levels, Pin::spki_of(&der))
            })
            .collect::<Vec<_>>()
    });
    for (levels, result) in results {
        assert_eq!(
            result,
            Err(PinError::MalformedCertificate),
            "{levels} levels"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Android network security configurations
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "serde")]
mod android {
    use rustls_pinning::config::{
        parse_android, ConfigError, MAX_ANDROID_XML_BYTES as MAX_BYTES,
        MAX_ANDROID_XML_DEPTH as MAX_DEPTH,
    };

    use super::{b64, on_small_stack};

    const MAX_NODES: usize = rustls_pinning::config::MAX_ANDROID_XML_NODES as usize;

    /// `levels` nested `<domain-config>`s, one per line after the root element's line, so that
    /// the element at depth `d` is on line `d`.
    fn nested(levels: usize) -> String {
        let mut xml = String::from("<network-security-config>\n");
        for _ in 0..levels {
            xml.push_str("<domain-config>\n");
        }
        for _ in 0..levels {
            xml.push_str("</domain-config>");
        }
        xml.push_str("</network-security-config>\n");
        xml
    }

    fn assert_too_deep(result: Result<rustls_pinning::PinSet, ConfigError>, line: usize) {
        match result {
            Err(ConfigError::TooDeep {
                origin,
                line: found,
                limit,
            }) => {
                assert_eq!(origin, "deep.xml");
                assert_eq!(found, line);
                assert_eq!(limit, MAX_DEPTH);
            }
            other => panic!("expected TooDeep at line {line}, got {other:?}"),
        }
    }

    #[test]
    fn a_megabyte_of_nested_xml_is_too_deep_even_on_a_small_stack() {
        let levels = (1_000_000 - 60) / 32;
        let xml = nested(levels);
        assert!((990_000..=1_000_000).contains(&xml.len()), "{}", xml.len());
        let result = on_small_stack(move || parse_android(&xml, "deep.xml"));
        // The first element deeper than the limit: the <domain-config> at depth 33, line 33.
        assert_too_deep(result, MAX_DEPTH + 1);
    }

    /// A valid configuration: `levels` nested `<domain-config>`s, each with its own domain
    /// on its own line, the outermost with the pin set, which all inherit.
    fn nested_valid(levels: usize) -> String {
        let mut xml = String::from("<network-security-config>\n");
        for level in 0..levels {
            xml.push_str(&format!(
                "<domain-config><domain>d{level}.example</domain>\n"
            ));
            if level == 0 {
                xml.push_str(&format!(
                    "<pin-set><pin digest=\"SHA-256\">{}</pin>\n<pin digest=\"SHA-256\">{}</pin></pin-set>\n",
                    b64(1),
                    b64(2)
                ));
            }
        }
        for _ in 0..levels {
            xml.push_str("</domain-config>");
        }
        xml.push_str("</network-security-config>\n");
        xml
    }

    #[test]
    fn nesting_just_under_the_limit_is_read_and_just_over_is_refused() {
        // With `levels` nested configurations the innermost <domain> is at depth
        // 1 + levels + 1: 30 levels put it exactly at the limit, 31 one past it.
        let (under, over) = on_small_stack(|| {
            (
                parse_android(&nested_valid(MAX_DEPTH - 2), "deep.xml"),
                parse_android(&nested_valid(MAX_DEPTH - 1), "deep.xml"),
            )
        });
        let under = under.unwrap();
        assert_eq!(under.len(), MAX_DEPTH - 2);
        let innermost = under
            .lookup(&format!("d{}.example", MAX_DEPTH - 3))
            .unwrap();
        assert_eq!(
            innermost.allowed_pins().len(),
            2,
            "inherited from the outermost"
        );
        // Level k >= 1 is on line k + 4 (the root's line, the outermost configuration's and
        // its two <pin-set> lines come first): the innermost of 31 levels, k = 30, on line 34.
        assert_too_deep(over, MAX_DEPTH + 2);
    }

    #[test]
    fn a_configuration_over_1_mib_is_refused_before_parsing() {
        let valid = nested_valid(1);
        // Exactly at the limit: padded with a comment, and read.
        let padding = MAX_BYTES - valid.len() - "<!---->".len();
        let at_limit = format!("<!--{}-->{valid}", "x".repeat(padding));
        assert_eq!(at_limit.len(), MAX_BYTES);
        assert_eq!(parse_android(&at_limit, "big.xml").unwrap().len(), 1);
        // One byte more.
        let over = format!("{at_limit} ");
        match parse_android(&over, "big.xml") {
            Err(ConfigError::TooLarge {
                origin,
                what,
                size,
                limit,
            }) => {
                assert_eq!(origin, "big.xml");
                assert_eq!(what, "Android network security configuration");
                assert_eq!(size, MAX_BYTES + 1);
                assert_eq!(limit, MAX_BYTES);
            }
            other => panic!("{other:?}"),
        }
        // Before parsing: 2 MiB of unbalanced tags give the same error, not a syntax error.
        let garbage = "<a>".repeat(700_000);
        assert!(matches!(
            parse_android(&garbage, "big.xml"),
            Err(ConfigError::TooLarge {
                size: 2_100_000,
                ..
            })
        ));
    }

    #[test]
    fn more_nodes_than_the_limit_are_refused_while_parsing() {
        // The document node, the root element and `count` empty elements.
        let document = |count: usize| {
            format!(
                "<network-security-config>{}</network-security-config>",
                "<a/>".repeat(count)
            )
        };
        // At the limit the parser finishes, and the walk refuses the unknown element.
        match parse_android(&document(MAX_NODES - 2), "nodes.xml") {
            Err(ConfigError::Syntax { reason, .. }) => {
                assert_eq!(reason, "unexpected <a> in <network-security-config>")
            }
            other => panic!("{other:?}"),
        }
        match parse_android(&document(MAX_NODES - 1), "nodes.xml") {
            Err(ConfigError::TooManyNodes { origin, limit }) => {
                assert_eq!((origin.as_str(), limit), ("nodes.xml", MAX_NODES));
            }
            other => panic!("{other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Signed bundles
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "dynamic")]
mod bundles {
    use std::time::Duration;

    use rcgen::PublicKeyData as _;
    use rustls::pki_types::{PrivateKeyDer, SubjectPublicKeyInfoDer, UnixTime};
    use rustls_pinning::bundle::{
        self, BundleError, BundleKey, BundleVerifier, MAX_BUNDLE_BODY_BYTES,
        MAX_BUNDLE_SIGNATURE_BYTES,
    };
    use rustls_pinning::{Pin, PinEntry, PinSet};

    use super::on_small_stack;

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    struct Signer {
        key: PrivateKeyDer<'static>,
        verifier: BundleVerifier,
    }

    fn signer() -> Signer {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
        let public = BundleKey::from_spki(&SubjectPublicKeyInfoDer::from(
            key.subject_public_key_info(),
        ))
        .unwrap();
        let provider = rustls_pinning::default_crypto_provider();
        Signer {
            key: PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            verifier: BundleVerifier::new(vec![public], &provider).unwrap(),
        }
    }

    fn pins(entries: usize) -> PinSet {
        (0..entries)
            .fold(PinSet::builder(), |builder, index| {
                let byte = u8::try_from(index % 250).unwrap();
                builder.entry(
                    PinEntry::builder(format!("host{index}.example.com").parse().unwrap())
                        .pin(Pin::spki_sha256([byte; 32]))
                        .backup_pin(Pin::spki_sha256([byte.wrapping_add(1); 32])),
                )
            })
            .build()
            .unwrap()
    }

    fn too_large(result: Result<bundle::PinBundle, BundleError>) -> (&'static str, usize, usize) {
        match result {
            Err(BundleError::TooLarge { what, size, limit }) => (what, size, limit),
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn the_body_limit_holds_thousands_of_entries() {
        let body = bundle::body(&pins(100), 1, at(1_800_000_000), at(1_900_000_000)).unwrap();
        let per_entry = body.len() / 100;
        assert!(
            (200..=260).contains(&per_entry),
            "{per_entry} bytes per entry"
        );
        assert!(MAX_BUNDLE_BODY_BYTES / per_entry >= 4_000);
    }

    #[test]
    fn a_body_just_at_the_limit_verifies_and_one_byte_more_is_refused_unread() {
        let signer = signer();
        let provider = rustls_pinning::default_crypto_provider();
        let mut body = bundle::body(&pins(2), 7, at(1_800_000_000), at(1_900_000_000)).unwrap();
        // JSON allows trailing whitespace: pad the signed body to exactly the limit.
        body.resize(MAX_BUNDLE_BODY_BYTES, b' ');
        let signature = bundle::sign(&body, &signer.key, &provider).unwrap();
        let now = at(1_850_000_000);
        let bundle = on_small_stack({
            let verifier = signer.verifier.clone();
            let (body, signature) = (body.clone(), signature.clone());
            move || verifier.verify(&body, &signature, now).map(|b| b.version())
        });
        assert_eq!(bundle.unwrap(), 7);

        body.push(b' ');
        let signature = bundle::sign(&body, &signer.key, &provider).unwrap();
        assert_eq!(
            too_large(signer.verifier.verify(&body, &signature, now)),
            (
                "bundle body",
                MAX_BUNDLE_BODY_BYTES + 1,
                MAX_BUNDLE_BODY_BYTES
            )
        );
        // Checked before the signature document is even parsed.
        assert_eq!(
            too_large(signer.verifier.verify(&body, b"not json", now)),
            (
                "bundle body",
                MAX_BUNDLE_BODY_BYTES + 1,
                MAX_BUNDLE_BODY_BYTES
            )
        );
        let error = signer.verifier.verify(&body, b"", now).unwrap_err();
        assert_eq!(
            error.to_string(),
            "bundle body: 1048577 bytes is more than the 1048576 bytes it may have"
        );
    }

    #[test]
    fn a_signature_document_over_4_kib_is_refused_unread() {
        let signer = signer();
        let provider = rustls_pinning::default_crypto_provider();
        let body = bundle::body(&pins(1), 3, at(1_800_000_000), at(1_900_000_000)).unwrap();
        let mut signature = bundle::sign(&body, &signer.key, &provider).unwrap();
        assert!(signature.len() < 250, "{}", signature.len());
        let now = at(1_850_000_000);
        // Padded with whitespace to the limit: still a valid document.
        signature.resize(MAX_BUNDLE_SIGNATURE_BYTES, b' ');
        assert_eq!(
            signer
                .verifier
                .verify(&body, &signature, now)
                .unwrap()
                .version(),
            3
        );
        signature.push(b' ');
        assert_eq!(
            too_large(signer.verifier.verify(&body, &signature, now)),
            (
                "bundle signature",
                MAX_BUNDLE_SIGNATURE_BYTES + 1,
                MAX_BUNDLE_SIGNATURE_BYTES
            )
        );
    }

    #[test]
    fn deeply_nested_json_in_a_bundle_is_refused_at_its_first_level_on_a_small_stack() {
        // A signed body, within the size limit, whose policy nests arrays 100 000 deep where
        // a pin belongs. The raw policy is skipped without recursion, and the policy schema
        // refuses the first array; serde_json's recursion limit (128) would stop any deeper
        // descent.
        let signer = signer();
        let provider = rustls_pinning::default_crypto_provider();
        let body = format!(
            "{{\"version\": 1, \"issued_at\": \"2027-01-01T00:00:00Z\", \
             \"expires_at\": \"2028-01-01T00:00:00Z\", \"policy\": {{\"version\": 1, \
             \"entry\": [{{\"pattern\": \"a.example\", \"pins\": [{}{}]}}]}}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        )
        .into_bytes();
        let signature = bundle::sign(&body, &signer.key, &provider).unwrap();
        let verifier = signer.verifier.clone();
        let result = on_small_stack(move || {
            verifier
                .verify(&body, &signature, at(1_820_000_000))
                .map(|b| b.version())
        });
        match result {
            Err(BundleError::InvalidPolicy(error)) => assert_eq!(
                error.to_string(),
                "bundle policy:1:60: invalid type: sequence, expected a pin string such as \
                 \"sha256/<base64>\", or a table with `pin` and `scope`"
            ),
            other => panic!("{other:?}"),
        }
    }
}
