//! The client pin set: client identities mapped to the pins their verified path must contain.

use std::collections::{HashMap, HashSet};

use crate::der::AltName;
use crate::policy::host_pattern::normalize_host_into;
use crate::policy::identity::ClientIdentity;
use crate::policy::pin::Pin;
use crate::policy::rules::EnforcementMode;
use crate::policy::rules::{
    self, entry_pin_methods, set_accessors, set_builder_methods, Broken, EntryPins,
};
use crate::policy::scope::ScopedPin;

/// What to do with a client whose certificate names no identity of the policy (and the policy
/// has no [`ClientIdentity::Any`] entry).
///
/// ```
/// use rustls_pinning::UnpinnedClientPolicy;
/// assert_eq!(UnpinnedClientPolicy::default(), UnpinnedClientPolicy::Reject);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum UnpinnedClientPolicy {
    /// Reject it: only pinned workloads get in.
    #[default]
    Reject,
    /// Accept it on WebPKI validation alone (deny pins still apply).
    WebPkiOnly,
}

/// The pins of one client identity. Built with [`ClientPinEntry::builder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientPinEntry {
    identity: ClientIdentity,
    allowed: Box<[ScopedPin]>,
    denied: Box<[ScopedPin]>,
    mode: EnforcementMode,
}

impl ClientPinEntry {
    /// Starts an entry for `identity`.
    ///
    /// ```
    /// use rustls_pinning::{ClientPinEntry, Pin};
    /// let entry = ClientPinEntry::builder("spiffe://prod.example/billing".parse()?)
    ///     .pin(Pin::spki_sha256([1; 32]))
    ///     .pin(Pin::spki_sha256([2; 32]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(identity: ClientIdentity) -> ClientPinEntryBuilder {
        ClientPinEntryBuilder {
            identity,
            pins: EntryPins::default(),
        }
    }

    /// The identity this entry is keyed by.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, ClientPinSet, Pin};
    /// # let policy = ClientPinSet::builder().entry(ClientPinEntry::builder(ClientIdentity::Any)
    /// #     .deny(Pin::spki_sha256([1; 32]))).build()?;
    /// assert_eq!(policy.entries().next().unwrap().identity(), &ClientIdentity::Any);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn identity(&self) -> &ClientIdentity {
        &self.identity
    }

    /// The pins of which one must match a certificate of the client's verified path.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, ClientPinSet, Pin};
    /// # let policy = ClientPinSet::builder().entry(ClientPinEntry::builder(ClientIdentity::Any)
    /// #     .pin(Pin::spki_sha256([1; 32])).pin(Pin::spki_sha256([2; 32]))).build()?;
    /// assert_eq!(policy.entries().next().unwrap().allowed_pins().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn allowed_pins(&self) -> &[ScopedPin] {
        &self.allowed
    }

    /// The pins no certificate of the client's verified path may match.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, ClientPinSet, Pin};
    /// # let policy = ClientPinSet::builder().entry(ClientPinEntry::builder(ClientIdentity::Any)
    /// #     .deny(Pin::spki_sha256([1; 32]))).build()?;
    /// assert_eq!(policy.entries().next().unwrap().denied_pins().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn denied_pins(&self) -> &[ScopedPin] {
        &self.denied
    }

    /// Whether a pin failure rejects the client.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, ClientPinSet, EnforcementMode, Pin};
    /// # let policy = ClientPinSet::builder().entry(ClientPinEntry::builder(ClientIdentity::Any)
    /// #     .pin(Pin::spki_sha256([1; 32])).report_only()).build()?;
    /// assert_eq!(policy.entries().next().unwrap().mode(), EnforcementMode::ReportOnly);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mode(&self) -> EnforcementMode {
        self.mode
    }
}

/// Builds a [`ClientPinEntry`]; added to a policy with [`ClientPinSetBuilder::entry`],
/// validated by [`ClientPinSetBuilder::build`].
#[derive(Clone, Debug)]
#[must_use]
pub struct ClientPinEntryBuilder {
    identity: ClientIdentity,
    pins: EntryPins,
}

impl ClientPinEntryBuilder {
    entry_pin_methods!(
        "ClientIdentity, ClientPinEntry",
        "ClientPinEntry::builder(ClientIdentity::Any)"
    );

