//! `PinSet`: which entry a host selects, and which configurations the builder refuses.
//!
//! Nothing here verifies a certificate, so these tests need no crypto provider.

use rustls_pinning::{
    HostPattern, Pin, PinEntry, PinScope, PinSet, PinSetBuilder, PinSetError, ScopedPin,
};

fn pattern(text: &str) -> HostPattern {
    text.parse()
        .unwrap_or_else(|e| panic!("pattern {text:?}: {e}"))
}

fn pin(byte: u8) -> Pin {
    Pin::spki_sha256([byte; 32])
}

/// An entry with two distinct pins, enough to satisfy the backup-pin rule.
fn entry(text: &str, first: u8) -> rustls_pinning::PinEntryBuilder {
    PinEntry::builder(pattern(text))
        .pin(pin(first))
        .pin(pin(first.wrapping_add(1)))
}

fn build(builder: PinSetBuilder) -> PinSet {
    builder.build().unwrap_or_else(|e| panic!("{e}"))
}

/// The pattern of the entry `host` selects, as text.
fn selected(set: &PinSet, host: &str) -> Option<String> {
    set.lookup(host).map(|entry| entry.pattern().to_string())
}

#[test]
fn exact_beats_one_label_wildcard_beats_longest_any_depth_wildcard() {
    let set = build(
        PinSet::builder()
            .entry(entry("*.example.com", 1))
            .entry(entry("**.example.com", 3))
            .entry(entry("**.api.example.com", 5))
            .entry(entry("api.example.com", 7)),
    );
    let table: &[(&str, Option<&str>)] = &[
        ("example.com", Some("**.example.com")),
        ("api.example.com", Some("api.example.com")),
        ("x.api.example.com", Some("**.api.example.com")),
        ("y.x.api.example.com", Some("**.api.example.com")),
        ("www.example.com", Some("*.example.com")),
        ("a.b.example.com", Some("**.example.com")),
        ("other.org", None),
        ("com", None),
        ("notexample.com", None),
        ("example.com.evil.org", None),
        ("API.EXAMPLE.COM", Some("api.example.com")),
        ("api.example.com.", Some("api.example.com")),
        ("Api.Example.Com.", Some("api.example.com")),
        ("WWW.Example.com", Some("*.example.com")),
        ("www.example.com.", Some("*.example.com")),
        ("EXAMPLE.COM.", Some("**.example.com")),
        ("X.API.example.com.", Some("**.api.example.com")),
        ("A.B.EXAMPLE.COM", Some("**.example.com")),
    ];
    for (host, expected) in table {
        assert_eq!(
            selected(&set, host).as_deref(),
            *expected,
            "lookup({host:?})"
        );
    }

    // Only the winning entry's pins apply: no union with the wildcards.
    let api = set.lookup("api.example.com").unwrap();
    assert_eq!(
        api.allowed_pins(),
        [
            ScopedPin::new(pin(7), PinScope::Any),
            ScopedPin::new(pin(8), PinScope::Any)
        ]
    );
}

#[test]
fn one_label_wildcard_beats_a_longer_any_depth_wildcard() {
    // Without an exact entry, `*.example.com` wins over `**.api.example.com` for the host
    // both match, even though the latter's suffix is longer.
    let set = build(
        PinSet::builder()
            .entry(entry("**.api.example.com", 1))
            .entry(entry("*.example.com", 3))
            .entry(entry("**.example.com", 5)),
    );
    let table: &[(&str, Option<&str>)] = &[
        ("api.example.com", Some("*.example.com")),
        ("x.api.example.com", Some("**.api.example.com")),
        ("example.com", Some("**.example.com")),
        ("a.b.example.com", Some("**.example.com")),
    ];
    for (host, expected) in table {
        assert_eq!(
            selected(&set, host).as_deref(),
            *expected,
            "lookup({host:?})"
        );
    }
}

