//! Explanations: what a verifier decided about a chain, and every reason it had.
//!
//! An explanation is made by the very verification `verify_server_cert` runs, told to record
//! what it looked at (and to raise no events), so the two cannot disagree.

use pki_types::{CertificateDer, ServerName, UnixTime};

use crate::decision::error::PathCertificate;
use crate::decision::error::ServerPinningError;
use crate::decision::judge::PathVerdict;
use crate::decision::pin_check::{matching_pins, PathEntry, Policy, Role, Verdict};
use crate::decision::search::RecordedPath;
use crate::decision::{resolve, Resolution};
use crate::policy::{EnforcementMode, PinEntry, PinSet, Position, ScopedPin, UnpinnedHostPolicy};

/// What a verifier decided about a chain, and why: the same verification as
/// `verify_server_cert`, with what it looked at recorded.
///
/// Returned by [`PinningServerVerifier::explain`](crate::PinningServerVerifier::explain) and
/// `PinStore::explain` (feature `dynamic`).
///
/// ```
/// use rustls_pinning::{Decision, Explanation};
///
/// fn summary(explanation: &Explanation) -> String {
///     match (explanation.decision, explanation.accepted_through()) {
///         (Decision::Accepted, Some((path, matched))) => format!(
///             "accepted through {} on the {} {}",
///             matched.pin,
///             path.certificates[matched.certificate].position(),
///             path.certificates[matched.certificate].subject(),
///         ),
///         (decision, _) => format!("{decision:?}: {:?}", explanation.result),
///     }
/// }
/// ```
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct Explanation {
    /// The server name.
    pub host: String,
    /// The verification time.
    pub time: UnixTime,
    /// The decision in one word.
    pub decision: Decision,
    /// Exactly what `verify_server_cert` returns for the same input: `Ok`, a chain or name
    /// error as rustls reports it, or a pin failure carrying a
    /// [`ServerPinningError`](crate::ServerPinningError).
    pub result: Result<(), rustls::Error>,
    /// The pin failure: for a chain rejected by its pins, the error `result` carries; for
    /// [`Decision::AcceptedReportOnly`], the error enforcement would have returned (what the
    /// `ReportOnlyViolation` event carries). `None` when the pins accepted, or when the chain
    /// or the name was refused before the pins were.
    pub pin_error: Option<ServerPinningError>,
    /// Each policy the verifier applies, in order (one; or a store's static policy, then its
    /// bundle's while one is in force), and where it stands on the host.
    pub policies: Vec<PolicyStanding>,
    /// Every candidate path the verifier judged, in the order it judged them; the search
    /// stops at the first accepted path. Empty when the chain did not validate, or when no
    /// pin applies and no path needed to be looked at.
    pub paths: Vec<ExplainedPath>,
}

impl Explanation {
    /// The accepted path and the allowed pin that accepted it, if the connection was accepted
    /// through a pin (`None` for any other decision, including a chain whose pins accepted a
    /// path but whose name was refused).
    ///
    /// ```
    /// # use rustls_pinning::Explanation;
    /// # fn demo(explanation: &Explanation) {
    /// if let Some((path, matched)) = explanation.accepted_through() {
    ///     println!("{} matched {}", matched.pin, path.certificates[matched.certificate].subject());
    /// }
    /// # }
    /// ```
    pub fn accepted_through(&self) -> Option<(&ExplainedPath, PinMatch)> {
        if self.decision != Decision::Accepted {
            return None;
        }
        let path = self
            .paths
            .iter()
            .find(|path| path.outcome == PathOutcome::Accepted)?;
        let matched = path.checks.iter().find_map(|check| match check {
            PinCheck::Matched(matched) => Some(*matched),
            _ => None,
        })?;
        Some((path, matched))
    }
}

/// A verifier's decision in one word.
///
/// ```
/// use rustls_pinning::Decision;
/// assert!(Decision::AcceptedReportOnly.is_accepted());
/// assert!(!Decision::Rejected.is_accepted());
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Decision {
    /// A governing entry's pins accepted a verified path.
    Accepted,
    /// Only report-only entries refused the chain: the connection goes ahead, and is reported.
    AcceptedReportOnly,
    /// No entry governs the host: plain validation (and the pins denied everywhere) accepted
    /// it.
    AcceptedUnpinned,
    /// The entry for the host has expired and is skipped: plain validation accepted it.
    AcceptedExpiredEntry,
    /// The chain, the name or the pins were refused; [`Explanation::result`] says which.
    Rejected,
}

