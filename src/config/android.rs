//! Android Network Security Configuration (`res/xml/network_security_config.xml`) pins, so
//! that the Android and Rust clients of one backend can share one pin policy.

use std::collections::HashMap;
use std::fmt::Write as _;

use roxmltree::{Document, Node, ParsingOptions};

use crate::date::{Date, LAST_WRITABLE_SECOND};
use crate::policy::host_pattern::HostPatternKind;
use crate::policy::pin::{Pin, PinKind};
use crate::policy::{
    AfterExpiry, EnforcementMode, PinEntry, PinEntryBuilder, PinScope, PinSet, PinSetError,
    UnpinnedHostPolicy,
};

use super::ConfigError;

/// One `<domain>` with the pin set that applies to it.
struct DomainPins {
    entry: PinEntryBuilder,
    /// Where the `<domain>` starts; its line is computed only for an error, since finding a
    /// line means scanning the text from its start.
    offset: usize,
    written: String,
    pattern: crate::policy::host_pattern::HostPattern,
}

/// Reads the pins of an Android network security configuration.
///
/// Every `<domain-config>` (nested ones included, which inherit their parent's `<pin-set>`
/// unless they have their own) gives one entry per `<domain>`: `**.name` when
/// `includeSubdomains="true"`, `name` otherwise. `<pin digest="SHA-256">` values are SPKI pins;
/// `expiration="yyyy-MM-dd"` becomes an expiry after which the entry is skipped, as Android
/// does. Trust anchors, cleartext settings and `<debug-overrides>` are not pins and are
/// ignored. The entries then go through the set builder's rules, so an entry with a single
/// pin is refused as having no backup; [`parse_android_allowing_missing_backup`] accepts it
/// as Android does.
///
/// ```
/// let xml = r#"<network-security-config>
///   <domain-config>
///     <domain includeSubdomains="true">example.com</domain>
///     <pin-set expiration="2030-01-01">
///       <pin digest="SHA-256">r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=</pin>
///       <pin digest="SHA-256">YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=</pin>
///     </pin-set>
///   </domain-config>
/// </network-security-config>"#;
/// let pins = rustls_pinning::config::parse_android(xml, "network_security_config.xml")?;
/// assert_eq!(pins.lookup("api.example.com").unwrap().pattern().to_string(), "**.example.com");
/// # Ok::<(), rustls_pinning::config::ConfigError>(())
/// ```
///
/// The structure follows Android's own parser: a `<domain-config>` needs a `<domain>` and
/// has at most one `<pin-set>` and one `<trust-anchors>`; `<base-config>` and
/// `<debug-overrides>` appear at most once and hold no pins or domains; a domain is named
/// once; `digest` is `SHA-256` in any case. Where Android would read a `<domain>` literally
/// (a `*` in it) or skip an element it does not know, the configuration is refused instead.
///
/// # Errors
/// [`ConfigError::TooLarge`] for text over [`MAX_ANDROID_XML_BYTES`], before parsing;
/// [`ConfigError::TooManyNodes`] past [`MAX_ANDROID_XML_NODES`], while parsing;
/// [`ConfigError::TooDeep`] with the line of the first element nested deeper than
/// [`MAX_ANDROID_XML_DEPTH`]; [`ConfigError::Syntax`] with the line for malformed XML or a
/// malformed element; [`ConfigError::Invalid`] with the line of the `<domain>` for what the
/// builder refuses; [`ConfigError::PinsNothing`] for a configuration without any `<pin-set>`
/// in a `<domain-config>` (one about trust anchors or cleartext traffic only), which would
/// switch pinning off.
pub fn parse_android(xml: &str, origin: &str) -> Result<PinSet, ConfigError> {
    parse(xml, origin, false)
}

/// Like [`parse_android`], but accepts a `<pin-set>` with a single pin, as Android does.
/// Without a backup pin, the next key rotation breaks every client still carrying it.
///
/// ```
/// let xml = r#"<network-security-config><domain-config>
///   <domain>api.example.com</domain>
///   <pin-set><pin digest="SHA-256">r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=</pin></pin-set>
/// </domain-config></network-security-config>"#;
/// assert!(rustls_pinning::config::parse_android(xml, "nsc.xml").is_err());
/// assert!(rustls_pinning::config::parse_android_allowing_missing_backup(xml, "nsc.xml").is_ok());
/// ```
///
/// # Errors
/// As [`parse_android`].
pub fn parse_android_allowing_missing_backup(
    xml: &str,
    origin: &str,
) -> Result<PinSet, ConfigError> {
    parse(xml, origin, true)
}

