//! `pinctl`'s exit codes and error format, for every subcommand: each way a command exits
//! with 1 (it ran and found a problem) or 2 (it could not run), and that what it prints names
//! the file or the server it is about.
//!
//! The contract (also in `--help`): exit code 0 when nothing was found to complain about; 1
//! when the command found a problem, reported on standard output (or, for what a target
//! format cannot express, as an error); 2 on a usage or input error. An error is one line on
//! standard error, `pinctl: error: WHAT: REASON`, WHAT being the file (with its line, when
//! known), the server or the option concerned; with `--json` it is
//! `{"error": "WHAT: REASON", "exit_code": N}`.

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::thread;

use crate::cli::*;
use crate::common::{Ca, KeyKind, LeafOptions, TestServer};
use rustls_pinning::Pin;

const HOST: &str = "api.example.test";
const SPARE: &str = "sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=";

/// Where the message saying what the problem is about must appear.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shown {
    /// The command's report, on standard output.
    Report,
    /// An error: one `pinctl: error:` line on standard error, nothing on standard output.
    Error,
    /// A usage error, reported by the argument parser: `error: ...` naming the argument, on
    /// standard error (in text also with `--json`).
    Usage,
}

/// One way a command ends: its arguments, its exit code, where it says so, and what the
/// message must contain (the file or server it is about, and the problem).
struct Case {
    name: &'static str,
    args: Vec<String>,
    code: i32,
    shown: Shown,
    parts: Vec<String>,
}

fn case(name: &'static str, args: &[&str], code: i32, shown: Shown, parts: &[&str]) -> Case {
    Case {
        name,
        args: args.iter().map(|arg| (*arg).to_owned()).collect(),
        code,
        shown,
        parts: parts.iter().map(|part| (*part).to_owned()).collect(),
    }
}

