//! Collecting the verdicts on every candidate path of one verification into one finding.
//!
//! The outcome depends only on what is kept in full for every path: whether some path was
//! accepted, whether some path was tolerated, and the most severe refusal with the layer that
//! made it. The descriptions kept for the error message are bounded, and the most severe
//! refusal is always among them, so a server that offers many paths can shorten the message
//! but never hide a deny pin behind other refusals.

use core::cell::{Cell, RefCell};

use pki_types::CertificateDer;

use crate::decision::error::PathCertificate;
use crate::decision::judge::{Judge, PathVerdict};
use crate::decision::pin_check::{matching_pins, PathEntry, PinMatch, Role, Verdict};
use crate::policy::{Position, ScopedPin};

/// The most refused paths a message describes besides the most severe one; more only happen
/// with unusual cross-signing or a hostile server.
const MAX_DESCRIBED_PATHS: usize = 8;

/// A refused path, described for the error message (failure path only: it hashes and
/// allocates).
pub(crate) struct DescribedPath {
    pub(crate) certificates: Vec<PathCertificate>,
    /// Its certificates, kept only when an event will need them.
    pub(crate) der: Vec<CertificateDer<'static>>,
}

/// A path as an explanation records it: every certificate, every layer's verdict and what
/// they add up to.
pub(crate) struct RecordedPath {
    pub(crate) certificates: Vec<PathCertificate>,
    pub(crate) layers: Vec<Verdict>,
    pub(crate) verdict: PathVerdict,
    /// Every pin of every layer that matches a certificate: (certificate, layer, pin, role).
    pub(crate) matching: Vec<(usize, usize, ScopedPin, Role)>,
}

/// What a search found, once every candidate path was seen.
pub(crate) struct Finding {
    /// Some path was accepted: the layer and the pin that accepted it, and its certificates
    /// when they were asked for.
    pub(crate) accepted: Option<Accepted>,
    /// The most severe refusal of a path refused only by report-only entries.
    pub(crate) tolerated: Option<Refusal>,
    /// The most severe refusal of a path refused outright.
    pub(crate) rejected: Option<Refusal>,
    /// The refused paths described, in the order they were seen.
    pub(crate) described: Vec<DescribedPath>,
    /// Every path judged, in order, when the search was asked to record them.
    pub(crate) recorded: Vec<RecordedPath>,
}

/// The path accepted.
pub(crate) struct Accepted {
    pub(crate) layer: usize,
    pub(crate) matched: Option<PinMatch>,
    pub(crate) der: Vec<CertificateDer<'static>>,
}

/// A refusal: the verdict, and which of the described paths it was.
#[derive(Clone, Copy)]
pub(crate) struct Refusal {
    pub(crate) verdict: PathVerdict,
    pub(crate) path: usize,
}

impl Finding {
    /// The most severe refusal seen, outright or tolerated (an outright one on a tie): what
    /// a message reports.
    pub(crate) fn most_severe_refusal(&self) -> Option<Refusal> {
        match (self.rejected, self.tolerated) {
            (Some(rejected), Some(tolerated))
                if tolerated.verdict.severity() > rejected.verdict.severity() =>
            {
                Some(tolerated)
            }
            (Some(rejected), _) => Some(rejected),
            (None, tolerated) => tolerated,
        }
    }
}

/// Judges the candidate paths of one verification as they come.
pub(crate) struct Search<'a> {
    judge: Judge<'a>,
    keep_der: bool,
    keep_accepted_der: bool,
    valid_path_seen: Cell<bool>,
    accepted: RefCell<Option<Accepted>>,
    tolerated: Cell<Option<Refusal>>,
    rejected: Cell<Option<Refusal>>,
    described: RefCell<Vec<DescribedPath>>,
    /// `Some` when every path is recorded for an explanation.
    recorded: Option<RefCell<Vec<RecordedPath>>>,
}

impl<'a> Search<'a> {
    /// `keep_der`: refused paths keep their certificates (for events);
    /// `keep_accepted_der`: so does the accepted one.
    pub(crate) fn new(judge: Judge<'a>, keep_der: bool, keep_accepted_der: bool) -> Self {
        Self {
            judge,
            keep_der,
            keep_accepted_der,
            valid_path_seen: Cell::new(false),
            accepted: RefCell::new(None),
            tolerated: Cell::new(None),
            rejected: Cell::new(None),
            described: RefCell::new(Vec::new()),
            recorded: None,
        }
    }