/// The largest Android network security configuration [`parse_android`] reads: 1 MiB.
///
/// Configurations seen in practice are a few kilobytes; one that pins a thousand domains,
/// each in its own `<domain-config>` with two pins, is about 300 KiB. Larger text is refused
/// with [`ConfigError::TooLarge`] before any of it is parsed.
pub const MAX_ANDROID_XML_BYTES: usize = 1024 * 1024;

/// How deep elements of an Android network security configuration may nest: 32 levels,
/// `<network-security-config>` being the first.
///
/// Android's own documentation nests a `<domain-config>` once, which puts a `<pin>` at level
/// 5; 32 levels leave room for some 28 nested `<domain-config>`s. Deeper documents are refused
/// with [`ConfigError::TooDeep`]: the walk over the document keeps its own stack and never
/// recurses, but a nesting nobody writes is an attack or a mistake.
pub const MAX_ANDROID_XML_DEPTH: usize = 32;

/// How many XML nodes (elements, text runs, comments) an Android network security
/// configuration may have: 100 000.
///
/// A real configuration spends 20 to 40 bytes per node (an element, its text, the
/// whitespace after it), so one at [`MAX_ANDROID_XML_BYTES`] has at most about 50 000; the
/// limit refuses degenerate documents such as 1 MiB of `<a/>` (260 000 nodes) and bounds the
/// parsed tree to a few megabytes. The parser stops as soon as it is reached.
pub const MAX_ANDROID_XML_NODES: u32 = 100_000;

/// What the size errors call the input.
const WHAT: &str = "Android network security configuration";

