//! The pin check proper: matching a policy against the certificates of one verified path.
//!
//! This is the hot path. It borrows everything, hashes lazily (a certificate is hashed only if
//! a pin could match it, and each digest at most once), stops at the first allowed match when
//! there is nothing to deny, and never allocates.

use pki_types::CertificateDer;
use sha2::{Digest, Sha256};
use webpki::Cert;

use crate::der;
use crate::policy::pin::{sha256, Pin, PinKind};
use crate::policy::{PinScope, Position, ScopedPin};

/// The pins that apply to one connection.
#[derive(Clone, Copy)]
pub(crate) struct Policy<'a> {
    /// At least one must match, unless empty: primary pins first, then backup pins.
    pub(crate) allowed: &'a [ScopedPin],
    /// How many of `allowed` are primary pins.
    pub(crate) primary_count: usize,
    /// The entry's deny pins.
    pub(crate) denied: &'a [ScopedPin],
    /// Pins denied for every host.
    pub(crate) denied_everywhere: &'a [ScopedPin],
}

impl Policy<'_> {
    pub(crate) fn is_empty(&self) -> bool {
        self.allowed.is_empty() && self.denied.is_empty() && self.denied_everywhere.is_empty()
    }
}

/// The allowed pin that accepted a path, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PinMatch {
    /// The pin.
    pub(crate) pin: ScopedPin,
    /// The index on the path (leaf first) of the certificate it matched.
    pub(crate) certificate: usize,
    /// Whether it is a backup pin (no primary pin matched anywhere on the path).
    pub(crate) backup: bool,
}

/// The outcome for one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// An allowed pin matched (or none was required) and nothing denied matched. `matched` is
    /// the allowed pin that did, a primary one if any primary pin matched.
    Accepted { matched: Option<PinMatch> },
    /// No allowed pin matched.
    NoMatch,
    /// The certificate at `index` on the path matched a deny pin.
    Denied {
        pin: ScopedPin,
        index: usize,
        everywhere: bool,
    },
}

impl Verdict {
    /// Accepted with nothing to match.
    pub(crate) const ACCEPTED: Self = Self::Accepted { matched: None };
}

/// Digests of a trust anchor, computed once when the verifier is built.
#[derive(Clone, Debug)]
pub(crate) struct AnchorDigests {
    pub(crate) spki: [u8; 32],
    /// The digests of the root certificates given for this anchor: none if none was given,
    /// several when a root was re-issued with the same name and key.
    pub(crate) certificates: Vec<[u8; 32]>,
    /// The first certificate given for this anchor, for events.
    pub(crate) certificate: Option<CertificateDer<'static>>,
}

impl AnchorDigests {
    /// Digests of an anchor's SPKI, stored by webpki without its SEQUENCE header.
    pub(crate) fn of_anchor_spki(spki_contents: &[u8]) -> [u8; 32] {
        let (header, header_len) = der::sequence_header(spki_contents.len());
        let mut hasher = Sha256::new();
        hasher.update(&header[..header_len]);
        hasher.update(spki_contents);
        hasher.finalize().into()
    }
}

/// A certificate of a path: its DER (a cheap borrowed handle), the certificate as webpki
/// parsed it, or a trust anchor's precomputed digests and subject.
#[derive(Clone)]
pub(crate) enum PathEntry<'a> {
    Der(CertificateDer<'a>),
    /// From a path webpki verified: its SPKI is found without walking the DER.
    Parsed(&'a Cert<'a>),
    Anchor {
        digests: &'a AnchorDigests,
        subject: &'a [u8],
    },
}

/// A digest computed on first use.
#[derive(Clone, Copy)]
enum Lazy {
    NotYet,
    Computed([u8; 32]),
    /// The certificate does not parse: it matches no SPKI pin.
    Unavailable,
}

impl<'a> PathEntry<'a> {
    /// The SHA-256 digest of the certificate's SPKI; `None` if the certificate does not parse.
    fn spki_sha256(&self) -> Option<[u8; 32]> {
        match self {
            Self::Parsed(cert) => {
                let der = cert.der();
                der::spki_after_subject(der.as_ref(), cert.subject())
                    .or_else(|| der::certificate_spki(der.as_ref()))
                    .map(sha256)
            }
            Self::Der(der) => der::certificate_spki(der.as_ref()).map(sha256),
            Self::Anchor { digests, .. } => Some(digests.spki),
        }
    }

