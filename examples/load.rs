//! Load with concurrent policy updates: full TLS handshakes from several client threads
//! against several loopback servers, while a `PinStore`'s policy is replaced every few
//! milliseconds by signed bundles.
//!
//! Six servers share one private CA: `stable-0` and `stable-1` (one server each, pinned by
//! the static policy and by every bundle to the same key), and `rotating-0` and `rotating-1`
//! (two servers each, A and B, with different keys). Each update is a new signed bundle
//! (Ed25519, version + 1): about half of them move one rotating host's pin from one server's
//! key to the other's, the rest only change the pins of `unrelated.load.test`, a host no
//! client connects to. The sequence of policies is drawn in advance from a fixed seed, so each
//! version's pins are known.
//!
//! Each handshake takes the store's client configuration together with the version it was
//! built for (read as version, configuration, version, retried until both reads agree), and is
//! judged by that version's pins: a handshake is a *false accept* if it succeeded although
//! that version does not pin the server's key for the host, and a *false reject* if it failed
//! with a pin error although it does (for `stable-*`, whose pins never change, any pin failure
//! is one). A configuration keeps its verifier for good, so an update landing during a
//! handshake does not change that handshake's verdict; such handshakes are counted. Session
//! resumption is off on both sides: every connection is a full handshake that runs the
//! verifier. Any other failure (I/O, a different TLS error) is counted too.
//!
//! The run prints handshakes, updates, false accepts and rejects, wall time and memory
//! (peak RSS from `VmHWM` in `/proc/self/status`, and RSS at every tenth of the run), and
//! exits with status 1 on any false verdict or other failure.
//!
//! ```text
//! cargo run --release --example load --features dynamic
//! cargo run --release --example load --features dynamic -- --handshakes 100000 --clients 4 --update-ms 2
//! ```
//!
//! `cargo test --all-features` runs a small version (see the test module) so this stays
//! working.

use std::error::Error;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData,
};
use rustls::client::Resumption;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, ServerName, SubjectPublicKeyInfoDer, UnixTime,
};
use rustls::server::NoServerSessionStorage;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use rustls_pinning::bundle::{self, BundleKey, BundleVerifier};
use rustls_pinning::pin_store::PinStore;
use rustls_pinning::{Pin, PinEntry, PinSet, PinningServerVerifier, ServerPinningError};

type LoadResult<T> = Result<T, Box<dyn Error + Send + Sync>>;

/// How big a run is.
#[derive(Clone, Debug)]
struct Options {
    /// Handshakes to make in all.
    handshakes: usize,
    /// Client threads.
    clients: usize,
    /// Accepting threads per server.
    server_threads: usize,
    /// Pause between two policy updates.
    update_interval: Duration,
    /// Seed of the policy sequence.
    seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            handshakes: 50_000,
            clients: 4,
            server_threads: 2,
            update_interval: Duration::from_millis(2),
            seed: 0x5EED_F00D,
        }
    }
}

/// What a run saw.
#[derive(Debug, Default)]
struct Report {
    handshakes: u64,
    accepted: u64,
    /// Refused with a pin error, as the policy in force said.
    refused_as_expected: u64,
    false_accepts: u64,
    false_rejects: u64,
    /// False rejects for the `stable-*` hosts, whose pins never change.
    false_rejects_stable: u64,
    /// Failures that are not pin verdicts (I/O, other TLS errors).
    other_failures: u64,
    /// The first few of those, for the report.
    failure_samples: Vec<String>,
    /// Handshakes during which the store moved to a newer policy.
    overlapping_updates: u64,
    updates: u64,
    /// Updates that moved a pin of a host under test.
    updates_moving_a_pin: u64,
    wall: Duration,
    peak_rss_kib: Option<u64>,
    /// RSS after each tenth of the handshakes.
    rss_kib_by_tenth: Vec<Option<u64>>,
}

impl Report {
    /// No false verdict and no other failure.
    fn clean(&self) -> bool {
        self.false_accepts == 0 && self.false_rejects == 0 && self.other_failures == 0
    }

