//! The one function that judges a candidate path: every policy layer's pin check, combined by
//! one precedence table.
//!
//! Every verifier mode uses it: WebPKI mode on each path webpki verifies, wrap mode on the
//! leaf and the CA certificates it proved, pins-only mode on the leaf, the hybrid store with
//! its static and dynamic policies as two layers, and the client-certificate verifier with
//! one layer per pinned identity a certificate names. The modes differ only in where
//! candidate paths come from.
//!
//! The precedence table, in the order it is applied to one path:
//!
//! | # | rule | outcome |
//! |---|------|---------|
//! | 1 | a certificate matches a pin denied everywhere, in any layer | rejected (report-only never waives it) |
//! | 2 | a certificate matches a deny pin of an enforced entry governing the host, in any layer | rejected |
//! | 3 | no layer has an entry governing the host | acceptable (plain validation); host-level rules come from [`Judge::host_rule`] |
//! | 4a | [`Combination::Any`]: a governing entry's allowed pin matches | accepted (a primary match is preferred to a backup one) |
//! | 4b | [`Combination::All`]: every governing entry's allowed pins match | accepted |
//! | 5 | otherwise, an enforced governing entry refused the path | rejected |
//! | 6 | otherwise (only report-only entries refused it) | tolerated: acceptable if no path is accepted, and reported |

use crate::decision::pin_check::{check_path, PathEntry, PinMatch, Policy, Verdict};
use crate::policy::Position;

/// The most layers a judge combines for one server connection: the static policy and a
/// bundle's.
pub(crate) const MAX_SERVER_LAYERS: usize = 2;

/// Where a layer stands on the host (or client identity) being verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Standing {
    /// An entry governs the host and is in force; `enforced` unless it is report-only.
    Pins { enforced: bool },
    /// No entry governs the host: only the pins denied everywhere apply to it.
    Unpinned,
    /// No entry governs the host and this policy refuses such hosts.
    Refuses,
}

/// One policy's rules for one connection: the pins that apply, and where it stands.
#[derive(Clone, Copy)]
pub(crate) struct Layer<'a> {
    pub(crate) policy: Policy<'a>,
    pub(crate) standing: Standing,
}

impl Layer<'_> {
    fn pins_host(&self) -> bool {
        matches!(self.standing, Standing::Pins { .. })
    }

    fn enforced(&self) -> bool {
        matches!(self.standing, Standing::Pins { enforced: true })
    }
}

/// How the verdicts of the layers that pin a host combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Combination {
    /// A path one governing entry accepts is accepted (one layer: that layer's verdict).
    Any,
    /// Every governing entry must accept the same path.
    All,
}

/// What the layers say about a host before any path is seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostRule {
    /// Some layer has an entry governing the host: paths are judged by their pins.
    Pinned,
    /// No layer pins the host and none refuses unpinned hosts: plain validation, with the
    /// pins denied everywhere.
    Unpinned,
    /// No layer pins the host and at least one refuses unpinned hosts (the stricter rule
    /// wins).
    Refused,
}

/// The outcome for one candidate path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathVerdict {
    /// Acceptable. `layer` is the governing layer whose pins accepted it (the first layer when
    /// no layer pins the host), `matched` the pin that matched there, if one was needed.
    Accepted {
        layer: usize,
        matched: Option<PinMatch>,
    },
    /// Refused only by report-only entries: the connection may go ahead on it if no path is
    /// accepted, and `verdict` of `layer` is what enforcement would have said.
    Tolerated { layer: usize, verdict: Verdict },
    /// Refused: `verdict` of `layer` says why.
    Rejected { layer: usize, verdict: Verdict },
}

impl PathVerdict {
    /// The layer the verdict comes from.
    pub(crate) fn layer(&self) -> usize {
        match self {
            Self::Accepted { layer, .. }
            | Self::Tolerated { layer, .. }
            | Self::Rejected { layer, .. } => *layer,
        }
    }

    /// How bad a refusal is, for choosing which one a message reports: a pin denied
    /// everywhere outranks an entry's deny pin, which outranks a missing pin.
    pub(crate) fn severity(&self) -> u8 {
        let verdict = match self {
            Self::Accepted { .. } => return 0,
            Self::Tolerated { verdict, .. } | Self::Rejected { verdict, .. } => verdict,
        };
        match verdict {
            Verdict::Denied {
                everywhere: true, ..
            } => 3,
            Verdict::Denied { .. } => 2,
            Verdict::NoMatch | Verdict::Accepted { .. } => 1,
        }
    }
}

/// Judges candidate paths against a set of layers.
#[derive(Clone, Copy)]
pub(crate) struct Judge<'a> {
    layers: &'a [Layer<'a>],
    combination: Combination,
}

