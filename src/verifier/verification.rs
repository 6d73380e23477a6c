//! One server verification, shared by every server verifier: where candidate paths come
//! from (WebPKI, wrap or pins-only trust), the policy layers, the search, and the conclusion
//! with the events it raises.

use pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified};
use rustls::{DigitallySignedStruct, Error, SignatureScheme};

use crate::decision::error::ServerPinningError;
use crate::decision::explain::{Decision, ExplainedPath, Explanation, PolicyStanding};
use crate::decision::judge::{HostRule, PathVerdict};
use crate::decision::pin_check::Verdict;
use crate::decision::search::{Finding, RecordedPath, Refusal, Search};
use crate::decision::{host_text, Resolution, ServerLayers};
use crate::policy::PinSet;
use crate::report::{Connection, Observation, Outcome, Reporter, Reporting};
use crate::verifier::trust::pins_only::PinsOnly;
use crate::verifier::trust::webpki::WebPkiTrust;
use crate::verifier::trust::wrapped::{Exhausted, Wrapped};

/// Where a server verifier's candidate paths come from.
pub(crate) enum Trust {
    WebPki(WebPkiTrust),
    Wrapped(Wrapped),
    PinsOnly(PinsOnly),
}

/// Gives a public server verifier type (with a `core: ServerCore` field; `$path` is its public
/// path, for the examples) its `pins` and `explain` methods and rustls's `ServerCertVerifier`,
/// all handed to the core: the public types differ only in which trust they allow and how
/// they may be installed, never in how they verify.
macro_rules! server_verifier_via_core {
    ($verifier:ty, $path:literal) => {
        impl $verifier {
            /// The pin set this verifier enforces.
            #[doc = concat!(
                "\n\n```\n# fn demo(verifier: &", $path, ") {\n",
                "println!(\"{} pinned patterns\", verifier.pins().len());\n# }\n```"
            )]
            pub fn pins(&self) -> &$crate::PinSet {
                self.core.pins()
            }

            /// Explains what `verify_server_cert` decides for this chain, name and time, and
            /// why: the same verification, recording every path it judges and raising no
            /// events. `explanation.result` is exactly what `verify_server_cert` returns (with
            /// no OCSP response).
            #[doc = concat!(
                "\n\n```\n# use rustls::pki_types::{CertificateDer, ServerName, UnixTime};\n",
                "# use rustls_pinning::Decision;\n",
                "# fn demo(verifier: &", $path,
                ", chain: &[CertificateDer<'static>]) -> Result<(), Box<dyn std::error::Error>> {\n",
                "let name = ServerName::try_from(\"api.example.com\")?;\n",
                "let explanation = verifier.explain(&chain[0], &chain[1..], &name, UnixTime::now());\n",
                "if explanation.decision == Decision::Rejected {\n",
                "    eprintln!(\"refused: {:?}\", explanation.result);\n}\n",
                "# Ok(()) }\n```"
            )]
            pub fn explain(
                &self,
                end_entity: &pki_types::CertificateDer<'_>,
                intermediates: &[pki_types::CertificateDer<'_>],
                server_name: &pki_types::ServerName<'_>,
                now: pki_types::UnixTime,
            ) -> $crate::Explanation {
                self.core
                    .explain(end_entity, intermediates, server_name, now)
            }
        }

        impl rustls::client::danger::ServerCertVerifier for $verifier {
            fn verify_server_cert(
                &self,
                end_entity: &pki_types::CertificateDer<'_>,
                intermediates: &[pki_types::CertificateDer<'_>],
                server_name: &pki_types::ServerName<'_>,
                ocsp_response: &[u8],
                now: pki_types::UnixTime,
            ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
                self.core.verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    now,
                )
            }

            fn verify_tls12_signature(
                &self,
                message: &[u8],
                cert: &pki_types::CertificateDer<'_>,
                dss: &rustls::DigitallySignedStruct,
            ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
                self.core.verify_tls12_signature(message, cert, dss)
            }

            fn verify_tls13_signature(
                &self,
                message: &[u8],
                cert: &pki_types::CertificateDer<'_>,
                dss: &rustls::DigitallySignedStruct,
            ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
                self.core.verify_tls13_signature(message, cert, dss)
            }

            fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
                self.core.supported_verify_schemes()
            }

            fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
                self.core.root_hint_subjects()
            }
        }
    };
}
pub(crate) use server_verifier_via_core;