#[test]
fn one_label_wildcard_matches_exactly_one_label() {
    let set = build(PinSet::builder().entry(entry("*.example.com", 1)));
    for (host, expected) in [
        ("www.example.com", true),
        ("example.com", false),
        ("a.b.example.com", false),
        ("wwwexample.com", false),
    ] {
        assert_eq!(set.lookup(host).is_some(), expected, "lookup({host:?})");
    }
}

#[test]
fn malformed_entries_are_refused_with_the_reason() {
    let missing_backup = |text| PinSetError::MissingBackupPin {
        pattern: pattern(text),
    };
    let rows = [
        (
            "a single pin without the opt-out",
            PinEntry::builder(pattern("api.example.com")).pin(pin(1)),
            missing_backup("api.example.com"),
        ),
        (
            "two copies of one pin are not a backup",
            PinEntry::builder(pattern("api.example.com"))
                .pin(pin(1))
                .pin(pin(1)),
            missing_backup("api.example.com"),
        ),
        (
            "two copies of one pin at different scopes are not a backup",
            PinEntry::builder(pattern("api.example.com"))
                .pin_at(pin(1), PinScope::Leaf)
                .pin_at(pin(1), PinScope::Root),
            missing_backup("api.example.com"),
        ),
        (
            "a pin both allowed and denied",
            PinEntry::builder(pattern("api.example.com"))
                .pin(pin(1))
                .pin(pin(2))
                .deny_at(pin(2), PinScope::Intermediate),
            PinSetError::PinAllowedAndDenied {
                pattern: pattern("api.example.com"),
                pin: pin(2),
            },
        ),
        (
            "backup pins without a primary pin",
            PinEntry::builder(pattern("a.example"))
                .backup_pin(pin(1))
                .backup_pin(pin(2)),
            PinSetError::BackupWithoutPrimaryPin {
                pattern: pattern("a.example"),
            },
        ),
        (
            "a backup pin that repeats the primary is no backup",
            PinEntry::builder(pattern("a.example"))
                .pin(pin(1))
                .backup_pin(pin(1)),
            missing_backup("a.example"),
        ),
        (
            "a backup pin may not be denied",
            PinEntry::builder(pattern("a.example"))
                .pin(pin(1))
                .backup_pin(pin(2))
                .deny(pin(2)),
            PinSetError::PinAllowedAndDenied {
                pattern: pattern("a.example"),
                pin: pin(2),
            },
        ),
    ];
    for (label, entry, error) in rows {
        assert_eq!(
            PinSet::builder().entry(entry).build().unwrap_err(),
            error,
            "{label}"
        );
    }
}

#[test]
fn single_pin_with_opt_out_builds() {
    let set = build(
        PinSet::builder().entry(
            PinEntry::builder(pattern("api.example.com"))
                .pin(pin(1))
                .allow_missing_backup_pin(),
        ),
    );
    assert_eq!(
        set.lookup("api.example.com").unwrap().allowed_pins(),
        [ScopedPin::new(pin(1), PinScope::Any)]
    );
}

#[test]
fn report_only_entry_may_have_a_single_pin() {
    let set = build(
        PinSet::builder().entry(
            PinEntry::builder(pattern("api.example.com"))
                .pin(pin(1))
                .report_only(),
        ),
    );
    let entry = set.lookup("api.example.com").unwrap();
    assert_eq!(entry.mode(), rustls_pinning::EnforcementMode::ReportOnly);
    assert_eq!(
        entry.allowed_pins(),
        [ScopedPin::new(pin(1), PinScope::Any)]
    );
}

#[test]
fn entry_without_pins_is_empty() {
    let err = PinSet::builder()
        .entry(PinEntry::builder(pattern("*.example.com")))
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        PinSetError::EmptyEntry {
            pattern: pattern("*.example.com")
        }
    );

    // A deny-only entry is not empty.
    let set =
        build(PinSet::builder().entry(PinEntry::builder(pattern("*.example.com")).deny(pin(9))));
    assert_eq!(
        set.lookup("www.example.com").unwrap().denied_pins(),
        [ScopedPin::new(pin(9), PinScope::Any)]
    );
}

