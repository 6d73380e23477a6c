//! Running `pinctl` as a separate process, the way people and CI run it, and scratch files
//! for its inputs.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rustls::pki_types::{CertificateDer, SubjectPublicKeyInfoDer};
use rustls_pinning::Pin;
use serde_json::Value;

/// `pinctl`'s exit codes.
pub const OK: i32 = 0;
pub const PROBLEM_FOUND: i32 = 1;
pub const USAGE_OR_INPUT_ERROR: i32 = 2;

/// What a run of `pinctl` left behind.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Standard output as JSON (for runs with `--json`).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// Asserts a clean input error: exit code 2, nothing on stdout, one `pinctl: error:` line
    /// containing every one of `parts`, and no panic.
    pub fn assert_input_error(&self, parts: &[&str]) {
        self.assert_error(USAGE_OR_INPUT_ERROR, parts);
    }

    /// Asserts an error reported with `code`: nothing on stdout, one `pinctl: error:` line
    /// containing every one of `parts`, and no panic.
    pub fn assert_error(&self, code: i32, parts: &[&str]) {
        assert_eq!(self.code, code, "stderr: {}", self.stderr);
        assert_eq!(self.stdout, "", "nothing on stdout after an error");
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        assert!(
            self.stderr.starts_with("pinctl: error: "),
            "{}",
            self.stderr
        );
        assert_eq!(self.stderr.lines().count(), 1, "{}", self.stderr);
        for part in parts {
            assert!(
                self.stderr.contains(part),
                "{part:?} not in {}",
                self.stderr
            );
        }
    }

    /// Asserts the exit code, showing both outputs when it differs.
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }
}

/// Runs `pinctl` with `args` and an empty standard input.
pub fn pinctl(args: &[&str]) -> Run {
    pinctl_with_stdin(args, b"")
}

/// Runs `pinctl` with `args`, writing `stdin` to its standard input.
pub fn pinctl_with_stdin(args: &[&str], stdin: &[u8]) -> Run {
    pinctl_in(None, args, stdin)
}

/// Runs `pinctl` in the directory `dir` (or the current one).
pub fn pinctl_in(dir: Option<&Path>, args: &[&str], stdin: &[u8]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pinctl"));
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running pinctl");
    let mut input = child.stdin.take().expect("stdin is piped");
    let stdin = stdin.to_vec();
    // A separate thread, so a large input cannot dead-lock against unread output.
    let writer = thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().expect("waiting for pinctl");
    writer.join().expect("stdin writer");
    Run {
        code: output.status.code().expect("pinctl exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
    }
}

/// Runs `pinctl` with `args`, killing it if it has not exited within `limit`: for tests of
/// deadlines, which must fail rather than hang when a deadline is not kept. Returns what it
/// left behind and how long it ran.
pub fn pinctl_within(args: &[&str], limit: Duration) -> (Run, Duration) {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pinctl"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running pinctl");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("stdout is piped")));
    let stderr = drain(Box::new(child.stderr.take().expect("stderr is piped")));
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for pinctl") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "pinctl {args:?} still running after {limit:?}: killed (stderr so far: {})",
                stderr.join().unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let run = Run {
        code: status.code().expect("pinctl exited, not killed"),
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    };
    (run, elapsed)
}

/// A directory of its own for each test, under cargo's per-target scratch directory.
pub fn scratch_dir(test: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "pinctl-{test}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("creating a scratch directory");
    dir
}

/// Writes `contents` to `dir/name` and returns the path as a string.
pub fn write(dir: &Path, name: &str, contents: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("writing a scratch file");
    path.to_str().expect("UTF-8 path").to_owned()
}

/// Certificates as PEM, one block each, in order.
pub fn pem(certificates: &[&CertificateDer<'_>]) -> String {
    let mut out = String::new();
    for certificate in certificates {
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        let encoded = STANDARD.encode(certificate.as_ref());
        for line in encoded.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out
}

/// One `[[entry]]` of a TOML policy for `pattern`: these primary and backup pins (each a pin
/// text, or an inline table such as `{ pin = "...", scope = "root" }`, written as given; no
/// `backup_pins` line without backup pins), then the `extra` lines.
pub fn entry(pattern: &str, pins: &[&str], backup: &[&str], extra: &str) -> String {
    let list = |pins: &[&str]| {
        pins.iter()
            .map(|pin| match pin.starts_with('{') {
                true => (*pin).to_owned(),
                false => format!("\"{pin}\""),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = format!(
        "[[entry]]\npattern = \"{pattern}\"\npins = [{}]\n",
        list(pins)
    );
    if !backup.is_empty() {
        text.push_str(&format!("backup_pins = [{}]\n", list(backup)));
    }
    text.push_str(extra);
    text.push('\n');
    text
}

/// The canonical SPKI pin of a DER SubjectPublicKeyInfo.
pub fn spki_pin(spki: Vec<u8>) -> String {
    Pin::from_spki(&SubjectPublicKeyInfoDer::from(spki)).to_string()
}