/// What every server verifier is made of: the pin set it enforces, its trust, and its
/// reporter. The public verifier types wrap one, and differ only in which trust they allow.
pub(crate) struct ServerCore {
    pins: PinSet,
    trust: Trust,
    reporter: Option<Reporter>,
}

impl ServerCore {
    pub(crate) fn new(pins: PinSet, trust: Trust, reporting: Option<Reporting>) -> Self {
        let reporter = reporting.map(|config| Reporter::new(config, &pins));
        Self {
            pins,
            trust,
            reporter,
        }
    }

    pub(crate) fn pins(&self) -> &PinSet {
        &self.pins
    }

    #[cfg(feature = "unstable-bench")]
    pub(crate) fn trust(&self) -> &Trust {
        &self.trust
    }

    #[cfg_attr(not(feature = "dynamic"), allow(dead_code))]
    pub(crate) fn reporter(&self) -> Option<&Reporter> {
        self.reporter.as_ref()
    }

    /// Verifies a server against `layers` (this verifier's pin set, or a store's static and
    /// bundle sets), with this verifier's trust: the one verification every mode runs, for
    /// `verify_server_cert` (events raised, nothing recorded) and for an explanation (no
    /// events, every path recorded) alike.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn verify_layers(
        &self,
        layers: &ServerLayers<'_>,
        reporters: &[Option<&Reporter>],
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
        record: bool,
    ) -> Verification {
        let connection = Connection {
            server_name,
            end_entity,
            intermediates,
            now,
        };
        // Events need the certificates of the path they speak of; they are copied only when
        // an event may be raised, so the accept path stays free of allocations.
        let keep_der = reporters.iter().any(Option::is_some);
        let keep_accepted_der = layers.iter().any(|(layer, pins, resolution)| {
            reporters
                .get(layer)
                .copied()
                .flatten()
                .is_some_and(|reporter| reporter.wants_accepted_path(pins, resolution, now))
        });
        let mut search = Search::new(layers.judge(), keep_der, keep_accepted_der);
        if record {
            search = search.recording();
        }
        let found = match &self.trust {
            Trust::WebPki(trust) => trust
                .verify_server(&search, end_entity, intermediates, server_name, now)
                .map(|()| None),
            Trust::Wrapped(wrapped) => wrapped.search(
                &search,
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            Trust::PinsOnly(pins_only) => match pins_only.without_trust(layers, server_name) {
                Some((layer, resolution, error)) => {
                    // Nothing vouches for the server: a rejection, reported before the
                    // certificate checks since no trust could come of them.
                    if let Some(reporter) = reporters.get(layer).copied().flatten() {
                        reporter.observe(
                            layers.set(layer),
                            &connection,
                            Observation {
                                resolution: &resolution,
                                verified_chain: Vec::new(),
                                backup: None,
                                error: Some(error.clone()),
                                outcome: Outcome::Rejected,
                            },
                        );
                    }
                    Err(error.into_rustls())
                }
                None => pins_only
                    .search(&search, end_entity, server_name, now)
                    .map(|()| None),
            },
        };
        let mut finding = search.finish();
        let recorded = core::mem::take(&mut finding.recorded);
        let (result, decision, pin_error) = match found {
            Ok(exhausted) => conclude(layers, reporters, &connection, finding, exhausted),
            // Pins-only mode refuses a host nothing vouches for before any path: that is a
            // pin failure too.
            Err(error) => {
                let pin_error = ServerPinningError::from_rustls(&error).cloned();
                (Err(error), Decision::Rejected, pin_error)
            }
        };
        Verification {
            result,
            decision,
            pin_error,
            recorded,
        }
    }

    /// An explanation of the verification against `layers`: the same verification, recording
    /// every path and raising no events.
    pub(crate) fn explain_layers(
        &self,
        layers: &ServerLayers<'_>,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Explanation {
        let verification = self.verify_layers(
            layers,
            &[],
            end_entity,
            intermediates,
            server_name,
            &[],
            now,
            true,
        );
        Explanation {
            host: host_text(server_name),
            time: now,
            decision: verification.decision,
            result: verification.result,
            pin_error: verification.pin_error,
            policies: layers
                .iter()
                .map(|(_, pins, resolution)| PolicyStanding::of(pins, resolution))
                .collect(),
            paths: verification
                .recorded
                .into_iter()
                .map(ExplainedPath::of)
                .collect(),
        }
    }

    /// [`explain_layers`](Self::explain_layers) with this verifier's pin set alone.
    pub(crate) fn explain(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Explanation {
        let layers = ServerLayers::single(&self.pins, server_name, now);
        self.explain_layers(&layers, end_entity, intermediates, server_name, now)
    }

    pub(crate) fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let layers = ServerLayers::single(&self.pins, server_name, now);
        self.verify_layers(
            &layers,
            &[self.reporter.as_ref()],
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
            false,
        )
        .into_verified()
    }

    pub(crate) fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        match &self.trust {
            Trust::WebPki(trust) => {
                rustls::crypto::verify_tls12_signature(message, cert, dss, &trust.supported)
            }
            Trust::Wrapped(wrapped) => wrapped.inner().verify_tls12_signature(message, cert, dss),
            Trust::PinsOnly(pins_only) => pins_only.verify_tls12_signature(message, cert, dss),
        }
    }

    pub(crate) fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        match &self.trust {
            Trust::WebPki(trust) => {
                rustls::crypto::verify_tls13_signature(message, cert, dss, &trust.supported)
            }
            Trust::Wrapped(wrapped) => wrapped.inner().verify_tls13_signature(message, cert, dss),
            Trust::PinsOnly(pins_only) => pins_only.verify_tls13_signature(message, cert, dss),
        }
    }

    pub(crate) fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        match &self.trust {
            Trust::WebPki(trust) => trust.supported.supported_schemes(),
            Trust::Wrapped(wrapped) => wrapped.inner().supported_verify_schemes(),
            Trust::PinsOnly(pins_only) => pins_only.supported_verify_schemes(),
        }
    }

    pub(crate) fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        match &self.trust {
            Trust::Wrapped(wrapped) => wrapped.inner().root_hint_subjects(),
            _ => None,
        }
    }

    /// The trust, for `Debug`.
    pub(crate) fn describe_trust(&self) -> String {
        match &self.trust {
            Trust::WebPki(trust) => format!("WebPki({} roots)", trust.roots.len()),
            Trust::Wrapped(wrapped) => format!("Wrapped({:?})", wrapped.inner()),
            Trust::PinsOnly(_) => String::from("PinsOnly"),
        }
    }
}

