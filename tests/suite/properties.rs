//! Property tests: pin text round trips, host-pattern matching and pattern precedence against a
//! small reference model written here, and policy files saved and loaded again.
//!
//! Case counts are modest (the whole file runs in a few seconds in a debug build); set
//! `PROPTEST_CASES` to run more. A failing case is shrunk and printed by proptest.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::FileFailurePersistence;
use rustls_pinning::{HostPattern, Pin, PinEntry, PinKind, PinSet};

/// Cases per property, unless `PROPTEST_CASES` asks for another number.
///
/// Failures are kept next to this file, in `properties.proptest-regressions`, and replayed
/// first on every run. (proptest's default would look for a directory holding a `main.rs`
/// above this file, which `tests/suite/` is, and keep them in `tests/proptest-regressions/`.)
fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Pins
// ---------------------------------------------------------------------------------------------

/// Any digest, with a quarter of them starting with a byte whose base64 is '/': the canonical
/// text of those starts with `sha256//`, which curl's spelling also does.
fn digest() -> impl Strategy<Value = [u8; 32]> {
    prop_oneof![
        3 => any::<[u8; 32]>(),
        1 => (0xFCu8..=0xFF, any::<[u8; 32]>()).prop_map(|(first, mut digest)| {
            digest[0] = first;
            digest
        }),
    ]
}

fn pin() -> impl Strategy<Value = Pin> {
    (digest(), any::<bool>()).prop_map(|(digest, spki)| match spki {
        true => Pin::spki_sha256(digest),
        false => Pin::certificate_sha256(digest),
    })
}

fn hex(digest: &[u8; 32], upper: bool, colons: bool) -> String {
    let bytes = digest.iter().map(|byte| match upper {
        true => format!("{byte:02X}"),
        false => format!("{byte:02x}"),
    });
    bytes
        .collect::<Vec<_>>()
        .join(if colons { ":" } else { "" })
}

proptest! {
    #![proptest_config(cases(512))]

    /// The canonical text parses back to the same pin, whatever the digest.
    #[test]
    fn pin_display_parses_back_to_the_same_pin(pin in pin()) {
        let text = pin.to_string();
        let prefix = match pin.kind() {
            PinKind::Spki => "sha256/",
            _ => "cert-sha256/",
        };
        prop_assert_eq!(&text, &format!("{prefix}{}", pin.base64()));
        prop_assert_eq!(text.parse::<Pin>(), Ok(pin));
    }

    /// A digest whose base64 starts with '/' prints as `sha256//...`, which must still read as
    /// the canonical form (a 44-character digest after `sha256//` is curl's spelling only when
    /// the rest is the whole digest).
    #[test]
    fn a_canonical_pin_starting_with_a_slash_round_trips(
        first in 0xFCu8..=0xFF,
        rest in any::<[u8; 31]>(),
        spki in any::<bool>(),
    ) {
        let mut digest = [first; 32];
        digest[1..].copy_from_slice(&rest);
        let pin = match spki {
            true => Pin::spki_sha256(digest),
            false => Pin::certificate_sha256(digest),
        };
        let text = pin.to_string();
        prop_assert!(text.contains("//"), "{}", text);
        prop_assert_eq!(text.parse::<Pin>(), Ok(pin));
    }

    /// Every other accepted spelling of a digest reads as the same pin as the canonical one.
    #[test]
    fn every_spelling_of_a_digest_reads_the_same(digest in digest(), upper in any::<bool>()) {
        let b64 = Pin::spki_sha256(digest).base64();
        for spki in [format!("sha256//{b64}"), format!("pin-sha256=\"{b64}\"")] {
            prop_assert_eq!(spki.parse::<Pin>(), Ok(Pin::spki_sha256(digest)), "{}", spki);
        }
        let certificate = Pin::certificate_sha256(digest);
        for text in [
            hex(&digest, upper, false),
            hex(&digest, upper, true),
            format!("sha256 Fingerprint={}", hex(&digest, upper, true)),
            format!("SHA256 Fingerprint={}", hex(&digest, upper, true)),
        ] {
            prop_assert_eq!(text.parse::<Pin>(), Ok(certificate), "{}", text);
        }
    }

    /// curl's `;`-separated lists read as the pins they list, in order.
    #[test]
    fn curl_lists_read_as_their_pins(
        digests in prop::collection::vec(digest(), 1..6),
        spaces in prop::collection::vec(0usize..3, 6),
    ) {
        let list = digests
            .iter()
            .zip(&spaces)
            .map(|(digest, &space)| {
                format!("{}sha256//{}", " ".repeat(space), Pin::spki_sha256(*digest).base64())
            })
            .collect::<Vec<_>>()
            .join(";");
        let expected = digests.iter().copied().map(Pin::spki_sha256).collect::<Vec<_>>();
        prop_assert_eq!(Pin::parse_list(&list), Ok(expected));
    }
}

// ---------------------------------------------------------------------------------------------
// Host patterns: a reference model
// ---------------------------------------------------------------------------------------------

