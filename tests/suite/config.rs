//! Policy files (TOML, JSON), RFC 7469 headers and Android network security configurations:
//! what each accepts, the error (with its location) for what it refuses, and round trips.

#![cfg(feature = "serde")]

use std::time::Duration;

use rustls::pki_types::UnixTime;
use rustls_pinning::config::{self, ConfigError, ConfigFormat};
use rustls_pinning::{
    AfterExpiry, EnforcementMode, HpkpError, HpkpPolicy, Pin, PinEntry, PinScope, PinSet,
    PinSetError, ScopedPin, UnpinnedHostPolicy,
};

fn pin(byte: u8) -> Pin {
    Pin::spki_sha256([byte; 32])
}

fn scoped(byte: u8, scope: PinScope) -> ScopedPin {
    ScopedPin::new(pin(byte), scope)
}

fn at(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(secs))
}

/// A set using every option the builders have.
fn everything() -> PinSet {
    PinSet::builder()
        .entry(
            PinEntry::builder("**.api.example.com".parse().unwrap())
                .pin(pin(1))
                .pin_at(pin(2), PinScope::Intermediate)
                .backup_pin(pin(3))
                .backup_pin_at(pin(4), PinScope::Root)
                .deny(pin(5))
                .deny_at(Pin::certificate_sha256([6; 32]), PinScope::Leaf)
                .expires_on("2027-06-30".parse().unwrap())
                .after_expiry(AfterExpiry::KeepEnforcing),
        )
        .entry(
            PinEntry::builder("*.edge.example.com".parse().unwrap())
                .pin(pin(7))
                .report_only()
                .expires_at(at(1_900_000_123)),
        )
        .entry(
            PinEntry::builder("[2001:db8::1]".parse().unwrap())
                .pin(Pin::certificate_sha256([8; 32]))
                .allow_missing_backup_pin(),
        )
        .entry(PinEntry::builder("deny-only.example.com".parse().unwrap()).deny(pin(9)))
        .deny_everywhere(pin(10))
        .deny_everywhere_at(pin(11), PinScope::Root)
        .unpinned_hosts(UnpinnedHostPolicy::Reject)
        .build()
        .unwrap()
}

fn assert_same_set(left: &PinSet, right: &PinSet) {
    assert_eq!(
        left.entries().collect::<Vec<_>>(),
        right.entries().collect::<Vec<_>>()
    );
    assert_eq!(left.globally_denied_pins(), right.globally_denied_pins());
    assert_eq!(left.unpinned_host_policy(), right.unpinned_host_policy());
}

// ---------------------------------------------------------------------------------------------
// TOML and JSON
// ---------------------------------------------------------------------------------------------

#[test]
fn every_option_survives_a_round_trip_through_both_formats() {
    let set = everything();
    for format in [ConfigFormat::Toml, ConfigFormat::Json] {
        let text = config::to_string(&set, format).unwrap();
        let back = config::parse(&text, format).unwrap_or_else(|e| panic!("{format}: {e}\n{text}"));
        assert_same_set(&set, &back);
        // And again: writing what was read gives the same text.
        assert_eq!(config::to_string(&back, format).unwrap(), text, "{format}");
    }
}

