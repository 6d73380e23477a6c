//! Wrap mode's trust: another verifier decides whether the chain is trusted, and the path
//! this mode can see is the leaf and the CA certificates proven to sign its chain.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::Error;
use webpki::{EndEntityCert, KeyUsage};

use crate::decision::judge::{Judge, PathVerdict};
use crate::decision::pin_check::{check_certificate, CertificateVerdict, PathEntry, Verdict};
use crate::decision::search::Search;
use crate::der;
use crate::policy::Position;
use crate::verifier::webpki_error::pki_error;

/// The most proofs (each a webpki validation of the leaf's chain) one verification makes.
/// Real chains need one or two. Candidates that may carry a denied key are proven first; when
/// they alone need more, the chain is refused
/// ([`ServerPinningError::ProofBudgetExhausted`](crate::ServerPinningError::ProofBudgetExhausted)).
pub(crate) const MAX_PROOFS: usize = 8;

pub(crate) struct Wrapped {
    inner: Arc<dyn ServerCertVerifier>,
    supported: WebPkiSupportedAlgorithms,
    extra_cas: Vec<CertificateDer<'static>>,
}

impl Wrapped {
    pub(crate) fn new(
        inner: Arc<dyn ServerCertVerifier>,
        supported: WebPkiSupportedAlgorithms,
        extra_cas: Vec<CertificateDer<'static>>,
    ) -> Self {
        Self {
            inner,
            supported,
            extra_cas,
        }
    }
}

/// A candidate CA certificate, presented by the server or configured, with the position it
/// would take on a path and the proof it belongs to.
struct Candidate<'a> {
    der: &'a CertificateDer<'a>,
    position: Position,
    proof: usize,
}

impl Candidate<'_> {
    fn entry(&self) -> PathEntry<'_> {
        PathEntry::Der(self.der.clone())
    }
}

/// One proof: a trust anchor (subject, key and name constraints) that several candidates may
/// share, since the proof depends on nothing else. Proven once, it places every candidate that
/// shares it.
struct Proof<'a> {
    anchor: TrustAnchor<'a>,
    /// The most any of its candidates matters to the pins.
    relevance: Relevance,
    proven: bool,
}

/// What the pins of every layer say of a candidate at its position, least to most.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Relevance {
    /// It matches nothing: only worth proving to describe a refusal.
    Neither,
    /// It matches an allowed pin: it may accept the path.
    Allow,
    /// It matches a deny pin: whether it is on a path decides a rejection.
    Deny,
}

/// Why CA pins could not be decided within [`MAX_PROOFS`].
#[derive(Clone, Copy)]
pub(crate) struct Exhausted {
    /// Whether the proofs left undecided involve a denied key (`false`: only allowed keys).
    pub(crate) denied: bool,
    /// How many proofs were left undecided.
    pub(crate) candidates: usize,
}

impl Wrapped {
    pub(crate) fn inner(&self) -> &Arc<dyn ServerCertVerifier> {
        &self.inner
    }

    /// Whether `anchor`'s key signs a chain from `leaf` (through `intermediates`) at `now`.
    fn proves(
        &self,
        leaf: &EndEntityCert<'_>,
        anchor: &TrustAnchor<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> bool {
        leaf.verify_for_usage(
            self.supported.all,
            core::slice::from_ref(anchor),
            intermediates,
            now,
            KeyUsage::server_auth(),
            None,
            None,
        )
        .is_ok()
    }

    /// Lets the inner verifier decide trust (its chain and name errors are returned as they
    /// are), then feeds `search` the one path this mode can see: the leaf and the candidate CA
    /// certificates proven to sign its chain.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn search(
        &self,
        search: &Search<'_>,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<Option<Exhausted>, Error> {
        self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        if !search.looks_at_paths() {
            search.accept_unseen();
            return Ok(None);
        }
        let leaf = EndEntityCert::try_from(end_entity).map_err(pki_error)?;
        let (candidates, mut proofs) = self.candidates(search.judge(), &leaf, intermediates);
        let count = |proofs: &[Proof<'_>], relevance| {
            proofs
                .iter()
                .filter(|proof| proof.relevance == relevance)
                .count()
        };
        // Proofs that may place a denied key first, all of them or none: a server must not be
        // able to push a denied CA out of the budget with decoys.
        let denied = count(&proofs, Relevance::Deny);
        if denied > MAX_PROOFS {
            return Ok(Some(Exhausted {
                denied: true,
                candidates: denied,
            }));
        }
        let mut budget = MAX_PROOFS;
        let mut prove = |proofs: &mut [Proof<'_>], relevance| {
            let mut undecided = 0;
            for proof in proofs
                .iter_mut()
                .filter(|proof| proof.relevance == relevance)
            {
                if budget == 0 {
                    undecided += 1;
                    continue;
                }
                budget -= 1;
                proof.proven = self.proves(&leaf, &proof.anchor, intermediates, now);
            }
            undecided
        };
        prove(&mut proofs, Relevance::Deny);
        let undecided_allowed = prove(&mut proofs, Relevance::Allow);
        let decided = path(end_entity, &candidates, &proofs);
        let verdict = search.judge().judge(|| decided.iter().cloned());
        let shown = match verdict {
            PathVerdict::Accepted { .. } => decided,
            PathVerdict::Rejected {
                verdict: Verdict::NoMatch,
                ..
            } if undecided_allowed > 0 => {
                return Ok(Some(Exhausted {
                    denied: false,
                    candidates: undecided_allowed,
                }))
            }
            // A refusal: what is left of the budget proves the other candidates, so that the
            // message shows every CA that could be pinned. They match no pin, so the verdict
            // stays the same.
            _ => {
                prove(&mut proofs, Relevance::Neither);
                path(end_entity, &candidates, &proofs)
            }
        };
        search.consider(
            || shown.iter().cloned(),
            || {
                shown
                    .iter()
                    .filter_map(|(_, entry)| entry.der().map(CertificateDer::into_owned))
                    .collect()
            },
        );
        Ok(None)
    }

