//! `PinStore`: the static policy compiled into the client, the current signed bundle, and the
//! verifier (and client configuration) they make together (feature `dynamic`).

use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{ClientConfig, DigitallySignedStruct, Error, SignatureScheme};

use crate::decision::explain::Explanation;
use crate::decision::judge::Combination;
use crate::decision::ServerLayers;
use crate::dynamic::bundle::{BundleError, BundleVerifier, PinBundle};
use crate::policy::host_pattern::HostPattern;
use crate::policy::{PinSet, ScopedPin};
use crate::verifier::error::VerifierBuilderError;
use crate::verifier::PinningServerVerifier;

/// How the static and the dynamic policy combine while a bundle is in force.
///
/// ```
/// use rustls_pinning::pin_store::HybridMode;
/// assert_eq!(HybridMode::default(), HybridMode::Either);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HybridMode {
    /// A connection is accepted if a policy that pins the host accepts it: the bundle can add
    /// hosts and keys (a rotation the static pins did not foresee); for a host both pin, either
    /// one suffices. A pin denied everywhere by either policy always rejects.
    #[default]
    Either,
    /// Both policies must accept: the bundle can only narrow what the static policy allows
    /// (revoking a compiled-in pin before the next release).
    Both,
}

/// What happened to a bundle, for the audit trail.
///
/// ```
/// use rustls_pinning::pin_store::BundleEventKind;
/// assert_ne!(BundleEventKind::Applied, BundleEventKind::Rejected);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BundleEventKind {
    /// A bundle was verified and is now in force.
    Applied,
    /// A bundle was refused; the state did not change.
    Rejected,
    /// The bundle in force expired: the static policy applies alone.
    Expired,
}

/// Which list of an entry a pin is in, for [`PinChange`].
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PinList {
    /// A primary pin.
    Primary,
    /// A backup pin.
    Backup,
    /// A deny pin (of an entry, or everywhere when the pattern is `None`).
    Denied,
}

/// A pin that a bundle added or removed.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PinChange {
    /// The entry's pattern, as text; `None` for the list of pins denied everywhere.
    pub pattern: Option<String>,
    /// The list.
    pub list: PinList,
    /// The pin and its scope, as text (`sha256/... (root)`).
    pub pin: String,
}

/// One audit record: every bundle applied, refused or expired.
///
/// ```
/// use rustls_pinning::pin_store::{BundleEvent, BundleEventKind};
///
/// fn log(event: &BundleEvent) {
///     match event.kind {
///         BundleEventKind::Rejected => eprintln!("bundle refused: {}", event.reason.as_deref().unwrap_or("")),
///         _ => println!("{:?}: {:?} -> {:?}, +{} -{} pins", event.kind, event.old_version,
///             event.new_version, event.added.len(), event.removed.len()),
///     }
/// }
/// ```
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleEvent {
    /// What happened.
    pub kind: BundleEventKind,
    /// The version in force before (`None`: the static policy alone).
    pub old_version: Option<u64>,
    /// The version applied, refused or expired, when known.
    pub new_version: Option<u64>,
    /// Pins the change adds to the dynamic policy.
    pub added: Vec<PinChange>,
    /// Pins the change removes from it.
    pub removed: Vec<PinChange>,
    /// Why a bundle was refused.
    pub reason: Option<String>,
    /// When (the `now` given to the store, or rustls's `now` for an expiry seen during a
    /// handshake).
    pub time: UnixTime,
}

/// Receives the audit trail. Called synchronously; must not block.
///
/// Closures `Fn(&BundleEvent)` are observers too.
///
/// ```
/// use std::sync::Arc;
/// use rustls_pinning::pin_store::{BundleEvent, BundleObserver};
///
/// let observer: Arc<dyn BundleObserver> = Arc::new(|event: &BundleEvent| println!("{event:?}"));
/// ```
pub trait BundleObserver: Send + Sync {
    /// Handles one record.
    fn bundle_event(&self, event: &BundleEvent);
}

impl<F: Fn(&BundleEvent) + Send + Sync> BundleObserver for F {
    fn bundle_event(&self, event: &BundleEvent) {
        self(event)
    }
}

/// The result of [`PinStore::apply`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// The bundle is now in force.
    Applied {
        /// The version before.
        old_version: Option<u64>,
        /// The version now.
        new_version: u64,
    },
    /// The bundle is byte for byte the one already in force; nothing changed.
    Unchanged,
}