/// Runs every case, in text and in JSON, and checks the code and the message.
fn run_all(cases: &[Case]) {
    for case in cases {
        let args: Vec<&str> = case.args.iter().map(String::as_str).collect();
        let run = pinctl(&args);
        let context = format!("{} ({:?})", case.name, case.args);
        assert_eq!(
            run.code, case.code,
            "{context}\nstdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
        let parts: Vec<&str> = case.parts.iter().map(String::as_str).collect();
        match case.shown {
            Shown::Error => run.assert_error(case.code, &parts),
            Shown::Usage => {
                assert_eq!(case.code, USAGE_OR_INPUT_ERROR, "{context}");
                assert_eq!(run.stdout, "", "{context}");
                assert!(
                    run.stderr.starts_with("error: "),
                    "{context}: {}",
                    run.stderr
                );
                for part in &parts {
                    assert!(
                        run.stderr.contains(part),
                        "{context}: {part:?} not in {}",
                        run.stderr
                    );
                }
            }
            Shown::Report => {
                assert!(
                    !run.stderr.contains("panicked"),
                    "{context}: {}",
                    run.stderr
                );
                for part in &parts {
                    assert!(
                        run.stdout.contains(part),
                        "{context}: {part:?} not in\n{}",
                        run.stdout
                    );
                }
            }
        }

        // The same with --json: the same code; an error is one JSON object on stderr.
        let mut json_args = vec!["--json"];
        json_args.extend(&args);
        let run = pinctl(&json_args);
        assert_eq!(run.code, case.code, "{context} --json: {}", run.stderr);
        match case.shown {
            Shown::Error => {
                assert_eq!(run.stdout, "", "{context} --json");
                let error: serde_json::Value = serde_json::from_str(run.stderr.trim())
                    .unwrap_or_else(|e| panic!("{context} --json: {e}: {}", run.stderr));
                assert_eq!(error["exit_code"], case.code, "{context} --json");
                let message = error["error"].as_str().unwrap();
                for part in &parts {
                    assert!(
                        message.contains(part),
                        "{context} --json: {part:?} not in {message}"
                    );
                }
            }
            Shown::Report => {
                run.json();
            }
            Shown::Usage => assert!(run.stderr.starts_with("error: "), "{context}"),
        }
    }
}

/// A test PKI, its files, a server presenting its chain, and servers that fail.
struct Fixture {
    dir: PathBuf,
    /// `roots.pem`, `chain.pem` (leaf and intermediate), `other-roots.pem`, `garbage.pem`.
    roots: String,
    chain: String,
    other_roots: String,
    garbage: String,
    /// The leaf's SPKI pin.
    leaf_pin: String,
    /// A server presenting `chain.pem`.
    server: TestServer,
    /// A port nobody listens on.
    closed: String,
    /// A server that accepts and never answers.
    silent: String,
}

impl Fixture {
    fn new(test: &str) -> Self {
        let dir = scratch_dir(test);
        let root = Ca::root_with("Exit Root", KeyKind::Rsa2048);
        let intermediate = root.intermediate("Exit Issuing CA");
        let leaf =
            intermediate.leaf_with(LeafOptions::new(&[HOST]).ip(std::net::Ipv4Addr::LOCALHOST));
        let roots = write(&dir, "roots.pem", pem(&[root.cert_der()]).as_bytes());
        let chain = write(
            &dir,
            "chain.pem",
            pem(&[&leaf.cert, intermediate.cert_der()]).as_bytes(),
        );
        let stranger = Ca::root("Stranger Root");
        let other_roots = write(
            &dir,
            "other-roots.pem",
            pem(&[stranger.cert_der()]).as_bytes(),
        );
        let garbage = write(&dir, "garbage.pem", b"not a certificate");
        let provider = rustls_pinning::default_crypto_provider();
        let server =
            TestServer::with_chain(leaf.chain(&[&intermediate]), leaf.private_key(), provider);
        let closed = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().to_string()
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let silent = listener.local_addr().unwrap().to_string();
        thread::spawn(move || {
            for socket in listener.incoming() {
                let Ok(mut socket) = socket else { return };
                // Reads what comes, answers nothing, until the client goes away.
                thread::spawn(move || while let Ok(1..) = socket.read(&mut [0; 1024]) {});
            }
        });
        Self {
            dir,
            roots,
            chain,
            other_roots,
            garbage,
            leaf_pin: spki_pin(leaf.spki_der()),
            server,
            closed,
            silent,
        }
    }

    fn address(&self) -> String {
        self.server.addr.to_string()
    }

    fn file(&self, name: &str, contents: &str) -> String {
        write(&self.dir, name, contents.as_bytes())
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }

    /// A sound policy pinning the leaf's key for [`HOST`] and 127.0.0.1, with a spare.
    fn policy(&self, name: &str) -> String {
        self.file(
            name,
            &format!(
                "version = 1\n{}{}",
                entry(HOST, &[&self.leaf_pin], &[SPARE], ""),
                entry("127.0.0.1", &[&self.leaf_pin], &[SPARE], "")
            ),
        )
    }

    /// A policy larger than the library reads, from its size alone (a sparse file).
    fn oversized(&self, name: &str) -> String {
        let path = self.path(name);
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(rustls_pinning::config::MAX_POLICY_BYTES as u64 + 1)
            .unwrap();
        path
    }
}

/// The policy files every subcommand that reads one is tried with.
struct Policies {
    good: String,
    missing: String,
    malformed: String,
    unknown_format: String,
    pins_nothing: String,
    oversized: String,
}

impl Policies {
    fn new(fixture: &Fixture) -> Self {
        Self {
            good: fixture.policy("pins.toml"),
            missing: fixture.path("missing.toml"),
            malformed: fixture.file("malformed.toml", "version = 1\n[[entry]\n"),
            unknown_format: fixture.file("pins.yaml", "entry: []\n"),
            pins_nothing: fixture.file("nothing.toml", "# rendered by the deploy\n"),
            oversized: fixture.oversized("huge.toml"),
        }
    }

    /// The exit-2 cases of a policy given to `args` in place of `{}`.
    fn input_errors(&self, args: &[&str]) -> Vec<Case> {
        let with = |policy: &str| -> Vec<String> {
            args.iter()
                .map(|arg| match *arg {
                    "{}" => policy.to_owned(),
                    other => other.to_owned(),
                })
                .collect()
        };
        let case = |name, policy: &str, parts: Vec<String>| Case {
            name,
            args: with(policy),
            code: USAGE_OR_INPUT_ERROR,
            shown: Shown::Error,
            parts,
        };
        vec![
            case(
                "missing policy",
                &self.missing,
                vec![self.missing.clone(), String::from("No such file")],
            ),
            case(
                "malformed policy",
                &self.malformed,
                vec![format!("{}:2:", self.malformed)],
            ),
            case(
                "policy of unknown format",
                &self.unknown_format,
                vec![
                    self.unknown_format.clone(),
                    String::from("unknown policy format"),
                ],
            ),
            case(
                "oversized policy",
                &self.oversized,
                vec![
                    self.oversized.clone(),
                    String::from("bytes a policy file may have"),
                ],
            ),
        ]
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

// ---------------------------------------------------------------------------------------
// Subcommands that read certificates and connect
// ---------------------------------------------------------------------------------------

/// The exit-2 cases of a subcommand that connects: `args` then `--connect TARGET`.
fn connect_errors(fixture: &Fixture, args: &[&str]) -> Vec<Case> {
    let with = |target: &str, extra: &[&str]| {
        let mut all = strings(args);
        all.extend(strings(&["--connect", target]));
        all.extend(strings(extra));
        all
    };
    vec![
        Case {
            name: "unreachable server",
            args: with(&fixture.closed, &["--timeout", "5"]),
            code: USAGE_OR_INPUT_ERROR,
            shown: Shown::Error,
            parts: strings(&[&format!("{}: ", fixture.closed), "cannot connect"]),
        },
        Case {
            name: "server that never answers",
            args: with(&fixture.silent, &["--timeout", "1"]),
            code: USAGE_OR_INPUT_ERROR,
            shown: Shown::Error,
            parts: strings(&[&format!("{}: ", fixture.silent), "the 1 s deadline passed"]),
        },
    ]
}

#[test]
fn pins() {
    let fixture = Fixture::new("exit-pins");
    let address = fixture.address();
    let mut cases = vec![
        case(
            "invalid chain (--cafile)",
            &[
                "pins",
                "--connect",
                &address,
                "--cafile",
                &fixture.other_roots,
            ],
            PROBLEM_FOUND,
            Shown::Report,
            &[&address, &fixture.other_roots, "INVALID"],
        ),
        case(
            "bad argument",
            &["pins", "--connect", "host:0"],
            USAGE_OR_INPUT_ERROR,
            Shown::Usage,
            &["--connect", "host:0"],
        ),
        case(
            "missing file",
            &["pins", "/nonexistent/cert.pem"],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &["/nonexistent/cert.pem: cannot read"],
        ),
        case(
            "malformed file",
            &["pins", &fixture.garbage],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[
                &format!("{}: byte 0: ", fixture.garbage),
                "neither PEM nor DER",
            ],
        ),
        case(
            "malformed --cafile",
            &["pins", "--connect", &address, "--cafile", &fixture.garbage],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&fixture.garbage, "neither PEM nor DER"],
        ),
    ];
    cases.extend(connect_errors(&fixture, &["pins"]));
    run_all(&cases);
}

#[test]
fn check() {
    let fixture = Fixture::new("exit-check");
    let policies = Policies::new(&fixture);
    let other_pins = fixture.file(
        "other.toml",
        &format!(
            "version = 1\n{}",
            entry(
                HOST,
                &[SPARE],
                &[&Pin::spki_sha256([3; 32]).to_string()],
                ""
            )
        ),
    );
    let mut cases = vec![
        case(
            "chain the policy rejects",
            &[
                "check",
                "--config",
                &other_pins,
                "--chain",
                &fixture.chain,
                "--host",
                HOST,
                "--cafile",
                &fixture.roots,
            ],
            PROBLEM_FOUND,
            Shown::Report,
            &[
                &format!("{other_pins} for {HOST}"),
                &fixture.chain,
                "REJECTED",
            ],
        ),
        case(
            "chain that does not validate",
            &[
                "check",
                "--config",
                &policies.good,
                "--chain",
                &fixture.chain,
                "--host",
                HOST,
                "--cafile",
                &fixture.other_roots,
            ],
            PROBLEM_FOUND,
            Shown::Report,
            &[
                &format!("{} for {HOST}", policies.good),
                &fixture.other_roots,
                "REJECTED",
            ],
        ),
        case(
            "bad argument",
            &[
                "check",
                "--config",
                &policies.good,
                "--chain",
                &fixture.chain,
                "--host",
                HOST,
                "--at",
                "yesterday",
            ],
            USAGE_OR_INPUT_ERROR,
            Shown::Usage,
            &["--at", "yesterday"],
        ),
        case(
            "policy that pins nothing",
            &[
                "check",
                "--config",
                &policies.pins_nothing,
                "--chain",
                &fixture.chain,
                "--host",
                HOST,
            ],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&policies.pins_nothing, "the policy pins nothing"],
        ),
        case(
            "missing chain",
            &[
                "check",
                "--config",
                &policies.good,
                "--chain",
                "/nonexistent/chain.pem",
                "--host",
                HOST,
            ],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &["/nonexistent/chain.pem: cannot read"],
        ),
        case(
            "malformed chain",
            &[
                "check",
                "--config",
                &policies.good,
                "--chain",
                &fixture.garbage,
                "--host",
                HOST,
            ],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&fixture.garbage, "neither PEM nor DER"],
        ),
        case(
            "malformed --cafile",
            &[
                "check",
                "--config",
                &policies.good,
                "--chain",
                &fixture.chain,
                "--host",
                HOST,
                "--cafile",
                &fixture.garbage,
            ],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&fixture.garbage, "neither PEM nor DER"],
        ),
    ];
    cases.extend(policies.input_errors(&[
        "check",
        "--config",
        "{}",
        "--chain",
        &fixture.chain,
        "--host",
        HOST,
    ]));
    cases.extend(connect_errors(
        &fixture,
        &["check", "--config", &policies.good],
    ));
    run_all(&cases);
}

