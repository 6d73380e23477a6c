//! Policy text: `config::parse` (TOML and JSON), `config::parse_android` and
//! `HpkpPolicy::parse`/`parse_report_only` on arbitrary text.
//!
//! The first byte picks the parser, the rest is the text. Never panic; a TOML or JSON set
//! that parses, written back with `config::to_string` (in both formats), parses to equal
//! entries; an Android set written with `to_android_xml` parses back to equal entries; an HPKP
//! policy's `Display` parses back to an equal policy. Android XML over 1 MiB and HPKP headers
//! over `HpkpPolicy::MAX_HEADER_BYTES` are refused with `TooLarge` naming their exact size.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rustls_pinning::config::{self, ConfigError, ConfigFormat};
use rustls_pinning::{HpkpError, HpkpPolicy, PinEntry, PinSet};

const ANDROID_MAX_BYTES: usize = config::MAX_ANDROID_XML_BYTES;

fn same(a: &PinSet, b: &PinSet, context: &str) {
    let left: Vec<&PinEntry> = a.entries().collect();
    let right: Vec<&PinEntry> = b.entries().collect();
    assert_eq!(left, right, "entries differ after {context}");
    assert_eq!(
        a.globally_denied_pins(),
        b.globally_denied_pins(),
        "global deny pins differ after {context}"
    );
    assert_eq!(
        a.unpinned_host_policy(),
        b.unpinned_host_policy(),
        "unpinned host policy differs after {context}"
    );
}

fn round_trip(pins: &PinSet) {
    for format in [ConfigFormat::Toml, ConfigFormat::Json] {
        let Ok(text) = config::to_string(pins, format) else {
            continue;
        };
        let back = config::parse(&text, format)
            .unwrap_or_else(|error| panic!("written {format} does not parse: {error}\n{text}"));
        same(pins, &back, &format!("a {format} round trip:\n{text}"));
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match selector % 5 {
        0 => {
            if let Ok(pins) = config::parse(text, ConfigFormat::Toml) {
                round_trip(&pins);
            }
        }
        1 => {
            if let Ok(pins) = config::parse(text, ConfigFormat::Json) {
                round_trip(&pins);
            }
        }
        2 | 3 => {
            let parsed = if selector % 5 == 2 {
                config::parse_android(text, "fuzz.xml")
            } else {
                config::parse_android_allowing_missing_backup(text, "fuzz.xml")
            };
            // The size bound is checked first and says exactly how large the input was.
            match &parsed {
                Err(ConfigError::TooLarge { size, limit, .. }) => {
                    assert_eq!((*size, *limit), (text.len(), ANDROID_MAX_BYTES));
                }
                _ => assert!(text.len() <= ANDROID_MAX_BYTES, "{} bytes read", text.len()),
            }
            if let Ok(pins) = parsed {
                round_trip(&pins);
                if let Ok(xml) = config::to_android_xml(&pins) {
                    let back = config::parse_android_allowing_missing_backup(&xml, "written.xml")
                        .unwrap_or_else(|error| {
                            panic!("written Android XML does not parse: {error}\n{xml}")
                        });
                    same(&pins, &back, &format!("an Android round trip:\n{xml}"));
                }
            }
        }
        _ => {
            let parsed = [HpkpPolicy::parse(text), HpkpPolicy::parse_report_only(text)];
            if text.len() > HpkpPolicy::MAX_HEADER_BYTES {
                let too_large = Err(HpkpError::TooLarge {
                    size: text.len(),
                    limit: HpkpPolicy::MAX_HEADER_BYTES,
                });
                assert!(parsed.iter().all(|result| *result == too_large));
            }
            for policy in parsed.into_iter().flatten() {
                let shown = policy.to_string();
                let back = if policy.is_report_only() {
                    HpkpPolicy::parse_report_only(&shown)
                } else {
                    HpkpPolicy::parse(&shown)
                }
                .unwrap_or_else(|error| panic!("{shown:?} does not parse: {error}"));
                assert_eq!(back, policy, "{shown:?} parses to a different policy");
            }
        }
    }
});