    /// The certificate's DER; `None` for a trust anchor, which has none.
    pub(crate) fn der(&self) -> Option<CertificateDer<'a>> {
        match self {
            Self::Der(der) => Some(der.clone()),
            Self::Parsed(cert) => Some(cert.der()),
            Self::Anchor { .. } => None,
        }
    }
}

/// Lazily computed digests of one certificate.
struct Digests<'a> {
    entry: PathEntry<'a>,
    spki: Lazy,
    certificate: Lazy,
}

impl<'a> Digests<'a> {
    fn new(entry: PathEntry<'a>) -> Self {
        Self {
            entry,
            spki: Lazy::NotYet,
            certificate: Lazy::NotYet,
        }
    }

    fn matches(&mut self, pin: &Pin) -> bool {
        let wanted = pin.sha256();
        match (pin.kind(), &self.entry) {
            (PinKind::Spki, PathEntry::Anchor { digests, .. }) => digests.spki == *wanted,
            (PinKind::Certificate, PathEntry::Anchor { digests, .. }) => {
                digests.certificates.contains(wanted)
            }
            (PinKind::Spki, entry) => {
                if let Lazy::NotYet = self.spki {
                    self.spki = entry
                        .spki_sha256()
                        .map_or(Lazy::Unavailable, Lazy::Computed);
                }
                matches!(&self.spki, Lazy::Computed(digest) if digest == wanted)
            }
            (PinKind::Certificate, entry) => {
                if let Lazy::NotYet = self.certificate {
                    self.certificate = entry.der().map_or(Lazy::Unavailable, |der| {
                        Lazy::Computed(sha256(der.as_ref()))
                    });
                }
                matches!(&self.certificate, Lazy::Computed(digest) if digest == wanted)
            }
        }
    }
}

/// What a pin is to the policy it belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    Primary,
    Backup,
    Denied,
    DeniedEverywhere,
}

/// Every pin of `policy` that matches the certificate `entry` at `position`, with its role:
/// the match rule of the pin check (scope, then digest), for explanations (it allocates).
pub(crate) fn matching_pins(
    policy: &Policy<'_>,
    entry: PathEntry<'_>,
    position: Position,
) -> Vec<(ScopedPin, Role)> {
    let mut digests = Digests::new(entry);
    let allowed = policy.allowed.iter().enumerate().map(|(index, pin)| {
        let role = match index < policy.primary_count {
            true => Role::Primary,
            false => Role::Backup,
        };
        (*pin, role)
    });
    let denied = policy.denied.iter().map(|pin| (*pin, Role::Denied));
    let everywhere = policy
        .denied_everywhere
        .iter()
        .map(|pin| (*pin, Role::DeniedEverywhere));
    allowed
        .chain(denied)
        .chain(everywhere)
        .filter(|(pin, _)| pin.scope().admits(position) && digests.matches(pin.pin_ref()))
        .collect()
}

/// The index in `pins` of the first pin that `admits` lets apply and that matches the
/// certificate.
fn first_match(
    pins: &[ScopedPin],
    admits: impl Fn(PinScope) -> bool,
    digests: &mut Digests<'_>,
) -> Option<usize> {
    pins.iter()
        .position(|scoped| admits(scoped.scope()) && digests.matches(scoped.pin_ref()))
}

/// Checks one certificate against the deny lists, then against `allowed` (a prefix of the
/// policy's allowed pins, empty when no allowed match is wanted).
pub(crate) fn check_certificate(
    policy: &Policy<'_>,
    allowed: &[ScopedPin],
    entry: PathEntry<'_>,
    admits: impl Fn(PinScope) -> bool + Copy,
) -> CertificateVerdict {
    let mut digests = Digests::new(entry);
    let denied = |pins: &[ScopedPin], digests: &mut Digests<'_>| {
        first_match(pins, admits, digests).and_then(|index| pins.get(index).copied())
    };
    if let Some(pin) = denied(policy.denied_everywhere, &mut digests) {
        return CertificateVerdict::Denied {
            pin,
            everywhere: true,
        };
    }
    if let Some(pin) = denied(policy.denied, &mut digests) {
        return CertificateVerdict::Denied {
            pin,
            everywhere: false,
        };
    }
    match first_match(allowed, admits, &mut digests) {
        Some(index) => CertificateVerdict::Allowed { index },
        None => CertificateVerdict::Neutral,
    }
}

/// The outcome for one certificate.
pub(crate) enum CertificateVerdict {
    /// `allowed[index]` matched.
    Allowed {
        index: usize,
    },
    Neutral,
    Denied {
        pin: ScopedPin,
        everywhere: bool,
    },
}