#[test]
fn files_are_saved_and_loaded_by_extension() {
    let directory =
        std::env::temp_dir().join(format!("rustls-pinning-config-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let set = everything();
    for name in ["pins.toml", "pins.json"] {
        let path = directory.join(name);
        config::save(&set, &path).unwrap();
        assert_same_set(&set, &config::load(&path).unwrap());
    }
    let error = config::save(&set, directory.join("pins.yaml")).unwrap_err();
    assert!(
        matches!(error, ConfigError::UnknownFormat { .. }),
        "{error}"
    );
    let missing = directory.join("missing.toml");
    let error = config::load(&missing).unwrap_err();
    assert!(matches!(error, ConfigError::Io { .. }), "{error}");
    assert!(
        error
            .to_string()
            .starts_with(&missing.display().to_string()),
        "{error}"
    );
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn the_shipped_example_file_loads_with_every_field_applied() {
    let pins = config::load(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/pins.toml")).unwrap();
    assert_eq!(pins.len(), 3);
    assert_eq!(pins.unpinned_host_policy(), UnpinnedHostPolicy::WebPkiOnly);
    assert_eq!(pins.globally_denied_pins().len(), 1);

    let api = pins.lookup("v2.api.example.com").unwrap();
    assert_eq!(api.primary_pins().len(), 2);
    assert_eq!(api.primary_pins()[1].scope(), PinScope::Intermediate);
    assert_eq!(api.backup_pins().len(), 1);
    assert_eq!(
        api.expires_at(),
        Some(
            "2027-06-30"
                .parse::<rustls_pinning::Date>()
                .unwrap()
                .to_unix_time()
        )
    );

    let edge = pins.lookup("cdn.edge.example.com").unwrap();
    assert_eq!(edge.mode(), EnforcementMode::ReportOnly);

    let device = pins.lookup("10.0.0.7").unwrap();
    assert_eq!(device.after_expiry(), AfterExpiry::KeepEnforcing);
    assert_eq!(device.denied_pins().len(), 1);
    assert_eq!(device.backup_pins()[0].scope(), PinScope::Root);
}

#[test]
fn json_uses_the_same_fields() {
    let json = r#"{
        "version": 1,
        "unpinned_hosts": "reject",
        "entry": [
            {"pattern": "a.example", "pins": ["sha256/AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="],
             "backup_pins": [{"pin": "sha256/AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=", "scope": "root"}],
             "mode": "report-only", "expires": "2030-01-01T12:30:00Z", "after_expiry": "skip"}
        ]
    }"#;
    let set = config::parse(json, ConfigFormat::Json).unwrap();
    let entry = set.lookup("a.example").unwrap();
    assert_eq!(entry.primary_pins(), [scoped(1, PinScope::Any)]);
    assert_eq!(entry.backup_pins(), [scoped(2, PinScope::Root)]);
    assert_eq!(entry.mode(), EnforcementMode::ReportOnly);
    assert_eq!(
        entry.expires_at(),
        Some(at(1_893_456_000 + 12 * 3600 + 1800))
    );
    assert_eq!(set.unpinned_host_policy(), UnpinnedHostPolicy::Reject);
}

/// 9999-12-31T23:59:59Z, the last time RFC 3339 (four-digit years) can write.
const LAST_WRITABLE_SECOND: u64 = 253_402_300_799;

fn expiring_at(secs: u64) -> PinSet {
    PinSet::builder()
        .entry(
            PinEntry::builder("a.example".parse().unwrap())
                .pin(pin(1))
                .pin(pin(2))
                .expires_at(at(secs)),
        )
        .build()
        .unwrap()
}

#[test]
fn an_expiry_after_the_year_9999_is_refused_rather_than_written_wrong() {
    // Regression: midnight of 10000-01-01 was written as the date 9999-12-31 (a day earlier,
    // silently), and later times with a five-digit year that loading then refused.
    let last = expiring_at(LAST_WRITABLE_SECOND);
    for format in [ConfigFormat::Toml, ConfigFormat::Json] {
        let text = config::to_string(&last, format).unwrap();
        assert!(text.contains("9999-12-31T23:59:59Z"), "{text}");
        assert_same_set(&last, &config::parse(&text, format).unwrap());

        for secs in [
            LAST_WRITABLE_SECOND + 1,
            LAST_WRITABLE_SECOND + 2,
            300_000_000_000,
            u64::MAX,
        ] {
            match config::to_string(&expiring_at(secs), format) {
                Err(error @ ConfigError::NotExpressible { .. }) => {
                    assert_eq!(
                        error.to_string(),
                        format!(
                            "entry \"a.example\" cannot be written as a {format} policy file: it \
                             expires after 9999-12-31T23:59:59Z, the last time a policy file can \
                             name"
                        )
                    );
                }
                other => panic!("{format} {secs}: {other:?}"),
            }
        }
    }
    // An RFC 7469 header with a huge max-age makes such an entry.
    let header = HpkpPolicy::parse(
        "pin-sha256=\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\"; \
         pin-sha256=\"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\"; max-age=18446744073709551615",
    )
    .unwrap();
    let imported = PinSet::builder()
        .entry(
            header
                .to_entry("a.example".parse().unwrap(), at(1_800_000_000))
                .unwrap(),
        )
        .build()
        .unwrap();
    // An imported expiry is capped at the last second RFC 3339 can write (RFC 7469 lets
    // clients cap max-age), so the imported set can be saved and read back.
    let written = config::to_string(&imported, ConfigFormat::Toml).unwrap();
    assert!(
        written.contains("expires = \"9999-12-31T23:59:59Z\""),
        "{written}"
    );
    assert_eq!(
        imported.lookup("a.example").unwrap().expires_at(),
        Some(at(253_402_300_799))
    );
}

/// Parses `text` as TOML named `pins.toml` and returns the error's text.
fn toml_error(text: &str) -> (ConfigError, String) {
    let error = config::parse_named(text, ConfigFormat::Toml, "pins.toml").unwrap_err();
    let shown = error.to_string();
    (error, shown)
}

const PIN_1: &str = "sha256/AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
const PIN_2: &str = "sha256/AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

#[test]
fn malformed_files_name_the_file_line_and_reason() {
    let cases: &[(&str, &str)] = &[
        // (text, expected error text)
        ("[[entry]\n", "pins.toml:1:"),
        (
            "[[entry]]\npattern = \"a.example\"\npins = [\"sha256/abc\"]\n",
            "pins.toml:3:9: pin \"sha256/abc\"",
        ),
        (
            "[[entry]]\npattern = \"a.example\"\npinz = []\n",
            "pins.toml:3:1: unknown field `pinz`",
        ),
        (
            "[[entry]]\npattern = \"*.com\"\n",
            "pins.toml:2:11: ",
        ),
        (
            &*Box::leak(format!("[[entry]]\npattern = \"a.example\"\npins = [{{ pin = \"{PIN_1}\", scope = \"middle\" }}]\n").into_boxed_str()),
            "unknown value \"middle\", expected one of \"any\", \"leaf\", \"intermediate\", \"root\"",
        ),
        (
            &*Box::leak(format!("[[entry]]\npattern = \"a.example\"\npins = [\"{PIN_1}\", \"{PIN_2}\"]\nexpires = 2027-01-01\n").into_boxed_str()),
            "pins.toml:4:11: invalid type",
        ),
        (
            &*Box::leak(format!("[[entry]]\npattern = \"a.example\"\npins = [\"{PIN_1}\", \"{PIN_2}\"]\nexpires = \"2027-02-30\"\n").into_boxed_str()),
            "pins.toml:4:11: invalid date \"2027-02-30\": no such day",
        ),
        (
            &*Box::leak(format!("[[entry]]\npattern = \"a.example\"\npins = [\"{PIN_1}\", \"{PIN_2}\"]\nmode = \"audit\"\n").into_boxed_str()),
            "pins.toml:4:8: unknown value \"audit\"",
        ),
        ("version = 2\n", "pins.toml: version 2 is not supported"),
        ("unpinned_hosts = \"maybe\"\n", "pins.toml:1:18: unknown value \"maybe\""),
    ];
    for (text, expected) in cases {
        let (error, shown) = toml_error(text);
        assert!(
            shown.starts_with(expected) || shown.contains(expected),
            "{text:?}\n  got: {shown}\n  expected: {expected}"
        );
        assert!(
            matches!(
                error,
                ConfigError::Syntax { .. } | ConfigError::UnsupportedVersion { .. }
            ),
            "{shown}"
        );
    }
}

/// The line of an `Invalid` error, and that it is one.
fn invalid_at(error: &ConfigError) -> Option<(Option<usize>, bool)> {
    match error {
        ConfigError::Invalid { line, .. } => Some((*line, true)),
        _ => None,
    }
}

/// The builder's reason inside an `Invalid` error.
fn refusal(error: &ConfigError) -> Option<&PinSetError> {
    match error {
        ConfigError::Invalid { source, .. } => Some(source),
        _ => None,
    }
}

#[test]
fn what_the_builder_refuses_is_reported_at_the_entry_that_has_it() {
    let lonely = format!(
        "version = 1\n# comment\n[[entry]]\npattern = \"ok.example\"\npins = [\"{PIN_1}\", \"{PIN_2}\"]\n\n[[entry]]\npattern = \"lonely.example\"\npins = [\"{PIN_1}\"]\n"
    );
    let (error, shown) = toml_error(&lonely);
    match error {
        ConfigError::Invalid {
            line,
            field,
            source,
            ..
        } => {
            assert_eq!(line, Some(8), "{shown}");
            assert_eq!(field, "entry[1] \"lonely.example\"");
            assert_eq!(
                *source,
                PinSetError::MissingBackupPin {
                    pattern: "lonely.example".parse().unwrap()
                }
            );
        }
        other => panic!("expected Invalid, got {other}"),
    }
    assert!(shown.starts_with("pins.toml:8: entry[1] \"lonely.example\": entry \"lonely.example\" has one allowed pin"), "{shown}");

    // A duplicate is reported where it appears the second time, even spelled differently.
    let duplicate = format!(
        "version = 1\n[[entry]]\npattern = \"a.example\"\npins = [\"{PIN_1}\", \"{PIN_2}\"]\n[[entry]]\npattern = \"A.Example.\"\npins = [\"{PIN_1}\", \"{PIN_2}\"]\n"
    );
    let (error, shown) = toml_error(&duplicate);
    assert_eq!(invalid_at(&error), Some((Some(6), true)), "{shown}");
    assert!(
        matches!(refusal(&error), Some(PinSetError::DuplicatePattern { .. })),
        "{shown}"
    );

    let contradiction = format!(
        "version = 1\ndeny_everywhere = [\"{PIN_1}\"]\n[[entry]]\npattern = 'a.example'\npins = [\"{PIN_1}\", \"{PIN_2}\"]\n"
    );
    let (error, shown) = toml_error(&contradiction);
    assert_eq!(invalid_at(&error), Some((Some(4), true)), "{shown}");
    assert!(
        matches!(
            refusal(&error),
            Some(PinSetError::PinAllowedAndDeniedEverywhere { .. })
        ),
        "{shown}"
    );

    let backup_only =
        format!("version = 1\n[[entry]]\npattern = \"a.example\"\nbackup_pins = [\"{PIN_1}\", \"{PIN_2}\"]\n");
    let (error, shown) = toml_error(&backup_only);
    assert_eq!(invalid_at(&error), Some((Some(3), true)), "{shown}");
    assert!(
        matches!(
            refusal(&error),
            Some(PinSetError::BackupWithoutPrimaryPin { .. })
        ),
        "{shown}"
    );

    let empty = "version = 1\n[[entry]]\npattern = \"a.example\"\n";
    let (error, shown) = toml_error(empty);
    assert_eq!(invalid_at(&error), Some((Some(3), true)), "{shown}");
    assert!(
        matches!(refusal(&error), Some(PinSetError::EmptyEntry { .. })),
        "{shown}"
    );
}

#[test]
fn malformed_json_names_line_and_column() {
    let cases: &[(&str, usize, usize)] = &[
        ("{\n  \"entry\": [\n    {\"pattern\": \"a.example\", \"pins\": [\"sha256/abc\"]}\n  ]\n}", 3, 0),
        ("{\"entry\": [{\"pattern\": \"a.example\", \"bogus\": 1}]}", 1, 0),
        ("{\"entry\": ", 1, 0),
        ("[1, 2]", 1, 0),
    ];
    for (text, line, _) in cases {
        let error = config::parse_named(text, ConfigFormat::Json, "pins.json").unwrap_err();
        match &error {
            ConfigError::Syntax {
                origin,
                line: found,
                column,
                reason,
            } => {
                assert_eq!(origin, "pins.json");
                assert_eq!(found, line, "{text:?}: {error}");
                assert!(*column >= 1);
                assert!(!reason.contains(" at line "), "{reason}");
            }
            other => panic!("{text:?}: expected a syntax error, got {other}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 7469 headers
// ---------------------------------------------------------------------------------------------

#[test]
fn hpkp_headers_import_with_the_rfc_rules() {
    let now = at(1_800_000_000);
    let header = format!(
        "Pin-SHA256=\"{}\"; pin-sha256=\"{}\"; MAX-AGE=3600; includeSubDomains; report-uri=\"https://r.example/x\"; future-directive=7; pin-sha512=\"ignored\"",
        pin(1).base64(),
        pin(2).base64()
    );
    let policy = HpkpPolicy::parse(&header).unwrap();
    assert_eq!(policy.pins(), [pin(1), pin(2)]);
    assert_eq!(policy.max_age(), Duration::from_secs(3600));
    assert!(policy.include_subdomains());
    assert_eq!(policy.report_uri(), Some("https://r.example/x"));
    let set = PinSet::builder()
        .entry(
            policy
                .to_entry("example.com".parse().unwrap(), now)
                .unwrap(),
        )
        .build()
        .unwrap();
    let entry = set.lookup("deep.www.example.com").unwrap();
    assert_eq!(entry.pattern().to_string(), "**.example.com");
    assert_eq!(entry.expires_at(), Some(at(1_800_003_600)));
    assert_eq!(entry.after_expiry(), AfterExpiry::Skip);
    assert_eq!(entry.mode(), EnforcementMode::Enforce);

    let report_only =
        HpkpPolicy::parse_report_only(&format!("pin-sha256=\"{}\"; max-age=10", pin(1).base64()))
            .unwrap();
    let entry = report_only
        .to_entry("example.com".parse().unwrap(), now)
        .unwrap();
    let set = PinSet::builder().entry(entry).build().unwrap();
    assert_eq!(
        set.lookup("example.com").unwrap().mode(),
        EnforcementMode::ReportOnly
    );
    assert!(set.lookup("www.example.com").is_none());
}

#[test]
fn max_age_zero_means_not_pinned() {
    let policy =
        HpkpPolicy::parse(&format!("pin-sha256=\"{}\"; max-age=0", pin(1).base64())).unwrap();
    assert!(policy
        .to_entry("example.com".parse().unwrap(), at(0))
        .is_none());
}

#[test]
fn malformed_hpkp_headers_are_refused_with_the_reason() {
    let p1 = pin(1).base64();
    let cases: Vec<(String, HpkpError)> = vec![
        (format!("pin-sha256=\"{p1}\""), HpkpError::MissingMaxAge),
        ("max-age=10".to_owned(), HpkpError::NoPins),
        (
            "max-age=10; pin-sha1=\"AAAA\"".to_owned(),
            HpkpError::NoPins,
        ),
        (
            format!("pin-sha256=\"{p1}\"; max-age=10; max-age=20"),
            HpkpError::DuplicateDirective {
                directive: "max-age".into(),
            },
        ),
        (
            format!("pin-sha256=\"{p1}\"; max-age=1; includeSubDomains; includesubdomains"),
            HpkpError::DuplicateDirective {
                directive: "includesubdomains".into(),
            },
        ),
    ];
    for (header, expected) in cases {
        assert_eq!(HpkpPolicy::parse(&header), Err(expected), "{header}");
    }
    let invalid: &[(String, &str, &str)] = &[
        (
            format!("pin-sha256={p1}; max-age=10"),
            "pin-sha256",
            "quoted",
        ),
        (
            format!("pin-sha256=\"{p1}\"; max-age=ten"),
            "max-age",
            "number of seconds",
        ),
        (
            format!("pin-sha256=\"{p1}\"; max-age=-1"),
            "max-age",
            "number of seconds",
        ),
        (
            format!("pin-sha256=\"{p1}\"; max-age"),
            "max-age",
            "number of seconds",
        ),
        (
            "pin-sha256=\"AAAA\"; max-age=10".to_owned(),
            "pin-sha256",
            "sha256/AAAA",
        ),
        (
            format!("pin-sha256=\"{p1}; max-age=10"),
            "pin-sha256",
            "unterminated",
        ),
        (
            format!("pin-sha256=\"{p1}\" max-age=10"),
            "pin-sha256",
            "expected ';'",
        ),
        (
            format!("pin-sha256=\"{p1}\"; max-age=10; report-uri=https://x"),
            "report-uri",
            "quoted",
        ),
        (
            format!("pin-sha256=\"{p1}\"; max-age=10; includeSubDomains=1"),
            "includesubdomains",
            "no value",
        ),
    ];
    for (header, directive, reason) in invalid {
        match HpkpPolicy::parse(header) {
            Err(HpkpError::InvalidDirective {
                directive: found,
                reason: text,
                ..
            }) => {
                assert_eq!(&found, directive, "{header}");
                assert!(text.contains(reason), "{header}: {text}");
            }
            other => panic!("{header}: {other:?}"),
        }
    }
}

#[test]
fn an_entry_is_written_as_a_header_and_read_back() {
    let now = at(1_800_000_000);
    let set = PinSet::builder()
        .entry(
            PinEntry::builder("**.example.com".parse().unwrap())
                .pin(pin(1))
                .backup_pin(pin(2))
                .expires_at(at(1_800_086_400)),
        )
        .build()
        .unwrap();
    let entry = set.entries().next().unwrap();
    let header = HpkpPolicy::from_entry(entry, now, Duration::from_secs(60)).unwrap();
    assert_eq!(
        header.to_string(),
        format!(
            "pin-sha256=\"{}\"; pin-sha256=\"{}\"; max-age=86400; includeSubDomains",
            pin(1).base64(),
            pin(2).base64()
        )
    );
    let back = HpkpPolicy::parse(&header.to_string()).unwrap();
    assert_eq!(back, header);

    let scoped = PinSet::builder()
        .entry(
            PinEntry::builder("a.example".parse().unwrap())
                .pin_at(pin(1), PinScope::Root)
                .pin(pin(2)),
        )
        .build()
        .unwrap();
    assert!(matches!(
        HpkpPolicy::from_entry(
            scoped.entries().next().unwrap(),
            now,
            Duration::from_secs(60)
        ),
        Err(HpkpError::NotExpressible { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Android network security configuration
// ---------------------------------------------------------------------------------------------

fn android(pins: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<network-security-config>
    <base-config cleartextTrafficPermitted="false"/>
    <domain-config>
        <domain includeSubdomains="true">example.com</domain>
        <domain>other.example.org</domain>
        <pin-set expiration="2030-01-01">
{pins}
        </pin-set>
        <trust-anchors><certificates src="system"/></trust-anchors>
        <domain-config>
            <domain>inherits.example.net</domain>
        </domain-config>
    </domain-config>
    <domain-config>
        <domain>unpinned.example.com</domain>
    </domain-config>
    <debug-overrides><trust-anchors><certificates src="user"/></trust-anchors></debug-overrides>
</network-security-config>
"#
    )
}

fn android_pins(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|byte| {
            format!(
                "            <pin digest=\"SHA-256\">{}</pin>",
                pin(*byte).base64()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn android_configurations_import_with_inheritance_and_expiry() {
    let set = config::parse_android(&android(&android_pins(&[1, 2])), "nsc.xml").unwrap();
    assert_eq!(set.len(), 3);
    let wildcard = set.lookup("example.com").unwrap();
    assert_eq!(wildcard.pattern().to_string(), "**.example.com");
    assert_eq!(
        wildcard.allowed_pins(),
        [scoped(1, PinScope::Any), scoped(2, PinScope::Any)]
    );
    assert_eq!(wildcard.expires_at(), Some(at(1_893_456_000)));
    assert_eq!(wildcard.after_expiry(), AfterExpiry::Skip);
    assert!(set.lookup("www.other.example.org").is_none());
    assert_eq!(
        set.lookup("other.example.org")
            .unwrap()
            .allowed_pins()
            .len(),
        2
    );
    assert_eq!(
        set.lookup("inherits.example.net")
            .unwrap()
            .allowed_pins()
            .len(),
        2
    );
    assert!(
        set.lookup("unpinned.example.com")
            .unwrap()
            .pattern()
            .to_string()
            == "**.example.com"
    );
}

#[test]
fn android_single_pins_need_the_named_opt_out() {
    let xml = android(&android_pins(&[1]));
    let error = config::parse_android(&xml, "nsc.xml").unwrap_err();
    match &error {
        ConfigError::Invalid {
            line,
            field,
            source,
            ..
        } if matches!(**source, PinSetError::MissingBackupPin { .. }) => {
            assert_eq!(*line, Some(5), "{error}");
            assert_eq!(field, "<domain> \"example.com\"");
        }
        other => panic!("{other}"),
    }
    let set = config::parse_android_allowing_missing_backup(&xml, "nsc.xml").unwrap();
    assert_eq!(set.len(), 3);
}

#[test]
fn malformed_android_configurations_name_the_line() {
    let cases: Vec<(String, usize, &str)> = vec![
        ("<network-security-config><domain-config>".to_owned(), 1, ""),
        (
            "<other/>".to_owned(),
            1,
            "expected <network-security-config>",
        ),
        (
            android("            <pin digest=\"SHA-1\">AAAA</pin>"),
            8,
            "digest \"SHA-1\" is not supported",
        ),
        (android("            <pin>AAAA</pin>"), 8, "needs digest"),
        (
            android("            <pin digest=\"SHA-256\">not base64</pin>"),
            8,
            "sha256/not base64",
        ),
        (
            android("            <pin digest=\"SHA-256\">AAAA</pin>"),
            8,
            "sha256/AAAA",
        ),
        (
            android("            <oops/>"),
            8,
            "unexpected <oops> in <pin-set>",
        ),
        (
            android(&android_pins(&[1, 2]))
                .replace("expiration=\"2030-01-01\"", "expiration=\"01/01/2030\""),
            7,
            "expiration: invalid date",
        ),
        (
            android(&android_pins(&[1, 2]))
                .replace("includeSubdomains=\"true\"", "includeSubdomains=\"yes\""),
            5,
            "includeSubdomains must be",
        ),
        (
            android(&android_pins(&[1, 2])).replace(
                "<domain>other.example.org</domain>",
                "<domain>*.bad..name</domain>",
            ),
            6,
            "<domain>:",
        ),
    ];
    for (xml, line, reason) in cases {
        match config::parse_android(&xml, "nsc.xml") {
            Err(ConfigError::Syntax {
                origin,
                line: found,
                reason: text,
                ..
            }) => {
                assert_eq!(origin, "nsc.xml");
                assert_eq!(found, line, "{reason}: {text}");
                assert!(text.contains(reason), "{text} should contain {reason}");
            }
            other => panic!("{reason}: {other:?}"),
        }
    }
    let duplicate = android(&android_pins(&[1, 2])).replace(
        "other.example.org",
        "EXAMPLE.com\" includeSubdomains=\"true",
    );
    // Rewritten so the second <domain> repeats the first: includeSubdomains on both.
    let duplicate = duplicate.replace(
        "<domain>EXAMPLE.com\" includeSubdomains=\"true</domain>",
        "<domain includeSubdomains=\"true\">EXAMPLE.com</domain>",
    );
    match config::parse_android(&duplicate, "nsc.xml") {
        Err(ConfigError::Invalid { line, source, .. })
            if matches!(*source, PinSetError::DuplicatePattern { .. }) =>
        {
            assert_eq!(line, Some(6))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn android_export_refuses_what_android_cannot_say() {
    let exportable = PinSet::builder()
        .entry(
            PinEntry::builder("**.example.com".parse().unwrap())
                .pin(pin(1))
                .pin(pin(2))
                .expires_on("2030-01-01".parse().unwrap()),
        )
        .entry(
            PinEntry::builder("api.example.org".parse().unwrap())
                .pin(pin(3))
                .pin(pin(4)),
        )
        .build()
        .unwrap();
    let xml = config::to_android_xml(&exportable).unwrap();
    assert_same_set(&exportable, &config::parse_android(&xml, "export").unwrap());

    let refused = [
        PinSet::builder().entry(
            PinEntry::builder("*.example.com".parse().unwrap())
                .pin(pin(1))
                .pin(pin(2)),
        ),
        PinSet::builder().entry(
            PinEntry::builder("10.0.0.1".parse().unwrap())
                .pin(pin(1))
                .pin(pin(2)),
        ),
        PinSet::builder().entry(
            PinEntry::builder("a.example".parse().unwrap())
                .pin(pin(1))
                .pin(Pin::certificate_sha256([2; 32])),
        ),
        PinSet::builder().entry(
            PinEntry::builder("a.example".parse().unwrap())
                .pin(pin(1))
                .pin_at(pin(2), PinScope::Leaf),
        ),
        PinSet::builder().entry(
            PinEntry::builder("a.example".parse().unwrap())
                .pin(pin(1))
                .pin(pin(2))
                .deny(pin(3)),
        ),
        PinSet::builder().entry(
            PinEntry::builder("a.example".parse().unwrap())
                .pin(pin(1))
                .report_only(),
        ),
        PinSet::builder().entry(
            PinEntry::builder("a.example".parse().unwrap())
                .pin(pin(1))
                .pin(pin(2))
                .expires_at(at(1_900_000_001)),
        ),
        PinSet::builder().entry(
            PinEntry::builder("a.example".parse().unwrap())
                .pin(pin(1))
                .pin(pin(2))
                .expires_on("2030-01-01".parse().unwrap())
                .after_expiry(AfterExpiry::KeepEnforcing),
        ),
        PinSet::builder().deny_everywhere(pin(1)),
        PinSet::builder().unpinned_hosts(UnpinnedHostPolicy::Reject),
        // Midnight of 10000-01-01: once written as the date 9999-12-31, a day early.
        PinSet::builder().entry(
            PinEntry::builder("a.example".parse().unwrap())
                .pin(pin(1))
                .pin(pin(2))
                .expires_at(at(LAST_WRITABLE_SECOND + 1)),
        ),
    ];
    for (index, builder) in refused.into_iter().enumerate() {
        let set = builder.build().unwrap();
        match config::to_android_xml(&set) {
            Err(ConfigError::NotExpressible { .. }) => {}
            other => panic!("case {index}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Policies that pin nothing, and the version field
// ---------------------------------------------------------------------------------------------

/// Texts that pin nothing and deny nothing: what a failed template render, a truncated deploy
/// or a file left empty look like. Loading one must not switch pinning off for every host.
const PINNING_NOTHING: &[(ConfigFormat, &str)] = &[
    (ConfigFormat::Toml, ""),
    (ConfigFormat::Toml, "\n  \n"),
    (
        ConfigFormat::Toml,
        "# pins are rendered below\n\n# (none)\n",
    ),
    (ConfigFormat::Toml, "version = 1\n"),
    (
        ConfigFormat::Toml,
        "version = 1\nentry = []\ndeny_everywhere = []\n",
    ),
    (
        ConfigFormat::Toml,
        "version = 1\nunpinned_hosts = \"webpki-only\"\n",
    ),
    (ConfigFormat::Toml, "version = 1\nallow_empty = false\n"),
    (ConfigFormat::Json, ""),
    (ConfigFormat::Json, " \n\t\n"),
    (ConfigFormat::Json, "{}"),
    (ConfigFormat::Json, "{\"version\": 1}"),
    (
        ConfigFormat::Json,
        "{\"version\": 1, \"entry\": [], \"deny_everywhere\": []}",
    ),
    (
        ConfigFormat::Json,
        "{\"version\": 1, \"allow_empty\": false}",
    ),
];

#[test]
fn a_policy_that_pins_nothing_is_refused() {
    for (format, text) in PINNING_NOTHING {
        let error = config::parse_named(text, *format, "pins.conf")
            .map(|set| set.len())
            .unwrap_err();
        assert!(
            matches!(&error, ConfigError::PinsNothing { origin } if origin == "pins.conf"),
            "{format} {text:?}: {error:?}"
        );
        let shown = error.to_string();
        assert!(
            shown.starts_with("pins.conf: the policy pins nothing and denies nothing"),
            "{shown}"
        );
        assert!(shown.contains("allow_empty = true"), "{shown}");
    }
}

#[test]
fn a_policy_that_pins_nothing_loads_when_it_says_so() {
    for (format, text) in [
        (ConfigFormat::Toml, "version = 1\nallow_empty = true\n"),
        (
            ConfigFormat::Json,
            "{\"version\": 1, \"allow_empty\": true}",
        ),
    ] {
        let set = config::parse(text, format).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert!(set.is_empty());
        assert!(set.globally_denied_pins().is_empty());
        assert_eq!(set.unpinned_host_policy(), UnpinnedHostPolicy::WebPkiOnly);
    }
    // The opt-in does not get in the way of a policy with entries (a template that renders
    // none on some hosts and several on others).
    let text = format!(
        "version = 1\nallow_empty = true\n[[entry]]\npattern = \"a.example\"\npins = [\"{PIN_1}\", \"{PIN_2}\"]\n"
    );
    assert_eq!(config::parse(&text, ConfigFormat::Toml).unwrap().len(), 1);
}

#[test]
fn a_policy_without_entries_that_still_refuses_something_needs_no_opt_in() {
    // A pin denied everywhere, or every unpinned host refused: neither switches pinning off.
    for (format, text) in [
        (
            ConfigFormat::Toml,
            format!("version = 1\ndeny_everywhere = [\"{PIN_1}\"]\n"),
        ),
        (
            ConfigFormat::Toml,
            String::from("version = 1\nunpinned_hosts = \"reject\"\n"),
        ),
        (
            ConfigFormat::Json,
            format!("{{\"version\": 1, \"deny_everywhere\": [\"{PIN_1}\"]}}"),
        ),
    ] {
        let set = config::parse(&text, format).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(set.is_empty());
        // Written back without the opt-in, and read back the same.
        let written = config::to_string(&set, format).unwrap();
        assert!(!written.contains("allow_empty"), "{written}");
        assert_same_set(&set, &config::parse(&written, format).unwrap());
    }
}

#[test]
fn a_set_without_entries_is_saved_with_the_opt_in_and_loads_back() {
    let empty = PinSet::builder().build().unwrap();
    for format in [ConfigFormat::Toml, ConfigFormat::Json] {
        let text = config::to_string(&empty, format).unwrap();
        assert!(text.contains("allow_empty"), "{format}: {text}");
        let back = config::parse(&text, format).unwrap_or_else(|e| panic!("{format}: {e}\n{text}"));
        assert_same_set(&empty, &back);
        assert_eq!(config::to_string(&back, format).unwrap(), text, "{format}");
    }
    // A set with entries is written without it: the field says something only when it is
    // needed.
    let text = config::to_string(&everything(), ConfigFormat::Toml).unwrap();
    assert!(!text.contains("allow_empty"), "{text}");

    let directory =
        std::env::temp_dir().join(format!("rustls-pinning-empty-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    for name in ["empty.toml", "empty.json"] {
        let path = directory.join(name);
        config::save(&empty, &path).unwrap();
        assert_same_set(&empty, &config::load(&path).unwrap());
        // The same file truncated to nothing is refused, naming it.
        std::fs::write(&path, "").unwrap();
        let error = config::load(&path).unwrap_err();
        assert!(
            matches!(&error, ConfigError::PinsNothing { origin } if *origin == path.display().to_string()),
            "{error:?}"
        );
    }
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn the_version_field_is_required() {
    let entry = format!("[[entry]]\npattern = \"a.example\"\npins = [\"{PIN_1}\", \"{PIN_2}\"]\n");
    let json = format!(
        "{{\"entry\": [{{\"pattern\": \"a.example\", \"pins\": [\"{PIN_1}\", \"{PIN_2}\"]}}]}}"
    );
    for (format, text) in [
        (ConfigFormat::Toml, entry.as_str()),
        (ConfigFormat::Toml, "allow_empty = true\n"),
        (ConfigFormat::Json, json.as_str()),
        (ConfigFormat::Json, "{\"allow_empty\": true}"),
    ] {
        let error = config::parse_named(text, format, "pins.conf")
            .map(|set| set.len())
            .unwrap_err();
        assert!(
            matches!(&error, ConfigError::MissingVersion { origin } if origin == "pins.conf"),
            "{error:?}"
        );
        let shown = error.to_string();
        assert!(
            shown.starts_with("pins.conf: no version field"),
            "{format} {text:?}: {shown}"
        );
        assert!(shown.contains("version = 1"), "{shown}");
    }
    let with_version = format!("version = 1\n{entry}");
    assert_eq!(
        config::parse(&with_version, ConfigFormat::Toml)
            .unwrap()
            .len(),
        1
    );
}

/// Bundles carry a policy in the policy-file schema, loaded by the same parser: a signed
/// bundle whose policy pins nothing is refused too, unless it says so, and `bundle::body`
/// says so for a set built empty.
#[cfg(feature = "dynamic")]
#[test]
fn a_bundle_whose_policy_pins_nothing_is_refused_unless_it_says_so() {
    use rustls::pki_types::{PrivateKeyDer, SubjectPublicKeyInfoDer};
    use rustls_pinning::bundle::{self, BundleError, BundleKey, BundleVerifier};

    let provider = rustls_pinning::default_crypto_provider();
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
    let private = PrivateKeyDer::Pkcs8(pair.serialize_der().into());
    let spki = SubjectPublicKeyInfoDer::from(rcgen::PublicKeyData::subject_public_key_info(&pair));
    let verifier =
        BundleVerifier::new(vec![BundleKey::from_spki(&spki).unwrap()], &provider).unwrap();
    let now = at(1_800_000_000);
    let signed = |policy: &str| {
        let body = format!(
            "{{\"version\": 1, \"issued_at\": \"2027-01-15T08:00:00Z\", \"expires_at\": \
             \"2027-02-15T08:00:00Z\", \"policy\": {policy}}}"
        );
        let signature = bundle::sign(body.as_bytes(), &private, &provider).unwrap();
        verifier.verify(body.as_bytes(), &signature, now)
    };
    for policy in ["{\"version\": 1}", "{\"version\": 1, \"entry\": []}", "{}"] {
        match signed(policy) {
            Err(BundleError::InvalidPolicy(error)) => assert!(
                matches!(*error, ConfigError::PinsNothing { .. }),
                "{policy}: {error}"
            ),
            other => panic!("{policy}: {other:?}"),
        }
    }
    let bundle = signed("{\"version\": 1, \"allow_empty\": true}").unwrap();
    assert!(bundle.pins().is_empty());

    let body = bundle::body(
        &PinSet::builder().build().unwrap(),
        2,
        at(1_800_000_000 - 60),
        at(1_800_000_000 + 86_400),
    )
    .unwrap();
    let signature = bundle::sign(&body, &private, &provider).unwrap();
    let bundle = verifier.verify(&body, &signature, now).unwrap();
    assert!(bundle.pins().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Bounds: size and nesting
// ---------------------------------------------------------------------------------------------

#[test]
fn a_file_larger_than_the_limit_is_refused_from_its_size() {
    let directory =
        std::env::temp_dir().join(format!("rustls-pinning-large-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    // A sparse file: its size says enough, nothing needs to be read.
    let path = directory.join("huge.toml");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(1 << 30).unwrap();
    drop(file);
    let error = config::load(&path).unwrap_err();
    match &error {
        ConfigError::TooLarge {
            origin,
            what,
            size,
            limit,
        } => {
            assert_eq!(*origin, path.display().to_string());
            assert_eq!(*what, "policy file");
            assert_eq!(*size, 1 << 30);
            assert!(*limit < 1 << 30);
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn policy_text_over_the_limit_is_refused_before_it_is_parsed() {
    for format in [ConfigFormat::Toml, ConfigFormat::Json] {
        let start = match format {
            ConfigFormat::Toml => "version = 1\nallow_empty = true\n",
            _ => "{\"version\": 1, \"allow_empty\": true}",
        };
        // Exactly at the limit: read. One byte more: refused, whatever the text says.
        let mut text = format!(
            "{start}{}",
            " ".repeat(config::MAX_POLICY_BYTES - start.len())
        );
        assert_eq!(text.len(), config::MAX_POLICY_BYTES);
        assert!(config::parse(&text, format).unwrap().is_empty(), "{format}");
        text.push(' ');
        match config::parse_named(&text, format, "big.conf").unwrap_err() {
            ConfigError::TooLarge {
                origin,
                what,
                size,
                limit,
            } => {
                assert_eq!(origin, "big.conf");
                assert_eq!(what, "policy file");
                assert_eq!(size, config::MAX_POLICY_BYTES + 1);
                assert_eq!(limit, config::MAX_POLICY_BYTES);
            }
            other => panic!("{format}: {other:?}"),
        }
        // Garbage over the limit is refused for its size, not parsed for its syntax.
        let garbage = "{[".repeat(config::MAX_POLICY_BYTES / 2 + 1);
        assert!(matches!(
            config::parse(&garbage, format),
            Err(ConfigError::TooLarge { .. })
        ));
    }
    let error = config::parse_named(&" ".repeat(9 << 20), ConfigFormat::Toml, "pins.toml")
        .unwrap_err()
        .to_string();
    assert_eq!(
        error,
        format!(
            "pins.toml: 9437184 bytes is more than the {} bytes a policy file may have",
            config::MAX_POLICY_BYTES
        )
    );
}

/// Input with no size to ask (a device, a pipe): `load` reads one byte past the limit and
/// stops, rather than reading without end.
#[cfg(unix)]
#[test]
fn an_endless_stream_is_read_no_further_than_the_limit() {
    let directory =
        std::env::temp_dir().join(format!("rustls-pinning-endless-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("zero.toml");
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    match config::load(&path).unwrap_err() {
        ConfigError::TooLarge { size, limit, .. } => {
            assert_eq!(limit, config::MAX_POLICY_BYTES);
            assert_eq!(size, config::MAX_POLICY_BYTES + 1);
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn a_file_that_is_not_utf8_is_refused_with_its_place() {
    let directory =
        std::env::temp_dir().join(format!("rustls-pinning-utf8-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let path = directory.join("latin1.toml");
    std::fs::write(&path, b"version = 1\n# caf\xe9\n").unwrap();
    match config::load(&path).unwrap_err() {
        ConfigError::Syntax {
            origin,
            line,
            column,
            reason,
        } => {
            assert_eq!(origin, path.display().to_string());
            assert_eq!((line, column), (2, 6));
            assert_eq!(reason, "not UTF-8 text");
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(&directory).unwrap();
}

/// Runs `parse` on a thread with a small stack: deep nesting must come back as an error, not
/// overflow the stack (which would abort the whole process, not fail one test).
///
/// 512 KiB is a quarter of a spawned thread's default. The parsers follow a bounded depth
/// whatever the input (toml's 80 levels take about 300 KiB in a debug build), while
/// following the 100 000 levels below would take hundreds of MiB.
fn on_a_small_stack<T: Send + 'static>(parse: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(parse)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deep_nesting_is_a_syntax_error_not_a_stack_overflow() {
    const DEPTH: usize = 100_000;
    let nested = |open: &str, close: &str| format!("{}{}", open.repeat(DEPTH), close.repeat(DEPTH));
    // A policy of the usual shape parses on the same stack: the small stack is not the
    // reason the others fail.
    let normal = format!(
        "version = 1\n[[entry]]\npattern = \"a.example\"\npins = [{{ pin = \"{PIN_1}\", scope = \"leaf\" }}, \"{PIN_2}\"]\n"
    );
    assert_eq!(
        on_a_small_stack(move || config::parse(&normal, ConfigFormat::Toml).map(|set| set.len()))
            .unwrap(),
        1
    );

    // TOML: toml stops following arrays, inline tables and dotted keys after a fixed depth.
    let toml_cases = [
        format!(
            "version = 1\n[[entry]]\npattern = \"a.example\"\npins = {}\n",
            nested("[", "]")
        ),
        format!(
            "version = 1\nx = {}\n",
            nested("{ a = ", "}").replacen("}", "1 }", 1)
        ),
        format!("version = 1\n{} = 1\n", vec!["a"; 10_000].join(".")),
        format!("version = 1\n[{}]\n", vec!["a"; 10_000].join(".")),
    ];
    for text in toml_cases {
        let shown = text.chars().take(60).collect::<String>();
        match on_a_small_stack(move || config::parse_named(&text, ConfigFormat::Toml, "deep.toml"))
        {
            Err(ConfigError::Syntax { origin, reason, .. }) => {
                assert_eq!(origin, "deep.toml");
                assert!(reason.contains("recursion"), "{shown}: {reason}");
            }
            other => panic!("{shown}: {other:?}"),
        }
    }

    // JSON: serde_json stops at 128 levels, and the schema refuses a nested value where it
    // expects a string or a number long before that.
    let json_cases = [
        nested("[", "]"),
        format!("{{\"version\": 1, \"entry\": {}}}", nested("[", "]")),
        format!(
            "{{\"version\": 1, \"entry\": [{{\"pattern\": \"a.example\", \"pins\": [{{\"pin\": {}}}]}}]}}",
            nested("{\"a\": ", "}").replacen('}', "1}", 1)
        ),
        format!("{{\"version\": {}}}", nested("[", "]")),
    ];
    for text in json_cases {
        let shown = text.chars().take(60).collect::<String>();
        match on_a_small_stack(move || config::parse_named(&text, ConfigFormat::Json, "deep.json"))
        {
            Err(ConfigError::Syntax {
                origin,
                line,
                reason,
                ..
            }) => {
                assert_eq!(origin, "deep.json");
                assert_eq!(line, 1);
                assert!(reason.contains("invalid type"), "{shown}: {reason}");
            }
            other => panic!("{shown}: {other:?}"),
        }
    }
}
