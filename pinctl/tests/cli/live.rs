//! pinctl reading chains from TLS servers on loopback (`pins`, `check`, `lint` and `expiry`
//! with `--connect`), once per crypto provider the servers run on.

use std::thread;
use std::time::Duration;

use crate::cli::*;
use crate::common::{Ca, TestServer};
use crate::pins::serve;
use crate::policy::{has, lint, Pki, HOST, SPARE};

use super::{provider, PROVIDER};

// ---------------------------------------------------------------------------------------
// pins --connect
// ---------------------------------------------------------------------------------------

#[test]
fn connect_without_cafile_shows_the_chain_unvalidated() {
    let provider = provider();
    let served = serve("connect", provider);
    let address = served.address();
    let run = pinctl(&["pins", "--json", "--connect", &address, "--timeout", "5"]);
    assert_eq!(run.code, OK, "{PROVIDER}: {}", run.stderr);
    let report = run.json();
    served.assert_chain(&report);
    assert_eq!(report["chains"][0]["server"]["server_name"], "127.0.0.1");
    assert_eq!(
        report["chains"][0]["server"]["validation"],
        serde_json::json!({"status": "not_validated"}),
        "{PROVIDER}"
    );

    let run = pinctl(&["pins", "--connect", &address, "--servername", "localhost"]);
    assert_eq!(run.code, OK, "{PROVIDER}: {}", run.stderr);
    assert!(
        run.stdout.starts_with(&format!(
            "{address}: 2 certificates as served, leaf first (address {address}, \
             server name localhost)\n  NOT VALIDATED: "
        )),
        "{PROVIDER}: {}",
        run.stdout
    );
    assert!(run.stdout.contains("  [0] leaf\n"), "{}", run.stdout);
    for (spki, certificate) in served.expected_pins() {
        assert!(
            run.stdout.contains(&format!("SPKI pin    {spki}\n")),
            "{PROVIDER}"
        );
        assert!(
            run.stdout.contains(&format!("cert pin    {certificate}\n")),
            "{PROVIDER}"
        );
    }
    // The handshake was always ended once the certificates arrived: the server never got
    // to answer a request.
    thread::sleep(Duration::from_millis(100));
    assert_eq!(served.server.completed(), 0, "{PROVIDER}");
}

#[test]
fn connect_with_cafile_validates_the_chain_for_the_name() {
    let provider = provider();
    let served = serve("cafile", provider);
    let address = served.address();
    let roots = write(
        &served.dir,
        "roots.pem",
        pem(&[served.root.cert_der()]).as_bytes(),
    );
    for name in [None, Some("localhost")] {
        let mut args = vec!["pins", "--json", "--connect", &address, "--cafile", &roots];
        if let Some(name) = name {
            args.extend(["--servername", name]);
        }
        let run = pinctl(&args);
        assert_eq!(run.code, OK, "{PROVIDER} {name:?}: {}", run.stderr);
        let report = run.json();
        served.assert_chain(&report);
        assert_eq!(
            report["chains"][0]["server"]["server_name"],
            name.unwrap_or("127.0.0.1")
        );
        assert_eq!(
            report["chains"][0]["server"]["validation"],
            serde_json::json!({"status": "valid", "roots": roots}),
            "{PROVIDER}"
        );
    }
    let run = pinctl(&["pins", "--connect", &address, "--cafile", &roots]);
    assert_eq!(run.code, OK, "{PROVIDER}: {}", run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "\n  valid for 127.0.0.1 with the roots in {roots}\n"
        )),
        "{PROVIDER}: {}",
        run.stdout
    );

    // A name the leaf does not cover: the chain is still printed, exit code 1.
    let run = pinctl(&[
        "pins",
        "--json",
        "--connect",
        &address,
        "--cafile",
        &roots,
        "--servername",
        "other.test",
    ]);
    assert_eq!(run.code, PROBLEM_FOUND, "{PROVIDER}: {}", run.stderr);
    let report = run.json();
    served.assert_chain(&report);
    let validation = &report["chains"][0]["server"]["validation"];
    assert_eq!(validation["status"], "invalid");
    assert!(
        validation["error"]
            .as_str()
            .unwrap()
            .contains("not valid for name \"other.test\""),
        "{validation}"
    );

    // Roots that did not issue the chain.
    let stranger = Ca::root("Stranger Root");
    let other_roots = write(
        &served.dir,
        "other.pem",
        pem(&[stranger.cert_der()]).as_bytes(),
    );
    let run = pinctl(&["pins", "--connect", &address, "--cafile", &other_roots]);
    assert_eq!(run.code, PROBLEM_FOUND, "{PROVIDER}: {}", run.stderr);
    assert!(
        run.stdout.contains(&format!(
            "\n  INVALID for 127.0.0.1 with the roots in {other_roots}: "
        )),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("UnknownIssuer"), "{}", run.stdout);
    for (spki, _) in served.expected_pins() {
        assert!(run.stdout.contains(&spki));
    }

    // A bad --cafile is an input error naming it.
    let bad_roots = write(&served.dir, "bad.pem", b"garbage");
    let run = pinctl(&["pins", "--connect", &address, "--cafile", &bad_roots]);
    run.assert_input_error(&[&bad_roots, "neither PEM nor DER"]);

    thread::sleep(Duration::from_millis(100));
    assert_eq!(
        served.server.completed(),
        0,
        "{PROVIDER}: no request was ever sent"
    );
}