/// How far the allowed pins are satisfied while a path is checked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Matched {
    Nothing,
    /// Only this backup pin so far: the rest of the path may still match a primary.
    Backup(PinMatch),
    /// A primary pin matched (`None`: there was nothing to match).
    Primary(Option<PinMatch>),
}

/// Checks a whole path, given leaf first and trust anchor last.
///
/// A pin denied everywhere decides at once. An entry's own deny pin decides too, but only
/// after the rest of the path is searched for pins denied everywhere: report-only mode waives
/// the entry's deny pins, never the global ones, so one must not hide the other. A backup pin
/// match keeps the search going for a primary pin, so that a rotation is told apart from a
/// path that also carries a primary key.
pub(crate) fn check_path<'a>(
    policy: &Policy<'_>,
    path: impl Iterator<Item = (Position, PathEntry<'a>)>,
) -> Verdict {
    if policy.denied.is_empty() && policy.denied_everywhere.is_empty() {
        check_allowed_only(policy, path)
    } else {
        check_with_deny_pins(policy, path)
    }
}

fn primary_pins<'p>(policy: &Policy<'p>) -> &'p [ScopedPin] {
    policy
        .allowed
        .get(..policy.primary_count)
        .unwrap_or(policy.allowed)
}

/// [`check_path`] for any policy.
fn check_with_deny_pins<'a>(
    policy: &Policy<'_>,
    path: impl Iterator<Item = (Position, PathEntry<'a>)>,
) -> Verdict {
    let primaries = primary_pins(policy);
    let mut matched = match policy.allowed.is_empty() {
        true => Matched::Primary(None),
        false => Matched::Nothing,
    };
    let mut entry_denial = None;
    for (index, (position, entry)) in path.enumerate() {
        let done_allowing = entry_denial.is_some() || matches!(matched, Matched::Primary(_));
        if done_allowing && policy.denied.is_empty() && policy.denied_everywhere.is_empty() {
            break;
        }
        if entry_denial.is_some() && policy.denied_everywhere.is_empty() {
            break;
        }
        let wanted = match (done_allowing, matched) {
            (true, _) => &[][..],
            (false, Matched::Backup(_)) => primaries,
            (false, _) => policy.allowed,
        };
        let admits = |scope: PinScope| scope.admits(position);
        match check_certificate(policy, wanted, entry, admits) {
            CertificateVerdict::Allowed { index: pin_index } => {
                if let Some(&pin) = wanted.get(pin_index) {
                    let backup = pin_index >= policy.primary_count;
                    let found = PinMatch {
                        pin,
                        certificate: index,
                        backup,
                    };
                    matched = match backup {
                        true => Matched::Backup(found),
                        false => Matched::Primary(Some(found)),
                    };
                }
            }
            CertificateVerdict::Neutral => {}
            CertificateVerdict::Denied {
                pin,
                everywhere: true,
            } => {
                return Verdict::Denied {
                    pin,
                    index,
                    everywhere: true,
                }
            }
            CertificateVerdict::Denied {
                pin,
                everywhere: false,
            } => {
                entry_denial.get_or_insert(Verdict::Denied {
                    pin,
                    index,
                    everywhere: false,
                });
            }
        }
    }
    match (entry_denial, matched) {
        (Some(denial), _) => denial,
        (None, Matched::Primary(matched)) => Verdict::Accepted { matched },
        (None, Matched::Backup(found)) => Verdict::Accepted {
            matched: Some(found),
        },
        (None, Matched::Nothing) => Verdict::NoMatch,
    }
}

