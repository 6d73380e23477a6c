//! Android network security configuration conformance: the rules of Android's documentation
//! ("Network security configuration": `<domain-config>`, `<domain>`, `<pin-set>`, `<pin>`,
//! inheritance, overrides) and of its parser (`XmlConfigSource`) that the importer
//! (`config::parse_android`) claims, each with the test that checks it, or the README line
//! that says where the importer differs from Android and why.
//!
//! `CONFORMANCE` is the table; `every_row_names_a_test_that_exists` keeps it honest.
#![cfg(feature = "serde")]

use std::time::Duration;

use rustls::pki_types::UnixTime;
use rustls_pinning::config::{self, ConfigError};
use rustls_pinning::{AfterExpiry, Pin, PinSet, PinSetError};

enum Check {
    /// A test of this file.
    Test(&'static str),
    /// The README line that says what the importer does instead, and why.
    Readme(&'static str),
}

struct Row {
    /// Where Android says it: the documentation's element or section, or its parser.
    source: &'static str,
    rule: &'static str,
    check: Check,
}

use Check::{Readme, Test};

const fn row(source: &'static str, rule: &'static str, check: Check) -> Row {
    Row {
        source,
        rule,
        check,
    }
}

const CONFORMANCE: &[Row] = &[
    row("<network-security-config>", "can contain 0 or 1 <base-config>, any number of <domain-config>, 0 or 1 <debug-overrides>",
        Test("one_base_config_and_one_debug_overrides_at_most")),
    row("<domain-config>", "can contain 1 or more <domain>",
        Test("a_domain_config_needs_a_domain")),
    row("<domain-config>", "can contain 0 or 1 <trust-anchors>, 0 or 1 <pin-set>",
        Test("one_pin_set_and_one_trust_anchors_per_domain_config")),
    row("<domain-config>", "can contain any number of nested <domain-config>",
        Test("nested_configurations_inherit_the_pin_set_or_replace_it")),
    row("(limit)", "nesting is bounded: more than 32 levels of elements are refused (ConfigError::TooDeep)",
        Readme("Android import: configurations over 1 MiB, with more than 100 000 XML nodes or nested more than 32 elements deep are refused (`ConfigError::TooLarge`, `Syntax`, `TooDeep`); Android sets no such limits.")),
    row("<domain-config>", "if multiple domain-config elements cover a destination, the configuration with the most specific (longest) matching domain rule is used",
        Test("the_most_specific_domain_rule_wins")),
    row("<domain-config>", "(same) a more specific <domain-config> without a <pin-set> leaves its domain unpinned on Android",
        Readme("Android import: a `<domain>` whose configuration has no `<pin-set>` gets no entry, so a pinned parent with `includeSubdomains=\"true\"` still governs it, where Android would not pin it (the most specific rule wins there, pins or not). The policy has no \"not pinned\" entry; the importer errs on the side of pinning.")),
    row("<domain>", "includeSubdomains=\"true\": the rule matches the domain and all subdomains, including subdomains of subdomains; otherwise only exact matches",
        Test("include_subdomains_matches_the_domain_and_every_subdomain")),
    row("XmlConfigSource", "a domain named twice is refused, whatever includeSubdomains says",
        Test("a_domain_named_twice_is_refused")),
    row("XmlConfigSource", "domain names are trimmed and lower-cased; they are names, not patterns",
        Test("domain_names_are_names_not_patterns")),
    row("Configuration inheritance", "values not set in a domain-config are taken from the parent domain-config, if nested, or from the base-config if not",
        Test("nested_configurations_inherit_the_pin_set_or_replace_it")),
    row("XmlConfigSource", "<pin-set>, <domain> and nested <domain-config> are not allowed in <base-config> or <debug-overrides>",
        Test("pins_and_domains_belong_in_domain_config_only")),
    row("<pin-set>", "expiration: the date, in yyyy-MM-dd format, on which the pins expire, thus disabling pinning; if not set, the pins do not expire",
        Test("pins_expire_at_their_expiration_date")),
    row("<pin-set>", "(same) Android reads the date at midnight in the device's time zone, and its date parser is lenient",
        Readme("Android import: `expiration=\"yyyy-MM-dd\"` ends pinning at 00:00 UTC of that date, the same instant on every client; Android uses midnight in the device's time zone, hours earlier or later. The date must be exactly `yyyy-MM-dd`: forms Android's lenient parser also takes (`2030-1-1`, trailing text) are refused.")),
    row("<pin-set>", "one of the public keys in the chain of trust must be in the set of pins",
        Test("pins_are_spki_pins_matching_any_certificate_of_the_path")),
    row("<pin-set>", "(source) an empty <pin-set> disables pinning for its domains",
        Test("an_empty_pin_set_is_refused")),
    row("<pin-set>", "(same)",
        Readme("Android import: an empty `<pin-set>` (which switches pinning off on Android) is refused: the policy has no way to exempt a domain from a parent's pins, and an entry without pins would pin nothing.")),
    row("<pin>", "digest: currently, only \"SHA-256\" is supported (the parser compares it without regard to case)",
        Test("only_sha_256_digests_in_any_case")),
    row("<pin>", "base64 encoded digest of X.509 SubjectPublicKeyInfo (SPKI), 32 bytes for SHA-256",
        Test("a_pin_is_the_base64_of_32_bytes")),
    row("<pin>", "(source) Android's base64 decoder also takes unpadded and otherwise non-canonical text",
        Readme("Android import: `<pin>` values must be canonical, padded base64 of 32 bytes, as everywhere in the crate; Android's decoder also accepts unpadded or non-canonical text, which is refused here with the line of the pin.")),
    row("Pinning certificates", "you should always include a backup key",
        Test("a_single_pin_needs_the_named_opt_out")),
    row("<debug-overrides>", "applied when android:debuggable is true; completely ignored otherwise",
        Test("debug_overrides_never_change_the_pins")),
    row("<certificates overridePins>", "if true, pinning is not performed on chains signed by one of the CAs from this source",
        Test("trust_anchors_and_override_pins_are_not_read")),
    row("<certificates overridePins>", "(same)",
        Readme("Android import: trust anchors are not read, so `overridePins=\"true\"` and `<debug-overrides>` never switch pins off: pins apply to every chain, as in a release build whose trust anchors all keep `overridePins=\"false\"`.")),
    row("XmlConfigSource", "unknown elements are skipped",
        Test("unknown_elements_are_refused")),
    row("XmlConfigSource", "(same)",
        Readme("Android import: an element Android does not know (a misspelt `<pin-sett>`) is an error with its line, where Android skips it silently: a typo must not drop pins.")),
];

#[test]
fn every_row_names_a_test_that_exists() {
    let source = include_str!("android_nsc.rs");
    for row in CONFORMANCE {
        assert!(!row.source.is_empty() && !row.rule.is_empty());
        match row.check {
            Test(name) => assert!(
                source.contains(&format!("fn {name}()")),
                "{}: {name} is not a test",
                row.source
            ),
            Readme(line) => assert!(line.len() > 40, "{line}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn pin(byte: u8) -> Pin {
    Pin::spki_sha256([byte; 32])
}

fn pins_xml(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|byte| format!("<pin digest=\"SHA-256\">{}</pin>", pin(*byte).base64()))
        .collect()
}

/// A whole configuration around `body`.
fn nsc(body: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<network-security-config>\n{body}\n</network-security-config>\n")
}

fn parse(body: &str) -> Result<PinSet, ConfigError> {
    config::parse_android(&nsc(body), "nsc.xml")
}

/// The line and reason of a syntax error, or a failure naming what came instead.
fn syntax(body: &str) -> (usize, String) {
    match parse(body) {
        Err(ConfigError::Syntax {
            origin,
            line,
            reason,
            ..
        }) => {
            assert_eq!(origin, "nsc.xml");
            (line, reason)
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

fn allowed(set: &PinSet, host: &str) -> Option<Vec<Pin>> {
    set.lookup(host)
        .map(|entry| entry.allowed_pins().iter().map(|p| p.pin()).collect())
}

fn at(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(secs))
}

// ---------------------------------------------------------------------------------------------
// Structure
// ---------------------------------------------------------------------------------------------

#[test]
fn one_base_config_and_one_debug_overrides_at_most() {
    let pinned = format!(
        "<domain-config><domain>a.example</domain><pin-set>{}</pin-set></domain-config>",
        pins_xml(&[1, 2])
    );
    let one_each = format!("<base-config/>\n{pinned}\n<debug-overrides/>");
    assert_eq!(parse(&one_each).unwrap().len(), 1);
    let (line, reason) = syntax(&format!("<base-config/>\n{pinned}\n<base-config/>"));
    assert_eq!(line, 5);
    assert_eq!(
        reason,
        "only one <base-config> is allowed (Android refuses a second)"
    );
    let (line, reason) = syntax(&format!("<debug-overrides/>\n<debug-overrides/>\n{pinned}"));
    assert_eq!(line, 4);
    assert_eq!(
        reason,
        "only one <debug-overrides> is allowed (Android refuses a second)"
    );
}

#[test]
fn a_domain_config_needs_a_domain() {
    let (line, reason) = syntax(&format!(
        "<domain-config>\n<pin-set>{}</pin-set>\n</domain-config>",
        pins_xml(&[1, 2])
    ));
    assert_eq!(line, 3);
    assert_eq!(
        reason,
        "a <domain-config> needs at least one <domain> (Android refuses it)"
    );
    // Nested ones too.
    let (line, _) = syntax(&format!(
        "<domain-config><domain>a.example</domain><pin-set>{}</pin-set>\n<domain-config/>\n</domain-config>",
        pins_xml(&[1, 2])
    ));
    assert_eq!(line, 4);
}

#[test]
fn one_pin_set_and_one_trust_anchors_per_domain_config() {
    let (line, reason) = syntax(&format!(
        "<domain-config><domain>a.example</domain>\n<pin-set>{0}</pin-set>\n<pin-set>{0}</pin-set></domain-config>",
        pins_xml(&[1, 2])
    ));
    assert_eq!(line, 5);
    assert_eq!(reason, "a <domain-config> may have only one <pin-set>");
    let (line, reason) = syntax(&format!(
        "<domain-config><domain>a.example</domain><pin-set>{}</pin-set>\n<trust-anchors/>\n<trust-anchors/></domain-config>",
        pins_xml(&[1, 2])
    ));
    assert_eq!(line, 5);
    assert_eq!(
        reason,
        "a <domain-config> may have only one <trust-anchors>"
    );
    let (_, reason) = syntax("<base-config><trust-anchors/><trust-anchors/></base-config>");
    assert_eq!(
        reason,
        "only one <trust-anchors> is allowed in <base-config>"
    );
}

#[test]
fn pins_and_domains_belong_in_domain_config_only() {
    for (body, reason) in [
        (
            format!("<base-config><pin-set>{}</pin-set></base-config>", pins_xml(&[1, 2])),
            "<pin-set> is only allowed inside <domain-config>",
        ),
        (
            format!("<debug-overrides><pin-set>{}</pin-set></debug-overrides>", pins_xml(&[1, 2])),
            "<pin-set> is only allowed inside <domain-config>",
        ),
        (
            "<base-config><domain>a.example</domain></base-config>".to_owned(),
            "<domain> is not allowed in <base-config>",
        ),
        (
            "<debug-overrides><domain-config><domain>a.example</domain></domain-config></debug-overrides>"
                .to_owned(),
            "<domain-config> is not allowed in <debug-overrides>",
        ),
    ] {
        assert_eq!(syntax(&body), (3, reason.to_owned()), "{body}");
    }
}

#[test]
fn unknown_elements_are_refused() {
    for (body, reason) in [
        (
            "<domain-configs/>",
            "unexpected <domain-configs> in <network-security-config>",
        ),
        (
            "<domain-config><domain>a.example</domain><pin-sett/></domain-config>",
            "unexpected <pin-sett> in <domain-config>",
        ),
        (
            "<domain-config><domain>a.example</domain><pin-set><pins/></pin-set></domain-config>",
            "unexpected <pins> in <pin-set>",
        ),
    ] {
        assert_eq!(syntax(body), (3, reason.to_owned()), "{body}");
    }
}

// ---------------------------------------------------------------------------------------------
// Domains, nesting and inheritance
// ---------------------------------------------------------------------------------------------

#[test]
fn include_subdomains_matches_the_domain_and_every_subdomain() {
    let set = parse(&format!(
        "<domain-config><domain includeSubdomains=\"true\">example.com</domain>\
         <domain includeSubdomains=\"false\">exact.example.org</domain>\
         <domain>plain.example.net</domain><pin-set>{}</pin-set></domain-config>",
        pins_xml(&[1, 2])
    ))
    .unwrap();
    for host in ["example.com", "www.example.com", "a.b.c.example.com"] {
        assert_eq!(allowed(&set, host), Some(vec![pin(1), pin(2)]), "{host}");
    }
    assert!(set.lookup("notexample.com").is_none());
    assert!(set.lookup("exact.example.org").is_some());
    assert!(set.lookup("www.exact.example.org").is_none());
    assert!(set.lookup("plain.example.net").is_some());
    assert!(set.lookup("www.plain.example.net").is_none());
    let (_, reason) =
        syntax("<domain-config><domain includeSubdomains=\"1\">a.example</domain></domain-config>");
    assert_eq!(
        reason,
        "includeSubdomains must be \"true\" or \"false\", not \"1\""
    );
}

#[test]
fn the_most_specific_domain_rule_wins() {
    let set = parse(&format!(
        "<domain-config><domain includeSubdomains=\"true\">example.com</domain><pin-set>{}</pin-set></domain-config>\
         <domain-config><domain includeSubdomains=\"true\">api.example.com</domain><pin-set>{}</pin-set></domain-config>\
         <domain-config><domain>v1.api.example.com</domain><pin-set>{}</pin-set></domain-config>",
        pins_xml(&[1, 2]),
        pins_xml(&[3, 4]),
        pins_xml(&[5, 6])
    ))
    .unwrap();
    assert_eq!(allowed(&set, "www.example.com"), Some(vec![pin(1), pin(2)]));
    assert_eq!(allowed(&set, "api.example.com"), Some(vec![pin(3), pin(4)]));
    assert_eq!(
        allowed(&set, "x.api.example.com"),
        Some(vec![pin(3), pin(4)])
    );
    assert_eq!(
        allowed(&set, "v1.api.example.com"),
        Some(vec![pin(5), pin(6)])
    );
    assert_eq!(
        allowed(&set, "a.v1.api.example.com"),
        Some(vec![pin(3), pin(4)])
    );
    // Where Android differs (README): a more specific configuration without pins does not
    // exempt its domain from a pinned parent here.
    let set = parse(&format!(
        "<domain-config><domain includeSubdomains=\"true\">example.com</domain><pin-set>{}</pin-set></domain-config>\
         <domain-config><domain>cdn.example.com</domain></domain-config>",
        pins_xml(&[1, 2])
    ))
    .unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(allowed(&set, "cdn.example.com"), Some(vec![pin(1), pin(2)]));
}

#[test]
fn nested_configurations_inherit_the_pin_set_or_replace_it() {
    let set = parse(&format!(
        "<domain-config><domain includeSubdomains=\"true\">example.com</domain>\
           <pin-set expiration=\"2030-01-01\">{}</pin-set>\
           <domain-config cleartextTrafficPermitted=\"false\"><domain>inherits.example.com</domain>\
             <domain-config><domain>deeper.example.com</domain></domain-config>\
           </domain-config>\
           <domain-config><domain>replaces.example.com</domain><pin-set>{}</pin-set>\
             <domain-config><domain>deeper.replaces.example.com</domain></domain-config>\
           </domain-config>\
         </domain-config>",
        pins_xml(&[1, 2]),
        pins_xml(&[3, 4])
    ))
    .unwrap();
    assert_eq!(set.len(), 5);
    let parent_expiry = Some(at(1_893_456_000));
    for host in ["inherits.example.com", "deeper.example.com"] {
        let entry = set.lookup(host).unwrap();
        assert_eq!(entry.pattern().to_string(), host, "exact, its own entry");
        assert_eq!(allowed(&set, host), Some(vec![pin(1), pin(2)]), "{host}");
        // The whole pin set is inherited, expiration included.
        assert_eq!(entry.expires_at(), parent_expiry, "{host}");
    }
    for host in ["replaces.example.com", "deeper.replaces.example.com"] {
        // Replaced, not merged with the parent's pins; no expiration of its own.
        assert_eq!(allowed(&set, host), Some(vec![pin(3), pin(4)]), "{host}");
        assert_eq!(set.lookup(host).unwrap().expires_at(), None, "{host}");
    }
}

#[test]
fn a_domain_named_twice_is_refused() {
    // With and without includeSubdomains: Android refuses the configuration.
    let (line, reason) = syntax(&format!(
        "<domain-config><domain includeSubdomains=\"true\">example.com</domain><pin-set>{}</pin-set></domain-config>\n\
         <domain-config><domain>Example.COM</domain><pin-set>{}</pin-set></domain-config>",
        pins_xml(&[1, 2]),
        pins_xml(&[3, 4])
    ));
    assert_eq!(line, 4);
    assert_eq!(
        reason,
        "<domain> \"Example.COM\" is already given at line 3: Android refuses a domain named \
         twice, with or without includeSubdomains"
    );
    // Twice where one has no pins.
    let (line, _) = syntax(&format!(
        "<domain-config><domain>a.example</domain></domain-config>\n\
         <domain-config><domain>a.example</domain><pin-set>{}</pin-set></domain-config>",
        pins_xml(&[1, 2])
    ));
    assert_eq!(line, 4);
    // Twice with the same setting and pins on both: the set's duplicate entry, at the second.
    match parse(&format!(
        "<domain-config><domain>a.example</domain><pin-set>{0}</pin-set></domain-config>\n\
         <domain-config><domain>a.example</domain><pin-set>{0}</pin-set></domain-config>",
        pins_xml(&[1, 2])
    )) {
        Err(ConfigError::Invalid { line, source, .. }) => {
            assert_eq!(line, Some(4));
            assert!(matches!(*source, PinSetError::DuplicatePattern { .. }));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn domain_names_are_names_not_patterns() {
    let set = parse(&format!(
        "<domain-config><domain>\n  API.Example.COM  \n</domain><pin-set>{}</pin-set></domain-config>",
        pins_xml(&[1, 2])
    ))
    .unwrap();
    assert_eq!(
        set.entries().next().unwrap().pattern().to_string(),
        "api.example.com"
    );
    for name in ["*.example.com", "**.example.com", "a*.example.com"] {
        let (line, reason) = syntax(&format!(
            "<domain-config><domain>{name}</domain><pin-set>{}</pin-set></domain-config>",
            pins_xml(&[1, 2])
        ));
        assert_eq!(line, 3);
        assert_eq!(
            reason,
            format!(
                "<domain>: {name:?} is not a domain name: Android reads no wildcards in \
                 <domain>; write the parent domain with includeSubdomains=\"true\""
            )
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Pin sets and pins
// ---------------------------------------------------------------------------------------------

#[test]
fn pins_expire_at_their_expiration_date() {
    let set = parse(&format!(
        "<domain-config><domain>a.example</domain><pin-set expiration=\"2030-01-01\">{}</pin-set></domain-config>\
         <domain-config><domain>b.example</domain><pin-set>{}</pin-set></domain-config>",
        pins_xml(&[1, 2]),
        pins_xml(&[3, 4])
    ))
    .unwrap();
    let expiring = set.lookup("a.example").unwrap();
    // 2030-01-01T00:00:00Z; then pinning is off (the entry is skipped), as on Android.
    assert_eq!(expiring.expires_at(), Some(at(1_893_456_000)));
    assert_eq!(expiring.after_expiry(), AfterExpiry::Skip);
    assert!(!expiring.is_expired_at(at(1_893_455_999)));
    assert!(expiring.is_expired_at(at(1_893_456_000)));
    assert_eq!(set.lookup("b.example").unwrap().expires_at(), None);
    for (date, reason) in [
        (
            "2030-1-1",
            "expiration: invalid date \"2030-1-1\": expected YYYY-MM-DD",
        ),
        (
            "2030-01-01x",
            "expiration: invalid date \"2030-01-01x\": expected YYYY-MM-DD",
        ),
        (
            "2030-02-30",
            "expiration: invalid date \"2030-02-30\": no such day",
        ),
    ] {
        let (_, found) = syntax(&format!(
            "<domain-config><domain>a.example</domain><pin-set expiration=\"{date}\">{}</pin-set></domain-config>",
            pins_xml(&[1, 2])
        ));
        assert_eq!(found, reason);
    }
}

#[test]
fn pins_are_spki_pins_matching_any_certificate_of_the_path() {
    let set = parse(&format!(
        "<domain-config><domain>a.example</domain><pin-set>{}</pin-set></domain-config>",
        pins_xml(&[1, 2])
    ))
    .unwrap();
    for scoped in set.lookup("a.example").unwrap().allowed_pins() {
        assert_eq!(scoped.pin().kind(), rustls_pinning::PinKind::Spki);
        assert_eq!(scoped.scope(), rustls_pinning::PinScope::Any);
    }
}

#[test]
fn an_empty_pin_set_is_refused() {
    match parse("<domain-config><domain>a.example</domain><pin-set/></domain-config>") {
        Err(ConfigError::Invalid { line, source, .. }) => {
            assert_eq!(line, Some(3));
            assert!(
                matches!(*source, PinSetError::EmptyEntry { .. }),
                "{source}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn only_sha_256_digests_in_any_case() {
    for digest in ["SHA-256", "sha-256", "Sha-256"] {
        let set = parse(&format!(
            "<domain-config><domain>a.example</domain><pin-set>{}</pin-set></domain-config>",
            pins_xml(&[1, 2]).replace("SHA-256", digest)
        ))
        .unwrap();
        assert_eq!(
            allowed(&set, "a.example"),
            Some(vec![pin(1), pin(2)]),
            "{digest}"
        );
    }
    for digest in ["SHA-1", "SHA-512", "SHA256", "sha-256 "] {
        let (_, reason) = syntax(&format!(
            "<domain-config><domain>a.example</domain><pin-set>{}</pin-set></domain-config>",
            pins_xml(&[1, 2]).replace("SHA-256", digest)
        ));
        assert_eq!(
            reason,
            format!("digest {digest:?} is not supported: Android and this crate use \"SHA-256\"")
        );
    }
}

#[test]
fn a_pin_is_the_base64_of_32_bytes() {
    let set = parse(&format!(
        "<domain-config><domain>a.example</domain><pin-set><pin digest=\"SHA-256\">\n  {}\n</pin>{}</pin-set></domain-config>",
        pin(1).base64(),
        pins_xml(&[2])
    ))
    .unwrap();
    assert_eq!(allowed(&set, "a.example"), Some(vec![pin(1), pin(2)]));
    for value in [
        "AAAA",
        "r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E",
        "not base64",
    ] {
        let (line, reason) = syntax(&format!(
            "<domain-config><domain>a.example</domain><pin-set><pin digest=\"SHA-256\">{value}</pin>{}</pin-set></domain-config>",
            pins_xml(&[2])
        ));
        assert_eq!(line, 3);
        assert!(reason.contains(&format!("sha256/{value}")), "{reason}");
    }
}

#[test]
fn a_single_pin_needs_the_named_opt_out() {
    let body = format!(
        "<domain-config><domain>a.example</domain><pin-set>{}</pin-set></domain-config>",
        pins_xml(&[1])
    );
    match parse(&body) {
        Err(ConfigError::Invalid { line, source, .. }) => {
            assert_eq!(line, Some(3));
            assert!(matches!(*source, PinSetError::MissingBackupPin { .. }));
        }
        other => panic!("{other:?}"),
    }
    let set = config::parse_android_allowing_missing_backup(&nsc(&body), "nsc.xml").unwrap();
    assert_eq!(allowed(&set, "a.example"), Some(vec![pin(1)]));
}

#[test]
fn debug_overrides_never_change_the_pins() {
    let pinned = format!(
        "<domain-config><domain>a.example</domain><pin-set>{}</pin-set></domain-config>",
        pins_xml(&[1, 2])
    );
    let with_overrides = parse(&format!(
        "{pinned}<debug-overrides><trust-anchors><certificates src=\"user\" overridePins=\"true\"/></trust-anchors></debug-overrides>"
    ))
    .unwrap();
    let without = parse(&pinned).unwrap();
    assert_eq!(
        with_overrides.entries().collect::<Vec<_>>(),
        without.entries().collect::<Vec<_>>()
    );
}

#[test]
fn trust_anchors_and_override_pins_are_not_read() {
    let set = parse(&format!(
        "<base-config><trust-anchors><certificates src=\"system\" overridePins=\"true\"/></trust-anchors></base-config>\
         <domain-config><domain>a.example</domain>\
         <trust-anchors><certificates src=\"@raw/my_ca\" overridePins=\"true\"/></trust-anchors>\
         <pin-set>{}</pin-set></domain-config>",
        pins_xml(&[1, 2])
    ))
    .unwrap();
    let entry = set.lookup("a.example").unwrap();
    assert_eq!(allowed(&set, "a.example"), Some(vec![pin(1), pin(2)]));
    assert_eq!(entry.mode(), rustls_pinning::EnforcementMode::Enforce);
}