impl Decision {
    /// Whether the connection goes ahead.
    ///
    /// ```
    /// # use rustls_pinning::Decision;
    /// assert!(Decision::AcceptedUnpinned.is_accepted());
    /// ```
    pub fn is_accepted(self) -> bool {
        !matches!(self, Self::Rejected)
    }
}

/// Where one policy stands on the host.
///
/// ```
/// use rustls_pinning::{Explanation, Standing};
///
/// fn governing(explanation: &Explanation) -> Vec<String> {
///     explanation.policies.iter()
///         .filter(|policy| matches!(policy.standing, Standing::Enforced | Standing::ReportOnly))
///         .filter_map(|policy| policy.entry.as_ref())
///         .map(|entry| entry.pattern().to_string())
///         .collect()
/// }
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyStanding {
    /// The entry that governs the host, or the expired one that was skipped.
    pub entry: Option<PinEntry>,
    /// How that entry, or the lack of one, applies.
    pub standing: Standing,
    /// The policy's pins denied for every host.
    pub denied_everywhere: Vec<ScopedPin>,
}

/// How a policy applies to a host.
///
/// ```
/// use rustls_pinning::Standing;
/// assert_ne!(Standing::Enforced, Standing::ReportOnly);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Standing {
    /// An entry governs the host and its pins are enforced.
    Enforced,
    /// An entry governs the host in report-only mode.
    ReportOnly,
    /// The entry for the host has expired and is skipped.
    ExpiredAndSkipped,
    /// No entry matches the host: only the pins denied everywhere apply.
    Unpinned,
    /// No entry matches the host, and the policy refuses such hosts.
    RefusesUnpinned,
}

/// One candidate path the verifier judged.
///
/// ```
/// use rustls_pinning::{ExplainedPath, PinCheck};
///
/// fn describe(path: &ExplainedPath) {
///     for certificate in &path.certificates {
///         println!("{:<12} {} {}", certificate.position().to_string(), certificate.spki_pin(), certificate.subject());
///     }
///     for check in &path.checks {
///         if let PinCheck::Denied { pin, certificate, .. } = check {
///             println!("denied by {pin} on certificate {certificate}");
///         }
///     }
/// }
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExplainedPath {
    /// The path, leaf first and trust anchor last, each certificate with its position (by
    /// role) and pins.
    pub certificates: Vec<PathCertificate>,
    /// What the policies' checks add up to for this path.
    pub outcome: PathOutcome,
    /// Each policy's pin check on this path, in the order of [`Explanation::policies`].
    pub checks: Vec<PinCheck>,
    /// Every pin of every policy that matches a certificate of the path, allowed or denied,
    /// in path order.
    pub matching: Vec<MatchingPin>,
}

/// What the checks of every policy add up to for one path.
///
/// ```
/// use rustls_pinning::PathOutcome;
/// assert_ne!(PathOutcome::Accepted, PathOutcome::Tolerated);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathOutcome {
    /// The path is acceptable.
    Accepted,
    /// Only report-only entries refused it: acceptable if no path is accepted.
    Tolerated,
    /// Refused.
    Rejected,
}

/// One policy's pin check on one path.
///
/// ```
/// use rustls_pinning::PinCheck;
///
/// fn matched(check: &PinCheck) -> bool {
///     matches!(check, PinCheck::Matched(_) | PinCheck::Clear)
/// }
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinCheck {
    /// Nothing was required and nothing denied matched (a host the policy does not pin, or
    /// an entry with only deny pins).
    Clear,
    /// An allowed pin matched, and nothing denied did.
    Matched(PinMatch),
    /// No allowed pin matched.
    NoMatch,
    /// The certificate at index `certificate` matched the deny pin `pin`, of the entry or,
    /// if `everywhere`, of the pins denied everywhere.
    Denied {
        /// The deny pin.
        pin: ScopedPin,
        /// The index of the certificate on the path, leaf first.
        certificate: usize,
        /// Whether it is denied everywhere (`false`: by the entry).
        everywhere: bool,
    },
}