fn parse(xml: &str, origin: &str, allow_missing_backup_pin: bool) -> Result<PinSet, ConfigError> {
    if xml.len() > MAX_ANDROID_XML_BYTES {
        return Err(ConfigError::TooLarge {
            origin: origin.to_owned(),
            what: WHAT,
            size: xml.len(),
            limit: MAX_ANDROID_XML_BYTES,
        });
    }
    let options = ParsingOptions {
        nodes_limit: MAX_ANDROID_XML_NODES,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(xml, options).map_err(|error| match error {
        roxmltree::Error::NodesLimitReached => ConfigError::TooManyNodes {
            origin: origin.to_owned(),
            limit: usize::try_from(MAX_ANDROID_XML_NODES).unwrap_or(usize::MAX),
        },
        other => {
            let position = other.pos();
            ConfigError::Syntax {
                origin: origin.to_owned(),
                line: usize::try_from(position.row).unwrap_or(1),
                column: usize::try_from(position.col).unwrap_or(1),
                reason: other.to_string(),
            }
        }
    })?;
    // Computing a line scans the text from its start: only errors do it, so the work stays
    // linear in the size of the document.
    let line_at = |offset: usize| usize::try_from(document.text_pos_at(offset).row).unwrap_or(1);
    let syntax = |node: Node<'_, '_>, reason: String| {
        let position = document.text_pos_at(node.range().start);
        ConfigError::Syntax {
            origin: origin.to_owned(),
            line: usize::try_from(position.row).unwrap_or(1),
            column: usize::try_from(position.col).unwrap_or(1),
            reason,
        }
    };
    check_depth(&document, |node| ConfigError::TooDeep {
        origin: origin.to_owned(),
        line: line_at(node.range().start),
        limit: MAX_ANDROID_XML_DEPTH,
    })?;
    let root = document.root_element();
    if root.tag_name().name() != "network-security-config" {
        return Err(syntax(
            root,
            format!(
                "expected <network-security-config>, found <{}>",
                root.tag_name().name()
            ),
        ));
    }
    let mut domains = Vec::new();
    let mut seen_names = HashMap::new();
    let mut seen_base_config = false;
    let mut seen_debug_overrides = false;
    for child in root.children().filter(Node::is_element) {
        match child.tag_name().name() {
            "domain-config" => collect(child, &mut domains, &mut seen_names, &line_at, &syntax)?,
            name @ ("base-config" | "debug-overrides") => {
                let seen = match name {
                    "base-config" => &mut seen_base_config,
                    _ => &mut seen_debug_overrides,
                };
                if std::mem::replace(seen, true) {
                    return Err(syntax(
                        child,
                        format!("only one <{name}> is allowed (Android refuses a second)"),
                    ));
                }
                check_general_config(child, name, &syntax)?;
            }
            other => {
                return Err(syntax(
                    child,
                    format!("unexpected <{other}> in <network-security-config>"),
                ))
            }
        }
    }
    let mut builder = PinSet::builder();
    for domain in &domains {
        let entry = match allow_missing_backup_pin {
            true => domain.entry.clone().allow_missing_backup_pin(),
            false => domain.entry.clone(),
        };
        builder = builder.entry(entry);
    }
    let pins = builder.build().map_err(|source| {
        let pattern = match &source {
            PinSetError::MissingBackupPin { pattern }
            | PinSetError::EmptyEntry { pattern }
            | PinSetError::DuplicatePattern { pattern }
            | PinSetError::BackupWithoutPrimaryPin { pattern }
            | PinSetError::PinAllowedAndDenied { pattern, .. }
            | PinSetError::PinAllowedAndDeniedEverywhere { pattern, .. } => pattern.clone(),
        };
        let mut matching = domains.iter().filter(|domain| domain.pattern == pattern);
        let domain = match source {
            PinSetError::DuplicatePattern { .. } => matching.nth(1),
            _ => matching.next(),
        };
        ConfigError::Invalid {
            origin: origin.to_owned(),
            line: domain.map(|domain| line_at(domain.offset)),
            field: domain.map_or_else(
                || format!("<domain> {pattern}"),
                |domain| format!("<domain> \"{}\"", domain.written),
            ),
            source: Box::new(source),
        }
    })?;
    // A configuration without a <pin-set> is about something else (trust anchors, cleartext
    // traffic); imported, it would switch pinning off, and XML has no way to say that is meant.
    if pins.is_empty() && pins.globally_denied_pins().is_empty() {
        return Err(ConfigError::PinsNothing {
            origin: origin.to_owned(),
        });
    }
    Ok(pins)
}

/// Refuses a document whose elements nest deeper than [`MAX_ANDROID_XML_DEPTH`], naming the
/// first element too deep. One pass in document order, where a parent always comes before
/// its children, so each element's depth is its parent's plus one: no recursion.
fn check_depth(
    document: &Document<'_>,
    too_deep: impl Fn(Node<'_, '_>) -> ConfigError,
) -> Result<(), ConfigError> {
    // Depths by node id; ids are dense, in document order.
    let mut depths: Vec<usize> = Vec::new();
    for node in document.root().descendants() {
        let parent = node
            .parent()
            .and_then(|parent| depths.get(index_of(parent)))
            .copied()
            .unwrap_or(0);
        let depth = match node.is_element() {
            true => parent + 1,
            false => parent,
        };
        if depth > MAX_ANDROID_XML_DEPTH {
            return Err(too_deep(node));
        }
        let index = index_of(node);
        if depths.len() <= index {
            depths.resize(index + 1, 0);
        }
        if let Some(slot) = depths.get_mut(index) {
            *slot = depth;
        }
    }
    Ok(())
}

/// A node's index in the document: below [`MAX_ANDROID_XML_NODES`].
fn index_of(node: Node<'_, '_>) -> usize {
    node.id().get() as usize
}

/// Checks a `<base-config>` or `<debug-overrides>`: neither may hold pins, domains or nested
/// configurations, and each has at most one `<trust-anchors>`, as Android requires. Their
/// trust anchors and cleartext settings are not pins and are not read.
fn check_general_config(
    config: Node<'_, '_>,
    name: &str,
    syntax: &impl Fn(Node<'_, '_>, String) -> ConfigError,
) -> Result<(), ConfigError> {
    let mut seen_trust_anchors = false;
    for child in config.children().filter(Node::is_element) {
        match child.tag_name().name() {
            "pin-set" => {
                return Err(syntax(
                    child,
                    String::from("<pin-set> is only allowed inside <domain-config>"),
                ))
            }
            inner @ ("domain" | "domain-config") => {
                return Err(syntax(
                    child,
                    format!("<{inner}> is not allowed in <{name}>"),
                ))
            }
            "trust-anchors" if std::mem::replace(&mut seen_trust_anchors, true) => {
                return Err(syntax(
                    child,
                    format!("only one <trust-anchors> is allowed in <{name}>"),
                ))
            }
            _ => {}
        }
    }
    Ok(())
}

/// The pins and expiry of a `<pin-set>`.
#[derive(Clone)]
struct PinSetSpec {
    pins: Vec<Pin>,
    expiration: Option<Date>,
}

/// One `<domain-config>` being walked: its remaining children and the pin set that applies
/// to its domains (its own, else the nearest enclosing one), as an index into the specs.
struct Frame<'a, 'input> {
    children: roxmltree::Children<'a, 'input>,
    pins: Option<usize>,
}

/// Collects the domains of a top-level `<domain-config>` and of every `<domain-config>`
/// nested in it, in document order. The walk keeps its own stack of open configurations
/// instead of recursing, so nesting costs heap, not call stack (and is bounded by
/// [`MAX_ANDROID_XML_DEPTH`] before the walk starts).
fn collect<'a, 'input>(
    top: Node<'a, 'input>,
    out: &mut Vec<DomainPins>,
    seen_names: &mut HashMap<String, SeenDomain>,
    line_at: &impl Fn(usize) -> usize,
    syntax: &impl Fn(Node<'_, '_>, String) -> ConfigError,
) -> Result<(), ConfigError> {
    let mut specs: Vec<PinSetSpec> = Vec::new();
    let mut stack = vec![open_config(top, None, &mut specs, syntax)?];
    while let Some(frame) = stack.last_mut() {
        let Some(child) = frame.children.next() else {
            stack.pop();
            continue;
        };
        if !child.is_element() {
            continue;
        }
        let pins = frame.pins;
        match child.tag_name().name() {
            "domain" => {
                let written = child.text().unwrap_or_default().trim().to_owned();
                let include_subdomains = match child.attribute("includeSubdomains") {
                    None | Some("false") => false,
                    Some("true") => true,
                    Some(other) => {
                        return Err(syntax(
                            child,
                            format!(
                                "includeSubdomains must be \"true\" or \"false\", not {other:?}"
                            ),
                        ))
                    }
                };
                let offset = child.range().start;
                let seen = SeenDomain {
                    include_subdomains,
                    pinned: pins.is_some(),
                    offset,
                };
                check_domain_name(child, &written, seen, seen_names, line_at, syntax)?;
                let Some(pins) = pins.and_then(|index| specs.get(index)) else {
                    continue;
                };
                let text = match include_subdomains {
                    true => format!("**.{written}"),
                    false => written.clone(),
                };
                let pattern: crate::policy::host_pattern::HostPattern = text
                    .parse()
                    .map_err(|error| syntax(child, format!("<domain>: {error}")))?;
                let mut entry = pins
                    .pins
                    .iter()
                    .fold(PinEntry::builder(pattern.clone()), |entry, pin| {
                        entry.pin(*pin)
                    });
                if let Some(expiration) = pins.expiration {
                    entry = entry.expires_on(expiration).after_expiry(AfterExpiry::Skip);
                }
                out.push(DomainPins {
                    entry,
                    offset,
                    written,
                    pattern,
                });
            }
            "domain-config" => {
                let nested = open_config(child, pins, &mut specs, syntax)?;
                stack.push(nested);
            }
            "pin-set" | "trust-anchors" => {}
            other => {
                return Err(syntax(
                    child,
                    format!("unexpected <{other}> in <domain-config>"),
                ))
            }
        }
    }
    Ok(())
}

/// Starts walking a `<domain-config>`: checks what Android requires of it (at least one
/// `<domain>`, at most one `<pin-set>` and one `<trust-anchors>`) and reads its own
/// `<pin-set>`, which replaces the inherited one.
fn open_config<'a, 'input>(
    config: Node<'a, 'input>,
    inherited: Option<usize>,
    specs: &mut Vec<PinSetSpec>,
    syntax: &impl Fn(Node<'_, '_>, String) -> ConfigError,
) -> Result<Frame<'a, 'input>, ConfigError> {
    let mut own = None;
    let mut seen_trust_anchors = false;
    let mut has_domain = false;
    for child in config.children().filter(Node::is_element) {
        match child.tag_name().name() {
            "pin-set" if own.is_some() => {
                return Err(syntax(
                    child,
                    String::from("a <domain-config> may have only one <pin-set>"),
                ))
            }
            "pin-set" => own = Some(read_pin_set(child, syntax)?),
            "trust-anchors" if std::mem::replace(&mut seen_trust_anchors, true) => {
                return Err(syntax(
                    child,
                    String::from("a <domain-config> may have only one <trust-anchors>"),
                ))
            }
            "domain" => has_domain = true,
            _ => {}
        }
    }
    if !has_domain {
        return Err(syntax(
            config,
            String::from("a <domain-config> needs at least one <domain> (Android refuses it)"),
        ));
    }
    let pins = match own {
        Some(spec) => {
            specs.push(spec);
            Some(specs.len() - 1)
        }
        None => inherited,
    };
    Ok(Frame {
        children: config.children(),
        pins,
    })
}

/// A `<domain>` already read, to find a name given twice; keyed by the name, lower-cased and
/// without a trailing dot.
struct SeenDomain {
    include_subdomains: bool,
    /// Whether a `<pin-set>` applies to it.
    pinned: bool,
    /// Where it starts.
    offset: usize,
}

/// Refuses what Android refuses or reads otherwise in a `<domain>` name: a `*`, which Android
/// takes literally (so the rule matches no host) where this crate would read a wildcard; and
/// a name given twice, which Android refuses whatever `includeSubdomains` says. (The same
/// name twice with the same setting and pins on both is left to the set builder, which
/// reports the second as a duplicate entry.)
fn check_domain_name(
    domain: Node<'_, '_>,
    written: &str,
    this: SeenDomain,
    seen: &mut HashMap<String, SeenDomain>,
    line_at: &impl Fn(usize) -> usize,
    syntax: &impl Fn(Node<'_, '_>, String) -> ConfigError,
) -> Result<(), ConfigError> {
    if written.contains('*') {
        return Err(syntax(
            domain,
            format!(
                "<domain>: {written:?} is not a domain name: Android reads no wildcards in \
                 <domain>; write the parent domain with includeSubdomains=\"true\""
            ),
        ));
    }
    let name = written.trim_end_matches('.').to_ascii_lowercase();
    match seen.get(&name) {
        Some(first)
            if first.include_subdomains != this.include_subdomains
                || !first.pinned
                || !this.pinned =>
        {
            Err(syntax(
                domain,
                format!(
                    "<domain> \"{written}\" is already given at line {}: Android refuses a \
                     domain named twice, with or without includeSubdomains",
                    line_at(first.offset)
                ),
            ))
        }
        Some(_) => Ok(()),
        None => {
            seen.insert(name, this);
            Ok(())
        }
    }
}

fn read_pin_set(
    pin_set: Node<'_, '_>,
    syntax: &impl Fn(Node<'_, '_>, String) -> ConfigError,
) -> Result<PinSetSpec, ConfigError> {
    let expiration = pin_set
        .attribute("expiration")
        .map(|text| {
            text.trim()
                .parse::<Date>()
                .map_err(|error| syntax(pin_set, format!("expiration: {error}")))
        })
        .transpose()?;
    let mut pins = Vec::new();
    for pin in pin_set.children().filter(Node::is_element) {
        if !pin.has_tag_name("pin") {
            return Err(syntax(
                pin,
                format!("unexpected <{}> in <pin-set>", pin.tag_name().name()),
            ));
        }
        match pin.attribute("digest") {
            // Android compares the algorithm name without regard to case.
            Some(digest) if digest.eq_ignore_ascii_case("SHA-256") => {}
            Some(other) => {
                return Err(syntax(
                    pin,
                    format!(
                        "digest {other:?} is not supported: Android and this crate use \"SHA-256\""
                    ),
                ))
            }
            None => return Err(syntax(pin, String::from("<pin> needs digest=\"SHA-256\""))),
        }
        let value = pin.text().unwrap_or_default().trim();
        let parsed = format!("sha256/{value}")
            .parse::<Pin>()
            .map_err(|error| syntax(pin, error.to_string()))?;
        pins.push(parsed);
    }
    Ok(PinSetSpec { pins, expiration })
}

/// Writes a pin set as an Android network security configuration.
///
/// ```
/// use rustls_pinning::{config, Pin, PinEntry, PinSet};
///
/// let pins = PinSet::builder().entry(PinEntry::builder("**.example.com".parse()?)
///     .pin(Pin::spki_sha256([1; 32])).backup_pin(Pin::spki_sha256([2; 32]))).build()?;
/// let xml = config::to_android_xml(&pins)?;
/// assert!(xml.contains(r#"<domain includeSubdomains="true">example.com</domain>"#));
/// // Android has no backup marks: the backup pin comes back as a plain pin.
/// let back = config::parse_android(&xml, "round trip")?;
/// assert_eq!(back.entries().next().unwrap().allowed_pins(), pins.entries().next().unwrap().allowed_pins());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`ConfigError::NotExpressible`] for what Android has no words for: `*.` and IP patterns,
/// certificate pins, pins scoped to a position, deny pins, report-only entries, entries that
/// keep enforcing after expiry or expire at another time than midnight UTC (or after
/// 9999-12-31), global deny pins and rejecting unpinned hosts.
pub fn to_android_xml(pins: &PinSet) -> Result<String, ConfigError> {
    let refuse = |subject: String, reason: &'static str| ConfigError::NotExpressible {
        target: "an Android network security configuration",
        subject,
        reason,
    };
    if !pins.globally_denied_pins().is_empty() {
        return Err(refuse(
            String::from("deny_everywhere"),
            "Android has no deny pins",
        ));
    }
    if pins.unpinned_host_policy() == UnpinnedHostPolicy::Reject {
        return Err(refuse(
            String::from("unpinned_hosts"),
            "Android cannot reject hosts that have no pins",
        ));
    }
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<network-security-config>\n");
    for entry in pins.entries() {
        let subject = || format!("entry \"{}\"", entry.pattern());
        let text = entry.pattern().to_string();
        let (domain, include_subdomains) =
            match entry.pattern().kind() {
                HostPatternKind::Exact => (text.as_str(), false),
                HostPatternKind::AnyDepthWildcard => (text.trim_start_matches("**."), true),
                _ => return Err(refuse(
                    subject(),
                    "Android pins a domain with or without its subdomains, not *. or IP patterns",
                )),
            };
        if !entry.denied_pins().is_empty() {
            return Err(refuse(subject(), "Android has no deny pins"));
        }
        if entry.mode() == EnforcementMode::ReportOnly {
            return Err(refuse(subject(), "Android has no report-only mode"));
        }
        let expiration = match entry.expires_at() {
            None => None,
            Some(_) if entry.after_expiry() == AfterExpiry::KeepEnforcing => {
                return Err(refuse(
                    subject(),
                    "Android stops enforcing pins at their expiration",
                ))
            }
            Some(time) if time.as_secs() % 86_400 != 0 => {
                return Err(refuse(
                    subject(),
                    "Android expirations are dates (midnight UTC)",
                ))
            }
            Some(time) if time.as_secs() > LAST_WRITABLE_SECOND => {
                return Err(refuse(
                    subject(),
                    "Android expirations are dates no later than 9999-12-31",
                ))
            }
            Some(time) => Some(Date::from_unix_time(time)),
        };
        let _ = writeln!(xml, "  <domain-config>");
        let _ = writeln!(
            xml,
            "    <domain includeSubdomains=\"{include_subdomains}\">{}</domain>",
            escape(domain)
        );
        match expiration {
            Some(date) => {
                let _ = writeln!(xml, "    <pin-set expiration=\"{date}\">");
            }
            None => xml.push_str("    <pin-set>\n"),
        }
        for scoped in entry.allowed_pins() {
            if scoped.pin().kind() != PinKind::Spki {
                return Err(refuse(subject(), "Android only has SPKI pins"));
            }
            if scoped.scope() != PinScope::Any {
                return Err(refuse(
                    subject(),
                    "Android pins match any certificate of the chain",
                ));
            }
            let _ = writeln!(
                xml,
                "      <pin digest=\"SHA-256\">{}</pin>",
                scoped.pin().base64()
            );
        }
        xml.push_str("    </pin-set>\n  </domain-config>\n");
    }
    xml.push_str("</network-security-config>\n");
    Ok(xml)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