type VerifierFactory =
    dyn Fn(PinSet) -> Result<Arc<PinningServerVerifier>, VerifierBuilderError> + Send + Sync;
type ConfigFactory =
    dyn Fn(Arc<dyn ServerCertVerifier>) -> Result<ClientConfig, Error> + Send + Sync;

/// What readers see: one consistent state, swapped whole.
struct Snapshot {
    bundle: Option<Arc<PinBundle>>,
    body_digest: Option<[u8; 32]>,
    /// The newest version ever applied, kept after an expiry so an old bundle cannot return.
    newest_version: Option<u64>,
    verifier: Arc<StoreVerifier>,
    config: Option<Arc<ClientConfig>>,
}

/// Holds the static policy and the current signed bundle, and hands out the verifier (and,
/// if configured, the `ClientConfig`) that enforces them.
///
/// Rules for [`apply`](Self::apply): a bundle with a bad signature, an unknown key, a version
/// not greater than the newest applied (rollback or replay), or outside its validity period is
/// refused with a typed error and the state does not change. When the bundle in force expires,
/// the static policy applies alone (at the first handshake after the expiry, by rustls's
/// `now`), and an `Expired` audit event is raised.
///
/// Every update makes a **new** verifier and a new `ClientConfig`. rustls resumes a session
/// only under the verifier that established it, so sessions from before an update cannot
/// skip the new policy; but a client keeps using the configuration it was built with. Build
/// clients from [`client_config`](Self::client_config) (or [`verifier`](Self::verifier)) per
/// connection or connection pool, and rebuild them after an update (the audit observer is a
/// good place to trigger that). Readers never block and never see half an update.
///
/// ```
/// use std::sync::Arc;
/// use rustls_pinning::bundle::{BundleKey, BundleVerifier};
/// use rustls_pinning::pin_store::PinStore;
/// use rustls_pinning::{PinSet, PinningServerVerifier};
///
/// # fn demo(static_pins: PinSet, roots: Arc<rustls::RootCertStore>, key: BundleKey,
/// #         body: &[u8], signature: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
/// let provider = rustls_pinning::default_crypto_provider();
/// let (factory_roots, factory_provider) = (roots.clone(), provider.clone());
/// let store = PinStore::builder(
///         static_pins,
///         move |pins| PinningServerVerifier::builder(factory_roots.clone(), pins, factory_provider.clone()).build(),
///         BundleVerifier::new(vec![key], &provider)?,
///     )
///     .with_client_config({
///         let provider = provider.clone();
///         move |verifier| Ok(rustls::ClientConfig::builder_with_provider(provider.clone())
///             .with_safe_default_protocol_versions()?
///             .dangerous()
///             .with_custom_certificate_verifier(verifier)
///             .with_no_client_auth())
///     })
///     .build()?;
/// store.apply(body, signature, rustls::pki_types::UnixTime::now())?;
/// let config = store.client_config().expect("configured above");
/// # Ok(()) }
/// ```
pub struct PinStore {
    state: ArcSwap<Snapshot>,
    /// Serialises writers; readers never take it.
    writer: Mutex<()>,
    static_verifier: Arc<PinningServerVerifier>,
    make_verifier: Box<VerifierFactory>,
    make_config: Option<Box<ConfigFactory>>,
    bundles: BundleVerifier,
    mode: HybridMode,
    observer: Option<Arc<dyn BundleObserver>>,
}

/// Builds a [`PinStore`].
#[must_use]
pub struct PinStoreBuilder {
    static_pins: PinSet,
    make_verifier: Box<VerifierFactory>,
    make_config: Option<Box<ConfigFactory>>,
    bundles: BundleVerifier,
    mode: HybridMode,
    observer: Option<Arc<dyn BundleObserver>>,
}