#[test]
fn duplicate_patterns_are_rejected_after_normalisation() {
    for (first, second, reported) in [
        ("api.example.com", "api.example.com", "api.example.com"),
        ("API.example.com", "api.example.com.", "api.example.com"),
        ("*.Example.COM", "*.example.com.", "*.example.com"),
        ("**.example.com", "**.EXAMPLE.com", "**.example.com"),
        (
            "bücher.example",
            "xn--bcher-kva.example",
            "xn--bcher-kva.example",
        ),
        ("127.0.0.1", "127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1", "::1"),
    ] {
        let err = PinSet::builder()
            .entry(entry(first, 1))
            .entry(entry(second, 3))
            .build()
            .unwrap_err();
        assert_eq!(
            err,
            PinSetError::DuplicatePattern {
                pattern: pattern(reported)
            },
            "{first:?} then {second:?}"
        );
    }

    // Different kinds of pattern over the same suffix are distinct entries.
    let set = build(
        PinSet::builder()
            .entry(entry("example.com", 1))
            .entry(entry("*.example.com", 3))
            .entry(entry("**.example.com", 5)),
    );
    assert_eq!(set.len(), 3);
}

#[test]
fn pin_allowed_but_denied_everywhere_is_rejected() {
    // The order of the builder calls does not matter.
    let deny_first = PinSet::builder()
        .deny_everywhere(pin(2))
        .entry(entry("api.example.com", 1));
    let deny_last = PinSet::builder()
        .entry(entry("api.example.com", 1))
        .deny_everywhere_at(pin(2), PinScope::Root);
    for builder in [deny_first, deny_last] {
        assert_eq!(
            builder.build().unwrap_err(),
            PinSetError::PinAllowedAndDeniedEverywhere {
                pattern: pattern("api.example.com"),
                pin: pin(2)
            }
        );
    }
}

#[test]
fn ten_thousand_entries_still_find_the_right_one() {
    const COUNT: u32 = 10_000;
    let pins_of = |i: u32| {
        let bytes = i.to_be_bytes();
        let mut first = [0u8; 32];
        let mut second = [0xffu8; 32];
        first[..4].copy_from_slice(&bytes);
        second[..4].copy_from_slice(&bytes);
        (Pin::spki_sha256(first), Pin::spki_sha256(second))
    };
    let pattern_of = |i: u32| match i % 4 {
        0 => format!("host{i}.example.net"),
        1 => format!("*.zone{i}.example.net"),
        2 => format!("**.deep{i}.example.net"),
        _ => format!("10.{}.{}.{}", i >> 16, (i >> 8) & 0xff, i & 0xff),
    };
    let mut builder = PinSet::builder();
    for i in 0..COUNT {
        let (first, second) = pins_of(i);
        builder = builder.entry(
            PinEntry::builder(pattern(&pattern_of(i)))
                .pin(first)
                .pin(second),
        );
    }
    let set = build(builder);
    assert_eq!(set.len(), COUNT as usize);

    for i in [0, 1, 2, 3, 4_321, 4_997, 5_002, 7_779, COUNT - 4, COUNT - 1] {
        let host = match i % 4 {
            0 => format!("HOST{i}.example.net."),
            1 => format!("www.zone{i}.example.net"),
            2 => format!("a.b.deep{i}.example.net"),
            _ => format!("10.{}.{}.{}", i >> 16, (i >> 8) & 0xff, i & 0xff),
        };
        let entry = set
            .lookup(&host)
            .unwrap_or_else(|| panic!("no entry for {host}"));
        assert_eq!(entry.pattern(), &pattern(&pattern_of(i)), "{host}");
        let (first, second) = pins_of(i);
        assert_eq!(
            entry.allowed_pins(),
            [
                ScopedPin::new(first, PinScope::Any),
                ScopedPin::new(second, PinScope::Any)
            ],
            "{host}"
        );
    }
    for host in [
        "host1.example.net",
        "www.zone0.example.net",
        "a.b.zone1.example.net",
        "host10000.example.net",
        "example.net",
        "10.0.0.0",
    ] {
        assert_eq!(selected(&set, host), None, "{host}");
    }
}