    fn print(&self, options: &Options) {
        let mib = |kib: Option<u64>| match kib {
            Some(kib) => format!("{:.1} MiB", kib as f64 / 1024.0),
            None => String::from("n/a"),
        };
        let seconds = self.wall.as_secs_f64();
        println!("handshakes           {} ({} client threads, 6 servers with {} threads each, resumption off)",
            self.handshakes, options.clients, options.server_threads);
        println!("  accepted           {}", self.accepted);
        println!(
            "  refused by pins    {} (as the policy in force said)",
            self.refused_as_expected
        );
        println!("  during an update   {}", self.overlapping_updates);
        println!(
            "policy updates       {} (one every {} ms plus build time; {} moved a pin of a host under test, {} only touched another host)",
            self.updates,
            options.update_interval.as_millis(),
            self.updates_moving_a_pin,
            self.updates - self.updates_moving_a_pin
        );
        println!("false accepts        {}", self.false_accepts);
        println!(
            "false rejects        {} ({} for hosts whose pins never changed)",
            self.false_rejects, self.false_rejects_stable
        );
        println!("other failures       {}", self.other_failures);
        for sample in &self.failure_samples {
            println!("  {sample}");
        }
        println!(
            "wall time            {seconds:.1} s ({:.0} handshakes/s, {:.0} updates/s)",
            self.handshakes as f64 / seconds,
            self.updates as f64 / seconds
        );
        println!("peak RSS (VmHWM)     {}", mib(self.peak_rss_kib));
        println!(
            "RSS by tenth of run  {}",
            self.rss_kib_by_tenth
                .iter()
                .map(|kib| mib(*kib))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

fn main() {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("{error}\nusage: load [--handshakes N] [--clients N] [--server-threads N] [--update-ms N] [--seed N]");
            std::process::exit(2);
        }
    };
    match run(&options) {
        Ok(report) => {
            report.print(&options);
            if !report.clean() {
                eprintln!("FAILED: false verdicts or failures, see above");
                std::process::exit(1);
            }
        }
        Err(error) => {
            eprintln!("load run could not start: {error}");
            std::process::exit(1);
        }
    }
}

fn parse_args(mut args: impl Iterator<Item = String>) -> LoadResult<Options> {
    let mut options = Options::default();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag}: {value:?} is not a number"))?;
        match flag.as_str() {
            "--handshakes" => options.handshakes = number as usize,
            "--clients" => options.clients = (number as usize).max(1),
            "--server-threads" => options.server_threads = (number as usize).max(1),
            "--update-ms" => options.update_interval = Duration::from_millis(number),
            "--seed" => options.seed = number,
            _ => return Err(format!("unknown option {flag}").into()),
        }
    }
    Ok(options)
}

// ---------------------------------------------------------------------------------------------
// The servers
// ---------------------------------------------------------------------------------------------

const STABLE: [&str; 2] = ["stable-0.load.test", "stable-1.load.test"];
const ROTATING: [&str; 2] = ["rotating-0.load.test", "rotating-1.load.test"];
const UNRELATED: &str = "unrelated.load.test";

/// A key held in reserve: the backup pin of every entry.
const RESERVE: Pin = Pin::spki_sha256([0xEE; 32]);

/// Whom a client connects to.
#[derive(Clone, Copy, Debug)]
enum Target {
    Stable(usize),
    /// Rotating host, server 0 (A) or 1 (B).
    Rotating(usize, usize),
}

impl Target {
    const ALL: [Target; 6] = [
        Target::Stable(0),
        Target::Stable(1),
        Target::Rotating(0, 0),
        Target::Rotating(0, 1),
        Target::Rotating(1, 0),
        Target::Rotating(1, 1),
    ];

    fn host(self) -> &'static str {
        match self {
            Target::Stable(host) => STABLE[host],
            Target::Rotating(host, _) => ROTATING[host],
        }
    }
}

struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    fn start(config: Arc<ServerConfig>, threads: usize) -> io::Result<Server> {
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0")?);
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..threads)
            .map(|_| {
                let (listener, config, stop) = (listener.clone(), config.clone(), stop.clone());
                thread::spawn(move || {
                    while !stop.load(Ordering::Acquire) {
                        if let Ok((socket, _)) = listener.accept() {
                            // A failed handshake is the client's to report.
                            let _ = serve(socket, config.clone());
                        }
                    }
                })
            })
            .collect();
        Ok(Server {
            addr,
            stop,
            threads,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake every thread blocked in accept.
        for _ in &self.threads {
            let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        }
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn serve(mut socket: TcpStream, config: Arc<ServerConfig>) -> LoadResult<()> {
    socket.set_nodelay(true)?;
    socket.set_read_timeout(Some(IO_TIMEOUT))?;
    socket.set_write_timeout(Some(IO_TIMEOUT))?;
    let mut connection = ServerConnection::new(config)?;
    while connection.is_handshaking() {
        connection.complete_io(&mut socket)?;
    }
    connection.send_close_notify();
    while connection.wants_write() {
        connection.write_tls(&mut socket)?;
    }
    Ok(())
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    provider: &Arc<CryptoProvider>,
) -> LoadResult<Arc<ServerConfig>> {
    let mut config = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.session_storage = Arc::new(NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

// ---------------------------------------------------------------------------------------------
// The PKI
// ---------------------------------------------------------------------------------------------

fn subject(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "rustls-pinning load test");
    name.push(DnType::CommonName, common_name);
    name
}

struct Pki {
    root: CertificateDer<'static>,
    intermediate: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl Pki {
    fn new() -> LoadResult<Pki> {
        let ca_params = |name: &str| {
            let mut params = CertificateParams::default();
            params.distinguished_name = subject(name);
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            params
        };
        let root_key = KeyPair::generate()?;
        let root_params = ca_params("Load Root");
        let root = root_params.self_signed(&root_key)?.der().clone();
        let root_issuer = Issuer::new(root_params, root_key);
        let intermediate_key = KeyPair::generate()?;
        let intermediate_params = ca_params("Load Intermediate");
        let intermediate = intermediate_params
            .signed_by(&intermediate_key, &root_issuer)?
            .der()
            .clone();
        Ok(Pki {
            root,
            intermediate,
            issuer: Issuer::new(intermediate_params, intermediate_key),
        })
    }

    /// A leaf for `host` with a fresh key: its chain, key and SPKI pin.
    fn leaf(
        &self,
        host: &str,
    ) -> LoadResult<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>, Pin)> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(vec![host.to_owned()])?;
        params.distinguished_name = subject(host);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &self.issuer)?.der().clone();
        let pin = Pin::from_spki(&SubjectPublicKeyInfoDer::from(
            key.subject_public_key_info(),
        ));
        Ok((
            vec![cert, self.intermediate.clone()],
            PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            pin,
        ))
    }

    fn roots(&self) -> LoadResult<Arc<RootCertStore>> {
        let mut roots = RootCertStore::empty();
        roots.add(self.root.clone())?;
        Ok(Arc::new(roots))
    }
}

// ---------------------------------------------------------------------------------------------
// The policies
// ---------------------------------------------------------------------------------------------

/// A small deterministic generator (xorshift64*), so a seed names a sequence of policies.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// What one policy version says: which server (0 = A, 1 = B) each rotating host is pinned to,
/// and a value for the unrelated host's pin.
#[derive(Clone, Copy, Debug)]
struct Policy {
    rotating: [usize; 2],
    unrelated: u8,
    /// Whether this version moved a rotating host's pin.
    moved: bool,
}

/// Versions 1..=count (index 0 is unused: no bundle).
fn schedule(seed: u64, count: usize) -> Vec<Policy> {
    let mut random = Random(seed | 1);
    let mut policy = Policy {
        rotating: [0, 0],
        unrelated: 0,
        moved: false,
    };
    let mut versions = vec![policy; count + 1];
    for version in versions.iter_mut().skip(2) {
        let draw = random.next();
        policy.moved = draw & 1 == 1;
        if policy.moved {
            let host = (draw >> 1) as usize % 2;
            policy.rotating[host] ^= 1;
        } else {
            policy.unrelated = policy.unrelated.wrapping_add(1 + (draw >> 8) as u8 % 7);
        }
        *version = policy;
    }
    versions
}

struct Keys {
    stable: [Pin; 2],
    /// `rotating[host][server]`.
    rotating: [[Pin; 2]; 2],
}

fn entry(host: &str, pin: Pin) -> LoadResult<rustls_pinning::PinEntryBuilder> {
    Ok(PinEntry::builder(host.parse()?)
        .pin(pin)
        .backup_pin(RESERVE))
}

fn static_policy(keys: &Keys) -> LoadResult<PinSet> {
    Ok(PinSet::builder()
        .entry(entry(STABLE[0], keys.stable[0])?)
        .entry(entry(STABLE[1], keys.stable[1])?)
        .build()?)
}

fn bundle_policy(keys: &Keys, policy: &Policy) -> LoadResult<PinSet> {
    let mut builder = PinSet::builder()
        .entry(entry(STABLE[0], keys.stable[0])?)
        .entry(entry(STABLE[1], keys.stable[1])?);
    for (host, &server) in policy.rotating.iter().enumerate() {
        builder = builder.entry(entry(ROTATING[host], keys.rotating[host][server])?);
    }
    // Never the reserve key: its other bytes differ.
    let mut unrelated = [0xAB; 32];
    unrelated[0] = policy.unrelated;
    let unrelated = Pin::spki_sha256(unrelated);
    Ok(builder.entry(entry(UNRELATED, unrelated)?).build()?)
}

/// Whether `policy` lets `target` through.
fn allows(policy: &Policy, target: Target) -> bool {
    match target {
        Target::Stable(_) => true,
        Target::Rotating(host, server) => policy.rotating[host] == server,
    }
}

// ---------------------------------------------------------------------------------------------
// The run
// ---------------------------------------------------------------------------------------------

/// Resident set size (`VmRSS`) or its peak (`VmHWM`) in KiB, where `/proc` has it.
fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[derive(Default)]
struct Counters {
    handshakes: AtomicU64,
    accepted: AtomicU64,
    refused_as_expected: AtomicU64,
    false_accepts: AtomicU64,
    false_rejects: AtomicU64,
    false_rejects_stable: AtomicU64,
    other_failures: AtomicU64,
    overlapping_updates: AtomicU64,
    samples: Mutex<Vec<String>>,
    rss_by_tenth: Mutex<Vec<Option<u64>>>,
}

impl Counters {
    /// Keeps the first line of the first few failures for the report.
    fn sample(&self, text: String) {
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        if samples.len() < 5 {
            samples.push(text.lines().next().unwrap_or_default().to_owned());
        }
    }
}

/// One full handshake with `config`; the client error if it failed.
fn handshake(
    addr: SocketAddr,
    host: &'static str,
    config: Arc<ClientConfig>,
) -> Result<(), rustls::Error> {
    let mut socket = TcpStream::connect_timeout(&addr, IO_TIMEOUT)
        .map_err(|error| rustls::Error::General(format!("connect: {error}")))?;
    let io_error = |error: io::Error| match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => tls.clone(),
        None => rustls::Error::General(format!("I/O: {error}")),
    };
    socket.set_nodelay(true).map_err(io_error)?;
    socket
        .set_read_timeout(Some(IO_TIMEOUT))
        .map_err(io_error)?;
    let name = ServerName::try_from(host)
        .map_err(|error| rustls::Error::General(format!("server name: {error}")))?;
    let mut connection = ClientConnection::new(config, name)?;
    while connection.is_handshaking() {
        connection.complete_io(&mut socket).map_err(io_error)?;
    }
    connection.send_close_notify();
    let _ = connection.write_tls(&mut socket);
    Ok(())
}