/// The verifier's answer from what a search found, after raising the events it calls for.
///
/// `exhausted` is set when wrap mode could not prove every candidate it had to: the chain is
/// refused whatever else was found.
pub(crate) fn conclude(
    layers: &ServerLayers<'_>,
    reporters: &[Option<&Reporter>],
    connection: &Connection<'_>,
    finding: Finding,
    exhausted: Option<Exhausted>,
) -> (Result<(), Error>, Decision, Option<ServerPinningError>) {
    let rule = layers.judge().host_rule();
    let host = || host_text(connection.server_name);
    // The layer whose entry an event speaks of when no pin decided: an expired entry that
    // was skipped, if any.
    let unpinned_layer = || {
        layers
            .iter()
            .find(|(_, _, resolution)| matches!(resolution, Resolution::Unpinned(Some(_))))
            .map_or(0, |(layer, _, _)| layer)
    };
    let mut finding = finding;
    let expired_entry_skipped = layers
        .iter()
        .any(|(_, _, resolution)| matches!(resolution, Resolution::Unpinned(Some(_))));
    let mut decision = Decision::Rejected;
    let (layer, outcome, error, verified_chain, backup) = match (exhausted, finding.accepted.take())
    {
        (Some(exhausted), _) => (
            unpinned_layer(),
            Outcome::Rejected,
            Some(ServerPinningError::ProofBudgetExhausted {
                host: host(),
                candidates: exhausted.candidates,
                denied: exhausted.denied,
                budget: crate::verifier::trust::wrapped::MAX_PROOFS,
            }),
            Vec::new(),
            None,
        ),
        (None, Some(accepted)) if rule == HostRule::Refused => (
            unpinned_layer(),
            Outcome::Rejected,
            Some(ServerPinningError::HostNotPinned { host: host() }),
            accepted.der,
            None,
        ),
        (None, Some(accepted)) => (
            match rule {
                HostRule::Pinned => {
                    decision = Decision::Accepted;
                    accepted.layer
                }
                _ => {
                    decision = match expired_entry_skipped {
                        true => Decision::AcceptedExpiredEntry,
                        false => Decision::AcceptedUnpinned,
                    };
                    unpinned_layer()
                }
            },
            Outcome::Accepted,
            None,
            accepted.der,
            accepted
                .matched
                .filter(|matched| matched.backup)
                .map(|matched| matched.pin),
        ),
        (None, None) => {
            // Report-only entries let the connection through on a path they alone refused;
            // the error reported is the most severe refusal seen, what enforcement would say.
            let outcome = match finding.tolerated {
                Some(_) if rule != HostRule::Refused => {
                    decision = Decision::AcceptedReportOnly;
                    Outcome::Accepted
                }
                _ => Outcome::Rejected,
            };
            match finding.most_severe_refusal() {
                Some(refusal) => {
                    let error = refusal_error(layers, &finding, refusal, host());
                    let der = finding
                        .described
                        .get_mut(refusal.path)
                        .map(|path| core::mem::take(&mut path.der))
                        .unwrap_or_default();
                    (refusal.verdict.layer(), outcome, Some(error), der, None)
                }
                // Nothing verified and nothing refused: no answer but a rejection is sound.
                None => (
                    0,
                    Outcome::Rejected,
                    Some(ServerPinningError::HostNotPinned { host: host() }),
                    Vec::new(),
                    None,
                ),
            }
        }
    };
    // `None` on the accept path, so nothing is copied there.
    let pin_error = error.clone();
    let rejection = match outcome {
        Outcome::Rejected => error.clone(),
        Outcome::Accepted => None,
    };
    match reporters.get(layer).copied().flatten() {
        Some(reporter) => reporter.observe(
            layers.set(layer),
            connection,
            Observation {
                resolution: layers.resolution(layer),
                verified_chain,
                backup,
                error,
                outcome,
            },
        ),
        None => drop((verified_chain, error)),
    }
    match rejection {
        Some(error) => (Err(error.into_rustls()), Decision::Rejected, pin_error),
        None => (Ok(()), decision, pin_error),
    }
}

