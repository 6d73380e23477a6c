//! `pinctl`, run as a separate process the way people and CI run it: every input format,
//! malformed inputs (a clear error naming the file and the place in it, exit code 2, never a
//! panic) and live chains from a TLS server on loopback.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::thread;
use std::time::Duration;

use crate::cli::*;
use crate::common::{self, Ca, KeyKind, LeafOptions, TestServer};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls_pinning::Pin;
use serde_json::Value;

fn bundle_path() -> String {
    format!(
        "{}/../tests/fixtures/openssl-bundle/bundle.pem",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// `(name, spki pin, certificate pin)` for each line of `openssl-pins.tsv`, as pinctl prints
/// pins.
fn openssl_pins() -> Vec<(String, String, String)> {
    let path = format!(
        "{}/../tests/fixtures/openssl-bundle/openssl-pins.tsv",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let fingerprint: Pin = fields[2].parse().expect("openssl fingerprint");
            (
                fields[0].to_owned(),
                format!("sha256/{}", fields[1]),
                fingerprint.to_string(),
            )
        })
        .collect()
}

/// The key type pinctl should report for a certificate named by `make.sh`.
fn key_type_of(name: &str) -> Value {
    let kinds = [
        (
            "rsa-2048",
            serde_json::json!({"algorithm": "RSA", "bits": 2048}),
        ),
        (
            "rsa-3072",
            serde_json::json!({"algorithm": "RSA", "bits": 3072}),
        ),
        (
            "rsa-4096",
            serde_json::json!({"algorithm": "RSA", "bits": 4096}),
        ),
        (
            "ec-p256",
            serde_json::json!({"algorithm": "EC", "curve": "P-256"}),
        ),
        (
            "ec-p384",
            serde_json::json!({"algorithm": "EC", "curve": "P-384"}),
        ),
        (
            "ec-p521",
            serde_json::json!({"algorithm": "EC", "curve": "P-521"}),
        ),
        ("ed25519", serde_json::json!({"algorithm": "Ed25519"})),
        ("ed448", serde_json::json!({"algorithm": "Ed448"})),
    ];
    // The first kind named wins: "leaf-rsa-3072-under-ed25519" is an RSA 3072 key.
    kinds
        .into_iter()
        .filter_map(|(kind, key)| name.find(kind).map(|at| (at, key)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, key)| key)
        .unwrap_or_else(|| panic!("no key type in {name}"))
}

// ---------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------

#[test]
fn json_pins_of_the_openssl_bundle_equal_openssl() {
    let bundle = bundle_path();
    let run = pinctl(&["pins", "--json", &bundle]);
    assert_eq!(run.code, OK, "{}", run.stderr);
    let report = run.json();
    let chains = report["chains"].as_array().unwrap();
    assert_eq!(chains.len(), 1);
    assert_eq!(chains[0]["source"], bundle.as_str());
    assert_eq!(chains[0]["format"], "pem");
    let certificates = chains[0]["certificates"].as_array().unwrap();
    let expected = openssl_pins();
    assert!(expected.len() >= 20);
    assert_eq!(certificates.len(), expected.len());
    for (index, (printed, (name, spki, certificate))) in
        certificates.iter().zip(&expected).enumerate()
    {
        assert_eq!(printed["index"], index, "{name}");
        assert_eq!(printed["spki_pin"], spki.as_str(), "{name}");
        assert_eq!(printed["certificate_pin"], certificate.as_str(), "{name}");
        assert_eq!(printed["key"], key_type_of(name), "{name}");
        assert_eq!(
            printed["self_issued"],
            name.starts_with("self-signed-") || name.starts_with("root-"),
            "{name}"
        );
        assert!(
            printed["subject"]
                .as_str()
                .unwrap()
                .starts_with(&format!("CN={name}.fixture.test, O=")),
            "{name}: {}",
            printed["subject"]
        );
        for time in ["not_before", "not_after"] {
            let text = printed[time].as_str().unwrap();
            assert!(
                text.len() == 20 && text.ends_with('Z') && &text[10..11] == "T",
                "{name}: {time} {text} is not RFC 3339 UTC"
            );
        }
    }
    let location = certificates[1]["location"].as_str().unwrap();
    assert!(location.starts_with("PEM block 2 (line "), "{location}");
}

#[test]
fn human_output_lists_each_certificate_with_both_pins() {
    let run = pinctl(&["pins", &bundle_path()]);
    assert_eq!(run.code, OK, "{}", run.stderr);
    assert!(
        run.stdout.contains("bundle.pem: 21 certificates (PEM)"),
        "{}",
        run.stdout
    );
    for (name, spki, certificate) in openssl_pins() {
        assert!(
            run.stdout.contains(&format!("SPKI pin    {spki}\n")),
            "{name}"
        );
        assert!(
            run.stdout.contains(&format!("cert pin    {certificate}\n")),
            "{name}"
        );
        assert!(
            run.stdout.contains(&format!("CN={name}.fixture.test")),
            "{name}"
        );
    }
    for key in [
        "RSA 2048", "RSA 4096", "EC P-384", "EC P-521", "Ed25519", "Ed448",
    ] {
        assert!(
            run.stdout.contains(&format!("key         {key}\n")),
            "{key}"
        );
    }
}

#[test]
fn der_pem_stdin_and_several_files() {
    let dir = scratch_dir("formats");
    let ca = Ca::root_with("Formats Root", KeyKind::Rsa2048);
    let leaf = ca.leaf_with(LeafOptions::new(&["formats.test"]).key(KeyKind::Ed25519));
    let der = write(&dir, "leaf.der", leaf.cert.as_ref());
    let one = write(&dir, "leaf.pem", pem(&[&leaf.cert]).as_bytes());
    // A certificate with its key and some openssl text around, as `cat cert.pem key.pem` makes.
    let mixed = format!(
        "Certificate:\n    Data: ...\n{}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n{}",
        pem(&[&leaf.cert]),
        pem(&[ca.cert_der()])
    );
    let begin_lines: Vec<usize> = mixed
        .lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with("-----BEGIN"))
        .map(|(index, _)| index + 1)
        .collect();
    assert_eq!(begin_lines[0], 3);
    let mixed = write(&dir, "mixed.pem", mixed.as_bytes());
    let leaf_spki = spki_pin(leaf.spki_der());
    let leaf_certificate = Pin::certificate_of(&leaf.cert).to_string();
    let root_spki = spki_pin(ca.spki_der());

    let run = pinctl(&["--json", "pins", &der, &one, &mixed]);
    assert_eq!(run.code, OK, "{}", run.stderr);
    let report = run.json();
    let chains = report["chains"].as_array().unwrap();
    assert_eq!(chains.len(), 3);
    assert_eq!(chains[0]["format"], "der");
    assert_eq!(chains[0]["certificates"][0]["location"], "byte 0");
    assert_eq!(chains[1]["format"], "pem");
    for chain in &chains[..2] {
        let certificates = chain["certificates"].as_array().unwrap();
        assert_eq!(certificates.len(), 1);
        assert_eq!(certificates[0]["spki_pin"], leaf_spki.as_str());
        assert_eq!(
            certificates[0]["certificate_pin"],
            leaf_certificate.as_str()
        );
        assert_eq!(certificates[0]["key"]["algorithm"], "Ed25519");
        assert_eq!(certificates[0]["self_issued"], false);
    }
    let mixed = chains[2]["certificates"].as_array().unwrap();
    assert_eq!(mixed.len(), 2);
    assert_eq!(mixed[0]["location"], "PEM block 1 (line 3)");
    assert_eq!(
        mixed[1]["location"],
        format!("PEM block 3 (line {})", begin_lines[2])
    );
    assert_eq!(mixed[1]["spki_pin"], root_spki.as_str());
    assert_eq!(
        mixed[1]["key"],
        serde_json::json!({"algorithm": "RSA", "bits": 2048})
    );
    assert_eq!(
        chains[2]["skipped"],
        serde_json::json!([{
            "label": "PRIVATE KEY",
            "location": format!("PEM block 2 (line {})", begin_lines[1])
        }])
    );

    for stdin in [leaf.cert.as_ref(), pem(&[&leaf.cert]).as_bytes()] {
        let run = pinctl_with_stdin(&["pins", "--json", "-"], stdin);
        assert_eq!(run.code, OK, "{}", run.stderr);
        let report = run.json();
        assert_eq!(report["chains"][0]["source"], "<stdin>");
        assert_eq!(
            report["chains"][0]["certificates"][0]["spki_pin"],
            leaf_spki.as_str()
        );
    }
    let run = pinctl_with_stdin(&["pins", "-"], pem(&[&leaf.cert]).as_bytes());
    assert_eq!(run.code, OK, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("<stdin>: 1 certificate (PEM)\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&leaf_spki));
}

// ---------------------------------------------------------------------------------------
// Malformed input
// ---------------------------------------------------------------------------------------

#[test]
fn malformed_files_name_the_file_and_the_place() {
    let dir = scratch_dir("malformed");
    let bundle = std::fs::read_to_string(bundle_path()).unwrap();
    let certificate = CertificateDer::from_pem_file(bundle_path()).unwrap();
    let der = certificate.as_ref();
    let third_begin = bundle
        .lines()
        .enumerate()
        .filter(|(_, line)| line.starts_with("-----BEGIN"))
        .nth(2)
        .map(|(index, _)| index + 1)
        .unwrap();
    // Cut in the middle of the third certificate.
    let truncated: String = bundle
        .lines()
        .take(third_begin + 3)
        .map(|l| format!("{l}\n"))
        .collect();
    let mut bad_line = bundle.lines().map(|l| format!("{l}\n")).collect::<Vec<_>>();
    bad_line[third_begin + 1] = String::from("this is not base64!\n");
    let bad_line: String = bad_line.concat();
    let mut trailing = der.to_vec();
    trailing.extend_from_slice(b"\0\0\0");

    let cases: Vec<(&str, Vec<u8>, Vec<String>)> = vec![
        ("empty.pem", Vec::new(), vec!["empty".into()]),
        (
            "garbage.bin",
            b"GET / HTTP/1.1\r\n".to_vec(),
            vec!["byte 0".into(), "neither PEM nor DER".into()],
        ),
        (
            "truncated.pem",
            truncated.into_bytes(),
            vec![
                format!("PEM block 3 (line {third_begin})"),
                "no \"-----END CERTIFICATE-----\" line".into(),
            ],
        ),
        (
            "bad-line.pem",
            bad_line.into_bytes(),
            vec![
                format!("PEM block 3 (line {third_begin})"),
                format!("line {} is not base64", third_begin + 2),
            ],
        ),
        (
            "not-a-certificate.pem",
            b"-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n".to_vec(),
            vec![
                "PEM block 1 (line 1)".into(),
                "not an X.509 certificate".into(),
            ],
        ),
        (
            "key-only.pem",
            b"-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n".to_vec(),
            vec!["no CERTIFICATE PEM block (found only: PRIVATE KEY)".into()],
        ),
        (
            "truncated.der",
            der[..der.len() / 2].to_vec(),
            vec!["byte 0".into(), "truncated".into()],
        ),
        (
            "trailing.der",
            trailing,
            vec![
                format!("byte {}", der.len()),
                "3 bytes after the end".into(),
            ],
        ),
        (
            "garbage.der",
            vec![0x30, 0x03, 0x02, 0x01, 0x00],
            vec!["byte 0".into(), "not an X.509 certificate".into()],
        ),
    ];
    for (name, contents, parts) in &cases {
        let path = write(&dir, name, contents);
        let run = pinctl(&["pins", &path]);
        let mut expected: Vec<&str> = vec![&path];
        expected.extend(parts.iter().map(String::as_str));
        run.assert_input_error(&expected);
    }

    // A good file before a bad one: still an error, and no partial output.
    let good = write(&dir, "good.pem", pem(&[&certificate]).as_bytes());
    let empty = dir.join("empty.pem");
    let run = pinctl(&["pins", &good, empty.to_str().unwrap()]);
    run.assert_input_error(&["empty.pem", "empty"]);

    let missing = dir.join("missing.pem");
    let run = pinctl(&["pins", missing.to_str().unwrap()]);
    run.assert_input_error(&["missing.pem", "cannot read"]);

    let run = pinctl_with_stdin(&["pins", "-"], b"");
    run.assert_input_error(&["<stdin>", "empty"]);
}

#[test]
fn json_errors_are_json_on_stderr() {
    let run = pinctl(&["pins", "--json", "/nonexistent/cert.pem"]);
    assert_eq!(run.code, USAGE_OR_INPUT_ERROR);
    assert_eq!(run.stdout, "");
    let error: Value = serde_json::from_str(&run.stderr).unwrap();
    assert_eq!(error["exit_code"], USAGE_OR_INPUT_ERROR);
    assert!(error["error"]
        .as_str()
        .unwrap()
        .starts_with("/nonexistent/cert.pem: cannot read"));
}

#[test]
fn usage_errors_exit_with_2_and_help_lists_the_exit_codes() {
    for args in [
        &["pins"][..],
        &["pins", "--cafile", "roots.pem", "cert.pem"],
        &["pins", "--connect", "127.0.0.1:1", "cert.pem"],
        &["pins", "--connect", "host:0"],
        &["pins", "--connect", "127.0.0.1", "--timeout", "0"],
        &["frobnicate"],
    ] {
        let run = pinctl(args);
        assert_eq!(run.code, USAGE_OR_INPUT_ERROR, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    for args in [&["--help"][..], &["pins", "--help"]] {
        let run = pinctl(args);
        assert_eq!(run.code, OK);
        assert!(
            run.stdout.contains("Exit codes:\n  0  success; "),
            "{}",
            run.stdout
        );
        assert!(
            run.stdout.contains("\n  2  usage or input error"),
            "{}",
            run.stdout
        );
    }
}

// ---------------------------------------------------------------------------------------
// Live servers
// ---------------------------------------------------------------------------------------

/// A root, an intermediate and a leaf for `localhost` and 127.0.0.1, served on loopback.
pub(crate) struct Served {
    pub(crate) dir: PathBuf,
    pub(crate) root: Ca,
    pub(crate) intermediate: Ca,
    pub(crate) leaf: common::Leaf,
    pub(crate) server: TestServer,
}

pub(crate) fn serve(
    test: &str,
    provider: std::sync::Arc<rustls::crypto::CryptoProvider>,
) -> Served {
    let root = Ca::root_with("pinctl Root", KeyKind::Rsa2048);
    let intermediate = root.intermediate("pinctl Intermediate");
    let leaf =
        intermediate.leaf_with(LeafOptions::new(&["localhost"]).ip(std::net::Ipv4Addr::LOCALHOST));
    let server = TestServer::with_chain(leaf.chain(&[&intermediate]), leaf.private_key(), provider);
    Served {
        dir: scratch_dir(test),
        root,
        intermediate,
        leaf,
        server,
    }
}

impl Served {
    pub(crate) fn address(&self) -> String {
        self.server.addr.to_string()
    }

    /// The pins pinctl must print for the served chain, leaf first.
    pub(crate) fn expected_pins(&self) -> Vec<(String, String)> {
        vec![
            (
                spki_pin(self.leaf.spki_der()),
                Pin::certificate_of(&self.leaf.cert).to_string(),
            ),
            (
                spki_pin(self.intermediate.spki_der()),
                Pin::certificate_of(self.intermediate.cert_der()).to_string(),
            ),
        ]
    }

    pub(crate) fn assert_chain(&self, report: &Value) {
        let chain = &report["chains"][0];
        assert_eq!(chain["source"], self.address());
        assert_eq!(chain["server"]["address"], self.address());
        let printed: Vec<(String, String)> = chain["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["spki_pin"].as_str().unwrap().to_owned(),
                    c["certificate_pin"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(printed, self.expected_pins());
        assert_eq!(
            chain["certificates"][0]["subject"],
            "CN=localhost, O=rustls-pinning test PKI"
        );
        assert_eq!(
            chain["certificates"][1]["subject"],
            "CN=pinctl Intermediate, O=rustls-pinning test PKI"
        );
    }
}

#[test]
fn unreachable_and_non_tls_servers_are_input_errors() {
    // A port nobody listens on: bind one, then free it.
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    };
    let run = pinctl(&["pins", "--connect", &closed, "--timeout", "5"]);
    run.assert_input_error(&[&closed, "cannot connect"]);

    // A server that answers the ClientHello with plain text.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let plain = thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        let _ = socket.read(&mut [0; 1024]);
    });
    let run = pinctl(&["pins", "--connect", &address, "--timeout", "5"]);
    run.assert_input_error(&[
        &address,
        "the TLS handshake failed before the server presented a certificate",
    ]);
    plain.join().unwrap();

    // A server that accepts and says nothing: the timeout ends it.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let silent = thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let _ = socket.read(&mut [0; 4096]);
        thread::sleep(Duration::from_secs(2));
    });
    let started = std::time::Instant::now();
    let run = pinctl(&["pins", "--connect", &address, "--timeout", "1"]);
    run.assert_input_error(&[
        &address,
        "the 1 s deadline passed while waiting for the server's",
    ]);
    assert!(started.elapsed() < Duration::from_secs(5));
    silent.join().unwrap();
}

// ---------------------------------------------------------------------------------------
// --timeout is a deadline
// ---------------------------------------------------------------------------------------

/// How [`slow_proxy`] passes the server's bytes on to the client.
#[derive(Clone, Copy, Debug)]
enum Pace {
    /// One byte at a time, `gap` apart: a server that keeps the connection busy forever.
    Trickle { gap: Duration },
    /// The first `first` bytes once `first_at` has passed since the connection was accepted,
    /// everything else once `rest_at` has: a handshake that keeps making progress and
    /// completes late.
    HoldBack {
        first: usize,
        first_at: Duration,
        rest_at: Duration,
    },
}

/// A TCP proxy on loopback in front of a real TLS server: the client's bytes go to the server
/// at once, the server's come back at `pace`. Its threads end when the client goes away.
fn slow_proxy(server: std::net::SocketAddr, pace: Pace) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { return };
            thread::spawn(move || {
                let accepted = std::time::Instant::now();
                let Ok(mut upstream) = std::net::TcpStream::connect(server) else {
                    return;
                };
                let (mut from_client, mut to_server) =
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                thread::spawn(move || std::io::copy(&mut from_client, &mut to_server));
                let sleep_until = |at: Duration| {
                    if let Some(left) = at.checked_sub(accepted.elapsed()) {
                        thread::sleep(left);
                    }
                };
                let mut sent = 0;
                let mut buffer = [0; 4096];
                loop {
                    let read = match upstream.read(&mut buffer) {
                        Ok(0) | Err(_) => return,
                        Ok(read) => read,
                    };
                    for &byte in &buffer[..read] {
                        match pace {
                            Pace::Trickle { gap } => thread::sleep(gap),
                            Pace::HoldBack {
                                first,
                                first_at,
                                rest_at,
                            } => sleep_until(if sent < first { first_at } else { rest_at }),
                        }
                        if client.write_all(&[byte]).is_err() {
                            return;
                        }
                        sent += 1;
                    }
                }
            });
        }
    });
    address
}