/// Canonical labels (lower case, punycode). Names are built from few labels so that generated
/// patterns and hosts overlap often.
const LABELS: [&str; 9] = [
    "a",
    "b",
    "www",
    "api",
    "x-y",
    "s_1",
    "7",
    "xn--bcher-kva",
    "test",
];

/// Labels allowed last: a numeric last label is not a DNS name.
const LAST_LABELS: [&str; 3] = ["test", "example", "xn--bcher-kva"];

/// The Unicode spelling of the punycode label above.
const UNICODE_LABEL: (&str, &str) = ("xn--bcher-kva", "bücher");

/// A host pattern as the model sees it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Model {
    Exact(Vec<String>),
    OneLabel(Vec<String>),
    AnyDepth(Vec<String>),
    Ip(IpAddr),
}

/// A host as the model sees it: canonical labels, an address, or nothing valid.
#[derive(Clone, Debug, PartialEq, Eq)]
enum ModelHost {
    Dns(Vec<String>),
    Ip(IpAddr),
}

impl Model {
    fn matches(&self, host: &ModelHost) -> bool {
        match (self, host) {
            (Model::Ip(pattern), ModelHost::Ip(host)) => pattern == host,
            (Model::Exact(labels), ModelHost::Dns(host)) => labels == host,
            (Model::OneLabel(suffix), ModelHost::Dns(host)) => {
                host.len() == suffix.len() + 1 && host.ends_with(suffix)
            }
            (Model::AnyDepth(suffix), ModelHost::Dns(host)) => host.ends_with(suffix),
            _ => false,
        }
    }

    /// The canonical text the library prints for this pattern.
    fn canonical(&self) -> String {
        match self {
            Model::Exact(labels) => labels.join("."),
            Model::OneLabel(suffix) => format!("*.{}", suffix.join(".")),
            Model::AnyDepth(suffix) => format!("**.{}", suffix.join(".")),
            Model::Ip(ip) => ip.to_string(),
        }
    }

    /// Precedence rank among matching patterns: exact (and IP) first, then `*.`, then the
    /// longest `**.`.
    fn rank(&self) -> (u8, usize) {
        match self {
            Model::Exact(_) | Model::Ip(_) => (0, 0),
            Model::OneLabel(_) => (1, 0),
            Model::AnyDepth(suffix) => (2, usize::MAX - suffix.len()),
        }
    }
}

/// The entry the model says applies to `host` among `patterns`.
fn model_winner<'a>(patterns: &'a [Model], host: &ModelHost) -> Option<&'a Model> {
    patterns
        .iter()
        .filter(|pattern| pattern.matches(host))
        .min_by_key(|pattern| pattern.rank())
}

/// How a label is written: its case changed letter by letter, and the punycode label possibly
/// in Unicode (upper or lower case).
fn spell_label(label: &str, case_flips: u64, unicode: bool) -> String {
    if unicode && label == UNICODE_LABEL.0 {
        return match case_flips % 2 {
            0 => UNICODE_LABEL.1.to_owned(),
            _ => UNICODE_LABEL.1.to_uppercase(),
        };
    }
    label
        .chars()
        .enumerate()
        .map(|(index, character)| match case_flips >> (index % 64) & 1 {
            1 => character.to_ascii_uppercase(),
            _ => character,
        })
        .collect()
}

/// Labels as written: case, Unicode and an optional trailing dot.
#[derive(Clone, Debug)]
struct Spelling {
    case_flips: Vec<u64>,
    unicode: bool,
    trailing_dot: bool,
}

fn spelling() -> impl Strategy<Value = Spelling> {
    (
        prop::collection::vec(any::<u64>(), 8),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(case_flips, unicode, trailing_dot)| Spelling {
            case_flips,
            unicode,
            trailing_dot,
        })
}

fn spell(labels: &[String], spelling: &Spelling) -> String {
    let mut text = labels
        .iter()
        .enumerate()
        .map(|(index, label)| {
            let flips = spelling.case_flips[index % spelling.case_flips.len()];
            spell_label(label, flips, spelling.unicode)
        })
        .collect::<Vec<_>>()
        .join(".");
    if spelling.trailing_dot {
        text.push('.');
    }
    text
}

/// `count` labels, the last one from [`LAST_LABELS`].
fn labels(count: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<String>> {
    let (low, high) = (*count.start(), *count.end());
    (
        prop::collection::vec(select(&LABELS[..]), low - 1..high),
        select(&LAST_LABELS[..]),
    )
        .prop_map(|(mut labels, last)| {
            labels.push(last);
            labels.into_iter().map(str::to_owned).collect()
        })
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        (0u8..3).prop_map(|last| IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))),
        (0u16..3).prop_map(|last| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last))),
        Just(IpAddr::V6(Ipv6Addr::LOCALHOST)),
        Just(IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped())),
    ]
}

/// The ways an address can be written: IPv4 as is; IPv6 compressed, in full, in upper case,
/// in brackets.
fn spell_ip(ip: &IpAddr, form: u8) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let full = v6
                .segments()
                .iter()
                .map(|segment| format!("{segment:x}"))
                .collect::<Vec<_>>()
                .join(":");
            match form % 4 {
                0 => v6.to_string(),
                1 => full,
                2 => full.to_uppercase(),
                _ => format!("[{v6}]"),
            }
        }
    }
}