    /// Records every path judged, for an explanation. The verdicts are the same: recording
    /// only keeps what the judge computed.
    pub(crate) fn recording(mut self) -> Self {
        self.recorded = Some(RefCell::new(Vec::new()));
        self
    }

    pub(crate) fn judge(&self) -> &Judge<'a> {
        &self.judge
    }

    /// Whether a fully verified candidate path was seen, which tells a pin refusal apart from
    /// a chain that does not validate.
    pub(crate) fn valid_path_seen(&self) -> bool {
        self.valid_path_seen.get()
    }

    /// Judges one verified candidate path (`path` makes an iterator over it, leaf first);
    /// true if it is accepted, and the search can stop. `der` gives the path's certificates,
    /// called only when they are kept.
    pub(crate) fn consider<'p, I>(
        &self,
        path: impl Fn() -> I,
        der: impl FnOnce() -> Vec<CertificateDer<'static>>,
    ) -> bool
    where
        I: Iterator<Item = (Position, PathEntry<'p>)>,
    {
        self.valid_path_seen.set(true);
        let verdict = match &self.recorded {
            None => self.judge.judge(&path),
            Some(recorded) => {
                let layers = self.judge.verdicts(&path);
                let verdict = self.judge.combine(&layers);
                let mut matching = Vec::new();
                for (certificate, (position, entry)) in path().enumerate() {
                    for (layer, policy) in self.judge.policies().enumerate() {
                        matching.extend(
                            matching_pins(policy, entry.clone(), position)
                                .into_iter()
                                .map(|(pin, role)| (certificate, layer, pin, role)),
                        );
                    }
                }
                recorded.borrow_mut().push(RecordedPath {
                    certificates: path()
                        .map(|(position, entry)| PathCertificate::describe(position, entry))
                        .collect(),
                    layers,
                    verdict,
                    matching,
                });
                verdict
            }
        };
        if let PathVerdict::Accepted { layer, matched } = verdict {
            let mut accepted = self.accepted.borrow_mut();
            if accepted.is_none() {
                let backup = matched.is_some_and(|matched| matched.backup);
                *accepted = Some(Accepted {
                    layer,
                    matched,
                    der: match self.keep_accepted_der || (self.keep_der && backup) {
                        true => der(),
                        false => Vec::new(),
                    },
                });
            }
            return true;
        }
        let slot = match verdict {
            PathVerdict::Tolerated { .. } => &self.tolerated,
            _ => &self.rejected,
        };
        let worse = slot
            .get()
            .is_none_or(|current| verdict.severity() > current.verdict.severity());
        let mut described = self.described.borrow_mut();
        // The most severe refusal is always described; others while there is room.
        if !worse && described.len() >= MAX_DESCRIBED_PATHS {
            return false;
        }
        described.push(DescribedPath {
            certificates: path()
                .map(|(position, entry)| PathCertificate::describe(position, entry))
                .collect(),
            der: match self.keep_der {
                true => der(),
                false => Vec::new(),
            },
        });
        if worse {
            slot.set(Some(Refusal {
                verdict,
                path: described.len() - 1,
            }));
        }
        false
    }

    /// Whether the paths need to be looked at: some pin applies, or the accepted path is
    /// wanted for an event. If not, the first verified path is accepted unseen.
    pub(crate) fn looks_at_paths(&self) -> bool {
        self.judge.has_pins() || self.keep_accepted_der || self.recorded.is_some()
    }

    /// Records that a path was verified and accepted without being looked at (see
    /// [`looks_at_paths`](Self::looks_at_paths)).
    pub(crate) fn accept_unseen(&self) {
        self.valid_path_seen.set(true);
        self.accepted.borrow_mut().get_or_insert(Accepted {
            layer: 0,
            matched: None,
            der: Vec::new(),
        });
    }

    /// What was found.
    pub(crate) fn finish(self) -> Finding {
        Finding {
            accepted: self.accepted.into_inner(),
            tolerated: self.tolerated.get(),
            rejected: self.rejected.get(),
            described: self.described.into_inner(),
            recorded: self.recorded.map(RefCell::into_inner).unwrap_or_default(),
        }
    }
}