/// The time a deadline may be overrun by on a busy machine: process start, scheduling.
const MARGIN: Duration = Duration::from_secs(5);

/// Asserts that `run` is the deadline error for `address`.
fn assert_deadline_passed(run: &Run, address: &str, seconds: u64) {
    run.assert_input_error(&[
        &format!("{address}: "),
        &format!("the {seconds} s deadline passed"),
    ]);
}

#[test]
fn timeout_is_a_deadline_for_a_server_that_trickles_one_byte_at_a_time() {
    let provider = rustls_pinning::default_crypto_provider();
    let served = serve("trickle", provider);
    let address = slow_proxy(
        served.server.addr,
        Pace::Trickle {
            gap: Duration::from_millis(50),
        },
    );
    // Every subcommand that connects: each one keeps the deadline.
    let config = write(
        &served.dir,
        "pins.toml",
        format!(
            "version = 1\n[[entry]]\npattern = \"127.0.0.1\"\npins = [\"{}\", \"{}\"]\n",
            served.expected_pins()[0].0,
            served.expected_pins()[1].0
        )
        .as_bytes(),
    );
    let commands: [&[&str]; 4] = [
        &["pins", "--connect", &address],
        &["check", "--config", &config, "--connect", &address],
        &["lint", "--config", &config, "--connect", &address],
        &["expiry", "--connect", &address],
    ];
    for command in commands {
        let mut args = command.to_vec();
        args.extend(["--timeout", "2"]);
        let (run, elapsed) = pinctl_within(&args, Duration::from_secs(60));
        assert_deadline_passed(&run, &address, 2);
        assert!(
            elapsed < Duration::from_secs(2) + MARGIN,
            "{command:?}: {elapsed:?}"
        );
    }
}