fn model_pattern() -> impl Strategy<Value = Model> {
    prop_oneof![
        3 => labels(1..=4).prop_map(Model::Exact),
        3 => labels(2..=3).prop_map(Model::OneLabel),
        3 => labels(2..=3).prop_map(Model::AnyDepth),
        1 => ip().prop_map(Model::Ip),
    ]
}

/// A pattern and one way of writing it.
fn written_pattern() -> impl Strategy<Value = (Model, String)> {
    (model_pattern(), spelling(), any::<u8>()).prop_map(|(model, spelling, form)| {
        let text = match &model {
            Model::Exact(labels) => spell(labels, &spelling),
            Model::OneLabel(suffix) => format!("*.{}", spell(suffix, &spelling)),
            Model::AnyDepth(suffix) => format!("**.{}", spell(suffix, &spelling)),
            Model::Ip(ip) => spell_ip(ip, form),
        };
        (model, text)
    })
}

/// A host near `pattern` (its own labels, often with one or two more in front, sometimes
/// only a suffix of them; the same address for an IP pattern) or an unrelated one, and how it
/// is written.
fn written_host_near(pattern: &Model) -> impl Strategy<Value = (ModelHost, String)> + use<> {
    let (base, same_ip) = match pattern {
        Model::Exact(labels) | Model::OneLabel(labels) | Model::AnyDepth(labels) => {
            (labels.clone(), None)
        }
        Model::Ip(ip) => (vec!["test".to_owned()], Some(*ip)),
    };
    let extra_labels = select(&[0usize, 0, 1, 1, 2][..]);
    let dropped = prop_oneof![3 => Just(0usize), 1 => 0..base.len()];
    let near = (
        prop::collection::vec(select(&LABELS[..]), 2),
        extra_labels,
        dropped,
    )
        .prop_map(move |(prefix, extra, drop)| {
            let mut labels = prefix[..extra]
                .iter()
                .map(|label| label.to_string())
                .collect::<Vec<_>>();
            labels.extend(base[drop.min(base.len() - 1)..].iter().cloned());
            ModelHost::Dns(labels)
        });
    let same_ip = match same_ip {
        Some(ip) => Just(ModelHost::Ip(ip)).boxed(),
        None => ip().prop_map(ModelHost::Ip).boxed(),
    };
    let host = prop_oneof![
        4 => near,
        2 => labels(1..=5).prop_map(ModelHost::Dns),
        1 => ip().prop_map(ModelHost::Ip),
        1 => same_ip,
    ];
    (host, spelling(), any::<u8>()).prop_map(|(host, spelling, form)| {
        let text = match &host {
            ModelHost::Dns(labels) => spell(labels, &spelling),
            ModelHost::Ip(ip) => spell_ip(ip, form),
        };
        (host, text)
    })
}

fn pattern_and_host() -> impl Strategy<Value = ((Model, String), (ModelHost, String))> {
    written_pattern().prop_flat_map(|written| {
        let host = written_host_near(&written.0);
        (Just(written), host)
    })
}

proptest! {
    #![proptest_config(cases(768))]

    /// `HostPattern::matches` agrees with the model, whatever the case, trailing dot, Unicode
    /// or punycode spelling and IP address form on either side.
    #[test]
    fn host_patterns_match_like_the_model(
        ((model, pattern_text), (host, host_text)) in pattern_and_host()
    ) {
        let pattern: HostPattern = pattern_text
            .parse()
            .map_err(|error| TestCaseError::fail(format!("{pattern_text:?}: {error}")))?;
        prop_assert_eq!(
            pattern.matches(&host_text),
            model.matches(&host),
            "pattern {:?} host {:?}", pattern_text, host_text
        );
    }

    /// A pattern prints in canonical form, and that text parses back to the same pattern.
    #[test]
    fn host_patterns_print_canonically((model, text) in written_pattern()) {
        let pattern: HostPattern = text
            .parse()
            .map_err(|error| TestCaseError::fail(format!("{text:?}: {error}")))?;
        prop_assert_eq!(pattern.to_string(), model.canonical());
        prop_assert_eq!(pattern.to_string().parse::<HostPattern>(), Ok(pattern));
    }
}

// ---------------------------------------------------------------------------------------------
// Precedence
// ---------------------------------------------------------------------------------------------

/// Patterns drawn from a tiny namespace, so that several match the same host: up to eight
/// distinct ones, each written in some spelling.
fn overlapping_patterns() -> impl Strategy<Value = Vec<(Model, String)>> {
    let label = select(&["a", "b", "c"][..]);
    let suffix = prop::collection::vec(label, 0..3).prop_map(|labels| {
        let mut labels = labels
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<String>>();
        labels.push("test".to_owned());
        labels
    });
    let pattern = (suffix, 0u8..3, spelling()).prop_map(|(labels, kind, spelling)| {
        let wildcard_ok = labels.len() >= 2;
        match (kind, wildcard_ok) {
            (1, true) => (
                Model::OneLabel(labels.clone()),
                format!("*.{}", spell(&labels, &spelling)),
            ),
            (2, true) => (
                Model::AnyDepth(labels.clone()),
                format!("**.{}", spell(&labels, &spelling)),
            ),
            _ => (Model::Exact(labels.clone()), spell(&labels, &spelling)),
        }
    });
    prop::collection::vec(pattern, 1..9).prop_map(|patterns| {
        let mut seen = std::collections::HashSet::new();
        patterns
            .into_iter()
            .filter(|(model, _)| seen.insert(model.clone()))
            .collect()
    })
}