/// The allowed pin that accepted a path, and where.
///
/// ```
/// use rustls_pinning::{Pin, PinMatch, PinScope, ScopedPin};
/// # fn demo(matched: PinMatch) {
/// if matched.backup {
///     println!("{} is a backup pin: the server rotated", matched.pin);
/// }
/// # }
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PinMatch {
    /// The pin.
    pub pin: ScopedPin,
    /// The index on the path (leaf first) of the certificate it matched.
    pub certificate: usize,
    /// Whether it is a backup pin (no primary pin matched anywhere on the path).
    pub backup: bool,
}

/// What a pin is to the policy it belongs to.
///
/// ```
/// use rustls_pinning::PinRole;
/// assert!(PinRole::Backup.is_allowed());
/// assert!(!PinRole::DeniedEverywhere.is_allowed());
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PinRole {
    /// An allowed pin of the entry, not marked as backup.
    Primary,
    /// An allowed pin of the entry marked as backup.
    Backup,
    /// A deny pin of the entry.
    Denied,
    /// A pin the policy denies for every host.
    DeniedEverywhere,
}

impl PinRole {
    /// Whether the pin is allowed (primary or backup).
    ///
    /// ```
    /// # use rustls_pinning::PinRole;
    /// assert!(PinRole::Primary.is_allowed());
    /// ```
    pub fn is_allowed(self) -> bool {
        matches!(self, Self::Primary | Self::Backup)
    }
}

impl From<Role> for PinRole {
    fn from(role: Role) -> Self {
        match role {
            Role::Primary => Self::Primary,
            Role::Backup => Self::Backup,
            Role::Denied => Self::Denied,
            Role::DeniedEverywhere => Self::DeniedEverywhere,
        }
    }
}

/// A pin of a policy that matches a certificate: by the match rule of the pin check (the pin's
/// scope admits the certificate's position, and it is the digest of the certificate's key or
/// of the certificate itself).
///
/// ```
/// use rustls_pinning::{MatchingPin, PinRole};
///
/// fn denied(matching: &[MatchingPin]) -> bool {
///     matching.iter().any(|found| !found.role.is_allowed())
/// }
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatchingPin {
    /// The index of the certificate on its path (or chain), leaf first.
    pub certificate: usize,
    /// The index of the policy in [`Explanation::policies`] (0 outside an explanation).
    pub policy: usize,
    /// The pin.
    pub pin: ScopedPin,
    /// What it is to its policy.
    pub role: PinRole,
}

impl From<crate::decision::pin_check::PinMatch> for PinMatch {
    fn from(matched: crate::decision::pin_check::PinMatch) -> Self {
        Self {
            pin: matched.pin,
            certificate: matched.certificate,
            backup: matched.backup,
        }
    }
}