// ---------------------------------------------------------------------------------------
// check, lint and expiry --connect
// ---------------------------------------------------------------------------------------

#[test]
fn check_connects_to_a_live_server() {
    let provider = provider();
    let pki = Pki::new("check-live");
    let server = TestServer::with_chain(
        pki.old.chain(&[&pki.intermediate]),
        pki.old.private_key(),
        provider,
    );
    let address = server.addr.to_string();
    let pinned_old = pki.policy(
        "old.toml",
        &entry("**.example.test", &[&pki.old_pin()], &[SPARE], ""),
    );
    let pinned_new = pki.policy(
        "new.toml",
        &entry("**.example.test", &[&pki.new_pin()], &[SPARE], ""),
    );
    let live = |config: &str| {
        pinctl(&[
            "--json",
            "check",
            "--config",
            config,
            "--connect",
            &address,
            "--servername",
            HOST,
            "--cafile",
            &pki.roots,
            "--timeout",
            "5",
        ])
    };
    let report = live(&pinned_old).assert_code(OK).json();
    assert_eq!(report["host"], HOST, "{PROVIDER}");
    assert_eq!(report["chain"]["source"], address.as_str());
    assert_eq!(report["accepted_through"][0]["pin"], pki.old_pin().as_str());

    let report = live(&pinned_new).assert_code(PROBLEM_FOUND).json();
    assert_eq!(report["error"]["kind"], "pin", "{PROVIDER}");
    assert!(report["error"]["message"]
        .as_str()
        .unwrap()
        .contains(&pki.old_pin()));

    // The name checked defaults to the address when no server name is given; the leaf
    // has 127.0.0.1 as well. An entry for the address pins it.
    let by_address = pki.policy(
        "ip.toml",
        &entry("127.0.0.1", &[&pki.old_pin()], &[SPARE], ""),
    );
    let run = pinctl(&[
        "--json",
        "check",
        "--config",
        &by_address,
        "--connect",
        &address,
        "--cafile",
        &pki.roots,
    ]);
    let report = run.assert_code(OK).json();
    assert_eq!(report["host"], "127.0.0.1");
    assert_eq!(report["entry"]["pattern"], "127.0.0.1");
    // The handshakes were ended once the certificates arrived.
    assert_eq!(server.completed(), 0, "{PROVIDER}");
}

#[test]
fn lint_applies_the_hpkp_rule_to_live_chains() {
    let provider = provider();
    let pki = Pki::new("lint-live");
    let server = TestServer::with_chain(
        pki.old.chain(&[&pki.intermediate]),
        pki.old.private_key(),
        provider,
    );
    let address = server.addr.to_string();
    let connect = [
        "--connect",
        address.as_str(),
        "--cafile",
        pki.roots.as_str(),
    ];
    // One pin in the chain, one outside: fine.
    let good = pki.policy(
        "good.toml",
        &entry("127.0.0.1", &[&pki.old_pin()], &[SPARE], ""),
    );
    let report = lint(&good, &connect).assert_code(OK).json();
    assert_eq!(report["chains"][0]["live"], true, "{PROVIDER}");
    assert_eq!(report["chains"][0]["entries"][0], "127.0.0.1");
    // Both pins in the served chain (leaf and the root from --cafile): no backup.
    let inside = pki.policy(
        "inside.toml",
        &entry("127.0.0.1", &[&pki.old_pin(), &pki.root_pin()], &[], ""),
    );
    let report = lint(&inside, &connect).assert_code(PROBLEM_FOUND).json();
    assert!(
        has(&report, "error", "hpkp-no-backup-outside-chain"),
        "{PROVIDER}: {report}"
    );
    // No pin in the served chain: clients refuse it today.
    let outside = pki.policy(
        "outside.toml",
        &entry("127.0.0.1", &[&pki.new_pin()], &[SPARE], ""),
    );
    let report = lint(&outside, &connect).assert_code(PROBLEM_FOUND).json();
    assert!(
        has(&report, "error", "hpkp-no-pin-in-chain"),
        "{PROVIDER}: {report}"
    );
    assert_eq!(server.completed(), 0, "{PROVIDER}");
}

#[test]
fn expiry_checks_live_chains() {
    let provider = provider();
    let pki = Pki::new("expiry-live");
    let server = TestServer::with_chain(
        pki.old.chain(&[&pki.intermediate]),
        pki.old.private_key(),
        provider,
    );
    let address = server.addr.to_string();
    let run = pinctl(&[
        "--json",
        "expiry",
        "--connect",
        &address,
        "--within",
        "100d",
    ]);
    let report = run.assert_code(PROBLEM_FOUND).json();
    assert_eq!(report["items"][0]["source"], address.as_str(), "{PROVIDER}");
    assert_eq!(report["items"][0]["position"], "leaf");
    assert_eq!(report["items"][0]["status"], "expiring");
    pinctl(&["expiry", "--connect", &address]).assert_code(OK);
}
