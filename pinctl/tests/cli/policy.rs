//! `pinctl check`, `lint`, `expiry` and `convert`, run as separate processes against policy
//! files, chains made by the test PKI and live TLS servers on loopback.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::cli::*;
use crate::common::{Ca, KeyKind, Leaf, LeafOptions, TestServer, DAY};
use rustls::pki_types::UnixTime;
use rustls_pinning::config::{self, ConfigFormat};
use rustls_pinning::{Date, Pin, PinSet};
use serde_json::Value;

pub(crate) const HOST: &str = "api.example.test";

/// A pin no certificate here has: a key held offline.
pub(crate) const SPARE: &str = "sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=";

/// A root, an intermediate, and two leaves for [`HOST`] (and 127.0.0.1) with different keys:
/// the one served today and the one a rotation moves to.
pub(crate) struct Pki {
    pub(crate) dir: PathBuf,
    pub(crate) root: Ca,
    pub(crate) intermediate: Ca,
    pub(crate) old: Leaf,
    pub(crate) new: Leaf,
    /// `roots.pem`: the root certificate.
    pub(crate) roots: String,
    /// `old.pem` and `new.pem`: leaf and intermediate, as a server sends them.
    pub(crate) old_chain: String,
    pub(crate) new_chain: String,
}

impl Pki {
    pub(crate) fn new(test: &str) -> Self {
        let dir = scratch_dir(test);
        let root = Ca::root_with("Policy Root", KeyKind::Rsa2048);
        let intermediate = root.intermediate("Policy Issuing CA");
        let leaf =
            || intermediate.leaf_with(LeafOptions::new(&[HOST]).ip(std::net::Ipv4Addr::LOCALHOST));
        let (old, new) = (leaf(), leaf());
        let roots = write(&dir, "roots.pem", pem(&[root.cert_der()]).as_bytes());
        let old_chain = write(
            &dir,
            "old.pem",
            pem(&[&old.cert, intermediate.cert_der()]).as_bytes(),
        );
        let new_chain = write(
            &dir,
            "new.pem",
            pem(&[&new.cert, intermediate.cert_der()]).as_bytes(),
        );
        Self {
            dir,
            root,
            intermediate,
            old,
            new,
            roots,
            old_chain,
            new_chain,
        }
    }

    pub(crate) fn old_pin(&self) -> String {
        spki_pin(self.old.spki_der())
    }

    pub(crate) fn new_pin(&self) -> String {
        spki_pin(self.new.spki_der())
    }

    pub(crate) fn intermediate_pin(&self) -> String {
        spki_pin(self.intermediate.spki_der())
    }

    pub(crate) fn root_pin(&self) -> String {
        spki_pin(self.root.spki_der())
    }

    /// Writes a policy file in the scratch directory. A TOML text that does not start with
    /// its `version` line gets `version = 1` first, as every policy file must, so that the
    /// tests read as the entries they are about.
    pub(crate) fn policy(&self, name: &str, text: &str) -> String {
        match name.ends_with(".toml") && !text.starts_with("version") {
            true => write(&self.dir, name, format!("version = 1\n{text}").as_bytes()),
            false => write(&self.dir, name, text.as_bytes()),
        }
    }

    pub(crate) fn check(&self, config: &str, chain: &str, extra: &[&str]) -> Run {
        let mut args = vec![
            "--json",
            "check",
            "--config",
            config,
            "--chain",
            chain,
            "--host",
            HOST,
            "--cafile",
            &self.roots,
        ];
        args.extend(extra);
        pinctl(&args)
    }

    pub(crate) fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }
}

/// `YYYY-MM-DD`, `days` from today.
fn date_in(days: i64) -> String {
    let now = UnixTime::now().as_secs() as i64;
    let secs = now + days * DAY.as_secs() as i64;
    Date::from_unix_time(UnixTime::since_unix_epoch(Duration::from_secs(secs as u64))).to_string()
}