impl fmt::Debug for PinStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinStoreBuilder")
            .field("static_entries", &self.static_pins.len())
            .field("bundle_keys", &self.bundles)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl PinStore {
    /// Starts a store enforcing `static_pins`, making verifiers with `make_verifier` (which
    /// decides roots, CRLs, reporting: everything but the pins) and trusting bundles that
    /// `bundles` verifies.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::{bundle::BundleVerifier, pin_store::PinStore, PinSet, PinningServerVerifier};
    /// # fn demo(roots: Arc<rustls::RootCertStore>, bundles: BundleVerifier) -> Result<(), Box<dyn std::error::Error>> {
    /// let provider = rustls_pinning::default_crypto_provider();
    /// let store = PinStore::builder(PinSet::builder().build()?,
    ///     move |pins| PinningServerVerifier::builder(roots.clone(), pins, provider.clone()).build(),
    ///     bundles).build()?;
    /// # Ok(()) }
    /// ```
    pub fn builder(
        static_pins: PinSet,
        make_verifier: impl Fn(PinSet) -> Result<Arc<PinningServerVerifier>, VerifierBuilderError>
            + Send
            + Sync
            + 'static,
        bundles: BundleVerifier,
    ) -> PinStoreBuilder {
        PinStoreBuilder {
            static_pins,
            make_verifier: Box::new(make_verifier),
            make_config: None,
            bundles,
            mode: HybridMode::default(),
            observer: None,
        }
    }

    /// The verifier enforcing the current state. Lock-free.
    ///
    /// ```
    /// # use rustls_pinning::pin_store::PinStore;
    /// # fn demo(store: &PinStore) {
    /// let verifier = store.verifier();
    /// # }
    /// ```
    pub fn verifier(&self) -> Arc<dyn ServerCertVerifier> {
        self.state.load().verifier.clone()
    }

    /// The client configuration for the current state, if the store was given a way to make
    /// one ([`PinStoreBuilder::with_client_config`]). Lock-free.
    ///
    /// ```
    /// # use rustls_pinning::pin_store::PinStore;
    /// # fn demo(store: &PinStore) {
    /// if let Some(config) = store.client_config() { /* connect with it */ }
    /// # }
    /// ```
    pub fn client_config(&self) -> Option<Arc<ClientConfig>> {
        self.state.load().config.clone()
    }

    /// The bundle in force, if any (an expired one is dropped by [`check_expiry`](Self::check_expiry)).
    ///
    /// ```
    /// # use rustls_pinning::pin_store::PinStore;
    /// # fn demo(store: &PinStore) {
    /// match store.bundle() {
    ///     Some(bundle) => println!("bundle version {}", bundle.version()),
    ///     None => println!("static pins only"),
    /// }
    /// # }
    /// ```
    pub fn bundle(&self) -> Option<Arc<PinBundle>> {
        self.state.load().bundle.clone()
    }

    /// Explains what the store's current verifier decides for this chain, name and time, and
    /// why: the same verification as a handshake, with both policies while a bundle is valid
    /// at `now` ([`Explanation::policies`] lists the static policy, then the bundle's), raising
    /// no events. See [`PinningServerVerifier::explain`].
    ///
    /// ```
    /// # use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    /// # use rustls_pinning::pin_store::PinStore;
    /// # fn demo(store: &PinStore, chain: &[CertificateDer<'static>]) -> Result<(), Box<dyn std::error::Error>> {
    /// let name = ServerName::try_from("api.example.com")?;
    /// let explanation = store.explain(&chain[0], &chain[1..], &name, UnixTime::now());
    /// println!("{:?} by {} policies", explanation.decision, explanation.policies.len());
    /// # Ok(()) }
    /// ```
    pub fn explain(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Explanation {
        self.state
            .load()
            .verifier
            .explain(end_entity, intermediates, server_name, now)
    }

    /// The newest bundle version ever applied; older or equal versions are refused.
    ///
    /// ```
    /// # use rustls_pinning::pin_store::PinStore;
    /// # fn demo(store: &PinStore) {
    /// println!("{:?}", store.newest_version());
    /// # }
    /// ```
    pub fn newest_version(&self) -> Option<u64> {
        self.state.load().newest_version
    }

    /// The static policy.
    ///
    /// ```
    /// # use rustls_pinning::pin_store::PinStore;
    /// # fn demo(store: &PinStore) {
    /// println!("{} static entries", store.static_pins().len());
    /// # }
    /// ```
    pub fn static_pins(&self) -> &PinSet {
        self.static_verifier.pins()
    }

    /// Verifies a bundle and, if it is acceptable, puts it in force.
    ///
    /// ```
    /// # use rustls_pinning::pin_store::{ApplyOutcome, PinStore};
    /// # fn demo(store: &PinStore, body: &[u8], signature: &[u8]) -> Result<(), rustls_pinning::bundle::BundleError> {
    /// match store.apply(body, signature, rustls::pki_types::UnixTime::now())? {
    ///     ApplyOutcome::Applied { new_version, .. } => println!("now at version {new_version}"),
    ///     ApplyOutcome::Unchanged => {}
    ///     _ => {}
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// See [`BundleError`]; the state is unchanged and a `Rejected` audit event is raised.
    pub fn apply(
        &self,
        body: &[u8],
        signature: &[u8],
        now: UnixTime,
    ) -> Result<ApplyOutcome, BundleError> {
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let current = self.state.load_full();
        let old_version = current.bundle.as_ref().map(|bundle| bundle.version());
        let refuse = |error: BundleError, attempted: Option<u64>| {
            self.notify(BundleEvent {
                kind: BundleEventKind::Rejected,
                old_version,
                new_version: attempted,
                added: Vec::new(),
                removed: Vec::new(),
                reason: Some(error.to_string()),
                time: now,
            });
            Err(error)
        };
        // The signature and the validity period are checked before anything else, so that
        // the bundle in force, once expired, or its body under a bad signature, is refused
        // like any other.
        let bundle = match self.bundles.verify(body, signature, now) {
            Ok(bundle) => bundle,
            Err(error) => return refuse(error, None),
        };
        let digest = crate::policy::pin::sha256(body);
        if current.body_digest == Some(digest) && current.bundle.is_some() {
            return Ok(ApplyOutcome::Unchanged);
        }
        match self.prepare(&current, bundle) {
            Ok((bundle, verifier, config)) => {
                let new_version = bundle.version();
                let (added, removed) = diff(
                    current.bundle.as_ref().map(|bundle| bundle.pins()),
                    Some(bundle.pins()),
                );
                self.state.store(Arc::new(Snapshot {
                    bundle: Some(bundle),
                    body_digest: Some(digest),
                    newest_version: Some(new_version),
                    verifier,
                    config,
                }));
                self.notify(BundleEvent {
                    kind: BundleEventKind::Applied,
                    old_version,
                    new_version: Some(new_version),
                    added,
                    removed,
                    reason: None,
                    time: now,
                });
                Ok(ApplyOutcome::Applied {
                    old_version,
                    new_version,
                })
            }
            Err((error, attempted)) => refuse(error, attempted),
        }
    }

    /// Drops the bundle in force if it has expired at `now`, so that [`bundle`](Self::bundle)
    /// and new configurations reflect the static policy alone. Verifiers handed out earlier
    /// already ignore an expired bundle on their own. Returns whether it dropped one.
    ///
    /// ```
    /// # use rustls_pinning::pin_store::PinStore;
    /// # fn demo(store: &PinStore) {
    /// store.check_expiry(rustls::pki_types::UnixTime::now());
    /// # }
    /// ```
    pub fn check_expiry(&self, now: UnixTime) -> bool {
        let _writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let current = self.state.load_full();
        let Some(bundle) = current.bundle.as_ref() else {
            return false;
        };
        if bundle.expires_at().as_secs() > now.as_secs() {
            return false;
        }
        let verifier = Arc::new(StoreVerifier {
            static_verifier: self.static_verifier.clone(),
            dynamic: None,
            mode: self.mode,
        });
        let config = match self.make_config(&verifier) {
            Ok(config) => config,
            // Keep the old state: its verifier already falls back by itself.
            Err(_) => return false,
        };
        current.verifier.report_expiry(now);
        self.state.store(Arc::new(Snapshot {
            bundle: None,
            body_digest: None,
            newest_version: current.newest_version,
            verifier,
            config,
        }));
        true
    }

    #[allow(clippy::type_complexity)]
    fn prepare(
        &self,
        current: &Snapshot,
        bundle: PinBundle,
    ) -> Result<
        (
            Arc<PinBundle>,
            Arc<StoreVerifier>,
            Option<Arc<ClientConfig>>,
        ),
        (BundleError, Option<u64>),
    > {
        let version = bundle.version();
        if let Some(newest) = current.newest_version
            && version <= newest
        {
            return Err((
                BundleError::NotNewer {
                    version,
                    current: newest,
                },
                Some(version),
            ));
        }
        let dynamic = (self.make_verifier)(bundle.pins().clone())
            .map_err(|error| (BundleError::Verifier(error), Some(version)))?;
        let verifier = Arc::new(StoreVerifier {
            static_verifier: self.static_verifier.clone(),
            dynamic: Some(DynamicPart {
                verifier: dynamic,
                version,
                expires_at: bundle.expires_at(),
                expiry_reported: AtomicBool::new(false),
                observer: self.observer.clone(),
            }),
            mode: self.mode,
        });
        let config = self
            .make_config(&verifier)
            .map_err(|error| (BundleError::ClientConfig(error), Some(version)))?;
        Ok((Arc::new(bundle), verifier, config))
    }

    fn make_config(
        &self,
        verifier: &Arc<StoreVerifier>,
    ) -> Result<Option<Arc<ClientConfig>>, Error> {
        self.make_config
            .as_ref()
            .map(|make| make(verifier.clone()).map(Arc::new))
            .transpose()
    }

    fn notify(&self, event: BundleEvent) {
        if let Some(observer) = &self.observer {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                observer.bundle_event(&event)
            }));
        }
    }
}

