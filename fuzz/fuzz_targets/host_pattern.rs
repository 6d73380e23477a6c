//! `HostPattern::from_str`, `HostPattern::matches` and `PinSet::lookup` on arbitrary text.
//!
//! The input's first line is a pattern, the other lines are hosts. Never panic; a parsed
//! pattern's `Display` form parses back to the same pattern; and `PinSet::lookup` on a small
//! fixed set agrees with the patterns' own `matches`: it returns an entry only if that entry's
//! pattern matches the host, and returns one whenever some pattern of the set matches.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rustls_pinning::{HostPattern, Pin, PinEntry, PinSet};

const PATTERNS: &[&str] = &[
    "example.com",
    "*.example.com",
    "**.example.com",
    "api.example.com",
    "**.a.example.com",
    "*.b.example.com",
    "xn--bcher-kva.example",
    "**.xn--bcher-kva.example",
    "192.0.2.1",
    "[2001:db8::1]",
    "localhost",
    "*.co.uk",
];

fn fixed_set() -> &'static (PinSet, Vec<HostPattern>) {
    static SET: OnceLock<(PinSet, Vec<HostPattern>)> = OnceLock::new();
    SET.get_or_init(|| {
        let patterns: Vec<HostPattern> = PATTERNS
            .iter()
            .map(|text| text.parse().expect("fixed pattern"))
            .collect();
        let set = patterns
            .iter()
            .enumerate()
            .fold(PinSet::builder(), |builder, (index, pattern)| {
                builder.entry(
                    PinEntry::builder(pattern.clone())
                        .pin(Pin::spki_sha256([index as u8; 32]))
                        .backup_pin(Pin::spki_sha256([0xEE; 32])),
                )
            })
            .build()
            .expect("fixed set");
        (set, patterns)
    })
}

fn check_host(pattern: Option<&HostPattern>, host: &str) {
    if let Some(pattern) = pattern {
        let _ = pattern.matches(host);
    }
    let (set, patterns) = fixed_set();
    let found = set.lookup(host);
    if let Some(entry) = found {
        assert!(
            entry.pattern().matches(host),
            "lookup({host:?}) returned {} which does not match it",
            entry.pattern()
        );
    }
    if let Some(matching) = patterns.iter().find(|pattern| pattern.matches(host)) {
        assert!(
            found.is_some(),
            "{matching} matches {host:?} but lookup found nothing"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or_default();
    let pattern = first.parse::<HostPattern>().ok();
    if let Some(pattern) = &pattern {
        let shown = pattern.to_string();
        let back: HostPattern = shown.parse().unwrap_or_else(|error| {
            panic!("{shown:?} (display of {first:?}) does not parse: {error}")
        });
        assert_eq!(&back, pattern, "{shown:?} parses to a different pattern");
        let _ = pattern.kind();
    }
    check_host(pattern.as_ref(), first);
    for host in lines {
        check_host(pattern.as_ref(), host);
    }
});
