//! RFC 7469 (HTTP Public Key Pinning) conformance: every requirement of sections 2.1,
//! 2.1.1 to 2.1.4, 2.2, 2.3.1, 2.5, 2.6, 3 and 4 that bears on a client library, with the test
//! that checks it or the README line that says why the crate does something else. Each quote
//! is the RFC's own words (`...` marks a cut); rows that quote another RFC say which.
//!
//! The crate is not a browser: it never receives `Public-Key-Pins` headers from responses
//! and keeps no store of Known Pinned Hosts. It reads header values an operator gives it
//! ([`HpkpPolicy`], `pinctl convert --from hpkp`), writes them back, enforces pins during the
//! TLS handshake ([`rustls_pinning::PinningServerVerifier`]) and writes section 3 reports
//! ([`rustls_pinning::ViolationReport`]). Requirements on those four parts are checked here
//! or by the named test of another file; the rest are README lines.
//!
//! `CONFORMANCE` below is the table; `every_row_names_a_test_that_exists` keeps it honest.

use std::time::Duration;

use rustls::pki_types::UnixTime;
use rustls_pinning::{EnforcementMode, HpkpError, HpkpPolicy, Pin, PinEntry, PinSet, PinSetError};

/// How a requirement is met.
enum Check {
    /// `file::test` (a file of `tests/suite/`, `rfc7469` being this one, or `pinctl/file` of
    /// `pinctl/tests/cli/`).
    Test(&'static str),
    /// The README line that says what the crate does instead, and why.
    Readme(&'static str),
}

/// One requirement: its section, its keyword, a short quote, and how it is met.
struct Row {
    section: &'static str,
    keyword: &'static str,
    requirement: &'static str,
    check: Check,
}

use Check::{Readme, Test};

const fn row(
    section: &'static str,
    keyword: &'static str,
    requirement: &'static str,
    check: Check,
) -> Row {
    Row {
        section,
        keyword,
        requirement,
        check,
    }
}

/// The conformance table.
const CONFORMANCE: &[Row] = &[
    // 2.1 Response Header Field Syntax
    row("2.1 rule 2", "MUST NOT", "With the exception of pin-directives with the same pin-directive-name (see below), a given directive MUST NOT appear more than once in a given header field",
        Test("rfc7469::a_directive_given_twice_refuses_the_header")),
    row("2.1 rule 3", "(definition)", "Directive names are case insensitive",
        Test("rfc7469::directive_names_are_case_insensitive")),
    row("2.1 rule 4", "MUST", "UAs MUST ignore any header fields containing directives, or other header field value data, that do not conform to the syntax defined in this specification",
        Test("rfc7469::a_directive_that_breaks_the_grammar_refuses_the_whole_header")),
    row("2.1 rule 5", "MUST", "If a header field contains any directive(s) the UA does not recognize, the UA MUST ignore those directives",
        Test("rfc7469::unknown_directives_that_follow_the_grammar_are_ignored")),
    row("2.1 rule 6", "MUST", "If the PKP or PKP-RO header field otherwise satisfies the above requirements (1 through 5), the UA MUST process the directives it recognizes",
        Test("rfc7469::every_recognised_directive_is_processed")),
    row("2.1", "(definition)", "The field values of both header fields conform to the same rules",
        Test("rfc7469::report_only_headers_use_the_same_grammar")),
    // 2.1.1 The Pin Directive
    row("2.1.1", "(grammar)", "pin-directive = pin-directive-name \"=\" pin-directive-value ... pin-directive-value = quoted-string",
        Test("rfc7469::a_pin_value_must_be_a_quoted_string")),
    row("2.1.1", "(definition)", "The quoted-string is a sequence of base 64 digits: the base64-encoded SPKI Fingerprint",
        Test("rfc7469::a_pin_must_be_the_base64_of_a_sha256_digest")),
    row("2.1.1", "MUST", "the UA MUST ignore pin-directives with tokens naming hash algorithms it does not recognize",
        Test("rfc7469::pins_with_other_hash_algorithms_are_ignored")),
    row("2.1.1", "MUST", "If the set of remaining effective pin-directives is empty, and if the host is a Known Pinned Host, the UA MUST cease to consider the host as a Known Pinned Host",
        Test("rfc7469::a_header_with_no_sha256_pin_pins_nothing")),
    // 2.1.2 The max-age Directive
    row("2.1.2", "REQUIRED", "The \"max-age\" directive is REQUIRED to be present within a \"Public-Key-Pins\" header field",
        Test("rfc7469::max_age_is_required_in_public_key_pins")),
    row("2.1.2", "MUST", "The \"max-age\" directive is meaningless within a \"Public-Key-Pins-Report-Only\" header field, and UAs MUST ignore it",
        Test("rfc7469::max_age_is_optional_in_report_only")),
    row("2.1.2", "MUST", "(same) ... and not cache the header",
        Readme("Policy: a `Public-Key-Pins-Report-Only` header is not cached: the crate stores no header. Imported on purpose (`HpkpPolicy::to_entry`, `pinctl convert --from hpkp --report-only`), it becomes a report-only entry; a `max-age` it gives becomes that entry's lifetime, because an imported policy needs an end that the operator chose, and without one the entry does not expire.")),
    row("2.1.2 / RFC 7234 1.2.1", "MUST", "If a cache receives a delta-seconds value greater than the greatest integer it can represent ... the cache MUST consider the value to be either 2147483648 (2^31) or the greatest positive integer it can conveniently represent",
        Test("rfc7469::a_max_age_beyond_64_bits_is_the_largest_one")),
    row("2.1.2", "SHOULD", "the number of seconds after the reception of the PKP header field during which the UA SHOULD regard the host (from whom the message was received) as a Known Pinned Host",
        Test("rfc7469::an_imported_entry_expires_max_age_after_the_import")),
    // 2.1.3 The includeSubDomains Directive
    row("2.1.3", "(definition)", "The OPTIONAL includeSubDomains directive is a valueless directive that, if present (i.e., it is \"asserted\"), signals to the UA that the Pinning Policy applies to this Pinned Host as well as any subdomains of the host's domain name",
        Test("rfc7469::include_subdomains_covers_the_host_and_every_subdomain")),
    // 2.1.4 The report-uri Directive
    row("2.1.4", "SHOULD", "The OPTIONAL report-uri directive indicates the URI to which the UA SHOULD report Pin Validation failures",
        Readme("Reports: the crate sends no HTTP request. `HpkpPolicy::report_uri` gives the header's `report-uri`; a `PinReporter` posts `PinEvent::to_json` there with the application's own client (see `examples/report_collector.rs`).")),
    row("2.1", "(grammar)", "directive = directive-name [ \"=\" directive-value ] ... directive-value = token / quoted-string",
        Test("rfc7469::report_uri_is_kept_and_must_be_quoted")),
    row("2.1.4", "MUST", "if connecting the report-uri itself incurs a Pinning Validation failure or other certificate validation failure, the UA MUST cancel the connection",
        Readme("Reports: the connection that posts reports is the application's; build it from a pinned `ClientConfig` and a failing certificate or pin cancels it like any other.")),
    row("2.1.4", "SHOULD", "UAs SHOULD limit the rate at which they send reports",
        Test("reports::deduplication_suppresses_identical_reports_until_the_window_passes")),
    // 2.2 Server Processing Model (what the crate writes as a header)
    row("2.2.1", "MUST", "Each instance of either header field MUST satisfy the grammar specified in Section 2.1",
        Test("rfc7469::written_headers_follow_the_grammar_and_read_back")),
    row("2.2.1", "SHOULD", "a Pinned Host SHOULD include in its response exactly one PKP header field, exactly one PKP-RO header field, or one of each",
        Test("rfc7469::one_entry_is_written_as_one_header")),
    row("2.2.2", "MUST", "UAs MUST ignore any PKP header received in an HTTP response conveyed over non-secure transport",
        Readme("Policy: the crate never reads headers from responses; `HpkpPolicy::parse` and `pinctl convert --from hpkp` take the text an operator gives them, who must take it from an HTTPS response of the host (RFC 7469 sections 2.2.2 and 2.5).")),
    // 2.3.1 Public-Key-Pins Response Header Field Processing
    row("2.3.1", "MUST NOT", "If the max-age header field value token has a value of 0, the UA MUST remove its cached Pinning Policy information (including the includeSubDomains directive, if asserted) if the Pinned Host is Known, or, MUST NOT note this Pinned Host if it is not yet Known",
        Test("rfc7469::max_age_zero_imports_no_entry")),
    row("2.3.1", "MUST", "The UA MUST ignore any PKP or PKP-RO header fields not conforming to the grammar specified in Section 2.1",
        Test("rfc7469::a_directive_that_breaks_the_grammar_refuses_the_whole_header")),
    // 2.5 Noting Pins
    row("2.5", "MUST", "The UA MUST note the Pins for a Host if and only if ... it received the PKP response header field over an error-free TLS connection",
        Readme("Policy: the crate never reads headers from responses; `HpkpPolicy::parse` and `pinctl convert --from hpkp` take the text an operator gives them, who must take it from an HTTPS response of the host (RFC 7469 sections 2.2.2 and 2.5).")),
    row("2.5", "MUST", "The TLS connection was authenticated with a certificate chain containing at least one of the SPKI structures indicated by at least one of the given SPKI Fingerprints",
        Test("pinctl/live::lint_applies_the_hpkp_rule_to_live_chains")),
    row("2.5", "MUST", "The given set of Pins contains at least one Pin that does NOT refer to an SPKI in the certificate chain. (That is, the host must set a Backup Pin; see Section 4.3.)",
        Test("rfc7469::a_header_with_a_single_pin_has_no_backup")),
    row("2.5", "MUST", "(same) ... at least one Pin that does NOT refer to an SPKI in the certificate chain",
        Test("pinctl/live::lint_applies_the_hpkp_rule_to_live_chains")),
    row("2.5", "MUST NOT", "If the PKP response header field does not meet all three of these criteria, the UA MUST NOT note the host as a Pinned Host",
        Test("rfc7469::a_header_with_a_single_pin_has_no_backup")),
    row("2.5", "MUST", "Whenever a UA receives a Valid Pinning Header, it MUST set its Pinning Metadata to the exact Pins, Effective Expiration Date (computed from max-age), and (if any) report-uri",
        Test("rfc7469::an_imported_entry_has_exactly_the_header_pins")),
    row("2.5", "MUST", "the UA MUST ignore any unrecognized PKP and PKP-RO header directives, while still processing those directives it does recognize",
        Test("rfc7469::unknown_directives_that_follow_the_grammar_are_ignored")),
    row("2.5", "SHOULD", "Upon receipt of a PKP-RO response header field, the UA SHOULD evaluate the policy expressed in the field, and SHOULD generate and send a report",
        Test("reports::report_only_accepts_a_mismatch_and_reports_what_enforcement_would_have_said")),
    row("2.5", "MUST", "However, failure to validate the Pins in the field MUST have no effect on the validity or non-validity of the policy expressed in the PKP field or in previously noted Pins for the Known Pinned Host",
        Readme("Policy: a pattern has one entry, enforced or report-only, so one host cannot carry both a `Public-Key-Pins` and a `Public-Key-Pins-Report-Only` policy; a report-only entry never rejects a connection for a pin mismatch.")),
    // 2.6 Validating Pinned Connections
    row("2.6", "MUST", "if the TLS connection has errors, the UA MUST terminate the connection without allowing the user to proceed anyway",
        Test("verifier_webpki::report_only_entry_still_rejects_chain_and_name_errors")),
    row("2.6", "(definition)", "the UA will compute the SPKI Fingerprints for each certificate in the Pinned Host's validated certificate chain",
        Test("verifier_webpki::chain_stuffing_with_a_pinned_certificate_is_rejected")),
    row("2.6", "MUST", "The UA MUST ignore superfluous certificates in the chain that do not form part of the validating chain",
        Test("adversarial::chain_stuffing_in_every_position_is_refused")),
    row("2.6", "MUST", "If there is set intersection, the UA continues with the connection as normal. Otherwise, the UA MUST treat this Pin Validation failure as a non-recoverable error",
        Test("reports::an_enforced_mismatch_is_a_violation_with_the_whole_context")),
    row("2.6", "MUST", "A UA that has previously noted a host as a Known Pinned Host MUST perform Pin Validation when setting up the TLS session, before beginning an HTTP conversation",
        Test("handshake::pinned_server_accepted_and_impostor_from_the_same_ca_rejected")),
    // 3 Reporting Pin Validation Failure
    row("3", "(definition)", "The date-time indicates the time the UA observed the Pin Validation failure. It is provided as a string formatted according to Section 5.6, \"Internet Date/Time Format\", of [RFC3339]",
        Test("rfc7469::report_times_are_rfc3339_even_for_a_huge_max_age")),
    row("3", "(definition)", "The effective-expiration-date is the Effective Expiration Date for the noted Pins. It is provided as a string formatted according to Section 5.6, \"Internet Date/Time Format\", of [RFC3339]",
        Test("rfc7469::report_times_are_rfc3339_even_for_a_huge_max_age")),
    row("3", "MUST", "The key/value pairs may appear in any order, but each MUST appear only once",
        Test("rfc7469::report_keys_appear_once_and_known_pins_are_escaped")),
    row("3", "MUST", "the UA MUST either use single-quoted JSON strings or use double-quoted JSON strings and backslash-escape the embedded double quotes in the quoted-string part of the known-pin",
        Test("rfc7469::report_keys_appear_once_and_known_pins_are_escaped")),
    row("3", "(definition)", "port is the port to which the UA made the original request ... provided as an integer",
        Readme("Reports: `port` is left out unless the verifier is told it (`Reporting::port`): rustls does not pass the port to certificate verifiers.")),
    row("3", "SHOULD", "UAs that build certificate chains in more than one way during the validation process SHOULD send the last chain built",
        Readme("Reports: `validated-certificate-chain` is the first path webpki verified and the pins refused, not the last; the `ServerPinningError` of the event lists every verified path.")),
    row("3", "(definition)", "The served-certificate-chain is the certificate chain, as served by the Known Pinned Host during TLS session setup ... The validated-certificate-chain is the certificate chain, as constructed by the UA during certificate chain verification",
        Test("reports::the_json_report_matches_the_fixture_field_by_field")),
    // 4 Security Considerations
    row("4.1", "MAY", "UAs MAY cap the max-age value at some upper limit",
        Test("rfc7469::an_imported_expiry_is_capped_at_the_last_rfc3339_second")),
    row("4.2", "(consideration)", "If a host whose hostname is a parent domain for another host sets the includeSubDomains directive, the two hosts' Pins may conflict with each other",
        Test("rfc7469::a_subdomain_header_wins_over_its_parent_s_include_subdomains")),
    row("4.3", "(consideration)", "The primary way to cope with the risk of inadvertent Pin Validation failure is to keep a Backup Pin",
        Test("pin_set::malformed_entries_are_refused_with_the_reason")),
    row("4.3", "MUST", "UAs MUST require that hosts set a Backup Pin",
        Test("rfc7469::a_header_with_a_single_pin_has_no_backup")),
    row("4.4", "SHOULD", "hosts SHOULD set the \"secure\" attribute and precisely scope the \"domain\" attribute on all security-sensitive cookies",
        Readme("Policy: RFC 7469 section 4.4 (cookies) is for servers and browsers; the crate handles no cookies.")),
    row("4.5", "(consideration)", "An attacker who is able to obtain a valid certificate for a domain, either through misissuance by a Certification Authority or through other means ... may attempt to perform 'hostile' pinning",
        Readme("Policy: pins are never learnt from servers: every entry comes from code, a policy file, or a bundle signed by a key the application trusts, so a server cannot pin itself, hostile or not.")),
];

#[test]
fn every_row_names_a_test_that_exists() {
    let sources = [
        ("rfc7469", include_str!("rfc7469.rs")),
        ("reports", include_str!("reports.rs")),
        ("verifier_webpki", include_str!("verifier_webpki.rs")),
        ("adversarial", include_str!("adversarial.rs")),
        ("handshake", include_str!("handshake.rs")),
        ("pin_set", include_str!("pin_set.rs")),
        (
            "pinctl/live",
            include_str!("../../pinctl/tests/cli/live.rs"),
        ),
    ];
    for row in CONFORMANCE {
        assert!(!row.section.is_empty() && !row.keyword.is_empty());
        assert!(!row.requirement.is_empty(), "{}", row.section);
        match row.check {
            Test(name) => {
                let (file, test) = name.split_once("::").expect("file::test");
                let source = sources
                    .iter()
                    .find(|(known, _)| *known == file)
                    .unwrap_or_else(|| panic!("{}: no file {file}", row.section))
                    .1;
                assert!(
                    source.contains(&format!("fn {test}()")),
                    "{}: {name} is not a test",
                    row.section
                );
            }
            Readme(line) => assert!(line.len() > 40, "{}: {line}", row.section),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn pin(byte: u8) -> Pin {
    Pin::spki_sha256([byte; 32])
}

fn b64(byte: u8) -> String {
    pin(byte).base64()
}

/// A valid header with two pins and `rest` appended.
fn header(rest: &str) -> String {
    format!(
        "pin-sha256=\"{}\"; pin-sha256=\"{}\"; max-age=600{rest}",
        b64(1),
        b64(2)
    )
}

fn at(secs: u64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(secs))
}

/// The directive and reason of an `InvalidDirective`, or a failure naming what came instead.
fn invalid(result: Result<HpkpPolicy, HpkpError>) -> (String, String) {
    match result {
        Err(HpkpError::InvalidDirective {
            directive, reason, ..
        }) => (directive, reason),
        other => panic!("expected InvalidDirective, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// 2.1
// ---------------------------------------------------------------------------------------------

#[test]
fn a_directive_given_twice_refuses_the_header() {
    for (extra, directive) in [
        ("; max-age=10", "max-age"),
        (
            "; includeSubDomains; INCLUDESUBDOMAINS",
            "includesubdomains",
        ),
        (
            "; report-uri=\"https://a.example/\"; report-uri=\"https://b.example/\"",
            "report-uri",
        ),
        ("; ext=1; Ext=2", "ext"),
    ] {
        assert_eq!(
            HpkpPolicy::parse(&header(extra)),
            Err(HpkpError::DuplicateDirective {
                directive: directive.into()
            }),
            "{extra}"
        );
    }
    // Pins are the exception: the same pin twice counts once.
    let twice = HpkpPolicy::parse(&header(&format!("; pin-sha256=\"{}\"", b64(1)))).unwrap();
    assert_eq!(twice.pins(), [pin(1), pin(2)]);
}

#[test]
fn directive_names_are_case_insensitive() {
    let text = format!(
        "PIN-SHA256=\"{}\"; Pin-Sha256=\"{}\"; MAX-AGE=60; includesubdomains; Report-URI=\"https://r.example/\"",
        b64(1),
        b64(2)
    );
    let policy = HpkpPolicy::parse(&text).unwrap();
    assert_eq!(policy.pins(), [pin(1), pin(2)]);
    assert_eq!(policy.max_age(), Duration::from_secs(60));
    assert!(policy.include_subdomains());
    assert_eq!(policy.report_uri(), Some("https://r.example/"));
}

#[test]
fn a_directive_that_breaks_the_grammar_refuses_the_whole_header() {
    // Unknown directives too: rule 4 ignores the header as a whole, before rule 5 could
    // ignore the directive alone.
    for (extra, directive) in [
        ("; ext=a\"b", "ext"),
        ("; ext=<x>", "ext"),
        ("; ext=a/b", "ext"),
        ("; ext=a,b", "ext"),
        ("; ext=(x)", "ext"),
        ("; ext=a@b", "ext"),
        ("; pin-sha1=AAAA=", "pin-sha1"),
        ("; ext=\"a\u{1}b\"", "ext"),
        ("; ext=\"a\\\u{7f}\"", "ext"),
        ("; report-uri=\"https://r.example/\u{0}\"", "report-uri"),
    ] {
        let (found, reason) = invalid(HpkpPolicy::parse(&header(extra)));
        assert_eq!(found, directive, "{extra:?}");
        assert!(
            reason.contains("neither a token nor a quoted string")
                || reason.contains("control character"),
            "{extra:?}: {reason}"
        );
        // The report-only header follows the same rule.
        assert_eq!(
            invalid(HpkpPolicy::parse_report_only(&header(extra))).0,
            directive
        );
    }
    for (extra, directive, reason) in [
        ("; ext=\"open", "ext", "unterminated"),
        ("; ext=a b", "ext", "expected ';'"),
        ("; ext<x>", "ext", "expected ';'"),
        ("; ext=", "ext", "expected a value"),
        ("; =1", "", "expected a directive name"),
    ] {
        let (found, text) = invalid(HpkpPolicy::parse(&header(extra)));
        assert_eq!(found, directive, "{extra:?}");
        assert!(text.contains(reason), "{extra:?}: {text}");
    }
}

#[test]
fn unknown_directives_that_follow_the_grammar_are_ignored() {
    let plain = HpkpPolicy::parse(&header("")).unwrap();
    for extra in [
        "; ext",
        "; ext=token-1.2_3~!#$%&'*+^`|",
        "; ext=\"quoted; with = separators, \\\"escapes\\\" and \u{e9}\"",
        "; pin-sha1=\"AAAAAAAAAAAAAAAAAAAAAAAAAAA=\"",
        "; pin-sha512=\"anything\"",
        ";;; ext2=\"\"",
        "\t;\text3=1\t",
    ] {
        assert_eq!(
            HpkpPolicy::parse(&header(extra)).as_ref(),
            Ok(&plain),
            "{extra:?}"
        );
    }
}

#[test]
fn every_recognised_directive_is_processed() {
    let policy = HpkpPolicy::parse(&header(
        "; includeSubDomains; report-uri=\"https://r.example/p?q=\\\"1\\\"\"",
    ))
    .unwrap();
    assert_eq!(policy.pins(), [pin(1), pin(2)]);
    assert_eq!(policy.max_age(), Duration::from_secs(600));
    assert!(policy.include_subdomains());
    assert_eq!(policy.report_uri(), Some("https://r.example/p?q=\"1\""));
    assert!(!policy.is_report_only());
}

#[test]
fn report_only_headers_use_the_same_grammar() {
    let text = header("; includeSubDomains");
    let enforced = HpkpPolicy::parse(&text).unwrap();
    let report_only = HpkpPolicy::parse_report_only(&text).unwrap();
    assert!(report_only.is_report_only());
    assert_eq!(report_only.pins(), enforced.pins());
    assert_eq!(report_only.max_age(), enforced.max_age());
    assert_eq!(
        HpkpPolicy::parse_report_only("max-age=10"),
        Err(HpkpError::NoPins)
    );
}

// ---------------------------------------------------------------------------------------------
// 2.1.1
// ---------------------------------------------------------------------------------------------

#[test]
fn a_pin_value_must_be_a_quoted_string() {
    let text = format!(
        "pin-sha256={}; pin-sha256=\"{}\"; max-age=1",
        b64(1),
        b64(2)
    );
    let (directive, reason) = invalid(HpkpPolicy::parse(&text));
    assert_eq!(directive, "pin-sha256");
    assert!(reason.contains("quoted string"), "{reason}");
    let (directive, _) = invalid(HpkpPolicy::parse(&format!(
        "pin-sha256; pin-sha256=\"{}\"; max-age=1",
        b64(2)
    )));
    assert_eq!(directive, "pin-sha256");
}

#[test]
fn a_pin_must_be_the_base64_of_a_sha256_digest() {
    for value in [
        "",
        "AAAA",
        // 33 bytes, 31 bytes.
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
        // base64url alphabet, missing padding.
        "r_mIkG3eEpVdm-u_ko_cwxzOMo1bk4TyHIlByibiA5E=",
        "r/mIkG3eEpVdm+u/ko/cwxzOMo1bk4TyHIlByibiA5E",
    ] {
        let text = format!(
            "pin-sha256=\"{value}\"; pin-sha256=\"{}\"; max-age=1",
            b64(2)
        );
        assert_eq!(invalid(HpkpPolicy::parse(&text)).0, "pin-sha256", "{value}");
    }
}

#[test]
fn pins_with_other_hash_algorithms_are_ignored() {
    let text = format!(
        "pin-sha1=\"AAAAAAAAAAAAAAAAAAAAAAAAAAA=\"; pin-sha256=\"{}\"; pin-sha512=\"x\"; pin-sha256=\"{}\"; max-age=1",
        b64(1),
        b64(2)
    );
    assert_eq!(HpkpPolicy::parse(&text).unwrap().pins(), [pin(1), pin(2)]);
}

#[test]
fn a_header_with_no_sha256_pin_pins_nothing() {
    for text in [
        "max-age=100",
        "pin-sha1=\"AAAAAAAAAAAAAAAAAAAAAAAAAAA=\"; max-age=100",
        "pin-sha384=\"AAAA\"; pin-sha512=\"AAAA\"; max-age=100; includeSubDomains",
    ] {
        assert_eq!(HpkpPolicy::parse(text), Err(HpkpError::NoPins), "{text}");
        assert_eq!(
            HpkpPolicy::parse_report_only(text),
            Err(HpkpError::NoPins),
            "{text}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2.1.2
// ---------------------------------------------------------------------------------------------

#[test]
fn max_age_is_required_in_public_key_pins() {
    let text = format!("pin-sha256=\"{}\"; pin-sha256=\"{}\"", b64(1), b64(2));
    assert_eq!(HpkpPolicy::parse(&text), Err(HpkpError::MissingMaxAge));
}

#[test]
fn max_age_is_optional_in_report_only() {
    let text = format!(
        "pin-sha256=\"{}\"; pin-sha256=\"{}\"; report-uri=\"https://r.example/\"",
        b64(1),
        b64(2)
    );
    let policy = HpkpPolicy::parse_report_only(&text).unwrap();
    assert!(policy.is_report_only());
    assert!(!policy.has_max_age());
    assert_eq!(policy.max_age(), Duration::ZERO);
    // It reads back as written, without a max-age.
    assert_eq!(
        policy.to_string(),
        format!(
            "pin-sha256=\"{}\"; pin-sha256=\"{}\"; report-uri=\"https://r.example/\"",
            b64(1),
            b64(2)
        )
    );
    assert_eq!(
        HpkpPolicy::parse_report_only(&policy.to_string()),
        Ok(policy.clone())
    );
    // The entry it imports is report-only and does not expire.
    let entry = policy
        .to_entry("example.com".parse().unwrap(), at(1_800_000_000))
        .expect("an entry");
    let set = PinSet::builder().entry(entry).build().unwrap();
    let entry = set.lookup("example.com").unwrap();
    assert_eq!(entry.mode(), EnforcementMode::ReportOnly);
    assert_eq!(entry.expires_at(), None);
    // A given max-age still has to be a number.
    let (directive, _) = invalid(HpkpPolicy::parse_report_only(&format!("{text}; max-age=x")));
    assert_eq!(directive, "max-age");
}

#[test]
fn a_max_age_beyond_64_bits_is_the_largest_one() {
    for digits in [
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999999999999999999999999",
        "000000000000000000000000000000000000018446744073709551616",
    ] {
        for text in [
            format!("; max-age={digits}"),
            format!("; max-age=\"{digits}\""),
        ] {
            let full = format!("pin-sha256=\"{}\"; pin-sha256=\"{}\"{text}", b64(1), b64(2));
            let policy = HpkpPolicy::parse(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
            assert_eq!(policy.max_age(), Duration::from_secs(u64::MAX), "{full}");
        }
    }
    let leading_zeros = HpkpPolicy::parse(&header("").replace("600", "000600")).unwrap();
    assert_eq!(leading_zeros.max_age(), Duration::from_secs(600));
    for bad in ["", "-1", "+1", "1e3", "1.5", "0x10", "\"\"", "\" 1\"", "١٢"] {
        let full = format!(
            "pin-sha256=\"{}\"; pin-sha256=\"{}\"; max-age={bad}",
            b64(1),
            b64(2)
        );
        let result = HpkpPolicy::parse(&full);
        match result {
            Err(HpkpError::InvalidDirective { directive, .. }) => {
                assert_eq!(directive, "max-age", "{bad}")
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
}

#[test]
fn an_imported_entry_expires_max_age_after_the_import() {
    let policy = HpkpPolicy::parse(&header("")).unwrap();
    let set = PinSet::builder()
        .entry(
            policy
                .to_entry("example.com".parse().unwrap(), at(1_800_000_000))
                .unwrap(),
        )
        .build()
        .unwrap();
    let entry = set.lookup("example.com").unwrap();
    assert_eq!(entry.expires_at(), Some(at(1_800_000_600)));
    assert!(!entry.is_expired_at(at(1_800_000_599)));
    assert!(entry.is_expired_at(at(1_800_000_600)));
    assert_eq!(entry.mode(), EnforcementMode::Enforce);
}

#[test]
fn max_age_zero_imports_no_entry() {
    for text in [
        header("").replace("max-age=600", "max-age=0"),
        header("").replace("max-age=600", "max-age=\"000\""),
    ] {
        let policy = HpkpPolicy::parse(&text).unwrap();
        assert!(policy.has_max_age());
        assert!(policy
            .to_entry("example.com".parse().unwrap(), at(1_800_000_000))
            .is_none());
        let report_only = HpkpPolicy::parse_report_only(&text).unwrap();
        assert!(report_only
            .to_entry("example.com".parse().unwrap(), at(1_800_000_000))
            .is_none());
    }
}

/// LAST_WRITABLE_SECOND of the crate: 9999-12-31T23:59:59Z.
const LAST_RFC3339_SECOND: u64 = 253_402_300_799;

#[test]
fn an_imported_expiry_is_capped_at_the_last_rfc3339_second() {
    for (max_age, now, expected) in [
        ("18446744073709551616", 1_800_000_000, LAST_RFC3339_SECOND),
        // The header behind 14702-07-15T23:06:40Z.
        ("400000000000", 1_800_000_000, LAST_RFC3339_SECOND),
        ("251602300799", 1_800_000_000, LAST_RFC3339_SECOND),
        ("251602300798", 1_800_000_000, LAST_RFC3339_SECOND - 1),
        ("1", LAST_RFC3339_SECOND - 1, LAST_RFC3339_SECOND),
    ] {
        let policy = HpkpPolicy::parse(&header("").replace("600", max_age)).unwrap();
        let set = PinSet::builder()
            .entry(
                policy
                    .to_entry("example.com".parse().unwrap(), at(now))
                    .unwrap(),
            )
            .build()
            .unwrap();
        assert_eq!(
            set.lookup("example.com").unwrap().expires_at(),
            Some(at(expected)),
            "max-age={max_age}"
        );
        // So the imported set can always be saved as a policy file.
        #[cfg(feature = "serde")]
        {
            use rustls_pinning::config::{self, ConfigFormat};
            let text = config::to_string(&set, ConfigFormat::Toml).unwrap();
            let back = config::parse(&text, ConfigFormat::Toml).unwrap();
            assert_eq!(
                back.lookup("example.com").unwrap().expires_at(),
                Some(at(expected))
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2.1.3, 2.1.4
// ---------------------------------------------------------------------------------------------

#[test]
fn include_subdomains_covers_the_host_and_every_subdomain() {
    let policy = HpkpPolicy::parse(&header("; includeSubDomains")).unwrap();
    let set = PinSet::builder()
        .entry(
            policy
                .to_entry("example.com".parse().unwrap(), at(1_800_000_000))
                .unwrap(),
        )
        .build()
        .unwrap();
    for host in ["example.com", "www.example.com", "a.b.c.example.com"] {
        assert_eq!(
            set.lookup(host).map(|entry| entry.pattern().to_string()),
            Some("**.example.com".to_owned()),
            "{host}"
        );
    }
    assert!(set.lookup("badexample.com").is_none());
    assert!(set.lookup("example.org").is_none());
    // Without it, only the host itself.
    let exact = HpkpPolicy::parse(&header("")).unwrap();
    let set = PinSet::builder()
        .entry(
            exact
                .to_entry("example.com".parse().unwrap(), at(1_800_000_000))
                .unwrap(),
        )
        .build()
        .unwrap();
    assert!(set.lookup("example.com").is_some());
    assert!(set.lookup("www.example.com").is_none());
    // It is valueless.
    let (directive, reason) = invalid(HpkpPolicy::parse(&header("; includeSubDomains=true")));
    assert_eq!(directive, "includesubdomains");
    assert!(reason.contains("no value"), "{reason}");
}

#[test]
fn report_uri_is_kept_and_must_be_quoted() {
    let policy = HpkpPolicy::parse(&header("; report-uri=\"https://r.example/hpkp\"")).unwrap();
    assert_eq!(policy.report_uri(), Some("https://r.example/hpkp"));
    for extra in [
        "; report-uri=https://r.example/",
        "; report-uri=token",
        "; report-uri",
    ] {
        let (directive, reason) = invalid(HpkpPolicy::parse(&header(extra)));
        assert_eq!(directive, "report-uri", "{extra}");
        assert!(reason.contains("quoted"), "{extra}: {reason}");
    }
}

// ---------------------------------------------------------------------------------------------
// 2.2: headers the crate writes
// ---------------------------------------------------------------------------------------------

#[test]
fn written_headers_follow_the_grammar_and_read_back() {
    let now = at(1_800_000_000);
    let set = PinSet::builder()
        .entry(
            PinEntry::builder("**.example.com".parse().unwrap())
                .pin(pin(1))
                .backup_pin(pin(2))
                .expires_at(at(u64::MAX)),
        )
        .entry(
            PinEntry::builder("api.example.org".parse().unwrap())
                .pin(pin(3))
                .pin(pin(0xFF))
                .report_only(),
        )
        .build()
        .unwrap();
    for entry in set.entries() {
        let written = HpkpPolicy::from_entry(entry, now, Duration::from_secs(86_400)).unwrap();
        let text = written.to_string();
        // Every directive is a token name with a token or quoted-string value.
        for directive in text.split("; ") {
            let (name, value) = directive.split_once('=').unwrap_or((directive, ""));
            assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                "{text}"
            );
            assert!(
                value.is_empty()
                    || value.bytes().all(|b| b.is_ascii_digit())
                    || (value.starts_with('"') && value.ends_with('"') && value.len() >= 2),
                "{text}"
            );
        }
        let read = match written.is_report_only() {
            true => HpkpPolicy::parse_report_only(&text),
            false => HpkpPolicy::parse(&text),
        };
        assert_eq!(read, Ok(written), "{text}");
    }
}

#[test]
fn one_entry_is_written_as_one_header() {
    let set = PinSet::builder()
        .entry(
            PinEntry::builder("example.com".parse().unwrap())
                .pin(pin(1))
                .pin(pin(2))
                .pin(pin(3)),
        )
        .build()
        .unwrap();
    let entry = set.entries().next().unwrap();
    let text = HpkpPolicy::from_entry(entry, at(0), Duration::from_secs(60))
        .unwrap()
        .to_string();
    assert_eq!(
        text,
        format!(
            "pin-sha256=\"{}\"; pin-sha256=\"{}\"; pin-sha256=\"{}\"; max-age=60",
            b64(1),
            b64(2),
            b64(3)
        )
    );
    assert_eq!(text.matches("max-age").count(), 1);
}

// ---------------------------------------------------------------------------------------------
// 2.5
// ---------------------------------------------------------------------------------------------

#[test]
fn a_header_with_a_single_pin_has_no_backup() {
    let policy = HpkpPolicy::parse(&format!("pin-sha256=\"{}\"; max-age=60", b64(1))).unwrap();
    let entry = policy
        .to_entry("example.com".parse().unwrap(), at(1_800_000_000))
        .unwrap();
    match PinSet::builder().entry(entry).build() {
        Err(PinSetError::MissingBackupPin { pattern }) => {
            assert_eq!(pattern.to_string(), "example.com")
        }
        other => panic!("{other:?}"),
    }
    // The same pin twice is still one pin.
    let twice = HpkpPolicy::parse(&format!(
        "pin-sha256=\"{0}\"; pin-sha256=\"{0}\"; max-age=60",
        b64(1)
    ))
    .unwrap();
    assert_eq!(twice.pins(), [pin(1)]);
}

#[test]
fn an_imported_entry_has_exactly_the_header_pins() {
    let policy = HpkpPolicy::parse(&header(&format!("; pin-sha256=\"{}\"", b64(3)))).unwrap();
    let set = PinSet::builder()
        .entry(
            policy
                .to_entry("example.com".parse().unwrap(), at(1_800_000_000))
                .unwrap(),
        )
        .build()
        .unwrap();
    let entry = set.lookup("example.com").unwrap();
    let pins: Vec<Pin> = entry.allowed_pins().iter().map(|p| p.pin()).collect();
    assert_eq!(pins, [pin(1), pin(2), pin(3)]);
    assert!(entry.denied_pins().is_empty());
    assert_eq!(entry.expires_at(), Some(at(1_800_000_600)));
}

// ---------------------------------------------------------------------------------------------
// 4.2
// ---------------------------------------------------------------------------------------------

#[test]
fn a_subdomain_header_wins_over_its_parent_s_include_subdomains() {
    let now = at(1_800_000_000);
    let parent = HpkpPolicy::parse(&header("; includeSubDomains")).unwrap();
    let child = HpkpPolicy::parse(&format!(
        "pin-sha256=\"{}\"; pin-sha256=\"{}\"; max-age=60",
        b64(7),
        b64(8)
    ))
    .unwrap();
    let set = PinSet::builder()
        .entry(
            parent
                .to_entry("example.com".parse().unwrap(), now)
                .unwrap(),
        )
        .entry(
            child
                .to_entry("api.example.com".parse().unwrap(), now)
                .unwrap(),
        )
        .build()
        .unwrap();
    let api = set.lookup("api.example.com").unwrap();
    let pins: Vec<Pin> = api.allowed_pins().iter().map(|p| p.pin()).collect();
    // Only the child's pins: no union with the parent's.
    assert_eq!(pins, [pin(7), pin(8)]);
    assert_eq!(
        set.lookup("www.example.com").unwrap().pattern().to_string(),
        "**.example.com"
    );
}

// ---------------------------------------------------------------------------------------------
// 3: reports
// ---------------------------------------------------------------------------------------------

#[cfg(feature = "serde")]
mod reports {
    use std::sync::Arc;

    use rustls::client::danger::ServerCertVerifier;
    use rustls::pki_types::{CertificateDer, ServerName};
    use rustls_pinning::reporters::MemoryReporter;
    use rustls_pinning::{
        danger, AfterExpiry, HpkpPolicy, PinEntryBuilder, PinEvent, PinEventKind, PinSet,
        Reporting, ViolationReport,
    };

    use super::{at, b64, LAST_RFC3339_SECOND};

    const HOST: &str = "pinned.test";

    /// The event a pins-only verifier raises when `entry` refuses a self-signed leaf for
    /// [`HOST`] at `now` (validity dates are not checked, so any time works).
    pub(super) fn violation(entry: PinEntryBuilder, now: u64) -> PinEvent {
        let key = rcgen::KeyPair::generate().unwrap();
        let leaf: CertificateDer<'static> = rcgen::CertificateParams::new(vec![HOST.to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap()
            .der()
            .clone();
        let events = Arc::new(MemoryReporter::new(4));
        let verifier = danger::pins_only(
            PinSet::builder().entry(entry).build().unwrap(),
            rustls_pinning::default_crypto_provider(),
        )
        .allow_expired_certificates()
        .with_reporting(Reporting::new(events.clone()).port(443))
        .build()
        .unwrap();
        let result = verifier.verify_server_cert(
            &leaf,
            &[],
            &ServerName::try_from(HOST).unwrap(),
            &[],
            at(now),
        );
        assert!(result.is_err());
        // An entry about to expire also raises `ExpiresSoon`; the report is the violation's.
        let events = events.take();
        let mut violations = events
            .into_iter()
            .filter(|event| event.kind == PinEventKind::Violation);
        let violation = violations.next().expect("a violation event");
        assert!(violations.next().is_none());
        violation
    }

    fn imported(max_age: &str, now: u64) -> PinEntryBuilder {
        let text = format!(
            "pin-sha256=\"{}\"; pin-sha256=\"{}\"; max-age={max_age}",
            b64(1),
            b64(2)
        );
        HpkpPolicy::parse(&text)
            .unwrap()
            .to_entry(HOST.parse().unwrap(), at(now))
            .unwrap()
            .after_expiry(AfterExpiry::KeepEnforcing)
    }

    #[test]
    fn report_times_are_rfc3339_even_for_a_huge_max_age() {
        use time::format_description::well_known::Rfc3339;
        use time::OffsetDateTime;

        let now = 1_800_000_000;
        for (max_age, expiry, expiry_secs) in [
            ("600", "2027-01-15T08:10:00Z", now + 600),
            ("400000000000", "9999-12-31T23:59:59Z", LAST_RFC3339_SECOND),
            (
                "18446744073709551616",
                "9999-12-31T23:59:59Z",
                LAST_RFC3339_SECOND,
            ),
        ] {
            let report = ViolationReport::from(&violation(imported(max_age, now), now));
            assert_eq!(report.date_time, "2027-01-15T08:00:00Z");
            assert_eq!(report.effective_expiration_date.as_deref(), Some(expiry));
            // An independent RFC 3339 parser reads the same instants.
            for (text, secs) in [(report.date_time.as_str(), now), (expiry, expiry_secs)] {
                let parsed = OffsetDateTime::parse(text, &Rfc3339).unwrap();
                assert_eq!(
                    parsed.unix_timestamp(),
                    i64::try_from(secs).unwrap(),
                    "{text}"
                );
            }
        }
        // The time of the failure itself, past year 9999, is written as its last second too.
        let report = ViolationReport::from(&violation(imported("600", now), u64::MAX));
        assert_eq!(report.date_time, "9999-12-31T23:59:59Z");
    }

    #[test]
    fn report_keys_appear_once_and_known_pins_are_escaped() {
        let event = violation(imported("600", 1_800_000_000), 1_800_000_000);
        let json = event.to_json().unwrap();
        for key in [
            "date-time",
            "hostname",
            "port",
            "effective-expiration-date",
            "include-subdomains",
            "noted-hostname",
            "served-certificate-chain",
            "validated-certificate-chain",
            "known-pins",
        ] {
            assert_eq!(
                json.matches(&format!("\"{key}\":")).count(),
                1,
                "{key}: {json}"
            );
        }
        assert!(
            json.contains(&format!("\"pin-sha256=\\\"{}\\\"\"", b64(1))),
            "{json}"
        );
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value["known-pins"][1],
            serde_json::Value::String(format!("pin-sha256=\"{}\"", b64(2)))
        );
        assert_eq!(value["port"], serde_json::json!(443));
    }
}