impl fmt::Debug for PinStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinStore")
            .field("static_entries", &self.static_pins().len())
            .field(
                "bundle_version",
                &self.bundle().map(|bundle| bundle.version()),
            )
            .field("newest_version", &self.newest_version())
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl PinStoreBuilder {
    /// How the two policies combine ([`HybridMode::Either`] unless set).
    ///
    /// ```
    /// # use rustls_pinning::pin_store::{HybridMode, PinStoreBuilder};
    /// # fn demo(builder: PinStoreBuilder) -> PinStoreBuilder {
    /// builder.hybrid_mode(HybridMode::Both)
    /// # }
    /// ```
    pub fn hybrid_mode(mut self, mode: HybridMode) -> Self {
        self.mode = mode;
        self
    }

    /// Makes the store build a `ClientConfig` around each new verifier.
    ///
    /// ```
    /// # use rustls_pinning::pin_store::PinStoreBuilder;
    /// # fn demo(builder: PinStoreBuilder) -> PinStoreBuilder {
    /// let provider = rustls_pinning::default_crypto_provider();
    /// builder.with_client_config(move |verifier| Ok(rustls::ClientConfig::builder_with_provider(provider.clone())
    ///     .with_safe_default_protocol_versions()?
    ///     .dangerous()
    ///     .with_custom_certificate_verifier(verifier)
    ///     .with_no_client_auth()))
    /// # }
    /// ```
    pub fn with_client_config(
        mut self,
        make_config: impl Fn(Arc<dyn ServerCertVerifier>) -> Result<ClientConfig, Error>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        self.make_config = Some(Box::new(make_config));
        self
    }

    /// Sends the audit trail to `observer`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use rustls_pinning::pin_store::{BundleEvent, PinStoreBuilder};
    /// # fn demo(builder: PinStoreBuilder) -> PinStoreBuilder {
    /// builder.with_observer(Arc::new(|event: &BundleEvent| eprintln!("{event:?}")))
    /// # }
    /// ```
    pub fn with_observer(mut self, observer: Arc<dyn BundleObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// Builds the static verifier (and configuration).
    ///
    /// ```
    /// # use rustls_pinning::pin_store::PinStoreBuilder;
    /// # fn demo(builder: PinStoreBuilder) -> Result<(), rustls_pinning::bundle::BundleError> {
    /// let store = builder.build()?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// The verifier or the configuration for the static policy could not be made.
    pub fn build(self) -> Result<PinStore, BundleError> {
        let static_verifier =
            (self.make_verifier)(self.static_pins).map_err(BundleError::Verifier)?;
        let verifier = Arc::new(StoreVerifier {
            static_verifier: static_verifier.clone(),
            dynamic: None,
            mode: self.mode,
        });
        let config = self
            .make_config
            .as_ref()
            .map(|make| make(verifier.clone()).map(Arc::new))
            .transpose()
            .map_err(BundleError::ClientConfig)?;
        Ok(PinStore {
            state: ArcSwap::from_pointee(Snapshot {
                bundle: None,
                body_digest: None,
                newest_version: None,
                verifier,
                config,
            }),
            writer: Mutex::new(()),
            static_verifier,
            make_verifier: self.make_verifier,
            make_config: self.make_config,
            bundles: self.bundles,
            mode: self.mode,
            observer: self.observer,
        })
    }
}

/// The dynamic half of a store's verifier.
struct DynamicPart {
    verifier: Arc<PinningServerVerifier>,
    version: u64,
    expires_at: UnixTime,
    expiry_reported: AtomicBool,
    observer: Option<Arc<dyn BundleObserver>>,
}

/// The verifier a store hands out: the static policy, plus the bundle's while it is valid.
struct StoreVerifier {
    static_verifier: Arc<PinningServerVerifier>,
    dynamic: Option<DynamicPart>,
    mode: HybridMode,
}

impl fmt::Debug for StoreVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinStoreVerifier")
            .field(
                "bundle_version",
                &self.dynamic.as_ref().map(|part| part.version),
            )
            .field("mode", &self.mode)
            .finish()
    }
}

