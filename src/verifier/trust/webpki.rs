//! WebPKI trust shared by the server and client verifiers: the roots, the trust anchors'
//! precomputed digests, CRLs and revocation options, and webpki's path search feeding
//! candidate paths to the decision engine.

use std::borrow::Cow;
use std::sync::Arc;

use pki_types::{CertificateDer, CertificateRevocationListDer, ServerName, UnixTime};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::{Error, RootCertStore};
use webpki::{
    CertRevocationList, EndEntityCert, ExpirationPolicy, KeyUsage, RevocationCheckDepth,
    UnknownStatusPolicy, VerifiedPath,
};

use crate::decision::pin_check::{AnchorDigests, PathEntry};
use crate::decision::search::Search;
use crate::der;
use crate::policy::Position;
use crate::verifier::error::VerifierBuilderError;
use crate::verifier::webpki_error::{certificate_error, crl_error, pki_error};

/// The WebPKI options both verifier builders take, named and defaulted as rustls's own
/// verifier builders name and default them.
#[derive(Debug)]
pub(crate) struct WebPkiOptions {
    pub(crate) roots: Arc<RootCertStore>,
    pub(crate) root_certificates: Vec<CertificateDer<'static>>,
    pub(crate) crls: Vec<CertificateRevocationListDer<'static>>,
    pub(crate) revocation: RevocationSettings,
}

impl WebPkiOptions {
    pub(crate) fn new(roots: Arc<RootCertStore>) -> Self {
        Self {
            roots,
            root_certificates: Vec::new(),
            crls: Vec::new(),
            revocation: RevocationSettings::default(),
        }
    }

    /// Whether a certificate pin on a root could never match: no root certificates were
    /// given, and a trust anchor keeps only a name and a key.
    pub(crate) fn lacks_root_certificates(&self) -> bool {
        self.root_certificates.is_empty() && !self.roots.is_empty()
    }
}

/// A doc example for a verifier builder method: `$verifier::builder(roots, $pins..)` then
/// `.$call`, in a function taking `roots` and whatever `$args` adds.
macro_rules! builder_example {
    ($verifier:literal, $pins:literal, $imports:literal, $args:literal, $call:literal) => {
        concat!(
            "\n\n```\n# use std::sync::Arc;\n",
            $imports,
            "# use rustls_pinning::{",
            $pins,
            ", ",
            $verifier,
            "};\n",
            "# fn demo(roots: Arc<rustls::RootCertStore>",
            $args,
            ") -> Result<(), Box<dyn std::error::Error>> {\n",
            "let builder = ",
            $verifier,
            "::builder(roots, ",
            $pins,
            "::builder().build()?,\n",
            "        rustls_pinning::default_crypto_provider())\n",
            "    .",
            $call,
            ";\n",
            "# Ok(()) }\n```"
        )
    };
}
pub(crate) use builder_example;

