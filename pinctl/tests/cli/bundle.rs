//! `pinctl bundle keygen | sign | verify | inspect`, run as separate processes, with the
//! library's `BundleVerifier` cross-checking what they write.

use std::path::Path;

use crate::cli::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{SubjectPublicKeyInfoDer, UnixTime};
use rustls_pinning::bundle::{BundleKey, BundleVerifier};
use rustls_pinning::Pin;

const POLICY: &str = r#"version = 1
[[entry]]
pattern = "**.example.test"
pins = ["sha256/r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E="]
backup_pins = ["sha256/YLh1dUR9y6Kja30RrAn7JKnbQG/uEtLMkBgFF2Fuihg="]
"#;

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_owned()
}

/// Generates a key pair with `pinctl bundle keygen` and returns its key id.
fn keygen(dir: &Path, algorithm: &str, name: &str) -> String {
    let run = pinctl(&[
        "--json",
        "bundle",
        "keygen",
        "--algorithm",
        algorithm,
        "--out",
        &path(dir, &format!("{name}.pem")),
        "--public",
        &path(dir, &format!("{name}.pub.pem")),
    ]);
    let report = run.assert_code(OK).json();
    report["key_id"].as_str().unwrap().to_owned()
}

#[test]
fn keygen_sign_verify_round_trip_for_both_algorithms() {
    for (algorithm, name) in [("ed25519", "ed25519"), ("ecdsa-p256", "ecdsa-p256-sha256")] {
        let dir = scratch_dir(&format!("bundle-{algorithm}"));
        let policy = write(&dir, "pins.toml", POLICY.as_bytes());
        let key_id = keygen(&dir, algorithm, "key");

        // The key id is the SPKI pin of the public key written, and the key is private.
        let public = std::fs::read(path(&dir, "key.pub.pem")).unwrap();
        let spki = SubjectPublicKeyInfoDer::from_pem_slice(&public).unwrap();
        assert_eq!(Pin::from_spki(&spki).to_string(), key_id);
        let private = std::fs::read_to_string(path(&dir, "key.pem")).unwrap();
        assert!(
            private.starts_with("-----BEGIN PRIVATE KEY-----"),
            "{private}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path(&dir, "key.pem"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }

        let bundle = path(&dir, "bundle.json");
        let run = pinctl(&[
            "--json",
            "bundle",
            "sign",
            "--key",
            &path(&dir, "key.pem"),
            "--policy",
            &policy,
            "--version",
            "7",
            "--valid-for",
            "2d",
            "-o",
            &bundle,
        ]);
        let report = run.assert_code(OK).json();
        assert_eq!(report["version"], 7);
        assert_eq!(report["key_id"], key_id.as_str());
        assert_eq!(report["algorithm"], name);
        assert_eq!(report["signature"], format!("{bundle}.sig"));

        // The library accepts what pinctl wrote.
        let body = std::fs::read(&bundle).unwrap();
        let signature = std::fs::read(format!("{bundle}.sig")).unwrap();
        let verifier = BundleVerifier::new(
            vec![BundleKey::from_spki(&spki).unwrap()],
            &rustls_pinning::default_crypto_provider(),
        )
        .unwrap();
        let verified = verifier.verify(&body, &signature, UnixTime::now()).unwrap();
        assert_eq!(verified.version(), 7);
        assert_eq!(verified.pins().len(), 1);
        assert_eq!(
            verified.expires_at().as_secs() - verified.issued_at().as_secs(),
            2 * 86_400
        );

        let trusted = path(&dir, "key.pub.pem");
        let run = pinctl(&["bundle", "verify", "--trusted", &trusted, &bundle]);
        run.assert_code(OK);
        assert!(
            run.stdout.starts_with(&format!(
                "{bundle}: VERIFIED: version 7, signed by {key_id}"
            )),
            "{}",
            run.stdout
        );

        // Inspect without keys: shown, but NOT VERIFIED; with keys: verified.
        let run = pinctl(&["bundle", "inspect", &bundle]);
        run.assert_code(OK);
        assert!(run.stdout.contains("NOT VERIFIED"), "{}", run.stdout);
        assert!(run.stdout.contains(&key_id), "{}", run.stdout);
        assert!(
            run.stdout
                .contains("\"**.example.test\": enforce, 1 primary, 1 backup"),
            "{}",
            run.stdout
        );
        let report = pinctl(&["--json", "bundle", "inspect", &bundle])
            .assert_code(OK)
            .json();
        assert_eq!(report["verified"], false);
        assert_eq!(report["version"], 7);
        assert_eq!(report["validity"], "valid");
        assert_eq!(report["signature"]["key_id"], key_id.as_str());
        let report = pinctl(&[
            "--json",
            "bundle",
            "inspect",
            &bundle,
            "--trusted",
            &trusted,
        ])
        .assert_code(OK)
        .json();
        assert_eq!(report["verified"], true);
        assert_eq!(report["verification"]["signed_by"], key_id.as_str());
    }
}

#[test]
fn tampered_foreign_expired_and_malformed_bundles_are_refused() {
    let dir = scratch_dir("bundle-refused");
    let policy = write(&dir, "pins.toml", POLICY.as_bytes());
    keygen(&dir, "ed25519", "key");
    keygen(&dir, "ecdsa-p256", "other");
    let bundle = path(&dir, "bundle.json");
    let key = path(&dir, "key.pem");
    let sign = |extra: &[&str]| {
        let mut args = vec![
            "bundle",
            "sign",
            "--key",
            &key,
            "--policy",
            &policy,
            "--version",
            "3",
            "-o",
            &bundle,
        ];
        args.extend(extra);
        pinctl(&args)
    };
    sign(&[]).assert_code(OK);
    let trusted = path(&dir, "key.pub.pem");
    let verify = |extra: &[&str]| {
        let mut args = vec!["--json", "bundle", "verify", "--trusted", trusted.as_str()];
        args.extend(extra);
        args.push(&bundle);
        pinctl(&args)
    };
    let refused = |run: Run, reason: &str| {
        let report = run.assert_code(PROBLEM_FOUND).json();
        assert_eq!(report["verified"], false);
        let found = report["reason"].as_str().unwrap();
        assert!(found.contains(reason), "{reason:?} not in {found:?}");
    };
    verify(&[]).assert_code(OK);

    // Not yet expired today; expired at a later --at.
    refused(verify(&["--at", "2099-01-01"]), "expired at");

    // Signed by a key that is not trusted.
    let other = path(&dir, "other.pub.pem");
    refused(
        pinctl(&["--json", "bundle", "verify", "--trusted", &other, &bundle]),
        "not a trusted bundle-signing key",
    );
    // Trusting both keys is fine.
    pinctl(&[
        "bundle",
        "verify",
        "--trusted",
        &other,
        "--trusted",
        &trusted,
        &bundle,
    ])
    .assert_code(OK);

    // A tampered body.
    let original = std::fs::read_to_string(&bundle).unwrap();
    let tampered = original.replace("\"version\": 3", "\"version\": 4");
    assert_ne!(tampered, original);
    std::fs::write(&bundle, &tampered).unwrap();
    refused(verify(&[]), "does not verify");
    let run = pinctl(&["bundle", "inspect", &bundle, "--trusted", &trusted]);
    run.assert_code(PROBLEM_FOUND);
    assert!(
        run.stdout.contains("NOT VERIFIED: bundle signature"),
        "{}",
        run.stdout
    );
    std::fs::write(&bundle, &original).unwrap();

    // A signature file that is not one.
    let garbage = write(&dir, "garbage.sig", b"{\"algorithm\": \"rot13\"}");
    refused(verify(&["--signature", &garbage]), "bundle signature");

    // Input errors: missing files, a private key given as trusted, expiry before issue.
    pinctl(&[
        "bundle",
        "verify",
        "--trusted",
        &trusted,
        &path(&dir, "missing.json"),
    ])
    .assert_input_error(&["missing.json", "cannot read"]);
    pinctl(&[
        "bundle",
        "verify",
        "--trusted",
        &path(&dir, "key.pem"),
        &bundle,
    ])
    .assert_input_error(&["no \"-----BEGIN PUBLIC KEY-----\" block"]);
    sign(&["--expires", "2001-01-01"]).assert_input_error(&["before it is issued"]);
    // --expires and --valid-for are two ways to say the same thing.
    assert_eq!(
        sign(&["--expires", "2099-01-01", "--valid-for", "1d"]).code,
        USAGE_OR_INPUT_ERROR
    );
    let not_a_key = write(&dir, "not-a-key.pem", b"hello");
    pinctl(&[
        "bundle",
        "sign",
        "--key",
        &not_a_key,
        "--policy",
        &policy,
        "--version",
        "1",
        "-o",
        &bundle,
    ])
    .assert_input_error(&["not-a-key.pem", "no PEM private key"]);
    let bad_policy = write(&dir, "bad.toml", b"[[entry]]\npattern = \"*.com\"\n");
    pinctl(&[
        "bundle",
        "sign",
        "--key",
        &path(&dir, "key.pem"),
        "--policy",
        &bad_policy,
        "--version",
        "1",
        "-o",
        &bundle,
    ])
    .assert_input_error(&[&format!("{bad_policy}:2:")]);
    let malformed = write(&dir, "malformed.json", b"{\"version\": 1,\n \"policy\": }");
    pinctl(&["bundle", "inspect", &malformed]).assert_input_error(&["malformed.json:2:"]);

    // keygen keeps existing files unless --force.
    pinctl(&[
        "bundle",
        "keygen",
        "--algorithm",
        "ed25519",
        "--out",
        &path(&dir, "key.pem"),
    ])
    .assert_input_error(&["key.pem", "--force"]);
    let run = pinctl(&[
        "bundle",
        "keygen",
        "--algorithm",
        "ed25519",
        "--out",
        &path(&dir, "key.pem"),
        "--force",
    ]);
    run.assert_code(OK);
    assert!(
        run.stdout.contains("-----BEGIN PUBLIC KEY-----"),
        "{}",
        run.stdout
    );
    // Usage errors.
    for args in [
        &["bundle", "keygen", "--algorithm", "rsa", "--out", "x.pem"][..],
        &["bundle", "verify", &bundle],
        &["bundle", "sign", "--key", "k.pem", "--policy", "p.toml"],
        &["bundle"],
    ] {
        let run = pinctl(args);
        assert_eq!(run.code, USAGE_OR_INPUT_ERROR, "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

/// The commands of the README's `pinctl bundle` section, run as written in a directory with
/// a `pins.toml`.
#[test]
fn readme_bundle_commands_run_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let start = readme
        .find("### pinctl bundle")
        .expect("README has the section");
    let section = &readme[start..];
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section has a sh block");
    let dir = scratch_dir("bundle-readme");
    write(&dir, "pins.toml", POLICY.as_bytes());
    let mut commands = 0;
    for line in block.lines().filter(|line| line.starts_with("pinctl ")) {
        let args: Vec<&str> = line.split_whitespace().skip(1).collect();
        let run = pinctl_in(Some(&dir), &args, b"");
        assert_eq!(run.code, OK, "{line}\n{}\n{}", run.stdout, run.stderr);
        commands += 1;
    }
    assert_eq!(commands, 4);
    assert!(dir.join("bundle.json.sig").exists());
}