#[test]
fn lint() {
    let fixture = Fixture::new("exit-lint");
    let policies = Policies::new(&fixture);
    let lonely = fixture.file(
        "lonely.toml",
        &format!(
            "version = 1\n{}",
            entry(
                HOST,
                &[&fixture.leaf_pin],
                &[],
                "allow_missing_backup_pin = true"
            )
        ),
    );
    let mut cases = vec![
        case(
            "error finding",
            &["lint", "--config", &lonely],
            PROBLEM_FOUND,
            Shown::Report,
            &[&format!("{lonely}: 1 error"), "[single-pin]"],
        ),
        case(
            "policy that pins nothing",
            &["lint", "--config", &policies.pins_nothing],
            PROBLEM_FOUND,
            Shown::Report,
            &[
                &format!("{}: 1 error", policies.pins_nothing),
                "[pins-nothing]",
            ],
        ),
        case(
            "bad argument",
            &["lint", "--config", &policies.good, "--within", "30"],
            USAGE_OR_INPUT_ERROR,
            Shown::Usage,
            &["--within", "no unit"],
        ),
        case(
            "missing chain",
            &[
                "lint",
                "--config",
                &policies.good,
                "--chain",
                "/nonexistent/chain.pem",
            ],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &["/nonexistent/chain.pem: cannot read"],
        ),
        case(
            "malformed chain",
            &[
                "lint",
                "--config",
                &policies.good,
                "--chain",
                &fixture.garbage,
            ],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&fixture.garbage, "neither PEM nor DER"],
        ),
    ];
    cases.extend(policies.input_errors(&["lint", "--config", "{}"]));
    cases.extend(connect_errors(
        &fixture,
        &["lint", "--config", &policies.good],
    ));
    run_all(&cases);
}