/// The store's configuration together with the policy version it enforces: the version is
/// read before and after the configuration, until both reads agree (each update raises it).
fn consistent_config(store: &PinStore) -> (u64, Arc<ClientConfig>) {
    loop {
        let before = store.newest_version().unwrap_or(0);
        let config = store
            .client_config()
            .expect("the store is built with a client configuration");
        if store.newest_version().unwrap_or(0) == before {
            return (before, config);
        }
    }
}

fn run(options: &Options) -> LoadResult<Report> {
    let provider = rustls_pinning::default_crypto_provider();
    let pki = Pki::new()?;
    let roots = pki.roots()?;

    // Servers and the keys they hold.
    let mut servers = Vec::new();
    let mut addrs = [[None; 2]; 4];
    let mut stable = [RESERVE; 2];
    let mut rotating = [[RESERVE; 2]; 2];
    for (index, host) in STABLE.iter().enumerate() {
        let (chain, key, pin) = pki.leaf(host)?;
        let server = Server::start(
            server_config(chain, key, &provider)?,
            options.server_threads,
        )?;
        addrs[index][0] = Some(server.addr);
        stable[index] = pin;
        servers.push(server);
    }
    for (index, host) in ROTATING.iter().enumerate() {
        for (side, slot) in rotating[index].iter_mut().enumerate() {
            let (chain, key, pin) = pki.leaf(host)?;
            let server = Server::start(
                server_config(chain, key, &provider)?,
                options.server_threads,
            )?;
            addrs[2 + index][side] = Some(server.addr);
            *slot = pin;
            servers.push(server);
        }
    }
    let addr_of = |target: Target| -> SocketAddr {
        let slot = match target {
            Target::Stable(host) => addrs[host][0],
            Target::Rotating(host, server) => addrs[2 + host][server],
        };
        slot.expect("every server was started")
    };
    let keys = Keys { stable, rotating };

    // The store: static pins for the stable hosts, bundles signed with an Ed25519 key.
    let signing = KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
    let signing_key = PrivateKeyDer::Pkcs8(signing.serialize_der().into());
    let public = BundleKey::from_spki(&SubjectPublicKeyInfoDer::from(
        signing.subject_public_key_info(),
    ))?;
    let factory_provider = provider.clone();
    let config_provider = provider.clone();
    let store = Arc::new(
        PinStore::builder(
            static_policy(&keys)?,
            move |pins| {
                PinningServerVerifier::builder(roots.clone(), pins, factory_provider.clone())
                    .build()
            },
            BundleVerifier::new(vec![public], &provider)?,
        )
        .with_client_config(move |verifier| {
            let mut config = ClientConfig::builder_with_provider(config_provider.clone())
                .with_safe_default_protocol_versions()?
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth();
            config.resumption = Resumption::disabled();
            Ok(config)
        })
        .build()?,
    );

    // Enough versions for the run at any speed; the updater stops early if they run out.
    let versions = Arc::new(schedule(options.seed, 1_000_000));
    let apply = |version: u64| -> LoadResult<()> {
        let policy = bundle_policy(&keys, &versions[version as usize])?;
        let issued = UnixTime::now();
        let expires = UnixTime::since_unix_epoch(Duration::from_secs(issued.as_secs() + 86_400));
        let body = bundle::body(&policy, version, issued, expires)?;
        let signature = bundle::sign(&body, &signing_key, &provider)?;
        store.apply(&body, &signature, UnixTime::now())?;
        Ok(())
    };
    apply(1)?;

    let counters = Counters::default();
    let next = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let updates = AtomicU64::new(1);
    let moved = AtomicU64::new(0);
    let tenth = (options.handshakes / 10).max(1);
    let started = Instant::now();
    let update_failure: Mutex<Option<String>> = Mutex::new(None);

    thread::scope(|scope| {
        scope.spawn(|| {
            let mut version = 1u64;
            while !done.load(Ordering::Acquire) && (version as usize) + 1 < versions.len() {
                thread::sleep(options.update_interval);
                version += 1;
                if let Err(error) = apply(version) {
                    *update_failure
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) =
                        Some(format!("update to version {version}: {error}"));
                    break;
                }
                updates.fetch_add(1, Ordering::Relaxed);
                if versions[version as usize].moved {
                    moved.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        let clients = (0..options.clients)
            .map(|_| {
                scope.spawn(|| loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= options.handshakes {
                        break;
                    }
                    let target = Target::ALL[index % Target::ALL.len()];
                    let (version, config) = consistent_config(&store);
                    let expected = allows(&versions[version as usize], target);
                    let result = handshake(addr_of(target), target.host(), config);
                    if store.newest_version().unwrap_or(0) != version {
                        counters.overlapping_updates.fetch_add(1, Ordering::Relaxed);
                    }
                    let pin_failure = result
                        .as_ref()
                        .err()
                        .and_then(ServerPinningError::from_rustls)
                        .is_some();
                    let counter = match (&result, expected) {
                        (Ok(()), true) => &counters.accepted,
                        (Ok(()), false) => {
                            counters.sample(format!(
                                "false accept: {target:?} under version {version}"
                            ));
                            &counters.false_accepts
                        }
                        (Err(_), false) if pin_failure => &counters.refused_as_expected,
                        (Err(error), true) if pin_failure => {
                            counters.sample(format!(
                                "false reject: {target:?} under version {version}: {error}"
                            ));
                            if let Target::Stable(_) = target {
                                counters
                                    .false_rejects_stable
                                    .fetch_add(1, Ordering::Relaxed);
                            }
                            &counters.false_rejects
                        }
                        (Err(error), _) => {
                            counters.sample(format!("{target:?}: {error}"));
                            &counters.other_failures
                        }
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    let count = counters.handshakes.fetch_add(1, Ordering::Relaxed) + 1;
                    if count % tenth as u64 == 0 {
                        counters
                            .rss_by_tenth
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(proc_status_kib("VmRSS:"));
                    }
                })
            })
            .collect::<Vec<_>>();
        for client in clients {
            let _ = client.join();
        }
        done.store(true, Ordering::Release);
    });
    let wall = started.elapsed();
    drop(servers);
    if let Some(failure) = update_failure
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
    {
        return Err(failure.into());
    }

    let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
    Ok(Report {
        handshakes: load(&counters.handshakes),
        accepted: load(&counters.accepted),
        refused_as_expected: load(&counters.refused_as_expected),
        false_accepts: load(&counters.false_accepts),
        false_rejects: load(&counters.false_rejects),
        false_rejects_stable: load(&counters.false_rejects_stable),
        other_failures: load(&counters.other_failures),
        failure_samples: counters
            .samples
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner),
        overlapping_updates: load(&counters.overlapping_updates),
        updates: load(&updates),
        updates_moving_a_pin: load(&moved),
        wall,
        peak_rss_kib: proc_status_kib("VmHWM:"),
        rss_kib_by_tenth: counters
            .rss_by_tenth
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A few thousand handshakes under updates every millisecond, in the test profile: the
    /// same code as the full run, so that it keeps working.
    #[test]
    fn a_small_run_has_no_false_verdicts() {
        let options = Options {
            handshakes: 3_000,
            clients: 3,
            update_interval: Duration::from_millis(1),
            ..Options::default()
        };
        let report = run(&options).expect("the run starts");
        report.print(&options);
        assert!(report.clean(), "{report:?}");
        assert_eq!(report.handshakes, 3_000);
        assert!(report.refused_as_expected > 0, "{report:?}");
        assert!(report.updates_moving_a_pin > 0, "{report:?}");
        assert!(report.updates > report.updates_moving_a_pin, "{report:?}");
    }

    #[test]
    fn the_schedule_is_fixed_by_its_seed_and_moves_pins() {
        let first = schedule(7, 1_000);
        let again = schedule(7, 1_000);
        assert!(first
            .iter()
            .zip(&again)
            .all(|(a, b)| a.rotating == b.rotating && a.unrelated == b.unrelated));
        let moved = first.iter().filter(|policy| policy.moved).count();
        assert!((300..700).contains(&moved), "{moved}");
    }
}
