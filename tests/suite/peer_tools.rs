//! curl and openssl as independent peers: running them, the files they read, and openssl's
//! pins for certificate files, which no crypto provider takes part in. `peers.rs` compares
//! their verdicts with the verifier's on loopback servers, once per provider.
//!
//! openssl's SPKI pin (`openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
//! openssl dgst -sha256 -binary | base64`) and certificate fingerprint (`openssl x509
//! -fingerprint -sha256`) equal `Pin::spki_of` and `Pin::certificate_of`. A test whose tool
//! is missing prints why and returns; CI installs both (`.ci/run`).

use rustls_pinning_test_support as common;

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use common::{Ca, KeyKind, LeafOptions};
use rustls::pki_types::CertificateDer;
use rustls_pinning::Pin;

/// The name the peers' leaves are issued for.
pub(crate) const HOST: &str = "peers.test";

/// How long one tool may run before the test gives up on it.
const TOOL_TIMEOUT: Duration = Duration::from_secs(20);

pub(crate) const KEY_KINDS: [KeyKind; 3] = [KeyKind::EcdsaP256, KeyKind::Rsa2048, KeyKind::Ed25519];

// ---------------------------------------------------------------------------------------------
// Tools and files
// ---------------------------------------------------------------------------------------------

/// Whether `tool` can be run; prints why a test is skipped when it cannot.
pub(crate) fn available(tool: &str, version_args: &[&str]) -> bool {
    match Command::new(tool).args(version_args).output() {
        Ok(output) if output.status.success() => true,
        Ok(output) => panic!("`{tool} {}` failed: {output:?}", version_args.join(" ")),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            println!("skipping: {tool} is not installed ({error})");
            false
        }
        Err(error) => panic!("running {tool}: {error}"),
    }
}

/// Runs `command` with no input, within [`TOOL_TIMEOUT`].
pub(crate) fn run(command: &mut Command) -> Output {
    let shown = format!("{command:?}");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("starting {shown}: {error}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped")));
    let deadline = Instant::now() + TOOL_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for a tool") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{shown} did not finish within {TOOL_TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// A directory of its own under cargo's temporary directory for tests, removed on drop.
pub(crate) struct Scratch(PathBuf);

impl Scratch {
    pub(crate) fn new(label: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "peers-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        Scratch(path)
    }

    /// Writes `certificate` as PEM into `name` and returns the path.
    pub(crate) fn pem(&self, name: &str, certificate: &CertificateDer<'_>) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, pem(certificate)).unwrap();
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn pem(certificate: &CertificateDer<'_>) -> String {
    let body = STANDARD.encode(certificate.as_ref());
    let lines = body
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    format!("-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n")
}

/// openssl's SPKI pin of a PEM certificate file, as `sha256/<base64>`.
pub(crate) fn openssl_spki_pin(certificate: &Path) -> String {
    let pipeline = "openssl x509 -in \"$1\" -pubkey -noout \
                    | openssl pkey -pubin -outform der \
                    | openssl dgst -sha256 -binary \
                    | base64";
    let output = run(Command::new("sh")
        .args(["-c", pipeline, "sh"])
        .arg(certificate));
    assert!(output.status.success(), "{output:?}");
    format!(
        "sha256/{}",
        String::from_utf8(output.stdout).unwrap().trim()
    )
}

/// `openssl x509 -noout -fingerprint -sha256` of a PEM certificate file.
pub(crate) fn openssl_fingerprint(certificate: &Path) -> String {
    let output = run(Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(certificate));
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

// ---------------------------------------------------------------------------------------------
// openssl
// ---------------------------------------------------------------------------------------------

#[test]
fn openssl_computes_the_same_pins_for_the_same_files() {
    if !available("openssl", &["version"]) {
        return;
    }
    for kind in KEY_KINDS {
        let root = Ca::root_with("Peers Root", kind);
        let int = root.intermediate("Peers Intermediate");
        let leaf = int.leaf_with(LeafOptions::new(&[HOST]).key(kind));
        let scratch = Scratch::new("files");
        for (what, certificate) in [
            ("root", root.cert_der()),
            ("intermediate", int.cert_der()),
            ("leaf", &leaf.cert),
        ] {
            let path = scratch.pem(&format!("{what}.pem"), certificate);
            let label = format!("{kind:?} {what}");
            assert_eq!(
                openssl_spki_pin(&path),
                Pin::spki_of(certificate).unwrap().to_string(),
                "[{label}] SPKI pin"
            );
            let fingerprint = openssl_fingerprint(&path);
            assert_eq!(
                fingerprint.parse::<Pin>(),
                Ok(Pin::certificate_of(certificate)),
                "[{label}] {fingerprint}"
            );
        }
    }
}