#[test]
fn expiry() {
    let fixture = Fixture::new("exit-expiry");
    let policies = Policies::new(&fixture);
    let expired = fixture.file(
        "expired.toml",
        &format!(
            "version = 1\n{}",
            entry(
                HOST,
                &[&fixture.leaf_pin],
                &[SPARE],
                "expires = \"2020-01-01\""
            )
        ),
    );
    let mut cases = vec![
        case(
            "expired entry",
            &["expiry", "--config", &expired],
            PROBLEM_FOUND,
            Shown::Report,
            &[&format!("entry \"{HOST}\" of {expired}"), "EXPIRED"],
        ),
        case(
            "certificate expiring within the window",
            &["expiry", "--chain", &fixture.chain, "--within", "200d"],
            PROBLEM_FOUND,
            Shown::Report,
            &[&format!("of {}", fixture.chain), "EXPIRING"],
        ),
        case(
            "policy that pins nothing",
            &["expiry", "--config", &policies.pins_nothing],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&policies.pins_nothing, "the policy pins nothing"],
        ),
        case(
            "bad argument",
            &["expiry", "--chain", &fixture.chain, "--timeout", "0"],
            USAGE_OR_INPUT_ERROR,
            Shown::Usage,
            &["--timeout", "0"],
        ),
        case(
            "malformed chain",
            &["expiry", "--chain", &fixture.garbage],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&fixture.garbage, "neither PEM nor DER"],
        ),
    ];
    cases.extend(policies.input_errors(&["expiry", "--config", "{}"]));
    cases.extend(connect_errors(&fixture, &["expiry"]));
    run_all(&cases);
}