    fn build(self, global_deny: &[ScopedPin]) -> Result<ClientPinEntry, ClientPinSetError> {
        let identity = self.identity;
        if let Err(broken) = rules::check(&self.pins, global_deny) {
            return Err(match broken {
                // A client entry has no backup pins, so "backup without primary" is "empty".
                Broken::Empty | Broken::BackupWithoutPrimary => {
                    ClientPinSetError::EmptyEntry { identity }
                }
                Broken::AllowedAndDenied(pin) => {
                    ClientPinSetError::PinAllowedAndDenied { identity, pin }
                }
                Broken::AllowedAndDeniedEverywhere(pin) => {
                    ClientPinSetError::PinAllowedAndDeniedEverywhere { identity, pin }
                }
                Broken::MissingBackupPin => ClientPinSetError::MissingBackupPin { identity },
            });
        }
        Ok(ClientPinEntry {
            identity,
            allowed: rules::dedup(self.pins.primary),
            denied: rules::dedup(self.pins.denied),
            mode: self.pins.mode,
        })
    }
}

/// An immutable, validated map from client identities to pins, for
/// [`PinningClientVerifier`](crate::PinningClientVerifier).
///
/// Which entries apply to a client: every DNS or URI entry that one of the subjectAltNames of
/// its (verified) certificate names, and **each** of them must be satisfied, so a certificate
/// cannot borrow a pinned identity by listing it next to its own. Only when no such entry
/// applies does the [`ClientIdentity::Any`] entry, if any, apply; with neither, the
/// [`UnpinnedClientPolicy`] decides (reject by default). Pins denied everywhere apply to every
/// client whatever the entries' modes.
///
/// ```
/// use rustls_pinning::{ClientIdentity, ClientPinEntry, ClientPinSet, Pin};
///
/// let billing_key: Pin = "sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=".parse()?;
/// let billing_backup: Pin = "sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=".parse()?;
/// let policy = ClientPinSet::builder()
///     .entry(ClientPinEntry::builder("spiffe://prod.example/ns/billing".parse()?)
///         .pin(billing_key)
///         .pin(billing_backup))
///     .build()?;
/// assert_eq!(policy.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClientPinSet {
    entries: Vec<ClientPinEntry>,
    dns: HashMap<Box<str>, usize>,
    uris: Vec<usize>,
    any: Option<usize>,
    global_deny: Box<[ScopedPin]>,
    unpinned_clients: UnpinnedClientPolicy,
}

impl ClientPinSet {
    set_accessors!("ClientPinSet", ClientPinEntry);

    /// Starts an empty policy.
    ///
    /// ```
    /// use rustls_pinning::ClientPinSet;
    /// assert!(ClientPinSet::builder().build()?.is_empty());
    /// # Ok::<(), rustls_pinning::ClientPinSetError>(())
    /// ```
    pub fn builder() -> ClientPinSetBuilder {
        ClientPinSetBuilder::default()
    }

    /// What happens to clients no entry applies to.
    ///
    /// ```
    /// # use rustls_pinning::{ClientPinSet, UnpinnedClientPolicy};
    /// let policy = ClientPinSet::builder().build()?;
    /// assert_eq!(policy.unpinned_client_policy(), UnpinnedClientPolicy::Reject);
    /// # Ok::<(), rustls_pinning::ClientPinSetError>(())
    /// ```
    pub fn unpinned_client_policy(&self) -> UnpinnedClientPolicy {
        self.unpinned_clients
    }

    /// The entry a subjectAltName selects, if any.
    pub(crate) fn entry_for(&self, name: AltName<'_>) -> Option<&ClientPinEntry> {
        let index = match name {
            AltName::Dns(dns) => {
                let text = std::str::from_utf8(dns).ok()?;
                let mut buf = [0u8; 256];
                let normalized = normalize_host_into(text, &mut buf)?;
                *self.dns.get(normalized)?
            }
            AltName::Uri(_) => *self.uris.iter().find(|&&index| {
                self.entries
                    .get(index)
                    .is_some_and(|e| e.identity.names(name))
            })?,
        };
        self.entries.get(index)
    }

    /// The entry for clients no other entry names.
    pub(crate) fn any_client_entry(&self) -> Option<&ClientPinEntry> {
        self.any.and_then(|index| self.entries.get(index))
    }

    /// A pin that needs a trust anchor's whole certificate, if any.
    pub(crate) fn root_certificate_pin(&self) -> Option<(Option<&ClientIdentity>, ScopedPin)> {
        rules::root_certificate_pin(
            self.entries
                .iter()
                .flat_map(|entry| {
                    entry
                        .allowed
                        .iter()
                        .chain(entry.denied.iter())
                        .map(move |pin| (Some(&entry.identity), pin))
                })
                .chain(self.global_deny.iter().map(|pin| (None, pin))),
        )
    }
}