/// One verification: the verifier's answer, the decision in one word, and the paths judged
/// when they were recorded.
pub(crate) struct Verification {
    pub(crate) result: Result<(), Error>,
    pub(crate) decision: Decision,
    /// The pin failure: enforced (then also in `result`) or tolerated by report-only entries.
    pub(crate) pin_error: Option<ServerPinningError>,
    pub(crate) recorded: Vec<RecordedPath>,
}

impl Verification {
    pub(crate) fn into_verified(self) -> Result<ServerCertVerified, Error> {
        self.result.map(|()| ServerCertVerified::assertion())
    }
}

/// The pinning error for a refused path.
fn refusal_error(
    layers: &ServerLayers<'_>,
    finding: &Finding,
    refusal: Refusal,
    host: String,
) -> ServerPinningError {
    let described = finding.described.get(refusal.path);
    let verified_paths = || {
        finding
            .described
            .iter()
            .map(|path| path.certificates.clone())
            .collect()
    };
    let (layer, verdict) = match refusal.verdict {
        PathVerdict::Rejected { layer, verdict } | PathVerdict::Tolerated { layer, verdict } => {
            (layer, verdict)
        }
        PathVerdict::Accepted { .. } => return ServerPinningError::HostNotPinned { host },
    };
    let entry = layers.resolution(layer).entry();
    if let Verdict::Denied {
        pin,
        index,
        everywhere,
    } = verdict
        && let Some(certificate) = described.and_then(|path| path.certificates.get(index))
    {
        return ServerPinningError::DeniedPinMatched {
            host,
            pattern: match everywhere {
                true => None,
                false => entry.map(|entry| entry.pattern().clone()),
            },
            denied: pin,
            certificate: certificate.clone(),
            verified_paths: verified_paths(),
        };
    }
    match entry {
        Some(entry) => ServerPinningError::NoPinMatched {
            host,
            pattern: entry.pattern().clone(),
            allowed: entry.allowed_pins().to_vec(),
            verified_paths: verified_paths(),
        },
        // A refusal always has a deny verdict or an entry; keep a sound answer anyway.
        None => ServerPinningError::HostNotPinned { host },
    }
}