    /// The certificates that could be a CA on the leaf's path, those the server presented and
    /// those configured, in that order, and the proofs they make. A certificate is kept only
    /// if its subject is the issuer of the leaf or of a presented certificate: webpki chains
    /// names by exact byte equality, so no other can be on a path. Certificates with the same
    /// subject, key and name constraints share one proof.
    #[allow(clippy::type_complexity)]
    fn candidates<'a>(
        &'a self,
        judge: &Judge<'_>,
        leaf: &'a EndEntityCert<'a>,
        intermediates: &'a [CertificateDer<'a>],
    ) -> (Vec<Candidate<'a>>, Vec<Proof<'a>>) {
        // The issuer names a candidate's subject must be one of. If a presented certificate
        // cannot be read here, the filter is off: it may only ever save proofs, never drop a
        // candidate webpki could chain.
        let issuers = intermediates
            .iter()
            .map(|der| der::certificate_fields(der.as_ref()).map(|fields| fields.issuer))
            .chain(core::iter::once(Some(leaf.issuer())))
            .collect::<Option<HashSet<_>>>();
        let mut proofs: Vec<Proof<'a>> = Vec::new();
        let mut by_anchor = HashMap::new();
        let mut candidates = Vec::new();
        for der in intermediates.iter().chain(self.extra_cas.iter()) {
            let Ok(anchor) = webpki::anchor_from_trusted_cert(der) else {
                continue;
            };
            if issuers
                .as_ref()
                .is_some_and(|issuers| !issuers.contains(anchor.subject.as_ref()))
            {
                continue;
            }
            let self_issued = der::certificate_fields(der.as_ref())
                .is_some_and(|fields| fields.subject == fields.issuer);
            let position = match self_issued {
                true => Position::Root,
                false => Position::Intermediate,
            };
            let key = (
                anchor.subject.as_ref().to_vec(),
                anchor.subject_public_key_info.as_ref().to_vec(),
                anchor
                    .name_constraints
                    .as_ref()
                    .map(|nc| nc.as_ref().to_vec()),
            );
            let proof = *by_anchor.entry(key).or_insert_with(|| {
                proofs.push(Proof {
                    anchor,
                    relevance: Relevance::Neither,
                    proven: false,
                });
                proofs.len() - 1
            });
            let candidate = Candidate {
                der,
                position,
                proof,
            };
            if let Some(proof) = proofs.get_mut(proof) {
                proof.relevance = proof.relevance.max(relevance(judge, &candidate));
            }
            candidates.push(candidate);
        }
        (candidates, proofs)
    }
}

/// The leaf, then every candidate whose proof succeeded, in candidate order.
fn path<'c>(
    end_entity: &'c CertificateDer<'c>,
    candidates: &'c [Candidate<'c>],
    proofs: &[Proof<'_>],
) -> Vec<(Position, PathEntry<'c>)> {
    core::iter::once((Position::Leaf, PathEntry::Der(end_entity.clone())))
        .chain(
            candidates
                .iter()
                .filter(|candidate| {
                    proofs
                        .get(candidate.proof)
                        .is_some_and(|proof| proof.proven)
                })
                .map(|candidate| (candidate.position, candidate.entry())),
        )
        .collect()
}

/// What the pins of every layer say of `candidate` at its position.
fn relevance(judge: &Judge<'_>, candidate: &Candidate<'_>) -> Relevance {
    judge
        .policies()
        .map(|policy| {
            match check_certificate(policy, policy.allowed, candidate.entry(), |scope| {
                scope.admits(candidate.position)
            }) {
                CertificateVerdict::Denied { .. } => Relevance::Deny,
                CertificateVerdict::Allowed { .. } => Relevance::Allow,
                CertificateVerdict::Neutral => Relevance::Neither,
            }
        })
        .max()
        .unwrap_or(Relevance::Neither)
}