// ---------------------------------------------------------------------------------------
// convert
// ---------------------------------------------------------------------------------------

#[test]
fn convert() {
    let fixture = Fixture::new("exit-convert");
    let policies = Policies::new(&fixture);
    let certificate_pin = Pin::spki_sha256([7; 32])
        .to_string()
        .replace("sha256/", "cert-sha256/");
    let cert_pins = fixture.file(
        "cert-pins.toml",
        &format!(
            "version = 1\n{}",
            entry(HOST, &[&certificate_pin], &[SPARE], "")
        ),
    );
    let denied = fixture.file(
        "denied.toml",
        &format!(
            "version = 1\ndeny_everywhere = [\"{}\"]\n{}",
            Pin::spki_sha256([9; 32]),
            entry(HOST, &[&fixture.leaf_pin], &[SPARE], "")
        ),
    );
    let unwritable = fixture.path("no-such-directory/out.json");
    let cases = vec![
        case(
            "Android cannot express certificate pins",
            &["convert", &cert_pins, "--to", "android"],
            PROBLEM_FOUND,
            Shown::Error,
            &[&format!("{cert_pins}: "), "Android only has SPKI pins"],
        ),
        case(
            "HPKP cannot express deny pins",
            &["convert", &denied, "--to", "hpkp"],
            PROBLEM_FOUND,
            Shown::Error,
            &[&format!("{denied}: "), "HPKP has no deny pins"],
        ),
        case(
            "bad argument",
            &["convert", &policies.good, "--to", "yaml"],
            USAGE_OR_INPUT_ERROR,
            Shown::Usage,
            &["--to", "yaml"],
        ),
        case(
            "missing input",
            &["convert", &policies.missing, "--to", "json"],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&format!("{}: cannot read", policies.missing)],
        ),
        case(
            "malformed input",
            &["convert", &policies.malformed, "--to", "json"],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&format!("{}:2:", policies.malformed)],
        ),
        case(
            "input that pins nothing",
            &["convert", &policies.pins_nothing, "--to", "json"],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&policies.pins_nothing, "the policy pins nothing"],
        ),
        case(
            "oversized input",
            &["convert", &policies.oversized, "--to", "json"],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&policies.oversized, "bytes a policy file may have"],
        ),
        case(
            "input of unknown format",
            &["convert", &policies.unknown_format, "--to", "json"],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&policies.unknown_format, "give --from"],
        ),
        case(
            "output that cannot be written",
            &["convert", &policies.good, "-o", &unwritable],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&format!("{unwritable}: cannot write")],
        ),
    ];
    run_all(&cases);
}

// ---------------------------------------------------------------------------------------
// bundle
// ---------------------------------------------------------------------------------------

/// Generates a key pair `NAME.pem` / `NAME.pub.pem` with `pinctl bundle keygen`.
fn keygen(fixture: &Fixture, name: &str) {
    pinctl(&[
        "bundle",
        "keygen",
        "--algorithm",
        "ed25519",
        "--out",
        &fixture.path(&format!("{name}.pem")),
        "--public",
        &fixture.path(&format!("{name}.pub.pem")),
    ])
    .assert_code(OK);
}

/// Signs `policy` as `OUT` (and `OUT.sig`) with the key `key`.
fn sign(fixture: &Fixture, key: &str, policy: &str, out: &str, extra: &[&str]) -> String {
    let out = fixture.path(out);
    let mut args = vec![
        "bundle".to_owned(),
        "sign".to_owned(),
        "--key".to_owned(),
        fixture.path(&format!("{key}.pem")),
        "--policy".to_owned(),
        policy.to_owned(),
        "--version".to_owned(),
        "1".to_owned(),
        "-o".to_owned(),
        out.clone(),
    ];
    args.extend(strings(extra));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    pinctl(&args).assert_code(OK);
    out
}

