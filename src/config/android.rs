//! Android Network Security Configuration (`res/xml/network_security_config.xml`) pins, so
//! that the Android and Rust clients of one backend can share one pin policy.

use std::fmt::Write as _;

use roxmltree::{Document, Node};

use crate::date::{Date, LAST_WRITABLE_SECOND};
use crate::host_pattern::HostPatternKind;
use crate::pin::{Pin, PinKind};
use crate::pin_set::{
    AfterExpiry, EnforcementMode, PinEntry, PinEntryBuilder, PinScope, PinSet, PinSetError,
    UnpinnedHostPolicy,
};

use super::ConfigError;

/// One `<domain>` with the pin set that applies to it.
struct DomainPins {
    entry: PinEntryBuilder,
    line: usize,
    written: String,
    pattern: crate::host_pattern::HostPattern,
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
/// # Errors
/// [`ConfigError::Syntax`] with the line for malformed XML or a malformed element,
/// [`ConfigError::Invalid`] with the line of the `<domain>` for what the builder refuses.
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

fn parse(xml: &str, origin: &str, allow_missing_backup_pin: bool) -> Result<PinSet, ConfigError> {
    let document = Document::parse(xml).map_err(|error| {
        let position = error.pos();
        ConfigError::Syntax {
            origin: origin.to_owned(),
            line: usize::try_from(position.row).unwrap_or(1),
            column: usize::try_from(position.col).unwrap_or(1),
            reason: error.to_string(),
        }
    })?;
    let syntax = |node: Node<'_, '_>, reason: String| {
        let position = document.text_pos_at(node.range().start);
        ConfigError::Syntax {
            origin: origin.to_owned(),
            line: usize::try_from(position.row).unwrap_or(1),
            column: usize::try_from(position.col).unwrap_or(1),
            reason,
        }
    };
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
    for child in root.children().filter(Node::is_element) {
        match child.tag_name().name() {
            "domain-config" => collect(&document, child, None, &mut domains, &syntax)?,
            "base-config" | "debug-overrides" => {
                if let Some(pin_set) = child.children().find(|node| node.has_tag_name("pin-set")) {
                    return Err(syntax(
                        pin_set,
                        String::from("<pin-set> is only allowed inside <domain-config>"),
                    ));
                }
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
    builder.build().map_err(|source| {
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
            line: domain.map(|domain| domain.line),
            field: domain.map_or_else(
                || format!("<domain> {pattern}"),
                |domain| format!("<domain> \"{}\"", domain.written),
            ),
            source: Box::new(source),
        }
    })
}

/// The pins and expiry of a `<pin-set>`.
#[derive(Clone)]
struct PinSetSpec {
    pins: Vec<Pin>,
    expiration: Option<Date>,
}

fn collect<'a, 'input>(
    document: &Document<'input>,
    config: Node<'a, 'input>,
    inherited: Option<&PinSetSpec>,
    out: &mut Vec<DomainPins>,
    syntax: &impl Fn(Node<'_, '_>, String) -> ConfigError,
) -> Result<(), ConfigError> {
    let mut own = None;
    for pin_set in config
        .children()
        .filter(|node| node.has_tag_name("pin-set"))
    {
        if own.is_some() {
            return Err(syntax(
                pin_set,
                String::from("a <domain-config> may have only one <pin-set>"),
            ));
        }
        own = Some(read_pin_set(pin_set, syntax)?);
    }
    let pins = own.as_ref().or(inherited);
    for child in config.children().filter(Node::is_element) {
        match child.tag_name().name() {
            "domain" => {
                let Some(pins) = pins else { continue };
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
                let text = match include_subdomains {
                    true => format!("**.{written}"),
                    false => written.clone(),
                };
                let pattern: crate::host_pattern::HostPattern = text
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
                    line: usize::try_from(document.text_pos_at(child.range().start).row)
                        .unwrap_or(1),
                    written,
                    pattern,
                });
            }
            "domain-config" => collect(document, child, pins, out, syntax)?,
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
            Some("SHA-256") => {}
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