fn findings(report: &Value) -> Vec<(String, String, Option<String>)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            (
                finding["severity"].as_str().unwrap().to_owned(),
                finding["code"].as_str().unwrap().to_owned(),
                finding["entry"]["pattern"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

pub(crate) fn has(report: &Value, severity: &str, code: &str) -> bool {
    findings(report)
        .iter()
        .any(|(s, c, _)| s == severity && c == code)
}

// ---------------------------------------------------------------------------------------
// check
// ---------------------------------------------------------------------------------------

#[test]
fn check_accepts_through_the_pin_that_matches_and_names_its_certificate() {
    let pki = Pki::new("check-accept");
    let config = pki.policy(
        "pins.toml",
        &entry("**.example.test", &[&pki.old_pin()], &[SPARE], ""),
    );
    let run = pki.check(&config, &pki.old_chain, &[]);
    run.assert_code(OK);
    let report = run.json();
    assert_eq!(report["verdict"], "accepted");
    assert_eq!(report["host"], HOST);
    assert_eq!(report["entry"]["pattern"], "**.example.test");
    assert_eq!(report["entry"]["state"], "in-force");
    assert_eq!(report["roots"]["from_chain"], false);
    let through = report["accepted_through"].as_array().unwrap();
    assert_eq!(through.len(), 1, "{report}");
    assert_eq!(through[0]["pin"], pki.old_pin().as_str());
    assert_eq!(through[0]["role"], "primary");
    assert_eq!(through[0]["position"], "leaf");
    assert_eq!(
        through[0]["subject"],
        format!("CN={HOST}, O=rustls-pinning test PKI")
    );
    let path = report["verified_path"].as_array().unwrap();
    let positions: Vec<&str> = path
        .iter()
        .map(|c| c["position"].as_str().unwrap())
        .collect();
    assert_eq!(positions, ["leaf", "intermediate", "root"]);
    assert_eq!(path[1]["spki_pin"], pki.intermediate_pin().as_str());
    assert_eq!(path[2]["spki_pin"], pki.root_pin().as_str());
    assert!(report["error"].is_null());

    // A pin on the intermediate: accepted through it, for either leaf.
    let config = pki.policy(
        "ca.toml",
        &entry("**.example.test", &[&pki.intermediate_pin()], &[SPARE], ""),
    );
    for chain in [&pki.old_chain, &pki.new_chain] {
        let report = pki.check(&config, chain, &[]).assert_code(OK).json();
        assert_eq!(report["accepted_through"][0]["position"], "intermediate");
        assert_eq!(
            report["accepted_through"][0]["pin"],
            pki.intermediate_pin().as_str()
        );
    }

    // Human output says the same.
    let run = pinctl(&[
        "check",
        "--config",
        &config,
        "--chain",
        &pki.old_chain,
        "--host",
        HOST,
        "--cafile",
        &pki.roots,
    ]);
    run.assert_code(OK);
    assert!(
        run.stdout.contains(&format!(
            "ACCEPTED through primary pin {} on the intermediate \"CN=Policy Issuing CA, O=rustls-pinning test PKI\"",
            pki.intermediate_pin()
        )),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("  verified path:\n"), "{}", run.stdout);
}

#[test]
fn check_rejects_with_the_pinning_error() {
    let pki = Pki::new("check-reject");
    let config = pki.policy(
        "pins.toml",
        &entry("**.example.test", &[&pki.old_pin()], &[SPARE], ""),
    );
    let run = pki.check(&config, &pki.new_chain, &[]);
    run.assert_code(PROBLEM_FOUND);
    let report = run.json();
    assert_eq!(report["verdict"], "rejected");
    assert_eq!(report["error"]["kind"], "pin");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "certificate pinning failure for \"{HOST}\" (entry \"**.example.test\")"
        )),
        "{message}"
    );
    // The error lists the new key, ready to be pinned.
    assert!(message.contains(&pki.new_pin()), "{message}");
    assert!(report["accepted_through"].as_array().unwrap().is_empty());

    let run = pinctl(&[
        "check",
        "--config",
        &config,
        "--chain",
        &pki.new_chain,
        "--host",
        HOST,
        "--cafile",
        &pki.roots,
    ]);
    run.assert_code(PROBLEM_FOUND);
    assert!(run.stdout.contains("\nREJECTED\n"), "{}", run.stdout);
    assert!(run.stdout.contains(&pki.new_pin()), "{}", run.stdout);

    // Chain errors are rejections too: a name the leaf does not cover.
    let run = pinctl(&[
        "--json",
        "check",
        "--config",
        &config,
        "--chain",
        &pki.old_chain,
        "--host",
        "www.example.test",
        "--cafile",
        &pki.roots,
    ]);
    run.assert_code(PROBLEM_FOUND);
    let report = run.json();
    assert_eq!(report["error"]["kind"], "chain");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid for name \"www.example.test\""),
        "{report}"
    );

    // Roots that did not issue the chain.
    let stranger = Ca::root("Stranger Root");
    let other = write(
        &pki.dir,
        "other.pem",
        pem(&[stranger.cert_der()]).as_bytes(),
    );
    let run = pinctl(&[
        "--json",
        "check",
        "--config",
        &config,
        "--chain",
        &pki.old_chain,
        "--host",
        HOST,
        "--cafile",
        &other,
    ]);
    run.assert_code(PROBLEM_FOUND);
    assert_eq!(run.json()["error"]["kind"], "chain");
}

#[test]
fn rotation_rehearsal_rejects_the_new_chain_until_its_key_is_the_backup() {
    let pki = Pki::new("check-rotation");
    let (old, new) = (pki.old_pin(), pki.new_pin());

    // Today: the served key and an offline spare.
    let today = pki.policy(
        "pins.toml",
        &entry("**.example.test", &[&old], &[SPARE], ""),
    );
    pki.check(&today, &pki.old_chain, &[]).assert_code(OK);
    pki.check(&today, &pki.new_chain, &[])
        .assert_code(PROBLEM_FOUND);

    // The new key added as a backup: both chains pass, the new one through the backup.
    let staged = pki.policy("pins.toml", &entry("**.example.test", &[&old], &[&new], ""));
    pki.check(&staged, &pki.old_chain, &[]).assert_code(OK);
    let report = pki
        .check(&staged, &pki.new_chain, &[])
        .assert_code(OK)
        .json();
    assert_eq!(report["accepted_through"][0]["role"], "backup");
    assert_eq!(report["accepted_through"][0]["pin"], new.as_str());
    let notes = report["notes"].to_string();
    assert!(notes.contains("backup-pin-in-use"), "{notes}");

    // Rolled out: the new key is primary, the old one gone, a spare as backup.
    let rolled = pki.policy(
        "pins.toml",
        &entry("**.example.test", &[&new], &[SPARE], ""),
    );
    let report = pki
        .check(&rolled, &pki.new_chain, &[])
        .assert_code(OK)
        .json();
    assert_eq!(report["accepted_through"][0]["role"], "primary");
    pki.check(&rolled, &pki.old_chain, &[])
        .assert_code(PROBLEM_FOUND);
}

#[test]
fn check_trusts_a_self_signed_last_certificate_only_when_told_nothing_else() {
    let pki = Pki::new("check-self-signed");
    let config = pki.policy(
        "pins.toml",
        &entry("**.example.test", &[&pki.root_pin()], &[SPARE], ""),
    );
    let with_root = write(
        &pki.dir,
        "with-root.pem",
        pem(&[
            &pki.old.cert,
            pki.intermediate.cert_der(),
            pki.root.cert_der(),
        ])
        .as_bytes(),
    );
    let run = pinctl(&[
        "--json", "check", "--config", &config, "--chain", &with_root, "--host", HOST,
    ]);
    run.assert_code(OK);
    let report = run.json();
    assert_eq!(report["roots"]["from_chain"], true);
    assert_eq!(report["accepted_through"][0]["position"], "root");
    assert!(
        report["notes"]
            .to_string()
            .contains("is self-signed and was trusted as the root"),
        "{report}"
    );
    let run = pinctl(&[
        "check", "--config", &config, "--chain", &with_root, "--host", HOST,
    ]);
    run.assert_code(OK);
    assert!(
        run.stdout
            .contains("  roots  the chain's last certificate (self-signed)\n"),
        "{}",
        run.stdout
    );

    // Without the root and without --cafile there is nothing to validate with.
    let run = pinctl(&[
        "check",
        "--config",
        &config,
        "--chain",
        &pki.old_chain,
        "--host",
        HOST,
    ]);
    run.assert_input_error(&[&pki.old_chain, "give --cafile", "is not self-signed"]);
}