/// [`check_path`] for a policy without deny pins, the common case, with only the bookkeeping
/// allowed pins need: the same verdicts as [`check_with_deny_pins`] (a test compares the two
/// on every small policy), measurably faster on the hot path (`BENCHMARKS.md`).
fn check_allowed_only<'a>(
    policy: &Policy<'_>,
    path: impl Iterator<Item = (Position, PathEntry<'a>)>,
) -> Verdict {
    if policy.allowed.is_empty() {
        return Verdict::ACCEPTED;
    }
    let primaries = primary_pins(policy);
    let mut backup = None;
    let found = |pin: ScopedPin, index: usize, certificate: usize| PinMatch {
        pin,
        certificate,
        backup: index >= policy.primary_count,
    };
    // Most policies pin keys anywhere on the path: then each certificate's key is hashed once,
    // straight into a local, and compared, with no lazy bookkeeping. This loop is kept apart
    // from the general one below: merged, with a branch per certificate, it measured about 3 %
    // slower.
    let keys_anywhere = policy
        .allowed
        .iter()
        .all(|scoped| scoped.scope() == PinScope::Any && scoped.pin_ref().kind() == PinKind::Spki);
    if keys_anywhere {
        for (certificate, (_, entry)) in path.enumerate() {
            let Some(digest) = entry.spki_sha256() else {
                continue;
            };
            let wanted = match backup {
                Some(_) => primaries,
                None => policy.allowed,
            };
            let Some((index, &pin)) = wanted
                .iter()
                .enumerate()
                .find(|(_, scoped)| *scoped.pin_ref().sha256() == digest)
            else {
                continue;
            };
            let matched = found(pin, index, certificate);
            if !matched.backup {
                return Verdict::Accepted {
                    matched: Some(matched),
                };
            }
            backup = Some(matched);
        }
        return match backup {
            Some(matched) => Verdict::Accepted {
                matched: Some(matched),
            },
            None => Verdict::NoMatch,
        };
    }
    for (certificate, (position, entry)) in path.enumerate() {
        let wanted = match backup {
            Some(_) => primaries,
            None => policy.allowed,
        };
        let mut digests = Digests::new(entry);
        let Some((index, &pin)) = wanted.iter().enumerate().find(|(_, scoped)| {
            scoped.scope().admits(position) && digests.matches(scoped.pin_ref())
        }) else {
            continue;
        };
        let matched = found(pin, index, certificate);
        if !matched.backup {
            return Verdict::Accepted {
                matched: Some(matched),
            };
        }
        backup = Some(matched);
    }
    match backup {
        Some(matched) => Verdict::Accepted {
            matched: Some(matched),
        },
        None => Verdict::NoMatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every deny-free policy of up to two pins drawn from SPKI and certificate pins in every
    /// scope, with every split into primary and backup pins, on paths with and without a
    /// certificate that does not parse: the fast path and the general one agree.
    #[test]
    fn the_path_without_deny_pins_agrees_with_the_general_one() {
        let anchors: Vec<AnchorDigests> = (1..=3u8)
            .map(|key| AnchorDigests {
                spki: [key; 32],
                certificates: vec![[key + 10; 32]],
                certificate: None,
            })
            .collect();
        let entry = |index: usize| PathEntry::Anchor {
            digests: &anchors[index],
            subject: &[],
        };
        let unparsable = CertificateDer::from(&[0x30u8, 0x03, 0x02, 0x01][..]);
        let paths: Vec<Vec<(Position, PathEntry<'_>)>> = vec![
            vec![
                (Position::Leaf, entry(0)),
                (Position::Intermediate, entry(1)),
                (Position::Root, entry(2)),
            ],
            vec![
                (Position::Leaf, PathEntry::Der(unparsable.clone())),
                (Position::Intermediate, entry(1)),
                (Position::Root, entry(2)),
            ],
            vec![(Position::Leaf, entry(0)), (Position::Root, entry(1))],
        ];
        let scopes = [
            PinScope::Any,
            PinScope::Leaf,
            PinScope::Intermediate,
            PinScope::Root,
        ];
        let pins: Vec<ScopedPin> = [1u8, 2, 3, 9]
            .iter()
            .map(|&key| Pin::spki_sha256([key; 32]))
            .chain(
                [11u8, 12]
                    .iter()
                    .map(|&key| Pin::certificate_sha256([key; 32])),
            )
            .flat_map(|pin| scopes.iter().map(move |&scope| ScopedPin::new(pin, scope)))
            .collect();
        let mut lists: Vec<Vec<ScopedPin>> = vec![Vec::new()];
        lists.extend(pins.iter().map(|&pin| vec![pin]));
        lists.extend(
            pins.iter()
                .flat_map(|&first| pins.iter().map(move |&second| vec![first, second])),
        );
        let mut compared = 0;
        for allowed in &lists {
            for primary_count in 0..=allowed.len() {
                let policy = Policy {
                    allowed,
                    primary_count,
                    denied: &[],
                    denied_everywhere: &[],
                };
                for path in &paths {
                    assert_eq!(
                        check_allowed_only(&policy, path.iter().cloned()),
                        check_with_deny_pins(&policy, path.iter().cloned()),
                        "{allowed:?}, {primary_count} primary"
                    );
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 3 * (1 + 24 * 2 + 24 * 24 * 3));
    }

    fn anchor(spki: u8) -> AnchorDigests {
        AnchorDigests {
            spki: [spki; 32],
            certificates: Vec::new(),
            certificate: None,
        }
    }

    #[test]
    fn anchor_spki_digest_rewraps_the_sequence_header() {
        let contents = [0x05u8, 0x00];
        let wrapped = [0x30u8, 0x02, 0x05, 0x00];
        assert_eq!(AnchorDigests::of_anchor_spki(&contents), sha256(&wrapped));
    }

    #[test]
    fn scope_limits_where_a_pin_matches() {
        let root = anchor(7);
        let leaf_only = [ScopedPin::new(Pin::spki_sha256([7; 32]), PinScope::Leaf)];
        let policy = Policy {
            allowed: &leaf_only,
            primary_count: 1,
            denied: &[],
            denied_everywhere: &[],
        };
        let path = [(
            Position::Root,
            PathEntry::Anchor {
                digests: &root,
                subject: &[],
            },
        )];
        assert_eq!(
            check_path(&policy, path.clone().into_iter()),
            Verdict::NoMatch
        );

        let root_only = [ScopedPin::new(Pin::spki_sha256([7; 32]), PinScope::Root)];
        let policy = Policy {
            allowed: &root_only,
            ..policy
        };
        assert_eq!(
            check_path(&policy, path.clone().into_iter()),
            Verdict::Accepted {
                matched: Some(PinMatch {
                    pin: root_only[0],
                    certificate: 0,
                    backup: false,
                })
            }
        );
    }

    #[test]
    fn deny_beats_allow_on_a_later_certificate() {
        let first = anchor(1);
        let second = anchor(2);
        let allowed = [ScopedPin::new(Pin::spki_sha256([1; 32]), PinScope::Any)];
        let denied = [ScopedPin::new(Pin::spki_sha256([2; 32]), PinScope::Any)];
        let policy = Policy {
            allowed: &allowed,
            primary_count: 1,
            denied: &denied,
            denied_everywhere: &[],
        };
        let path = [
            (
                Position::Intermediate,
                PathEntry::Anchor {
                    digests: &first,
                    subject: &[],
                },
            ),
            (
                Position::Root,
                PathEntry::Anchor {
                    digests: &second,
                    subject: &[],
                },
            ),
        ];
        assert_eq!(
            check_path(&policy, path.clone().into_iter()),
            Verdict::Denied {
                pin: denied[0],
                index: 1,
                everywhere: false
            }
        );
    }

    #[test]
    fn an_entry_deny_does_not_hide_a_later_global_deny() {
        let leaf = anchor(1);
        let intermediate = anchor(2);
        let entry_deny = [ScopedPin::new(Pin::spki_sha256([1; 32]), PinScope::Any)];
        let global_deny = [ScopedPin::new(Pin::spki_sha256([2; 32]), PinScope::Any)];
        let policy = Policy {
            allowed: &[],
            primary_count: 0,
            denied: &entry_deny,
            denied_everywhere: &global_deny,
        };
        let path = [
            (
                Position::Leaf,
                PathEntry::Anchor {
                    digests: &leaf,
                    subject: &[],
                },
            ),
            (
                Position::Intermediate,
                PathEntry::Anchor {
                    digests: &intermediate,
                    subject: &[],
                },
            ),
        ];
        assert_eq!(
            check_path(&policy, path.clone().into_iter()),
            Verdict::Denied {
                pin: global_deny[0],
                index: 1,
                everywhere: true
            }
        );
        let policy = Policy {
            denied_everywhere: &[],
            ..policy
        };
        assert_eq!(
            check_path(&policy, path.into_iter()),
            Verdict::Denied {
                pin: entry_deny[0],
                index: 0,
                everywhere: false
            }
        );
    }

    #[test]
    fn certificate_pin_never_matches_an_anchor_without_its_certificate() {
        let root = anchor(3);
        let allowed = [ScopedPin::new(
            Pin::certificate_sha256([3; 32]),
            PinScope::Any,
        )];
        let policy = Policy {
            allowed: &allowed,
            primary_count: 1,
            denied: &[],
            denied_everywhere: &[],
        };
        let path = [(
            Position::Root,
            PathEntry::Anchor {
                digests: &root,
                subject: &[],
            },
        )];
        assert_eq!(
            check_path(&policy, path.clone().into_iter()),
            Verdict::NoMatch
        );
    }
}