impl<'a> Judge<'a> {
    pub(crate) fn new(layers: &'a [Layer<'a>], combination: Combination) -> Self {
        Self {
            layers,
            combination,
        }
    }

    /// The stricter of the layers' rules for a host no layer pins.
    pub(crate) fn host_rule(&self) -> HostRule {
        if self.layers.iter().any(Layer::pins_host) {
            HostRule::Pinned
        } else if self
            .layers
            .iter()
            .any(|layer| layer.standing == Standing::Refuses)
        {
            HostRule::Refused
        } else {
            HostRule::Unpinned
        }
    }

    /// Whether any pin applies at all: if not, every verified path is acceptable and the
    /// paths need not be looked at.
    pub(crate) fn has_pins(&self) -> bool {
        self.layers.iter().any(|layer| !layer.policy.is_empty())
    }

    /// Every pin any layer could match on a CA certificate, allowed or denied.
    pub(crate) fn policies(&self) -> impl Iterator<Item = &Policy<'a>> + '_ {
        self.layers.iter().map(|layer| &layer.policy)
    }

    /// Judges one path, given leaf first and trust anchor last: `path` makes an iterator
    /// over it, called once per layer.
    pub(crate) fn judge<'p, I>(&self, path: impl Fn() -> I) -> PathVerdict
    where
        I: Iterator<Item = (Position, PathEntry<'p>)>,
    {
        let mut verdicts = [Verdict::ACCEPTED; MAX_SERVER_LAYERS];
        // The same checks and the same table as `verdicts` then `combine`, without allocating.
        if let [layer] = self.layers {
            // One layer, the common case: no bookkeeping.
            return self.combine(core::slice::from_ref(&check_path(&layer.policy, path())));
        }
        let mut many = Vec::new();
        let verdicts: &[Verdict] = if self.layers.len() <= MAX_SERVER_LAYERS {
            for (verdict, layer) in verdicts.iter_mut().zip(self.layers) {
                *verdict = check_path(&layer.policy, path());
            }
            &verdicts[..self.layers.len()]
        } else {
            many.extend(
                self.layers
                    .iter()
                    .map(|layer| check_path(&layer.policy, path())),
            );
            &many
        };
        self.combine(verdicts)
    }

    /// Every layer's verdict on one path, in layer order (`path` as for [`judge`](Self::judge)):
    /// what [`combine`](Self::combine) takes, kept whole for an explanation.
    pub(crate) fn verdicts<'p, I>(&self, path: impl Fn() -> I) -> Vec<Verdict>
    where
        I: Iterator<Item = (Position, PathEntry<'p>)>,
    {
        self.layers
            .iter()
            .map(|layer| check_path(&layer.policy, path()))
            .collect()
    }

    /// The precedence table (module documentation), applied to the layers' verdicts on one
    /// path, in layer order.
    pub(crate) fn combine(&self, verdicts: &[Verdict]) -> PathVerdict {
        let layers = || self.layers.iter().zip(verdicts).enumerate();
        // 1. A pin denied everywhere, in any layer.
        for (index, (_, verdict)) in layers() {
            if let Verdict::Denied {
                everywhere: true, ..
            } = verdict
            {
                return PathVerdict::Rejected {
                    layer: index,
                    verdict: *verdict,
                };
            }
        }
        // 2. A deny pin of an enforced governing entry, in any layer.
        for (index, (layer, verdict)) in layers() {
            if layer.enforced() && matches!(verdict, Verdict::Denied { .. }) {
                return PathVerdict::Rejected {
                    layer: index,
                    verdict: *verdict,
                };
            }
        }
        // 3. Nobody pins the host.
        let mut governing = layers().filter(|(_, (layer, _))| layer.pins_host());
        if governing.clone().next().is_none() {
            return PathVerdict::Accepted {
                layer: 0,
                matched: None,
            };
        }
        // 4. The governing entries' allowed pins.
        let accepted = |(index, (_, verdict)): (usize, (&Layer<'_>, &Verdict))| match verdict {
            Verdict::Accepted { matched } => Some((index, *matched)),
            _ => None,
        };
        let refusal = |(index, (layer, verdict)): (usize, (&Layer<'_>, &Verdict))| match verdict {
            Verdict::Accepted { .. } => None,
            _ => Some((index, layer.enforced(), *verdict)),
        };
        let first_refusal = governing.clone().find_map(refusal);
        match self.combination {
            Combination::Any => {
                let mut acceptances = governing.clone().filter_map(accepted);
                let primary = acceptances
                    .clone()
                    .find(|(_, matched)| !matched.is_some_and(|matched| matched.backup));
                if let Some((layer, matched)) = primary.or_else(|| acceptances.next()) {
                    return PathVerdict::Accepted { layer, matched };
                }
            }
            Combination::All => {
                if first_refusal.is_none() {
                    let mut acceptances = governing.clone().filter_map(accepted);
                    let backup = acceptances
                        .clone()
                        .find(|(_, matched)| matched.is_some_and(|matched| matched.backup));
                    if let Some((layer, matched)) = backup.or_else(|| acceptances.next()) {
                        return PathVerdict::Accepted { layer, matched };
                    }
                }
            }
        }
        // 5. An enforced refusal; 6. only report-only ones.
        if let Some((layer, _, verdict)) = governing
            .by_ref()
            .filter_map(refusal)
            .find(|(_, enforced, _)| *enforced)
        {
            return PathVerdict::Rejected { layer, verdict };
        }
        match first_refusal {
            Some((layer, _, verdict)) => PathVerdict::Tolerated { layer, verdict },
            // Unreachable: a governing layer exists and none accepted, so one refused.
            None => PathVerdict::Rejected {
                layer: 0,
                verdict: Verdict::NoMatch,
            },
        }
    }
}