#[test]
fn bundle_keygen() {
    let fixture = Fixture::new("exit-keygen");
    keygen(&fixture, "key");
    let existing = fixture.path("key.pem");
    let unwritable = fixture.path("no-such-directory/key.pem");
    run_all(&[
        case(
            "bad argument",
            &["bundle", "keygen", "--algorithm", "rsa", "--out", &existing],
            USAGE_OR_INPUT_ERROR,
            Shown::Usage,
            &["--algorithm", "rsa"],
        ),
        case(
            "existing key file",
            &[
                "bundle",
                "keygen",
                "--algorithm",
                "ed25519",
                "--out",
                &existing,
            ],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&format!("{existing}: cannot write"), "--force"],
        ),
        case(
            "key file that cannot be written",
            &[
                "bundle",
                "keygen",
                "--algorithm",
                "ed25519",
                "--out",
                &unwritable,
            ],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&format!("{unwritable}: cannot write")],
        ),
    ]);
}

#[test]
fn bundle_sign() {
    let fixture = Fixture::new("exit-sign");
    let policies = Policies::new(&fixture);
    keygen(&fixture, "key");
    let key = fixture.path("key.pem");
    let not_a_key = fixture.file("not-a-key.pem", "hello");
    let out = fixture.path("bundle.json");
    let unwritable = fixture.path("no-such-directory/bundle.json");
    let sign_args = |key: &str, policy: &str, out: &str, extra: &[&str]| {
        let mut args = strings(&[
            "bundle",
            "sign",
            "--key",
            key,
            "--policy",
            policy,
            "--version",
            "1",
            "-o",
            out,
        ]);
        args.extend(strings(extra));
        args
    };
    let mut cases = vec![
        Case {
            name: "bad argument",
            args: sign_args(&key, &policies.good, &out, &["--valid-for", "forever"]),
            code: USAGE_OR_INPUT_ERROR,
            shown: Shown::Usage,
            parts: strings(&["--valid-for", "forever"]),
        },
        Case {
            name: "missing key",
            args: sign_args("/nonexistent/key.pem", &policies.good, &out, &[]),
            code: USAGE_OR_INPUT_ERROR,
            shown: Shown::Error,
            parts: strings(&["/nonexistent/key.pem: cannot read"]),
        },
        Case {
            name: "not a key",
            args: sign_args(&not_a_key, &policies.good, &out, &[]),
            code: USAGE_OR_INPUT_ERROR,
            shown: Shown::Error,
            parts: strings(&[&not_a_key, "no PEM private key"]),
        },
        Case {
            name: "policy that pins nothing",
            args: sign_args(&key, &policies.pins_nothing, &out, &[]),
            code: USAGE_OR_INPUT_ERROR,
            shown: Shown::Error,
            parts: strings(&[&policies.pins_nothing, "the policy pins nothing"]),
        },
        Case {
            name: "bundle that cannot be written",
            args: sign_args(&key, &policies.good, &unwritable, &[]),
            code: USAGE_OR_INPUT_ERROR,
            shown: Shown::Error,
            parts: strings(&[&format!("{unwritable}: cannot write")]),
        },
        Case {
            name: "validity a bundle cannot write",
            args: sign_args(&key, &policies.good, &out, &["--valid-for", "9999999d"]),
            code: USAGE_OR_INPUT_ERROR,
            shown: Shown::Error,
            parts: strings(&["--valid-for: ", "after 9999-12-31T23:59:59Z"]),
        },
    ];
    let template = sign_args(&key, "{}", &out, &[]);
    let template: Vec<&str> = template.iter().map(String::as_str).collect();
    cases.extend(policies.input_errors(&template));
    run_all(&cases);
}