#[test]
fn check_at_another_time_rehearses_expiry() {
    let pki = Pki::new("check-at");
    let expires = date_in(10);
    let config = pki.policy(
        "pins.toml",
        &entry(
            "**.example.test",
            &[&pki.old_pin()],
            &[SPARE],
            &format!("expires = \"{expires}\""),
        ),
    );
    // Now: the new key is refused.
    pki.check(&config, &pki.new_chain, &[])
        .assert_code(PROBLEM_FOUND);
    // In 20 days the entry has expired and is skipped: plain WebPKI accepts it.
    let later = date_in(20);
    let report = pki
        .check(&config, &pki.new_chain, &["--at", &later])
        .assert_code(OK)
        .json();
    assert_eq!(report["verdict"], "accepted-expired-entry");
    assert_eq!(report["entry"]["state"], "expired-skipped");
    assert_eq!(report["at"], format!("{later}T00:00:00Z"));
    // In 100 days the leaf (valid for 90) has expired.
    let run = pki.check(&config, &pki.old_chain, &["--at", &date_in(100)]);
    run.assert_code(PROBLEM_FOUND);
    let report = run.json();
    assert_eq!(report["error"]["kind"], "chain");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{report}"
    );
    // An RFC 3339 time works too; nonsense is a usage error.
    let time = format!("{}T12:00:00+02:00", date_in(1));
    pki.check(&config, &pki.old_chain, &["--at", &time])
        .assert_code(OK);
    let run = pki.check(&config, &pki.old_chain, &["--at", "next tuesday"]);
    assert_eq!(run.code, USAGE_OR_INPUT_ERROR, "{}", run.stderr);
    assert!(run.stderr.contains("--at"), "{}", run.stderr);
}

