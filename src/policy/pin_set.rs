//! The pin set: host patterns mapped to the pins that must appear on their verified path.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::policy::entry::{PinEntry, PinEntryBuilder};
use crate::policy::error::PinSetError;
use crate::policy::host_pattern::{canonical_host, CanonicalHost, HostPattern};
use crate::policy::name_index::{Form, NameIndex};
use crate::policy::rules::{self, set_accessors, set_builder_methods};
use crate::policy::scope::ScopedPin;

/// What to do for a host that no entry matches.
///
/// ```
/// use rustls_pinning::UnpinnedHostPolicy;
/// assert_eq!(UnpinnedHostPolicy::default(), UnpinnedHostPolicy::WebPkiOnly);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UnpinnedHostPolicy {
    /// Plain WebPKI validation (global deny pins still apply).
    #[default]
    WebPkiOnly,
    /// Reject the connection: every host the client talks to must be pinned.
    Reject,
}

/// An immutable, validated map from host patterns to pins. Lookup costs a few hash probes per
/// label of the host name, whatever the number of entries.
///
/// Precedence: an exact pattern beats `*.suffix`, which beats the longest matching
/// `**.suffix`; only the winning entry's pins apply.
///
/// ```
/// use rustls_pinning::{Pin, PinEntry, PinSet, UnpinnedHostPolicy};
///
/// let primary: Pin = "sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=".parse()?;
/// let backup: Pin = "sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=".parse()?;
///
/// let pins = PinSet::builder()
///     .entry(PinEntry::builder("**.example.com".parse()?).pin(primary).pin(backup))
///     .entry(PinEntry::builder("legacy.example.com".parse()?).pin(backup).report_only())
///     .unpinned_hosts(UnpinnedHostPolicy::Reject)
///     .build()?;
///
/// assert_eq!(pins.lookup("api.example.com").unwrap().pattern().to_string(), "**.example.com");
/// assert_eq!(pins.lookup("legacy.example.com").unwrap().allowed_pins().len(), 1);
/// assert!(pins.lookup("example.org").is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct PinSet {
    entries: Vec<PinEntry>,
    /// DNS patterns, each stored once, in its entry.
    names: NameIndex,
    ips: HashMap<IpAddr, usize>,
    global_deny: Box<[ScopedPin]>,
    unpinned_hosts: UnpinnedHostPolicy,
}

impl PinSet {
    set_accessors!("PinSet", PinEntry);

    /// Starts an empty set.
    ///
    /// ```
    /// use rustls_pinning::PinSet;
    /// let empty = PinSet::builder().build()?;
    /// assert!(empty.is_empty());
    /// # Ok::<(), rustls_pinning::PinSetError>(())
    /// ```
    pub fn builder() -> PinSetBuilder {
        PinSetBuilder::default()
    }