impl PolicyStanding {
    /// Where `pins` stands on `server_name` at `now`: the entry governing it by precedence and
    /// whether it is enforced, report-only or expired, exactly as a verifier resolves a host.
    ///
    /// ```
    /// use rustls::pki_types::{ServerName, UnixTime};
    /// use rustls_pinning::{Pin, PinEntry, PinSet, PolicyStanding, Standing};
    ///
    /// let pins = PinSet::builder()
    ///     .entry(PinEntry::builder("**.example.com".parse()?)
    ///         .pin(Pin::spki_sha256([1; 32])).backup_pin(Pin::spki_sha256([2; 32])))
    ///     .build()?;
    /// let name = ServerName::try_from("api.example.com")?;
    /// let standing = PolicyStanding::for_host(&pins, &name, UnixTime::now());
    /// assert_eq!(standing.standing, Standing::Enforced);
    /// assert_eq!(standing.entry.unwrap().pattern().to_string(), "**.example.com");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn for_host(pins: &PinSet, server_name: &ServerName<'_>, now: UnixTime) -> Self {
        Self::of(pins, &resolve(pins, server_name, now))
    }

    /// Where `pins` stands on a connection no entry governs: only its pins denied everywhere
    /// apply ([`Standing::Unpinned`], or [`Standing::RefusesUnpinned`] if the set refuses such
    /// hosts). For checking a certificate against the pins denied everywhere alone.
    ///
    /// ```
    /// use rustls_pinning::{Pin, PinSet, PolicyStanding, Standing};
    ///
    /// let pins = PinSet::builder().deny_everywhere(Pin::spki_sha256([9; 32])).build()?;
    /// let standing = PolicyStanding::without_entry(&pins);
    /// assert_eq!((standing.entry, standing.standing), (None, Standing::Unpinned));
    /// assert_eq!(standing.denied_everywhere.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without_entry(pins: &PinSet) -> Self {
        let resolution = match pins.unpinned_host_policy() {
            UnpinnedHostPolicy::Reject => Resolution::Rejected,
            _ => Resolution::Unpinned(None),
        };
        Self::of(pins, &resolution)
    }

    /// The pins of this policy (its entry's, then those denied everywhere) that match
    /// `certificate` at `position`, by the pin check's own match rule. The entry's pins are
    /// listed whatever its standing (an expired entry's too); whether they apply is the
    /// standing.
    ///
    /// ```
    /// use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    /// use rustls_pinning::{PinRole, PinSet, PolicyStanding, Position};
    ///
    /// # fn demo(pins: &PinSet, leaf: &CertificateDer<'_>) -> Result<(), Box<dyn std::error::Error>> {
    /// let name = ServerName::try_from("api.example.com")?;
    /// let standing = PolicyStanding::for_host(pins, &name, UnixTime::now());
    /// for found in standing.matching_pins(leaf, Position::Leaf) {
    ///     println!("{} is a {:?} pin of the leaf", found.pin, found.role);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn matching_pins(
        &self,
        certificate: &CertificateDer<'_>,
        position: Position,
    ) -> Vec<MatchingPin> {
        let policy = Policy {
            allowed: self.entry.as_ref().map_or(&[], PinEntry::allowed_pins),
            primary_count: self
                .entry
                .as_ref()
                .map_or(0, |entry| entry.primary_pins().len()),
            denied: self.entry.as_ref().map_or(&[], PinEntry::denied_pins),
            denied_everywhere: &self.denied_everywhere,
        };
        matching_pins(&policy, PathEntry::Der(certificate.clone()), position)
            .into_iter()
            .map(|(pin, role)| MatchingPin {
                certificate: 0,
                policy: 0,
                pin,
                role: role.into(),
            })
            .collect()
    }

    pub(crate) fn of(pins: &PinSet, resolution: &Resolution<'_>) -> Self {
        let (entry, standing) = match resolution {
            Resolution::Pinned(entry) => (
                Some(*entry),
                match entry.mode() {
                    EnforcementMode::ReportOnly => Standing::ReportOnly,
                    _ => Standing::Enforced,
                },
            ),
            Resolution::Unpinned(Some(expired)) => (Some(*expired), Standing::ExpiredAndSkipped),
            Resolution::Unpinned(None) => (None, Standing::Unpinned),
            Resolution::Rejected => (None, Standing::RefusesUnpinned),
        };
        Self {
            entry: entry.cloned(),
            standing,
            denied_everywhere: pins.globally_denied_pins().to_vec(),
        }
    }
}

impl ExplainedPath {
    pub(crate) fn of(recorded: RecordedPath) -> Self {
        Self {
            certificates: recorded.certificates,
            outcome: match recorded.verdict {
                PathVerdict::Accepted { .. } => PathOutcome::Accepted,
                PathVerdict::Tolerated { .. } => PathOutcome::Tolerated,
                PathVerdict::Rejected { .. } => PathOutcome::Rejected,
            },
            checks: recorded.layers.iter().map(PinCheck::of).collect(),
            matching: recorded
                .matching
                .into_iter()
                .map(|(certificate, policy, pin, role)| MatchingPin {
                    certificate,
                    policy,
                    pin,
                    role: role.into(),
                })
                .collect(),
        }
    }
}

impl PinCheck {
    fn of(verdict: &Verdict) -> Self {
        match *verdict {
            Verdict::Accepted { matched: None } => Self::Clear,
            Verdict::Accepted {
                matched: Some(matched),
            } => Self::Matched(matched.into()),
            Verdict::NoMatch => Self::NoMatch,
            Verdict::Denied {
                pin,
                index,
                everywhere,
            } => Self::Denied {
                pin,
                certificate: index,
                everywhere,
            },
        }
    }
}