#[test]
fn unicode_and_punycode_hosts_find_the_same_entry() {
    let unicode = build(PinSet::builder().entry(entry("bücher.example", 1)));
    let punycode = build(PinSet::builder().entry(entry("xn--bcher-kva.example", 1)));
    assert_eq!(
        pattern("bücher.example").to_string(),
        "xn--bcher-kva.example"
    );
    for set in [&unicode, &punycode] {
        for host in [
            "bücher.example",
            "xn--bcher-kva.example",
            "XN--BCHER-KVA.example.",
            "Bücher.Example",
            "bücher.example.",
        ] {
            assert_eq!(
                selected(set, host).as_deref(),
                Some("xn--bcher-kva.example"),
                "lookup({host:?})"
            );
        }
        assert_eq!(selected(set, "bucher.example"), None);
        assert_eq!(selected(set, "www.bücher.example"), None);
    }

    // Wildcards over an IDN suffix work the same way.
    let wildcard = build(PinSet::builder().entry(entry("*.bücher.example", 1)));
    assert_eq!(
        selected(&wildcard, "www.xn--bcher-kva.example").as_deref(),
        Some("*.xn--bcher-kva.example")
    );
    assert_eq!(
        selected(&wildcard, "www.bücher.example").as_deref(),
        Some("*.xn--bcher-kva.example")
    );
}

#[test]
fn lookup_refuses_what_is_not_a_host_name() {
    let set = PinSet::builder()
        .entry(PinEntry::builder("*.example.com".parse().unwrap()).deny(Pin::spki_sha256([1; 32])))
        .build()
        .unwrap();
    let pattern: HostPattern = "*.example.com".parse().unwrap();
    for host in [
        ".example.com",
        "a b.example.com",
        "a/b.example.com",
        "-a.example.com",
    ] {
        assert!(set.lookup(host).is_none(), "{host:?}");
        assert!(!pattern.matches(host), "{host:?}");
    }
    assert!(set.lookup("a.example.com").is_some());
}

#[test]
fn backup_pins_follow_primary_pins_and_count_as_the_backup() {
    let set = build(
        PinSet::builder().entry(
            PinEntry::builder(pattern("a.example"))
                .backup_pin(pin(2))
                .pin(pin(1))
                .backup_pin_at(pin(3), PinScope::Intermediate),
        ),
    );
    let entry = set.lookup("a.example").unwrap();
    assert_eq!(
        entry.primary_pins(),
        [ScopedPin::new(pin(1), PinScope::Any)]
    );
    assert_eq!(
        entry.backup_pins(),
        [
            ScopedPin::new(pin(2), PinScope::Any),
            ScopedPin::new(pin(3), PinScope::Intermediate)
        ]
    );
    assert_eq!(
        entry.allowed_pins(),
        [
            ScopedPin::new(pin(1), PinScope::Any),
            ScopedPin::new(pin(2), PinScope::Any),
            ScopedPin::new(pin(3), PinScope::Intermediate)
        ]
    );
}

#[test]
fn a_pin_given_as_primary_and_backup_is_primary() {
    let set = build(
        PinSet::builder().entry(
            PinEntry::builder(pattern("a.example"))
                .pin(pin(1))
                .pin(pin(2))
                .backup_pin(pin(1)),
        ),
    );
    let entry = set.lookup("a.example").unwrap();
    assert_eq!(entry.primary_pins().len(), 2);
    assert_eq!(entry.backup_pins(), []);
}