#[test]
fn bundle_verify_and_inspect() {
    let fixture = Fixture::new("exit-verify");
    let policies = Policies::new(&fixture);
    keygen(&fixture, "key");
    keygen(&fixture, "other");
    let trusted = fixture.path("key.pub.pem");
    let stranger = fixture.path("other.pub.pem");
    let bundle = sign(&fixture, "key", &policies.good, "bundle.json", &[]);
    let expired = sign(
        &fixture,
        "key",
        &policies.good,
        "expired.json",
        &["--issued-at", "2020-01-01", "--expires", "2020-02-01"],
    );
    let unsigned = fixture.file("unsigned.json", &std::fs::read_to_string(&bundle).unwrap());
    let malformed = fixture.file("malformed.json", "{\"version\": 1,\n \"policy\": }");
    let bad_policy = fixture.file(
        "bad-policy.json",
        "{\"version\": 1, \"issued_at\": \"2020-01-01T00:00:00Z\", \"expires_at\": \
         \"2030-01-01T00:00:00Z\", \"policy\": {\"version\": 1}}",
    );
    run_all(&[
        case(
            "signed by a key that is not trusted",
            &["bundle", "verify", "--trusted", &stranger, &bundle],
            PROBLEM_FOUND,
            Shown::Report,
            &[
                &format!("{bundle}: REJECTED"),
                "not a trusted bundle-signing key",
            ],
        ),
        case(
            "expired bundle",
            &["bundle", "verify", "--trusted", &trusted, &expired],
            PROBLEM_FOUND,
            Shown::Report,
            &[&format!("{expired}: REJECTED"), "expired"],
        ),
        case(
            "no trusted key",
            &["bundle", "verify", &bundle],
            USAGE_OR_INPUT_ERROR,
            Shown::Usage,
            &["--trusted"],
        ),
        case(
            "bad argument to inspect",
            &["bundle", "inspect", &bundle, "--at", "soon"],
            USAGE_OR_INPUT_ERROR,
            Shown::Usage,
            &["--at", "soon"],
        ),
        case(
            "missing bundle",
            &[
                "bundle",
                "verify",
                "--trusted",
                &trusted,
                "/nonexistent/bundle.json",
            ],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &["/nonexistent/bundle.json: cannot read"],
        ),
        case(
            "missing signature",
            &["bundle", "verify", "--trusted", &trusted, &unsigned],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&format!("{unsigned}.sig: cannot read")],
        ),
        case(
            "trusted key that is no key",
            &["bundle", "verify", "--trusted", &fixture.garbage, &bundle],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&fixture.garbage, "no \"-----BEGIN PUBLIC KEY-----\" block"],
        ),
        case(
            "inspected with a key that is not trusted",
            &["bundle", "inspect", "--trusted", &stranger, &bundle],
            PROBLEM_FOUND,
            Shown::Report,
            &[&format!("{bundle}: bundle version 1, NOT VERIFIED")],
        ),
        case(
            "inspecting a missing bundle",
            &["bundle", "inspect", "/nonexistent/bundle.json"],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &["/nonexistent/bundle.json: cannot read"],
        ),
        case(
            "inspecting a malformed bundle",
            &["bundle", "inspect", &malformed],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[&format!("{malformed}:2:")],
        ),
        case(
            "inspecting a bundle whose policy pins nothing",
            &["bundle", "inspect", &bad_policy],
            USAGE_OR_INPUT_ERROR,
            Shown::Error,
            &[
                &format!("{bad_policy}: policy: "),
                "the policy pins nothing",
            ],
        ),
    ]);
}

// ---------------------------------------------------------------------------------------
// The contract, as --help states it
// ---------------------------------------------------------------------------------------

#[test]
fn help_states_the_exit_codes_and_the_error_format_for_every_subcommand() {
    for args in [
        &["--help"][..],
        &["pins", "--help"],
        &["check", "--help"],
        &["lint", "--help"],
        &["expiry", "--help"],
        &["convert", "--help"],
        &["bundle", "--help"],
        &["bundle", "sign", "--help"],
    ] {
        let run = pinctl(args);
        run.assert_code(OK);
        for part in [
            "Exit codes:\n  0  ",
            "\n  1  the command found a problem",
            "\n  2  usage or input error",
            "pinctl: error: WHAT: REASON",
            "{\"error\": \"WHAT: REASON\", \"exit_code\": N}",
        ] {
            assert!(
                run.stdout.contains(part),
                "{args:?}: {part:?} not in\n{}",
                run.stdout
            );
        }
    }
}