impl StoreVerifier {
    /// The bundle's verifier while the bundle is valid at `now`.
    fn dynamic_at(&self, now: UnixTime) -> Option<&PinningServerVerifier> {
        let verifier = self.valid_dynamic(now);
        if verifier.is_none() {
            self.report_expiry(now);
        }
        verifier
    }

    /// The bundle's verifier while the bundle is valid at `now`, without reporting an expiry.
    fn valid_dynamic(&self, now: UnixTime) -> Option<&PinningServerVerifier> {
        let part = self.dynamic.as_ref()?;
        (now.as_secs() < part.expires_at.as_secs()).then_some(&*part.verifier)
    }

    /// The layers a handshake at `now` is judged by.
    fn layers<'a>(
        &'a self,
        dynamic: Option<&'a PinningServerVerifier>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> ServerLayers<'a> {
        match dynamic {
            None => ServerLayers::single(self.static_verifier.pins(), server_name, now),
            Some(dynamic) => ServerLayers::pair(
                self.static_verifier.pins(),
                dynamic.pins(),
                match self.mode {
                    HybridMode::Either => Combination::Any,
                    HybridMode::Both => Combination::All,
                },
                server_name,
                now,
            ),
        }
    }

    fn explain(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Explanation {
        let layers = self.layers(self.valid_dynamic(now), server_name, now);
        self.static_verifier.core().explain_layers(
            &layers,
            end_entity,
            intermediates,
            server_name,
            now,
        )
    }

    fn report_expiry(&self, now: UnixTime) {
        let Some(part) = &self.dynamic else { return };
        if part.expiry_reported.swap(true, Ordering::AcqRel) {
            return;
        }
        if let Some(observer) = &part.observer {
            let (_, removed) = diff(Some(part.verifier.pins()), None);
            let event = BundleEvent {
                kind: BundleEventKind::Expired,
                old_version: Some(part.version),
                new_version: Some(part.version),
                added: Vec::new(),
                removed,
                reason: None,
                time: now,
            };
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                observer.bundle_event(&event)
            }));
        }
    }
}