#[test]
fn timeout_is_a_deadline_for_a_handshake_that_completes_just_after_it() {
    let provider = rustls_pinning::default_crypto_provider();
    let served = serve("late", provider);
    // A record header well before the deadline, the rest half a second after it: a read
    // timeout set once lets the handshake finish late.
    let address = slow_proxy(
        served.server.addr,
        Pace::HoldBack {
            first: 5,
            first_at: Duration::from_millis(1200),
            rest_at: Duration::from_millis(2500),
        },
    );
    let (run, elapsed) = pinctl_within(
        &["pins", "--connect", &address, "--timeout", "2"],
        Duration::from_secs(60),
    );
    assert_deadline_passed(&run, &address, 2);
    assert!(elapsed < Duration::from_secs(2) + MARGIN, "{elapsed:?}");

    // The same server with a deadline it can keep.
    let (run, _) = pinctl_within(
        &["pins", "--json", "--connect", &address, "--timeout", "10"],
        Duration::from_secs(60),
    );
    run.assert_code(OK);
    let report = run.json();
    let printed: Vec<String> = report["chains"][0]["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["spki_pin"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<String> = served
        .expected_pins()
        .into_iter()
        .map(|(spki, _)| spki)
        .collect();
    assert_eq!(printed, expected, "{report}");
}

#[test]
fn timeout_counts_for_each_server_on_its_own() {
    let provider = rustls_pinning::default_crypto_provider();
    let served = serve("per-target", provider);
    // Two servers that each answer after 60% of the timeout: together they take longer than
    // one timeout, each within its own.
    let pace = Pace::HoldBack {
        first: 0,
        first_at: Duration::ZERO,
        rest_at: Duration::from_millis(1800),
    };
    let (first, second) = (
        slow_proxy(served.server.addr, pace),
        slow_proxy(served.server.addr, pace),
    );
    let (run, elapsed) = pinctl_within(
        &[
            "--json",
            "expiry",
            "--connect",
            &first,
            "--connect",
            &second,
            "--within",
            "1d",
            "--timeout",
            "3",
        ],
        Duration::from_secs(60),
    );
    run.assert_code(OK);
    let report = run.json();
    let sources: Vec<&str> = report["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["source"].as_str())
        .collect();
    assert!(sources.contains(&first.as_str()), "{report}");
    assert!(sources.contains(&second.as_str()), "{report}");
    assert!(elapsed < Duration::from_secs(2 * 3) + MARGIN, "{elapsed:?}");
}