/// The builder methods for [`WebPkiOptions`], written once for both verifier builders (each
/// has a `webpki: WebPkiOptions` field); `$verifier` and `$pins` name the verifier and pin
/// set types for the examples.
macro_rules! webpki_options_methods {
    ($verifier:literal, $pins:literal) => {
        /// Gives the whole certificates of (some of) the trust anchors, so that certificate
        /// pins can match a root. A trust anchor keeps only a name and a key, so without this
        /// only SPKI pins can match a root. Every certificate must be an anchor of the root
        /// store.
        #[doc = $crate::verifier::trust::webpki::builder_example!(
                    $verifier, $pins, "# use rustls::pki_types::CertificateDer;\n",
                    ", root: CertificateDer<'static>", "with_root_certificates([root])"
                )]
        pub fn with_root_certificates(
            mut self,
            certificates: impl IntoIterator<Item = pki_types::CertificateDer<'static>>,
        ) -> Self {
            self.webpki.root_certificates.extend(certificates);
            self
        }

        /// Checks revocation against these CRLs (by default for every certificate of the
        /// chain, with unknown status rejected, as rustls does).
        #[doc = $crate::verifier::trust::webpki::builder_example!(
                    $verifier, $pins, "# use rustls::pki_types::CertificateRevocationListDer;\n",
                    ", crl: CertificateRevocationListDer<'static>", "with_crls([crl])"
                )]
        pub fn with_crls(
            mut self,
            crls: impl IntoIterator<Item = pki_types::CertificateRevocationListDer<'static>>,
        ) -> Self {
            self.webpki.crls.extend(crls);
            self
        }

        /// Checks revocation of the leaf only, not of the intermediates.
        #[doc = $crate::verifier::trust::webpki::builder_example!(
                    $verifier, $pins, "", "", "only_check_end_entity_revocation()"
                )]
        pub fn only_check_end_entity_revocation(mut self) -> Self {
            self.webpki.revocation.check_depth = webpki::RevocationCheckDepth::EndEntity;
            self
        }

        /// Accepts certificates whose revocation status no CRL covers.
        #[doc = $crate::verifier::trust::webpki::builder_example!(
                    $verifier, $pins, "", "", "allow_unknown_revocation_status()"
                )]
        pub fn allow_unknown_revocation_status(mut self) -> Self {
            self.webpki.revocation.unknown_status = webpki::UnknownStatusPolicy::Allow;
            self
        }

        /// Rejects a CRL whose `nextUpdate` has passed.
        #[doc = $crate::verifier::trust::webpki::builder_example!(
                    $verifier, $pins, "", "", "enforce_revocation_expiration()"
                )]
        pub fn enforce_revocation_expiration(mut self) -> Self {
            self.webpki.revocation.expiration = webpki::ExpirationPolicy::Enforce;
            self
        }
    };
}
pub(crate) use webpki_options_methods;

/// WebPKI trust: the roots, the digests of their anchors (precomputed when the verifier is
/// built), the CRLs and the revocation options.
pub(crate) struct WebPkiTrust {
    pub(crate) roots: Arc<RootCertStore>,
    /// Parallel to `roots.roots`.
    anchors: Vec<AnchorDigests>,
    crls: Vec<CertRevocationList<'static>>,
    revocation: RevocationSettings,
    pub(crate) supported: WebPkiSupportedAlgorithms,
}

/// The revocation options both WebPKI builders share, defaulting as rustls's do.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RevocationSettings {
    pub(crate) check_depth: RevocationCheckDepth,
    pub(crate) unknown_status: UnknownStatusPolicy,
    pub(crate) expiration: ExpirationPolicy,
}

impl Default for RevocationSettings {
    fn default() -> Self {
        Self {
            check_depth: RevocationCheckDepth::Chain,
            unknown_status: UnknownStatusPolicy::Deny,
            expiration: ExpirationPolicy::Ignore,
        }
    }
}

/// The shape of webpki's `verify_path` hook.
pub(crate) type PathCallback<'a> = dyn Fn(&VerifiedPath<'_>) -> Result<(), webpki::Error> + 'a;

/// Whether `cert` has the subject and key of `anchor`. The subjects are compared first, so a
/// path without such a copy costs one slice comparison per intermediate.
fn is_copy_of_anchor(cert: &webpki::Cert<'_>, anchor: &pki_types::TrustAnchor<'_>) -> bool {
    if cert.subject() != anchor.subject.as_ref() {
        return false;
    }
    let contents = anchor.subject_public_key_info.as_ref();
    let der = cert.der();
    let Some(spki) = der::spki_after_subject(der.as_ref(), cert.subject())
        .or_else(|| der::certificate_spki(der.as_ref()))
    else {
        return false;
    };
    let (header, header_len) = der::sequence_header(contents.len());
    spki.len() == header_len + contents.len()
        && spki.get(..header_len) == header.get(..header_len)
        && spki.get(header_len..) == Some(contents)
}