impl ServerCertVerifier for StoreVerifier {
    /// One validation judges every candidate path against both policies (see [`HybridMode`]
    /// and the decision engine's precedence table), with the static verifier's trust.
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let dynamic = self.dynamic_at(now);
        let layers = self.layers(dynamic, server_name, now);
        let reporters = [
            self.static_verifier.core().reporter(),
            dynamic.and_then(|dynamic| dynamic.core().reporter()),
        ];
        self.static_verifier
            .core()
            .verify_layers(
                &layers,
                &reporters,
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
                false,
            )
            .into_verified()
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.static_verifier
            .verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.static_verifier
            .verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.static_verifier.supported_verify_schemes()
    }

    fn root_hint_subjects(&self) -> Option<&[rustls::DistinguishedName]> {
        self.static_verifier.root_hint_subjects()
    }
}

/// Every pin of a set, as changes would list them.
fn pins_of(pins: &PinSet) -> BTreeSet<PinChange> {
    let change = |pattern: Option<&HostPattern>, list: PinList, pin: &ScopedPin| PinChange {
        pattern: pattern.map(ToString::to_string),
        list,
        pin: pin.to_string(),
    };
    let mut all = BTreeSet::new();
    for entry in pins.entries() {
        let pattern = Some(entry.pattern());
        all.extend(
            entry
                .primary_pins()
                .iter()
                .map(|pin| change(pattern, PinList::Primary, pin)),
        );
        all.extend(
            entry
                .backup_pins()
                .iter()
                .map(|pin| change(pattern, PinList::Backup, pin)),
        );
        all.extend(
            entry
                .denied_pins()
                .iter()
                .map(|pin| change(pattern, PinList::Denied, pin)),
        );
    }
    all.extend(
        pins.globally_denied_pins()
            .iter()
            .map(|pin| change(None, PinList::Denied, pin)),
    );
    all
}

/// Pins added and removed going from `old` to `new` (`None`: no dynamic policy).
fn diff(old: Option<&PinSet>, new: Option<&PinSet>) -> (Vec<PinChange>, Vec<PinChange>) {
    let old = old.map(pins_of).unwrap_or_default();
    let new = new.map(pins_of).unwrap_or_default();
    (
        new.difference(&old).cloned().collect(),
        old.difference(&new).cloned().collect(),
    )
}