/// Builds a [`ClientPinSet`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct ClientPinSetBuilder {
    entries: Vec<ClientPinEntryBuilder>,
    global_deny: Vec<ScopedPin>,
    unpinned_clients: UnpinnedClientPolicy,
}

impl ClientPinSetBuilder {
    set_builder_methods!(
        "ClientPinSet",
        "ClientPinEntry",
        ClientPinEntryBuilder,
        "ClientPinEntry::builder(ClientIdentity::Any)"
    );

    /// What to do with clients no entry applies to ([`UnpinnedClientPolicy::Reject`] unless
    /// set).
    ///
    /// ```
    /// # use rustls_pinning::{ClientPinSet, UnpinnedClientPolicy};
    /// let policy = ClientPinSet::builder().unpinned_clients(UnpinnedClientPolicy::WebPkiOnly).build()?;
    /// # Ok::<(), rustls_pinning::ClientPinSetError>(())
    /// ```
    pub fn unpinned_clients(mut self, policy: UnpinnedClientPolicy) -> Self {
        self.unpinned_clients = policy;
        self
    }

    /// Validates every entry and builds the lookup index.
    ///
    /// ```
    /// # use rustls_pinning::{ClientIdentity, ClientPinEntry, ClientPinSet, ClientPinSetError, Pin};
    /// let lonely = ClientPinSet::builder()
    ///     .entry(ClientPinEntry::builder(ClientIdentity::Any).pin(Pin::spki_sha256([1; 32])))
    ///     .build();
    /// assert!(matches!(lonely, Err(ClientPinSetError::MissingBackupPin { .. })));
    /// ```
    ///
    /// # Errors
    /// The first problem found, naming the entry's identity and, where one is at fault, the pin.
    pub fn build(self) -> Result<ClientPinSet, ClientPinSetError> {
        let mut policy = ClientPinSet {
            entries: Vec::with_capacity(self.entries.len()),
            dns: HashMap::new(),
            uris: Vec::new(),
            any: None,
            global_deny: rules::dedup(self.global_deny),
            unpinned_clients: self.unpinned_clients,
        };
        let mut seen = HashSet::new();
        for builder in self.entries {
            let entry = builder.build(&policy.global_deny)?;
            if !seen.insert(entry.identity.clone()) {
                return Err(ClientPinSetError::DuplicateIdentity {
                    identity: entry.identity,
                });
            }
            let index = policy.entries.len();
            match &entry.identity {
                ClientIdentity::Any => policy.any = Some(index),
                ClientIdentity::DnsName(name) => {
                    policy.dns.insert(name.as_str().into(), index);
                }
                ClientIdentity::Uri(_) => policy.uris.push(index),
            }
            policy.entries.push(entry);
        }
        Ok(policy)
    }
}

/// Why a [`ClientPinSet`] could not be built.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientPinSetError {
    /// An enforced entry has a single distinct allowed pin and did not opt out with
    /// [`ClientPinEntryBuilder::allow_missing_backup_pin`].
    #[error(
        "client entry \"{identity}\" has one allowed pin and no backup: add a second pin (the \
         workload's next key) or call allow_missing_backup_pin()"
    )]
    MissingBackupPin {
        /// The entry's identity.
        identity: ClientIdentity,
    },
    /// An entry has neither allowed nor denied pins.
    #[error("client entry \"{identity}\" has no pins")]
    EmptyEntry {
        /// The entry's identity.
        identity: ClientIdentity,
    },
    /// Two entries have the same identity.
    #[error("client identity \"{identity}\" appears in more than one entry")]
    DuplicateIdentity {
        /// The repeated identity.
        identity: ClientIdentity,
    },
    /// A pin is both allowed and denied in one entry.
    #[error("client entry \"{identity}\" both allows and denies {pin}")]
    PinAllowedAndDenied {
        /// The entry's identity.
        identity: ClientIdentity,
        /// The contradictory pin.
        pin: Pin,
    },
    /// An entry allows a pin that is denied for every client.
    #[error("client entry \"{identity}\" allows {pin}, which is denied everywhere")]
    PinAllowedAndDeniedEverywhere {
        /// The entry's identity.
        identity: ClientIdentity,
        /// The contradictory pin.
        pin: Pin,
    },
}