impl WebPkiTrust {
    /// Validates the roots, root certificates and CRLs and precomputes the trust anchors'
    /// digests.
    pub(crate) fn new(
        options: WebPkiOptions,
        supported: WebPkiSupportedAlgorithms,
    ) -> Result<Self, VerifierBuilderError> {
        let WebPkiOptions {
            roots,
            root_certificates,
            crls,
            revocation,
        } = options;
        if roots.is_empty() {
            return Err(VerifierBuilderError::NoRootAnchors);
        }
        let mut anchors: Vec<AnchorDigests> = roots
            .roots
            .iter()
            .map(|anchor| AnchorDigests {
                spki: AnchorDigests::of_anchor_spki(&anchor.subject_public_key_info),
                certificates: Vec::new(),
                certificate: None,
            })
            .collect();
        for (index, certificate) in root_certificates.iter().enumerate() {
            let parsed = webpki::anchor_from_trusted_cert(certificate).map_err(|error| {
                VerifierBuilderError::InvalidRootCertificate {
                    index,
                    error: certificate_error(error),
                }
            })?;
            let digest = crate::policy::pin::sha256(certificate.as_ref());
            let mut found = false;
            for (anchor, digests) in roots.roots.iter().zip(anchors.iter_mut()) {
                if anchor.subject == parsed.subject
                    && anchor.subject_public_key_info == parsed.subject_public_key_info
                {
                    if !digests.certificates.contains(&digest) {
                        digests.certificates.push(digest);
                    }
                    digests
                        .certificate
                        .get_or_insert_with(|| certificate.clone());
                    found = true;
                }
            }
            if !found {
                return Err(VerifierBuilderError::RootCertificateNotInStore {
                    index,
                    subject: der::format_name(&parsed.subject),
                });
            }
        }
        let crls = crls
            .iter()
            .enumerate()
            .map(|(index, der)| {
                webpki::OwnedCertRevocationList::from_der(der.as_ref())
                    .map(CertRevocationList::from)
                    .map_err(|error| VerifierBuilderError::InvalidCrl {
                        index,
                        error: crl_error(error),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            roots,
            anchors,
            crls,
            revocation,
            supported,
        })
    }

    /// Runs webpki's path search for `end_entity` with `usage`, handing each fully verified
    /// candidate path to `verify_path`.
    pub(crate) fn verify_for_usage<'p>(
        &'p self,
        end_entity: &'p EndEntityCert<'p>,
        intermediates: &'p [CertificateDer<'p>],
        now: UnixTime,
        usage: KeyUsage,
        verify_path: Option<&PathCallback<'_>>,
    ) -> Result<(), webpki::Error> {
        let crl_refs = self.crls.iter().collect::<Vec<_>>();
        let revocation = match crl_refs.is_empty() {
            true => None,
            false => webpki::RevocationOptionsBuilder::new(&crl_refs)
                .ok()
                .map(|builder| {
                    builder
                        .with_depth(self.revocation.check_depth)
                        .with_status_policy(self.revocation.unknown_status)
                        .with_expiration_policy(self.revocation.expiration)
                        .build()
                }),
        };
        end_entity
            .verify_for_usage(
                self.supported.all,
                &self.roots.roots,
                intermediates,
                now,
                usage,
                revocation,
                verify_path,
            )
            .map(|_| ())
    }

    pub(crate) fn anchor_digests(
        &self,
        anchor: &pki_types::TrustAnchor<'_>,
    ) -> Cow<'_, AnchorDigests> {
        // webpki hands back a reference into the slice we passed, so its address gives the
        // index of the precomputed digests in constant time, whatever the size of the store,
        // and identity confirms it.
        let roots = &self.roots.roots;
        let offset = (anchor as *const pki_types::TrustAnchor<'_> as usize)
            .checked_sub(roots.as_ptr() as usize);
        let size = core::mem::size_of::<pki_types::TrustAnchor<'_>>();
        offset
            .filter(|offset| offset % size == 0)
            .map(|offset| offset / size)
            .filter(|&index| {
                roots
                    .get(index)
                    .is_some_and(|candidate| core::ptr::eq(candidate, anchor))
            })
            .and_then(|index| self.anchors.get(index))
            .map_or_else(
                || {
                    Cow::Owned(AnchorDigests {
                        spki: AnchorDigests::of_anchor_spki(&anchor.subject_public_key_info),
                        certificates: Vec::new(),
                        certificate: None,
                    })
                },
                Cow::Borrowed,
            )
    }