#[test]
fn check_explains_report_only_unpinned_and_denied() {
    let pki = Pki::new("check-modes");
    // Report-only: accepted, with the error enforcement would return.
    let config = pki.policy(
        "report-only.toml",
        &entry(
            "**.example.test",
            &[&pki.old_pin()],
            &[],
            "mode = \"report-only\"",
        ),
    );
    let report = pki
        .check(&config, &pki.new_chain, &[])
        .assert_code(OK)
        .json();
    assert_eq!(report["verdict"], "accepted-report-only");
    assert_eq!(report["error"]["kind"], "pin");
    assert!(report["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&pki.new_pin()));

    // No entry for the host: plain WebPKI, unless unpinned hosts are rejected.
    let other = entry("other.example.test", &[&pki.old_pin()], &[SPARE], "");
    let config = pki.policy("other.toml", &other);
    let report = pki
        .check(&config, &pki.new_chain, &[])
        .assert_code(OK)
        .json();
    assert_eq!(report["verdict"], "accepted-unpinned");
    assert!(report["entry"].is_null());
    let config = pki.policy(
        "reject.toml",
        &format!("unpinned_hosts = \"reject\"\n{other}"),
    );
    let report = pki
        .check(&config, &pki.new_chain, &[])
        .assert_code(PROBLEM_FOUND)
        .json();
    assert!(report["error"]["message"]
        .as_str()
        .unwrap()
        .contains("unpinned hosts are rejected"));

    // A key denied everywhere rejects even though an allowed pin matches.
    let config = pki.policy(
        "deny.toml",
        &format!(
            "deny_everywhere = [\"{}\"]\n{}",
            pki.intermediate_pin(),
            entry("**.example.test", &[&pki.old_pin()], &[SPARE], "")
        ),
    );
    let report = pki
        .check(&config, &pki.old_chain, &[])
        .assert_code(PROBLEM_FOUND)
        .json();
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("the global deny list"),
        "{report}"
    );
}

#[test]
fn check_reports_bad_inputs_with_their_location() {
    let pki = Pki::new("check-bad");
    let good = pki.policy(
        "good.toml",
        &entry("**.example.test", &[&pki.old_pin()], &[SPARE], ""),
    );

    let syntax = pki.policy(
        "syntax.toml",
        "[[entry]]\npattern = \"**.example.test\"\npins = [\"sha256/nope\"]\n",
    );
    let run = pinctl(&[
        "check",
        "--config",
        &syntax,
        "--chain",
        &pki.old_chain,
        "--host",
        HOST,
    ]);
    run.assert_input_error(&[&format!("{syntax}:4:")]);

    let lonely = pki.policy(
        "lonely.toml",
        &format!(
            "version = 1\n\n{}",
            entry("lonely.example.test", &[&pki.old_pin()], &[], "")
        ),
    );
    let run = pinctl(&[
        "check",
        "--config",
        &lonely,
        "--chain",
        &pki.old_chain,
        "--host",
        HOST,
    ]);
    run.assert_input_error(&[&format!("{lonely}:4:"), "has one allowed pin and no backup"]);

    let json = pki.policy("bad.json", "{\"entry\": [}");
    let run = pinctl(&[
        "check",
        "--config",
        &json,
        "--chain",
        &pki.old_chain,
        "--host",
        HOST,
    ]);
    run.assert_input_error(&[&format!("{json}:1:")]);

    let unknown = pki.policy("pins.yaml", "entry: []");
    let run = pinctl(&[
        "check",
        "--config",
        &unknown,
        "--chain",
        &pki.old_chain,
        "--host",
        HOST,
    ]);
    run.assert_input_error(&["unknown policy format"]);

    let run = pinctl(&[
        "check",
        "--config",
        "/nonexistent/pins.toml",
        "--chain",
        &pki.old_chain,
        "--host",
        HOST,
    ]);
    run.assert_input_error(&["/nonexistent/pins.toml"]);

    let garbage = write(&pki.dir, "garbage.pem", b"not a certificate");
    let run = pinctl(&[
        "check", "--config", &good, "--chain", &garbage, "--host", HOST,
    ]);
    run.assert_input_error(&[&garbage, "neither PEM nor DER"]);

    let run = pinctl(&[
        "check",
        "--config",
        &good,
        "--chain",
        &pki.old_chain,
        "--host",
        "bad host!",
        "--cafile",
        &pki.roots,
    ]);
    run.assert_input_error(&["--host bad host!"]);

    // Usage errors, from clap.
    for args in [
        &["check", "--config", &good, "--chain", &pki.old_chain][..],
        &["check", "--config", &good],
        &["check", "--chain", &pki.old_chain, "--host", HOST],
        &[
            "check",
            "--config",
            &good,
            "--chain",
            &pki.old_chain,
            "--connect",
            "127.0.0.1:1",
            "--host",
            HOST,
        ],
    ] {
        let run = pinctl(args);
        assert_eq!(run.code, USAGE_OR_INPUT_ERROR, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

// ---------------------------------------------------------------------------------------
// lint
// ---------------------------------------------------------------------------------------

pub(crate) fn lint(config: &str, extra: &[&str]) -> Run {
    let mut args = vec!["--json", "lint", "--config", config];
    args.extend(extra);
    pinctl(&args)
}

#[test]
fn lint_passes_a_sound_policy_and_notes_the_offline_backup() {
    let pki = Pki::new("lint-clean");
    let config = pki.policy(
        "pins.toml",
        &entry(
            "**.example.test",
            &[&pki.old_pin()],
            &[SPARE],
            &format!("expires = \"{}\"", date_in(365)),
        ),
    );
    let report = lint(&config, &["--chain", &pki.old_chain])
        .assert_code(OK)
        .json();
    assert_eq!(report["errors"], 0, "{report}");
    assert_eq!(report["warnings"], 0, "{report}");
    assert_eq!(
        findings(&report),
        [(
            String::from("info"),
            String::from("pin-matches-nothing"),
            Some(String::from("**.example.test"))
        )]
    );
    assert_eq!(report["chains"][0]["entries"][0], "**.example.test");
    let run = pinctl(&["lint", "--config", &config]);
    run.assert_code(OK);
    assert!(
        run.stdout.starts_with(&format!(
            "{config}: 0 errors, 0 warnings, 0 notes (1 entry, "
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn lint_flags_missing_and_false_backups() {
    let pki = Pki::new("lint-backups");
    let old_cert = Pin::certificate_of(&pki.old.cert).to_string();
    let config = pki.policy(
        "pins.toml",
        &[
            entry(
                "single.example.test",
                &[&pki.old_pin()],
                &[],
                "allow_missing_backup_pin = true",
            ),
            entry(
                "listed-twice.example.test",
                &[&pki.old_pin(), SPARE],
                &[&pki.old_pin()],
                "",
            ),
            entry("**.example.test", &[&pki.old_pin()], &[&old_cert], ""),
            entry(
                "report.example.test",
                &[&pki.old_pin()],
                &[],
                "mode = \"report-only\"",
            ),
        ]
        .concat(),
    );
    let run = lint(&config, &["--chain", &pki.old_chain]);
    run.assert_code(PROBLEM_FOUND);
    let report = run.json();
    let found = findings(&report);
    let at = |code: &str, pattern: &str| {
        found
            .iter()
            .find(|(_, c, p)| c == code && p.as_deref() == Some(pattern))
            .map(|(severity, _, _)| severity.as_str())
    };
    assert_eq!(
        at("single-pin", "single.example.test"),
        Some("error"),
        "{report}"
    );
    assert_eq!(at("single-pin", "report.example.test"), Some("warning"));
    assert_eq!(
        at("backup-is-primary", "listed-twice.example.test"),
        Some("error")
    );
    // A certificate pin and an SPKI pin of one certificate: the same key.
    assert_eq!(at("backup-same-key", "**.example.test"), Some("error"));
    // ... and the certificate pin is on a 91-day leaf.
    assert_eq!(
        at("certificate-pin-on-short-lived-leaf", "**.example.test"),
        Some("warning")
    );

    // Two primary pins on one key, found with the chain.
    let one_key = pki.policy(
        "one-key.toml",
        &entry("**.example.test", &[&pki.old_pin(), &old_cert], &[], ""),
    );
    let report = lint(&one_key, &["--chain", &pki.old_chain])
        .assert_code(PROBLEM_FOUND)
        .json();
    assert!(has(&report, "error", "all-pins-on-one-key"), "{report}");
    // Without a chain nothing says they are one key.
    let report = lint(&one_key, &[]).assert_code(OK).json();
    assert!(!has(&report, "error", "all-pins-on-one-key"), "{report}");

    // A short-lived threshold below the leaf's lifetime silences the certificate pin warning.
    let report = lint(
        &config,
        &["--chain", &pki.old_chain, "--short-lived", "30d"],
    )
    .json();
    assert!(!has(
        &report,
        "warning",
        "certificate-pin-on-short-lived-leaf"
    ));
}

#[test]
fn lint_flags_expiry_report_only_age_and_pins_matching_nothing() {
    let pki = Pki::new("lint-expiry");
    let config = pki.policy(
        "pins.toml",
        &[
            entry(
                "expired.example.test",
                &[&pki.old_pin()],
                &[SPARE],
                "expires = \"2020-01-01\"",
            ),
            entry(
                "soon.example.test",
                &[&pki.old_pin()],
                &[SPARE],
                &format!("expires = \"{}\"", date_in(10)),
            ),
            entry(
                "report.example.test",
                &[&pki.old_pin()],
                &[SPARE],
                "mode = \"report-only\"",
            ),
            entry(
                "**.example.test",
                &[&pki.new_pin(), &pki.old_pin()],
                &[SPARE],
                "",
            ),
        ]
        .concat(),
    );
    let report = lint(&config, &["--chain", &pki.old_chain])
        .assert_code(PROBLEM_FOUND)
        .json();
    assert!(has(&report, "error", "expired"), "{report}");
    assert!(has(&report, "warning", "expires-soon"), "{report}");
    // The new key is not in the chain given: a primary pin expected to be served is not.
    assert!(has(&report, "warning", "pin-matches-nothing"), "{report}");
    assert!(has(&report, "info", "report-only"), "{report}");
    assert!(report["findings"]
        .to_string()
        .contains("give --report-only-since"));

    let report = lint(&config, &["--within", "5d"]).json();
    assert!(!has(&report, "warning", "expires-soon"), "{report}");

    // Report-only for a year, with a 90-day limit; per pattern, or for every entry.
    for since in ["2020-01-01", "report.example.test=2020-01-01"] {
        let report = lint(&config, &["--report-only-since", since]).json();
        assert!(
            has(&report, "warning", "report-only-too-long"),
            "{since}: {report}"
        );
    }
    let report = lint(
        &config,
        &[
            "--report-only-since",
            &date_in(-5),
            "--report-only-max-age",
            "30d",
        ],
    )
    .json();
    assert!(!has(&report, "warning", "report-only-too-long"), "{report}");

    // --strict fails on warnings alone.
    let warnings_only = pki.policy(
        "warn.toml",
        &entry(
            "**.example.test",
            &[&pki.old_pin()],
            &[SPARE],
            &format!("expires = \"{}\"", date_in(10)),
        ),
    );
    lint(&warnings_only, &[]).assert_code(OK);
    lint(&warnings_only, &["--strict"]).assert_code(PROBLEM_FOUND);
    // --at moves "now".
    lint(&warnings_only, &["--at", &date_in(20)]).assert_code(PROBLEM_FOUND);
}

#[test]
fn lint_refuses_denied_keys_and_notes_a_chain_no_entry_governs() {
    let pki = Pki::new("lint-deny");
    let config = pki.policy(
        "deny.toml",
        &format!(
            "deny_everywhere = [\"{}\"]\n{}",
            pki.intermediate_pin(),
            entry("**.example.test", &[&pki.old_pin()], &[SPARE], "")
        ),
    );
    let report = lint(&config, &["--chain", &pki.old_chain])
        .assert_code(PROBLEM_FOUND)
        .json();
    assert!(has(&report, "error", "denied-key-in-chain"), "{report}");
    // A chain no entry governs is noted.
    let stranger = Ca::root("Stranger Root").leaf(&["elsewhere.test"]);
    let elsewhere = write(&pki.dir, "elsewhere.pem", pem(&[&stranger.cert]).as_bytes());
    let report = lint(&config, &["--chain", &elsewhere]).json();
    assert!(has(&report, "info", "chain-not-pinned"), "{report}");
    assert!(has(&report, "info", "no-chain"), "{report}");
}

/// Policy files that pin nothing and deny nothing: empty, only comments, only the version, an
/// empty JSON document. Each would switch pinning off for every host.
const PINNING_NOTHING: &[(&str, &str)] = &[
    ("empty.toml", ""),
    ("comments.toml", "# entries are rendered below\n\n"),
    ("version-only.toml", "version = 1\n"),
    ("empty.json", ""),
    ("version-only.json", "{\"version\": 1, \"entry\": []}"),
];

#[test]
fn lint_reports_a_policy_that_pins_nothing_as_an_error() {
    let pki = Pki::new("lint-empty");
    for (name, text) in PINNING_NOTHING {
        let config = write(&pki.dir, name, text.as_bytes());
        let report = lint(&config, &["--chain", &pki.old_chain])
            .assert_code(PROBLEM_FOUND)
            .json();
        assert_eq!(report["errors"], 1, "{name}: {report}");
        assert_eq!(report["entries"], 0, "{name}: {report}");
        let finding = &report["findings"][0];
        assert_eq!(finding["severity"], "error", "{name}: {report}");
        assert_eq!(finding["code"], "pins-nothing", "{name}: {report}");
        assert!(
            finding["message"]
                .as_str()
                .unwrap()
                .contains("pins nothing and denies nothing"),
            "{name}: {report}"
        );
        let run = pinctl(&["lint", "--config", &config]);
        run.assert_code(PROBLEM_FOUND);
        assert!(
            run.stdout.starts_with(&format!("{config}: 1 error, ")),
            "{name}: {}",
            run.stdout
        );
        assert!(
            run.stdout
                .contains("error    policy: the policy pins nothing"),
            "{name}: {}",
            run.stdout
        );
        assert!(run.stdout.contains("allow_empty = true"), "{}", run.stdout);
    }

    // Said on purpose: a warning, so that a reviewer still sees it (exit 1 with --strict).
    let intended = write(
        &pki.dir,
        "intended.toml",
        b"version = 1\nallow_empty = true\n",
    );
    let report = lint(&intended, &[]).assert_code(OK).json();
    assert_eq!(report["warnings"], 1, "{report}");
    assert!(has(&report, "warning", "pins-nothing"), "{report}");
    lint(&intended, &["--strict"]).assert_code(PROBLEM_FOUND);
}

#[test]
fn other_subcommands_refuse_a_policy_that_pins_nothing_naming_it() {
    let pki = Pki::new("empty-policy");
    for (name, text) in PINNING_NOTHING {
        let config = write(&pki.dir, name, text.as_bytes());
        let expected = [config.as_str(), "the policy pins nothing"];
        pinctl(&[
            "check",
            "--config",
            &config,
            "--chain",
            &pki.old_chain,
            "--host",
            HOST,
            "--cafile",
            &pki.roots,
        ])
        .assert_input_error(&expected);
        pinctl(&["expiry", "--config", &config]).assert_input_error(&expected);
        pinctl(&["convert", &config, "--to", "toml"]).assert_input_error(&expected);
    }
    // An Android configuration without a pin-set pins nothing either; converting it would
    // write a policy that switches pinning off, so it is refused too.
    let xml = write(
        &pki.dir,
        "no-pins.xml",
        b"<network-security-config><base-config cleartextTrafficPermitted=\"false\"/></network-security-config>",
    );
    pinctl(&["convert", &xml, "--to", "toml"])
        .assert_input_error(&[&xml, "the policy pins nothing"]);
}

#[test]
fn lint_rejects_bad_inputs() {
    let pki = Pki::new("lint-bad");
    let broken = pki.policy("broken.toml", "[[entry]\n");
    pinctl(&["lint", "--config", &broken]).assert_input_error(&[&format!("{broken}:2:")]);
    let good = pki.policy(
        "good.toml",
        &entry("**.example.test", &[&pki.old_pin()], &[SPARE], ""),
    );
    for args in [
        &["lint", "--config", &good, "--within", "30"][..],
        &[
            "lint",
            "--config",
            &good,
            "--report-only-since",
            "*.com=2020-01-01",
        ],
        &["lint", "--config", &good, "--report-only-max-age", "soon"],
    ] {
        let run = pinctl(args);
        assert_eq!(run.code, USAGE_OR_INPUT_ERROR, "{args:?}: {}", run.stderr);
    }
    pinctl(&[
        "lint",
        "--config",
        &good,
        "--chain",
        "/nonexistent/chain.pem",
    ])
    .assert_input_error(&["/nonexistent/chain.pem"]);
}

// ---------------------------------------------------------------------------------------
// expiry
// ---------------------------------------------------------------------------------------

#[test]
fn expiry_lists_entries_and_certificates_soonest_first() {
    let pki = Pki::new("expiry");
    let config = pki.policy(
        "pins.toml",
        &[
            entry(
                "expired.example.test",
                &[&pki.old_pin()],
                &[SPARE],
                "expires = \"2020-01-01\"",
            ),
            entry(
                "soon.example.test",
                &[&pki.old_pin()],
                &[SPARE],
                &format!("expires = \"{}\"", date_in(10)),
            ),
            entry(
                "later.example.test",
                &[&pki.old_pin()],
                &[SPARE],
                &format!("expires = \"{}\"", date_in(400)),
            ),
            entry("forever.example.test", &[&pki.old_pin()], &[SPARE], ""),
        ]
        .concat(),
    );
    let run = pinctl(&[
        "--json",
        "expiry",
        "--config",
        &config,
        "--chain",
        &pki.old_chain,
    ]);
    run.assert_code(PROBLEM_FOUND);
    let report = run.json();
    assert_eq!(report["expired"], 1);
    assert_eq!(report["expiring"], 1);
    let items = report["items"].as_array().unwrap();
    let described: Vec<(String, String)> = items
        .iter()
        .map(|item| {
            let what = item["pattern"]
                .as_str()
                .or(item["position"].as_str())
                .unwrap()
                .to_owned();
            (item["status"].as_str().unwrap().to_owned(), what)
        })
        .collect();
    assert_eq!(
        described,
        [
            ("expired", "expired.example.test"),
            ("expiring", "soon.example.test"),
            ("ok", "leaf"),
            ("ok", "later.example.test"),
            ("ok", "intermediate"),
        ]
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
    assert_eq!(report["entries_without_expiry"][0], "forever.example.test");

    // The 91-day leaf is within 100 days; a window of 5 days from a year ago holds nothing.
    let report = pinctl(&[
        "--json",
        "expiry",
        "--chain",
        &pki.old_chain,
        "--within",
        "100d",
    ])
    .assert_code(PROBLEM_FOUND)
    .json();
    assert_eq!(report["expiring"], 1);
    pinctl(&["expiry", "--chain", &pki.old_chain, "--within", "30d"]).assert_code(OK);
    let run = pinctl(&[
        "expiry",
        "--config",
        &config,
        "--at",
        "2019-06-01",
        "--within",
        "5d",
    ]);
    run.assert_code(OK);
    assert!(
        run.stdout
            .starts_with("0 expired, 0 expiring within 5 days of 2019-06-01T00:00:00Z\n"),
        "{}",
        run.stdout
    );

    // Nothing to check is a usage error; a broken policy an input error.
    assert_eq!(pinctl(&["expiry"]).code, USAGE_OR_INPUT_ERROR);
    let broken = pki.policy("broken.json", "[");
    pinctl(&["expiry", "--config", &broken]).assert_input_error(&[&format!("{broken}:1:")]);
}

// ---------------------------------------------------------------------------------------
// convert
// ---------------------------------------------------------------------------------------

fn parse(path: &str) -> PinSet {
    let text = std::fs::read_to_string(path).unwrap();
    let format = ConfigFormat::from_path(Path::new(path)).unwrap();
    config::parse(&text, format).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn allowed(set: &PinSet) -> Vec<Vec<String>> {
    set.entries()
        .map(|entry| {
            let mut pins: Vec<String> = entry
                .allowed_pins()
                .iter()
                .map(|p| p.pin().to_string())
                .collect();
            pins.sort();
            pins
        })
        .collect()
}

#[test]
fn convert_round_trips_between_the_four_formats() {
    let pki = Pki::new("convert");
    let source = pki.policy(
        "pins.toml",
        &[
            entry(
                "**.example.test",
                &[&pki.old_pin()],
                &[SPARE],
                "expires = \"2030-01-01\"",
            ),
            entry(
                "exact.example.test",
                &[&pki.new_pin(), &pki.intermediate_pin()],
                &[],
                "",
            ),
        ]
        .concat(),
    );
    let original = parse(&source);
    let (json, toml, xml) = (
        pki.path("pins.json"),
        pki.path("back.toml"),
        pki.path("nsc.xml"),
    );

    // TOML -> JSON -> TOML: the same set.
    let run = pinctl(&["convert", &source, "-o", &json]);
    run.assert_code(OK);
    assert_eq!(run.stdout, format!("{json}: 2 entries written as JSON\n"));
    pinctl(&["convert", &json, "-o", &toml]).assert_code(OK);
    let back = parse(&toml);
    assert!(original.entries().eq(back.entries()));

    // TOML -> Android -> TOML: the same pins (Android has no backup marks).
    pinctl(&["convert", &source, "-o", &xml]).assert_code(OK);
    let text = std::fs::read_to_string(&xml).unwrap();
    assert!(
        text.contains("<pin-set expiration=\"2030-01-01\">"),
        "{text}"
    );
    let run = pinctl(&["convert", &xml, "--to", "toml"]);
    run.assert_code(OK);
    let from_android = config::parse(&run.stdout, ConfigFormat::Toml).unwrap();
    assert_eq!(allowed(&from_android), allowed(&original));

    // TOML -> HPKP -> TOML for one host, with max-age counted from --at.
    let run = pinctl(&[
        "convert",
        &source,
        "--to",
        "hpkp",
        "--host",
        "www.example.test",
        "--at",
        "2029-01-01",
    ]);
    run.assert_code(OK);
    assert_eq!(
        run.stdout,
        format!(
            "pin-sha256=\"{}\"; pin-sha256=\"{}\"; max-age=31536000; includeSubDomains\n",
            &pki.old_pin()["sha256/".len()..],
            &SPARE["sha256/".len()..]
        )
    );
    let header = write(
        &pki.dir,
        "header.txt",
        format!("Public-Key-Pins: {}", run.stdout).as_bytes(),
    );
    let run = pinctl(&[
        "convert",
        "--from",
        "hpkp",
        "--to",
        "toml",
        "--host",
        "example.test",
        "--at",
        "2029-01-01",
        &header,
    ]);
    run.assert_code(OK);
    let from_header = config::parse(&run.stdout, ConfigFormat::Toml).unwrap();
    let entry = from_header.entries().next().unwrap();
    assert_eq!(entry.pattern().to_string(), "**.example.test");
    assert_eq!(entry.expires_at().unwrap().as_secs(), 1_893_456_000);
    assert_eq!(allowed(&from_header)[0], allowed(&original)[0]);

    // Android -> HPKP and HPKP (from standard input) -> Android.
    let run = pinctl(&[
        "convert",
        &xml,
        "--to",
        "hpkp",
        "--host",
        "exact.example.test",
    ]);
    run.assert_code(OK);
    assert!(
        run.stdout
            .starts_with(&format!("pin-sha256=\"{}\"", &pki.new_pin()[7..])),
        "{}",
        run.stdout
    );
    let run = pinctl_with_stdin(
        &[
            "convert",
            "--from",
            "hpkp",
            "--to",
            "android",
            "--host",
            "exact.example.test",
            // Android expirations are dates: count max-age (days) from a midnight.
            "--at",
            "2029-01-01",
        ],
        run.stdout.as_bytes(),
    );
    run.assert_code(OK);
    assert!(
        run.stdout
            .contains("<domain includeSubdomains=\"false\">exact.example.test</domain>"),
        "{}",
        run.stdout
    );

    // JSON output carries the text.
    let run = pinctl(&["--json", "convert", &source, "--to", "json"]);
    let report = run.assert_code(OK).json();
    assert_eq!(report["from"], "toml");
    assert_eq!(report["entries"], 2);
    let text = report["text"].as_str().unwrap();
    assert!(config::parse(text, ConfigFormat::Json)
        .unwrap()
        .entries()
        .eq(original.entries()));
    // A report-only header.
    let run = pinctl_with_stdin(
        &[
            "--json",
            "convert",
            "--from",
            "hpkp",
            "--to",
            "toml",
            "--host",
            "example.test",
        ],
        format!(
            "Public-Key-Pins-Report-Only: pin-sha256=\"{}\"; max-age=60",
            &SPARE[7..]
        )
        .as_bytes(),
    );
    let report = run.assert_code(OK).json();
    assert!(
        report["text"]
            .as_str()
            .unwrap()
            .contains("mode = \"report-only\""),
        "{report}"
    );
}

#[test]
fn convert_refuses_what_the_target_cannot_express_and_bad_input() {
    let pki = Pki::new("convert-bad");
    let old_cert = Pin::certificate_of(&pki.old.cert).to_string();
    let cert_pins = pki.policy(
        "cert.toml",
        &entry("**.example.test", &[&old_cert], &[SPARE], ""),
    );
    pinctl(&["convert", &cert_pins, "--to", "android"])
        .assert_error(PROBLEM_FOUND, &["Android only has SPKI pins"]);
    pinctl(&["convert", &cert_pins, "--to", "hpkp"])
        .assert_error(PROBLEM_FOUND, &["HPKP only has SPKI pins"]);
    let denied = pki.policy(
        "deny.toml",
        &format!(
            "deny_everywhere = [\"{}\"]\n{}",
            pki.root_pin(),
            entry("a.example.test", &[&pki.old_pin()], &[SPARE], "")
        ),
    );
    pinctl(&["convert", &denied, "--to", "hpkp"])
        .assert_error(PROBLEM_FOUND, &["deny_everywhere", "HPKP has no deny pins"]);
    let two = pki.policy(
        "two.toml",
        &[
            entry("a.example.test", &[&pki.old_pin()], &[SPARE], ""),
            entry("b.example.test", &[&pki.old_pin()], &[SPARE], ""),
        ]
        .concat(),
    );
    pinctl(&["convert", &two, "--to", "hpkp"])
        .assert_input_error(&["choose the entry with --host"]);
    pinctl(&["convert", &two, "--to", "hpkp", "--host", "c.example.test"])
        .assert_input_error(&["no entry governs \"c.example.test\""]);
    pinctl(&["convert", &two]).assert_input_error(&["give --to"]);
    pinctl(&["convert", "--to", "toml"]).assert_input_error(&["<stdin>", "give --from"]);

    let xml = write(
        &pki.dir,
        "nsc.xml",
        b"<network-security-config>\n  <domain-config>\n</network-security-config>\n",
    );
    pinctl(&["convert", &xml, "--to", "toml"]).assert_input_error(&[&format!("{xml}:")]);
    let single = write(
        &pki.dir,
        "single.xml",
        format!(
            "<network-security-config><domain-config><domain>a.example.test</domain>\
             <pin-set><pin digest=\"SHA-256\">{}</pin></pin-set></domain-config></network-security-config>",
            &pki.old_pin()[7..]
        )
        .as_bytes(),
    );
    pinctl(&["convert", &single, "--to", "toml"])
        .assert_input_error(&["--allow-missing-backup-pin"]);
    let run = pinctl(&[
        "convert",
        &single,
        "--to",
        "toml",
        "--allow-missing-backup-pin",
    ]);
    run.assert_code(OK);
    assert!(
        run.stdout.contains("allow_missing_backup_pin = true"),
        "{}",
        run.stdout
    );

    let header = |text: &str, args: &[&str]| {
        let mut all = vec!["convert", "--from", "hpkp", "--to", "toml"];
        all.extend(args);
        pinctl_with_stdin(&all, text.as_bytes())
    };
    let pin = &SPARE[7..];
    header(&format!("pin-sha256=\"{pin}\""), &["--host", "a.test"])
        .assert_input_error(&["max-age directive is required"]);
    header(&format!("pin-sha256=\"{pin}\"; max-age=60"), &[]).assert_input_error(&["give --host"]);
    header(
        &format!("pin-sha256=\"{pin}\"; max-age=0"),
        &["--host", "a.test"],
    )
    .assert_input_error(&["max-age=0"]);
    header(
        &format!("pin-sha256=\"{pin}\"; max-age=60"),
        &["--host", "a.test"],
    )
    .assert_input_error(&["--allow-missing-backup-pin"]);
    header(
        &format!("pin-sha256=\"{pin}\"; max-age=60"),
        &["--host", "*.com"],
    )
    .assert_input_error(&["--host *.com"]);
    pinctl(&[
        "convert",
        &two,
        "--to",
        "json",
        "--allow-missing-backup-pin",
    ])
    .assert_input_error(&["TOML and JSON policies"]);
    let run = pinctl(&["convert", &two, "--to", "yaml"]);
    assert_eq!(run.code, USAGE_OR_INPUT_ERROR);
}

#[test]
fn convert_exits_1_naming_the_input_for_everything_the_target_cannot_express() {
    let pki = Pki::new("convert-inexpressible");
    let pin = |pin: &str| pin["sha256/".len()..].to_owned();
    // An HPKP max-age that runs past 9999-12-31: the imported expiry is capped at the last
    // second RFC 3339 can write, so policy files can express it.
    let header = write(
        &pki.dir,
        "forever.txt",
        format!(
            "pin-sha256=\"{}\"; pin-sha256=\"{}\"; max-age=18446744073709551615",
            pin(&pki.old_pin()),
            pin(SPARE)
        )
        .as_bytes(),
    );
    for to in ["toml", "json"] {
        let run = pinctl(&[
            "convert", "--from", "hpkp", "--to", to, "--host", HOST, &header,
        ]);
        run.assert_code(OK);
        assert!(
            run.stdout.contains("9999-12-31T23:59:59Z"),
            "{}",
            run.stdout
        );
    }
    let old_cert = Pin::certificate_of(&pki.old.cert).to_string();
    let cert_pins = pki.policy(
        "cert.toml",
        &entry("**.example.test", &[&old_cert], &[SPARE], ""),
    );
    pinctl(&["convert", &cert_pins, "--to", "android"]).assert_error(
        PROBLEM_FOUND,
        &[&format!("{cert_pins}: "), "Android only has SPKI pins"],
    );
    pinctl(&["convert", &cert_pins, "--to", "hpkp"]).assert_error(
        PROBLEM_FOUND,
        &[&format!("{cert_pins}: "), "HPKP only has SPKI pins"],
    );
    let denied = pki.policy(
        "deny.toml",
        &format!(
            "deny_everywhere = [\"{}\"]\n{}",
            pki.root_pin(),
            entry("a.example.test", &[&pki.old_pin()], &[SPARE], "")
        ),
    );
    pinctl(&["convert", &denied, "--to", "hpkp"]).assert_error(
        PROBLEM_FOUND,
        &[&format!("{denied}: "), "HPKP has no deny pins"],
    );
    // A header pins a host: a policy without entries has none to write.
    let empty = pki.policy("empty.toml", "allow_empty = true\n");
    pinctl(&["convert", &empty, "--to", "hpkp"])
        .assert_error(PROBLEM_FOUND, &[&format!("{empty}: "), "no entry"]);
}

// ---------------------------------------------------------------------------------------
// The README's "Rotating a pinned key" walkthrough
// ---------------------------------------------------------------------------------------

/// Runs every `pinctl` command of the README's rotation walkthrough, in order, in a
/// directory holding the files it names, with each policy file it shows written as shown.
/// The README's pins and files are placeholders that this test maps to real ones.
#[test]
fn readme_rotation_walkthrough_runs_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let start = readme
        .find("## Rotating a pinned key")
        .expect("README has the walkthrough");
    let section = &readme[start..];
    let section = &section[..section[3..]
        .find("\n## ")
        .map_or(section.len(), |end| end + 3)];

    let pki = Pki::new("walkthrough");
    // The README's placeholder pins, as it writes them, and the pins of this test's PKI.
    let substitutions = [
        (README_OLD_PIN, pki.old_pin()),
        (README_NEW_PIN, pki.new_pin()),
        (README_SPARE_PIN, SPARE.to_owned()),
        // The test PKI's names end in .test.
        ("example.com", String::from("example.test")),
    ];
    let substitute = |text: &str| {
        substitutions
            .iter()
            .fold(text.to_owned(), |text, (from, to)| text.replace(from, to))
    };
    std::fs::copy(&pki.old_chain, pki.dir.join("current.pem")).unwrap();
    // The server the walkthrough connects to, serving the new chain once it is rolled out.
    let provider = rustls_pinning::default_crypto_provider();
    let server = TestServer::with_chain(
        pki.new.chain(&[&pki.intermediate]),
        pki.new.private_key(),
        provider,
    );
    let address = server.addr.to_string();

    let mut commands = 0;
    let mut policies = 0;
    let mut blocks = section.split("```").skip(1).step_by(2);
    for block in &mut blocks {
        let (kind, body) = block.split_once('\n').unwrap_or((block, ""));
        match kind.trim() {
            "toml" => {
                // Every policy file needs its `version = 1` line; an excerpt that shows only
                // the entries gets it here, as `Pki::policy` does.
                let body = match body.trim_start().starts_with("version") {
                    true => substitute(body),
                    false => format!("version = 1\n{}", substitute(body)),
                };
                std::fs::write(pki.dir.join("pins.toml"), body).unwrap();
                policies += 1;
            }
            "sh" => {
                for line in body
                    .lines()
                    .map(str::trim)
                    .filter(|line| line.starts_with("pinctl "))
                {
                    let (command, comment) = line.split_once('#').unwrap_or((line, ""));
                    let expected = match comment.trim() {
                        c if c.starts_with("exit 1") => PROBLEM_FOUND,
                        _ => OK,
                    };
                    let command = command.replace(
                        "--connect api.example.com",
                        &format!("--connect {address} --servername {HOST}"),
                    );
                    let command = substitute(&command);
                    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
                    let run = pinctl_in(Some(&pki.dir), &args, b"");
                    assert_eq!(
                        run.code, expected,
                        "{line}\nstdout:\n{}\nstderr:\n{}",
                        run.stdout, run.stderr
                    );
                    commands += 1;
                }
            }
            _ => {}
        }
    }
    assert!(commands >= 8, "{commands} commands found");
    assert!(policies >= 3, "{policies} policies found");
}

/// The pins the README's walkthrough shows.
const README_OLD_PIN: &str = "sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E=";
const README_NEW_PIN: &str = "sha256/5kJvNEMw0KjrCAu7eXY5HZdvyCS13BbA0VJG1RSP91w=";
const README_SPARE_PIN: &str = "sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg=";