    /// The entry that applies to `host` (a DNS name, Unicode or punycode, or an IP literal),
    /// by precedence; `None` if no pattern matches.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinSet};
    /// let set = PinSet::builder()
    ///     .entry(PinEntry::builder("*.example.com".parse()?).deny(Pin::spki_sha256([1; 32])))
    ///     .build()?;
    /// assert!(set.lookup("www.example.com").is_some());
    /// assert!(set.lookup("example.com").is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lookup(&self, host: &str) -> Option<&PinEntry> {
        match canonical_host(host)? {
            CanonicalHost::Ip(ip) => self.lookup_ip(ip),
            CanonicalHost::Dns(name) => self.lookup_normalized_dns(&name),
        }
    }

    /// Lookup for a name that is already lower-case ASCII without a trailing dot.
    pub(crate) fn lookup_normalized_dns(&self, name: &str) -> Option<&PinEntry> {
        let names = &self.names;
        let find = |form, name, digest| {
            names
                .find(|index| self.pattern(index), form, name, digest)
                .and_then(|index| self.entries.get(index))
        };
        // Each suffix of the name is hashed once and probed with every form that applies.
        let any_depth = names.has(Form::AnyDepth);
        let name_digest = (names.has(Form::Exact) || any_depth).then(|| names.digest(name));
        if let Some(entry) = name_digest.and_then(|digest| find(Form::Exact, name, digest)) {
            return Some(entry);
        }
        let parent = name.split_once('.').map(|(_, parent)| parent);
        let parent_digest = parent
            .filter(|_| names.has(Form::OneLabel) || any_depth)
            .map(|parent| (parent, names.digest(parent)));
        if let Some(entry) =
            parent_digest.and_then(|(parent, digest)| find(Form::OneLabel, parent, digest))
        {
            return Some(entry);
        }
        if !any_depth {
            return None;
        }
        if let Some(entry) = name_digest.and_then(|digest| find(Form::AnyDepth, name, digest)) {
            return Some(entry);
        }
        let (mut candidate, digest) = parent_digest?;
        if let Some(entry) = find(Form::AnyDepth, candidate, digest) {
            return Some(entry);
        }
        loop {
            candidate = candidate.split_once('.')?.1;
            if let Some(entry) = find(Form::AnyDepth, candidate, names.digest(candidate)) {
                return Some(entry);
            }
        }
    }

    fn pattern(&self, index: usize) -> Option<&HostPattern> {
        self.entries.get(index).map(PinEntry::pattern)
    }

    pub(crate) fn lookup_ip(&self, ip: IpAddr) -> Option<&PinEntry> {
        self.ips.get(&ip).and_then(|&index| self.entries.get(index))
    }

    /// What happens to hosts no entry matches.
    ///
    /// ```
    /// # use rustls_pinning::{PinSet, UnpinnedHostPolicy};
    /// let set = PinSet::builder().build()?;
    /// assert_eq!(set.unpinned_host_policy(), UnpinnedHostPolicy::WebPkiOnly);
    /// # Ok::<(), rustls_pinning::PinSetError>(())
    /// ```
    pub fn unpinned_host_policy(&self) -> UnpinnedHostPolicy {
        self.unpinned_hosts
    }

    /// The position of `entry` in this set, if it is one of its entries (by address, so that
    /// per-entry state can be kept beside the set without hashing patterns).
    pub(crate) fn index_of(&self, entry: &PinEntry) -> Option<usize> {
        let size = core::mem::size_of::<PinEntry>().max(1);
        let offset =
            (entry as *const PinEntry as usize).checked_sub(self.entries.as_ptr() as usize)?;
        let index = offset / size;
        (offset % size == 0 && index < self.entries.len()).then_some(index)
    }

    /// Whether any pin of the set could need a trust anchor's whole certificate.
    pub(crate) fn root_certificate_pin(&self) -> Option<(Option<&HostPattern>, ScopedPin)> {
        rules::root_certificate_pin(
            self.entries
                .iter()
                .flat_map(|entry| {
                    entry
                        .allowed_pins()
                        .iter()
                        .chain(entry.denied_pins())
                        .map(move |pin| (Some(entry.pattern()), pin))
                })
                .chain(self.global_deny.iter().map(|pin| (None, pin))),
        )
    }
}

/// Builds a [`PinSet`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct PinSetBuilder {
    entries: Vec<PinEntryBuilder>,
    global_deny: Vec<ScopedPin>,
    unpinned_hosts: UnpinnedHostPolicy,
}

impl PinSetBuilder {
    set_builder_methods!(
        "PinSet",
        "PinEntry",
        PinEntryBuilder,
        "PinEntry::builder(\"a.example\".parse()?)"
    );

    /// What to do for hosts no entry matches ([`UnpinnedHostPolicy::WebPkiOnly`] unless set).
    ///
    /// ```
    /// # use rustls_pinning::{PinSet, UnpinnedHostPolicy};
    /// let set = PinSet::builder().unpinned_hosts(UnpinnedHostPolicy::Reject).build()?;
    /// # Ok::<(), rustls_pinning::PinSetError>(())
    /// ```
    pub fn unpinned_hosts(mut self, policy: UnpinnedHostPolicy) -> Self {
        self.unpinned_hosts = policy;
        self
    }

    /// Validates every entry and builds the lookup index.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinEntry, PinSet, PinSetError};
    /// let lonely = PinSet::builder()
    ///     .entry(PinEntry::builder("a.example".parse()?).pin(Pin::spki_sha256([1; 32])))
    ///     .build();
    /// assert!(matches!(lonely, Err(PinSetError::MissingBackupPin { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The first problem found, naming the entry's pattern and, where one is at fault, the pin.
    pub fn build(self) -> Result<PinSet, PinSetError> {
        let global_deny = rules::dedup(self.global_deny);
        let mut set = PinSet {
            entries: Vec::with_capacity(self.entries.len()),
            names: NameIndex::with_capacity(self.entries.len()),
            ips: HashMap::new(),
            global_deny,
            unpinned_hosts: self.unpinned_hosts,
        };
        for builder in self.entries {
            let entry = builder.build(&set.global_deny)?;
            let index = set.entries.len();
            let pattern = entry.pattern();
            let fresh = if let Some(ip) = pattern.ip() {
                set.ips.insert(ip, index).is_none()
            } else if let Some((form, name)) = Form::of(pattern) {
                let entries = &set.entries;
                set.names.insert(
                    |index| entries.get(index).map(PinEntry::pattern),
                    form,
                    name,
                    index,
                )
            } else {
                true
            };
            if !fresh {
                return Err(PinSetError::DuplicatePattern {
                    pattern: entry.pattern().clone(),
                });
            }
            set.entries.push(entry);
        }
        set.names.shrink_to_fit();
        set.ips.shrink_to_fit();
        Ok(set)
    }
}