    /// The certificates of a verified path with their positions, leaf first. A presented
    /// certificate that is a copy of the path's trust anchor (same subject and key: a server
    /// that sends its self-signed root lets webpki validate that copy under the anchor) is
    /// the root by its role, never an intermediate, so a pin's position does not depend on
    /// whether the server sends its root.
    pub(crate) fn path_entries<'p>(
        &self,
        path: &'p VerifiedPath<'p>,
        anchor: &'p AnchorDigests,
    ) -> impl Iterator<Item = (Position, PathEntry<'p>)> + use<'p> {
        let trust_anchor = path.anchor();
        core::iter::once((Position::Leaf, PathEntry::Parsed(path.end_entity())))
            .chain(path.intermediate_certificates().map(move |cert| {
                let position = match is_copy_of_anchor(cert, trust_anchor) {
                    true => Position::Root,
                    false => Position::Intermediate,
                };
                (position, PathEntry::Parsed(cert))
            }))
            .chain(core::iter::once((
                Position::Root,
                PathEntry::Anchor {
                    digests: anchor,
                    subject: trust_anchor.subject.as_ref(),
                },
            )))
    }

    /// The certificates of a verified path as an event reports them: the anchor's certificate
    /// is included when the verifier was given it.
    fn path_der(path: &VerifiedPath<'_>, anchor: &AnchorDigests) -> Vec<CertificateDer<'static>> {
        core::iter::once(path.end_entity().der().into_owned())
            .chain(
                path.intermediate_certificates()
                    .map(|cert| cert.der().into_owned()),
            )
            .chain(anchor.certificate.clone())
            .collect()
    }

    #[cfg(feature = "unstable-bench")]
    /// The pin check alone on one path webpki verified, for the benches.
    pub(crate) fn path_verdict(
        &self,
        policy: &crate::decision::pin_check::Policy<'_>,
        path: &VerifiedPath<'_>,
    ) -> crate::decision::pin_check::Verdict {
        let anchor = self.anchor_digests(path.anchor());
        crate::decision::pin_check::check_path(policy, self.path_entries(path, &anchor))
    }

    /// The server side: every path webpki verifies for `end_entity` judged by `search`, then
    /// the server name, checked after the chain as rustls does, and before a pin failure is
    /// reported: a pin error should mean "valid certificate, wrong key", nothing else.
    pub(crate) fn verify_server(
        &self,
        search: &Search<'_>,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<(), Error> {
        let cert = EndEntityCert::try_from(end_entity).map_err(pki_error)?;
        let look = search.looks_at_paths();
        self.search(
            search,
            &cert,
            intermediates,
            KeyUsage::server_auth(),
            now,
            look,
        )?;
        cert.verify_is_valid_for_subject_name(server_name)
            .map_err(pki_error)
    }

    /// Feeds every path webpki verifies for `cert` with `usage` to `search` (when `look`; else
    /// the first verified path is accepted unseen). Chain failures are returned exactly as
    /// rustls reports them; a path the pins refuse makes webpki try the next candidate path.
    pub(crate) fn search(
        &self,
        search: &Search<'_>,
        cert: &EndEntityCert<'_>,
        intermediates: &[CertificateDer<'_>],
        usage: KeyUsage,
        now: UnixTime,
        look: bool,
    ) -> Result<(), Error> {
        let check = |path: &VerifiedPath<'_>| -> Result<(), webpki::Error> {
            let anchor = self.anchor_digests(path.anchor());
            match search.consider(
                || self.path_entries(path, &anchor),
                || Self::path_der(path, &anchor),
            ) {
                true => Ok(()),
                // Any error makes webpki try the next candidate path; which one is
                // irrelevant, because `search` tells a refusal apart from a chain failure.
                false => Err(webpki::Error::UnknownIssuer),
            }
        };
        let verify_path: Option<&PathCallback<'_>> = match look {
            true => Some(&check),
            false => None,
        };
        match self.verify_for_usage(cert, intermediates, now, usage, verify_path) {
            Ok(()) if verify_path.is_none() => search.accept_unseen(),
            Ok(()) => {}
            Err(_) if search.valid_path_seen() => {}
            Err(error) => return Err(pki_error(error)),
        }
        Ok(())
    }
}