fn hosts_in_the_namespace() -> impl Strategy<Value = Vec<(ModelHost, String)>> {
    let host = (
        prop::collection::vec(select(&["a", "b", "c", "d"][..]), 0..5),
        spelling(),
    )
        .prop_map(|(labels, spelling)| {
            let mut labels = labels
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<String>>();
            labels.push("test".to_owned());
            let text = spell(&labels, &spelling);
            (ModelHost::Dns(labels), text)
        });
    prop::collection::vec(host, 1..16)
}

proptest! {
    #![proptest_config(cases(256))]

    /// `PinSet::lookup` picks the entry the model picks: exact, then `*.`, then the longest
    /// `**.`; `None` when no pattern matches.
    #[test]
    fn lookup_follows_precedence(
        patterns in overlapping_patterns(),
        hosts in hosts_in_the_namespace(),
    ) {
        let mut builder = PinSet::builder();
        for (index, (_, text)) in patterns.iter().enumerate() {
            let pattern: HostPattern = text.parse().map_err(|error| {
                TestCaseError::fail(format!("{text:?}: {error}"))
            })?;
            builder = builder.entry(
                PinEntry::builder(pattern)
                    .pin(Pin::spki_sha256([index as u8; 32]))
                    .allow_missing_backup_pin(),
            );
        }
        let set = builder
            .build()
            .map_err(|error| TestCaseError::fail(error.to_string()))?;
        let models = patterns.iter().map(|(model, _)| model.clone()).collect::<Vec<_>>();
        for (host, text) in &hosts {
            let expected = model_winner(&models, host).map(Model::canonical);
            let actual = set.lookup(text).map(|entry| entry.pattern().to_string());
            prop_assert_eq!(actual, expected, "host {:?} among {:?}", text, models);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Policy files
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "serde")]
mod policy_files {
    use std::time::Duration;

    use proptest::prelude::*;
    use rustls::pki_types::UnixTime;
    use rustls_pinning::config::{self, ConfigFormat};
    use rustls_pinning::{
        AfterExpiry, Date, EnforcementMode, Pin, PinEntry, PinEntryBuilder, PinScope, PinSet,
        UnpinnedHostPolicy,
    };

    use super::{cases, written_pattern, Model};

    /// The last second a policy file can write: 9999-12-31T23:59:59Z.
    const LAST_WRITABLE_SECOND: u64 = 253_402_300_799;

    fn scope() -> impl Strategy<Value = PinScope> {
        prop_oneof![
            Just(PinScope::Any),
            Just(PinScope::Leaf),
            Just(PinScope::Intermediate),
            Just(PinScope::Root),
        ]
    }

    /// A pin of one class: byte 16 of the digest tells allowed, entry-denied and
    /// denied-everywhere pins apart, so a generated set never allows a pin it denies.
    fn pin_of_class(class: u8) -> impl Strategy<Value = (Pin, PinScope)> {
        (super::pin(), scope()).prop_map(move |(pin, scope)| {
            let mut digest = *pin.sha256();
            digest[16] = class;
            let pin = match pin.kind() {
                rustls_pinning::PinKind::Spki => Pin::spki_sha256(digest),
                _ => Pin::certificate_sha256(digest),
            };
            (pin, scope)
        })
    }

    #[derive(Clone, Debug)]
    enum Expiry {
        At(u64),
        On(Date),
    }

    fn expiry() -> impl Strategy<Value = Option<Expiry>> {
        prop_oneof![
            2 => Just(None),
            2 => (0..=LAST_WRITABLE_SECOND).prop_map(|secs| Some(Expiry::At(secs))),
            1 => (0..=LAST_WRITABLE_SECOND / 86_400)
                .prop_map(|days| Some(Expiry::At(days * 86_400))),
            1 => (1970u32..=9999, 1u8..=12, 1u8..=28)
                .prop_map(|(y, m, d)| Date::new(y, m, d).ok().map(Expiry::On)),
            // Later than any file can write: refused by `to_string`, never written wrong.
            1 => (LAST_WRITABLE_SECOND + 1..=u64::MAX).prop_map(|secs| Some(Expiry::At(secs))),
        ]
    }

    #[derive(Clone, Debug)]
    struct EntryPlan {
        pattern: (Model, String),
        pins: Vec<(Pin, PinScope)>,
        backup: Vec<(Pin, PinScope)>,
        deny: Vec<(Pin, PinScope)>,
        expiry: Option<Expiry>,
        keep_enforcing: bool,
        report_only: bool,
    }

    fn entry_plan() -> impl Strategy<Value = EntryPlan> {
        (
            written_pattern(),
            prop::collection::vec(pin_of_class(0), 0..4),
            prop::collection::vec(pin_of_class(0), 0..3),
            prop::collection::vec(pin_of_class(1), 0..3),
            expiry(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(
                |(pattern, pins, backup, deny, expiry, keep_enforcing, report_only)| EntryPlan {
                    pattern,
                    pins,
                    backup,
                    deny,
                    expiry,
                    keep_enforcing,
                    report_only,
                },
            )
    }

    impl EntryPlan {
        /// The builder calls the plan describes, adjusted so that the set builds: an entry
        /// has some pin, backup pins need a primary one, and a lone pin is allowed by name.
        fn builder(&self) -> PinEntryBuilder {
            let pattern = self.pattern.1.parse().unwrap();
            let mut pins = self.pins.clone();
            if pins.is_empty() && self.deny.is_empty() {
                pins.push((Pin::spki_sha256([0; 32]), PinScope::Any));
            }
            let backup = match pins.is_empty() {
                true => Vec::new(),
                false => self.backup.clone(),
            };
            let mut builder = PinEntry::builder(pattern);
            for (pin, scope) in &pins {
                builder = builder.pin_at(*pin, *scope);
            }
            for (pin, scope) in &backup {
                builder = builder.backup_pin_at(*pin, *scope);
            }
            for (pin, scope) in &self.deny {
                builder = builder.deny_at(*pin, *scope);
            }
            builder = match &self.expiry {
                Some(Expiry::At(secs)) => {
                    builder.expires_at(UnixTime::since_unix_epoch(Duration::from_secs(*secs)))
                }
                Some(Expiry::On(date)) => builder.expires_on(*date),
                None => builder,
            };
            if self.keep_enforcing {
                builder = builder.after_expiry(AfterExpiry::KeepEnforcing);
            }
            if self.report_only {
                builder = builder.mode(EnforcementMode::ReportOnly);
            }
            let distinct = pins
                .iter()
                .chain(&backup)
                .map(|(pin, _)| *pin)
                .collect::<std::collections::HashSet<_>>()
                .len();
            if distinct == 1 {
                builder = builder.allow_missing_backup_pin();
            }
            builder
        }
    }

    fn pin_set() -> impl Strategy<Value = PinSet> {
        (
            prop::collection::vec(entry_plan(), 0..5),
            prop::collection::vec(pin_of_class(2), 0..3),
            any::<bool>(),
        )
            .prop_map(|(entries, global_deny, reject_unpinned)| {
                let mut seen = std::collections::HashSet::new();
                let mut builder = PinSet::builder();
                for entry in entries.iter().filter(|e| seen.insert(e.pattern.0.clone())) {
                    builder = builder.entry(entry.builder());
                }
                for (pin, scope) in global_deny {
                    builder = builder.deny_everywhere_at(pin, scope);
                }
                if reject_unpinned {
                    builder = builder.unpinned_hosts(UnpinnedHostPolicy::Reject);
                }
                builder
                    .build()
                    .expect("generated sets are valid by construction")
            })
    }

    fn assert_same_set(left: &PinSet, right: &PinSet) -> Result<(), TestCaseError> {
        prop_assert_eq!(
            left.entries().collect::<Vec<_>>(),
            right.entries().collect::<Vec<_>>()
        );
        prop_assert_eq!(left.globally_denied_pins(), right.globally_denied_pins());
        prop_assert_eq!(left.unpinned_host_policy(), right.unpinned_host_policy());
        Ok(())
    }

    proptest! {
        #![proptest_config(cases(192))]

        /// Saving a set and loading the text gives the same set, in TOML and in JSON, and
        /// saving that again gives the same text. A set with an expiry no file can write
        /// (after 9999-12-31T23:59:59Z) is refused instead.
        #[test]
        fn saved_policies_load_as_the_same_set(set in pin_set()) {
            let writable = set.entries().all(|entry| {
                entry.expires_at().is_none_or(|time| time.as_secs() <= LAST_WRITABLE_SECOND)
            });
            for format in [ConfigFormat::Toml, ConfigFormat::Json] {
                if !writable {
                    let refused = matches!(
                        config::to_string(&set, format),
                        Err(config::ConfigError::NotExpressible { .. })
                    );
                    prop_assert!(refused, "{} wrote an expiry it cannot read back", format);
                    continue;
                }
                let text = config::to_string(&set, format)
                    .map_err(|error| TestCaseError::fail(format!("{format}: {error}")))?;
                let loaded = config::parse(&text, format)
                    .map_err(|error| TestCaseError::fail(format!("{format}: {error}\n{text}")))?;
                assert_same_set(&set, &loaded)?;
                prop_assert_eq!(config::to_string(&loaded, format).ok(), Some(text));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Times the crate writes
// ---------------------------------------------------------------------------------------------

/// Every date, time and duration the crate writes (policy files, bundle bodies, RFC 7469
/// reports, HPKP headers, dates, messages) reads back to the same instant, both with the
/// crate's own parsers and with the `time` crate's RFC 3339 parser; instants after
/// 9999-12-31T23:59:59Z, which RFC 3339 cannot write, are refused by the writers whose text
/// is read back as policy (policy files, bundles) and written as that last second by the
/// others (reports, dates, messages).
mod written_times {
    use std::time::Duration;

    use proptest::prelude::*;
    use rustls::pki_types::UnixTime;
    use rustls_pinning::{Date, HpkpPolicy, Pin, PinEntry, PinSet};
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;

    use super::cases;

    /// 9999-12-31T23:59:59Z.
    const LAST: u64 = 253_402_300_799;
    const DAY: u64 = 86_400;

    /// Times near the epoch, near today, near the end of year 9999, past it, and anywhere.
    pub(super) fn instant() -> impl Strategy<Value = u64> {
        prop_oneof![
            0..=400 * DAY,
            1_600_000_000u64..=2_000_000_000,
            LAST - 400 * DAY..=LAST,
            LAST + 1..=LAST + 400 * DAY,
            any::<u64>(),
        ]
    }

    pub(super) fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    /// The instant `text` names, read by the `time` crate as RFC 3339.
    pub(super) fn independent(text: &str) -> Result<u64, TestCaseError> {
        let parsed = OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|error| TestCaseError::fail(format!("{text:?}: {error}")))?;
        u64::try_from(parsed.unix_timestamp())
            .map_err(|_| TestCaseError::fail(format!("{text:?} is before 1970")))
    }

    /// What a writer that caps shows for `secs`.
    pub(super) fn capped(secs: u64) -> u64 {
        secs.min(LAST)
    }

    /// The first RFC 3339 time (`YYYY-MM-DDTHH:MM:SSZ`) in `text`.
    pub(super) fn first_time(text: &str) -> Option<&str> {
        let bytes = text.as_bytes();
        (0..bytes.len().saturating_sub(19)).find_map(|start| {
            let candidate = text.get(start..start + 20)?;
            let shape = candidate
                .bytes()
                .enumerate()
                .all(|(index, byte)| match index {
                    4 | 7 => byte == b'-',
                    10 => byte == b'T',
                    13 | 16 => byte == b':',
                    19 => byte == b'Z',
                    _ => byte.is_ascii_digit(),
                });
            shape.then_some(candidate)
        })
    }

    proptest! {
        #![proptest_config(cases(256))]

        /// `Date`: printed as `YYYY-MM-DD`, the UTC day of the instant (capped at
        /// 9999-12-31), which both parsers read back as that day's midnight.
        #[test]
        fn dates_read_back_as_their_day(secs in instant()) {
            let date = Date::from_unix_time(at(secs));
            let text = date.to_string();
            let midnight = capped(secs) / DAY * DAY;
            prop_assert_eq!(text.len(), 10);
            prop_assert_eq!(text.parse::<Date>(), Ok(date));
            prop_assert_eq!(date.to_unix_time().as_secs(), midnight);
            prop_assert_eq!(independent(&format!("{text}T00:00:00Z"))?, midnight);
        }

        /// HPKP headers: `max-age` is the time left until the entry's expiry, and importing
        /// the header at the same instant gives that expiry back (capped at 9999).
        #[test]
        fn hpkp_max_age_reads_back_as_the_same_expiry(now in instant(), left in 1..=u64::MAX) {
            let expiry = now.saturating_add(left);
            prop_assume!(expiry > now);
            let set = PinSet::builder()
                .entry(
                    PinEntry::builder("example.com".parse().unwrap())
                        .pin(Pin::spki_sha256([1; 32]))
                        .pin(Pin::spki_sha256([2; 32]))
                        .expires_at(at(expiry)),
                )
                .build()
                .unwrap();
            let entry = set.entries().next().unwrap();
            let header = HpkpPolicy::from_entry(entry, at(now), Duration::from_secs(60)).unwrap();
            let text = header.to_string();
            let read = HpkpPolicy::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            prop_assert_eq!(read.max_age().as_secs(), expiry - now);
            let imported = PinSet::builder()
                .entry(read.to_entry("example.com".parse().unwrap(), at(now)).unwrap())
                .build()
                .unwrap();
            prop_assert_eq!(
                imported.lookup("example.com").unwrap().expires_at(),
                Some(at(capped(expiry)))
            );
        }
    }

    #[cfg(feature = "serde")]
    mod serde_writers {
        use std::sync::{Arc, OnceLock};

        use proptest::prelude::*;
        use rcgen::PublicKeyData as _;
        use rustls::client::danger::ServerCertVerifier;
        use rustls::pki_types::{
            CertificateDer, PrivateKeyDer, ServerName, SubjectPublicKeyInfoDer,
        };
        use rustls_pinning::config::{self, ConfigError, ConfigFormat};
        use rustls_pinning::reporters::MemoryReporter;
        use rustls_pinning::{
            danger, AfterExpiry, Pin, PinEntry, PinEventKind, PinSet, Reporting, ViolationReport,
        };

        use super::super::cases;
        use super::{at, capped, first_time, independent, instant, LAST};

        /// A set with one entry expiring at `secs`.
        fn expiring(secs: u64) -> PinSet {
            PinSet::builder()
                .entry(
                    PinEntry::builder("a.example".parse().unwrap())
                        .pin(Pin::spki_sha256([1; 32]))
                        .pin(Pin::spki_sha256([2; 32]))
                        .expires_at(at(secs)),
                )
                .build()
                .unwrap()
        }

        /// The instant the crate's own RFC 3339 parser reads in `text`: a policy file whose
        /// entry expires then.
        fn by_the_crate(text: &str) -> Result<u64, TestCaseError> {
            let policy = format!(
                "version = 1\n[[entry]]\npattern = \"a.example\"\npins = [\"{}\", \"{}\"]\nexpires = \"{text}\"\n",
                Pin::spki_sha256([1; 32]),
                Pin::spki_sha256([2; 32])
            );
            let set = config::parse(&policy, ConfigFormat::Toml)
                .map_err(|e| TestCaseError::fail(format!("{text:?}: {e}")))?;
            let secs = set
                .entries()
                .next()
                .unwrap()
                .expires_at()
                .unwrap()
                .as_secs();
            Ok(secs)
        }

        fn self_signed_leaf() -> &'static CertificateDer<'static> {
            static LEAF: OnceLock<CertificateDer<'static>> = OnceLock::new();
            LEAF.get_or_init(|| {
                let key = rcgen::KeyPair::generate().unwrap();
                rcgen::CertificateParams::new(vec!["a.example".to_owned()])
                    .unwrap()
                    .self_signed(&key)
                    .unwrap()
                    .der()
                    .clone()
            })
        }

        proptest! {
            #![proptest_config(cases(128))]

            /// Policy files: an expiry is written as RFC 3339 that both parsers read as the
            /// same instant, or refused when it is after 9999-12-31T23:59:59Z.
            #[test]
            fn policy_file_expiries_read_back(secs in instant()) {
                let set = expiring(secs);
                for format in [ConfigFormat::Toml, ConfigFormat::Json] {
                    match config::to_string(&set, format) {
                        Ok(text) => {
                            prop_assert!(secs <= LAST, "{} wrote {}", format, text);
                            let written = first_time(&text)
                                .ok_or_else(|| TestCaseError::fail(text.clone()))?;
                            prop_assert_eq!(independent(written)?, secs);
                            prop_assert_eq!(by_the_crate(written)?, secs);
                            let back = config::parse(&text, format).unwrap();
                            prop_assert_eq!(
                                back.entries().next().unwrap().expires_at(),
                                Some(at(secs))
                            );
                        }
                        Err(ConfigError::NotExpressible { .. }) => prop_assert!(secs > LAST),
                        Err(other) => return Err(TestCaseError::fail(other.to_string())),
                    }
                }
            }

            /// Violation reports: `date-time` and `effective-expiration-date` are RFC 3339
            /// that both parsers read as the event's instants, capped at 9999-12-31T23:59:59Z.
            #[test]
            fn report_times_read_back(now in instant(), expiry in instant()) {
                let events = Arc::new(MemoryReporter::new(4));
                let pins = PinSet::builder()
                    .entry(
                        PinEntry::builder("a.example".parse().unwrap())
                            .pin(Pin::spki_sha256([1; 32]))
                            .pin(Pin::spki_sha256([2; 32]))
                            .expires_at(at(expiry))
                            .after_expiry(AfterExpiry::KeepEnforcing),
                    )
                    .build()
                    .unwrap();
                let verifier = danger::pins_only(pins, rustls_pinning::default_crypto_provider())
                    .allow_expired_certificates()
                    .with_reporting(Reporting::new(events.clone()))
                    .build()
                    .unwrap();
                let result = verifier.verify_server_cert(
                    self_signed_leaf(),
                    &[],
                    &ServerName::try_from("a.example").unwrap(),
                    &[],
                    at(now),
                );
                prop_assert!(result.is_err());
                let event = events
                    .take()
                    .into_iter()
                    .find(|event| event.kind == PinEventKind::Violation)
                    .expect("a violation");
                let report = ViolationReport::from(&event);
                let expiration = report.effective_expiration_date.clone().unwrap();
                for (text, secs) in [(&report.date_time, now), (&expiration, expiry)] {
                    prop_assert_eq!(text.len(), 20, "{}", text);
                    prop_assert_eq!(independent(text)?, capped(secs));
                    prop_assert_eq!(by_the_crate(text)?, capped(secs));
                }
                // The JSON carries the same strings.
                let json: serde_json::Value = serde_json::from_str(&event.to_json().unwrap()).unwrap();
                prop_assert_eq!(json["date-time"].as_str(), Some(report.date_time.as_str()));
                prop_assert_eq!(
                    json["effective-expiration-date"].as_str(),
                    Some(expiration.as_str())
                );
            }
        }

        #[cfg(feature = "dynamic")]
        mod bundles {
            use std::sync::OnceLock;

            use super::*;
            use rustls_pinning::bundle::{self, BundleError, BundleKey, BundleVerifier};

            fn signer() -> &'static (PrivateKeyDer<'static>, BundleVerifier) {
                static SIGNER: OnceLock<(PrivateKeyDer<'static>, BundleVerifier)> = OnceLock::new();
                SIGNER.get_or_init(|| {
                    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap();
                    let public = BundleKey::from_spki(&SubjectPublicKeyInfoDer::from(
                        key.subject_public_key_info(),
                    ))
                    .unwrap();
                    let verifier = BundleVerifier::new(
                        vec![public],
                        &rustls_pinning::default_crypto_provider(),
                    )
                    .unwrap();
                    (PrivateKeyDer::Pkcs8(key.serialize_der().into()), verifier)
                })
            }

            proptest! {
                #![proptest_config(cases(128))]

                /// Bundle bodies: `issued_at` and `expires_at` are RFC 3339 that both parsers,
                /// and the bundle verifier, read as the same instants, or the body is refused
                /// when either is after 9999-12-31T23:59:59Z. The verifier's messages show
                /// valid RFC 3339 too.
                #[test]
                fn bundle_times_read_back(issued in instant(), expires in instant()) {
                    let pins = expiring(1_900_000_000);
                    let body = match bundle::body(&pins, 1, at(issued), at(expires)) {
                        Ok(body) => body,
                        Err(ConfigError::NotExpressible { .. }) => {
                            prop_assert!(issued > LAST || expires > LAST);
                            return Ok(());
                        }
                        Err(other) => return Err(TestCaseError::fail(other.to_string())),
                    };
                    prop_assert!(issued <= LAST && expires <= LAST);
                    let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
                    for (field, secs) in [("issued_at", issued), ("expires_at", expires)] {
                        let text = json[field].as_str().unwrap();
                        prop_assert_eq!(independent(text)?, secs);
                        prop_assert_eq!(by_the_crate(text)?, secs);
                    }
                    let (key, verifier) = signer();
                    let signature =
                        bundle::sign(&body, key, &rustls_pinning::default_crypto_provider()).unwrap();
                    match verifier.verify(&body, &signature, at(issued)) {
                        Ok(bundle) => {
                            prop_assert!(expires > issued);
                            prop_assert_eq!(bundle.issued_at(), at(issued));
                            prop_assert_eq!(bundle.expires_at(), at(expires));
                        }
                        Err(error @ BundleError::NotYetValid { .. }) => {
                            prop_assert!(expires <= issued);
                            let message = error.to_string();
                            let shown = first_time(&message).unwrap();
                            prop_assert_eq!(independent(shown)?, issued);
                        }
                        Err(other) => return Err(TestCaseError::fail(other.to_string())),
                    }
                }

                /// The verifier's messages name times in valid RFC 3339, capped at 9999.
                #[test]
                fn bundle_error_messages_show_valid_times(secs in instant()) {
                    let message = BundleError::Expired { version: 1, expires_at: at(secs) }.to_string();
                    let shown = first_time(&message)
                        .ok_or_else(|| TestCaseError::fail(message.clone()))?;
                    prop_assert_eq!(independent(shown)?, capped(secs));
                    prop_assert_eq!(by_the_crate(shown)?, capped(secs));
                }
            }

            /// `bundle_times_read_back`'s boundary, as a plain test: the last second
            /// `bundle::body` can write, and the next one refused.
            #[test]
            fn a_bundle_body_refuses_times_it_could_not_read_back() {
                // Regression: `bundle::body` wrote times after 9999-12-31T23:59:59Z with
                // five-digit years, which verification then refused as a malformed bundle.
                const LAST_WRITABLE_SECOND: u64 = 253_402_300_799;
                const HOST: &str = "dynamic.test";
                let reserve = |byte: u8| Pin::spki_sha256([byte; 32]);
                let pins = PinSet::builder()
                    .entry(
                        PinEntry::builder(HOST.parse().unwrap())
                            .pin(reserve(1))
                            .backup_pin(reserve(0xEE)),
                    )
                    .build()
                    .unwrap();
                let issued = at(1_800_000_000);
                let body = bundle::body(&pins, 1, issued, at(LAST_WRITABLE_SECOND)).unwrap();
                assert!(String::from_utf8(body)
                    .unwrap()
                    .contains("\"expires_at\": \"9999-12-31T23:59:59Z\""));

                let late = at(LAST_WRITABLE_SECOND + 1);
                for (issued_at, expires_at, subject) in
                    [(issued, late, "expires_at"), (late, late, "issued_at")]
                {
                    match bundle::body(&pins, 1, issued_at, expires_at) {
                        Err(rustls_pinning::config::ConfigError::NotExpressible {
                            target,
                            subject: actual,
                            ..
                        }) => {
                            assert_eq!(target, "a pin bundle");
                            assert_eq!(actual, subject);
                        }
                        other => panic!("{subject}: {other:?}"),
                    }
                }
                let late_entry = PinSet::builder()
                    .entry(
                        PinEntry::builder(HOST.parse().unwrap())
                            .pin(reserve(1))
                            .backup_pin(reserve(2))
                            .expires_at(late),
                    )
                    .build()
                    .unwrap();
                assert!(matches!(
                    bundle::body(&late_entry, 1, issued, at(1_900_000_000)),
                    Err(rustls_pinning::config::ConfigError::NotExpressible { .. })
                ));
            }
        }
    }
}
