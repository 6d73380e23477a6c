#!/usr/bin/env python3
"""Prints the ratios BENCHMARKS.md reports, from the last `cargo bench` run.

Reads criterion's estimates under target/criterion (median of each bench) and divides each
measurement by its reference in the same group. Standard library only:

    cargo bench --all-features && python3 benches/ratios.py
"""

import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"
KINDS = ["ecdsa-p256", "rsa-2048"]
POSITIONS = ["leaf", "intermediate", "root", "none"]


def median_ns(full_id):
    """The median time of a bench, in nanoseconds, by its full id (group/function)."""
    for estimates in ROOT.glob("*/*/new/estimates.json"):
        bench = json.loads((estimates.parent / "benchmark.json").read_text())
        if bench["full_id"] == full_id:
            return json.loads(estimates.read_text())["median"]["point_estimate"]
    return None


def row(label, value, reference, target=None):
    if value is None or reference is None:
        print(f"| {label} | not run | | |")
        return
    ratio = value / reference
    verdict = ""
    if target is not None:
        verdict = "met" if target(ratio) else "not met"
    print(f"| {label} | {fmt(value)} | {fmt(reference)} | {ratio:.3f} | {verdict} |")


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.3f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def header(title, columns):
    print(f"\n### {title}\n")
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))


def main():
    if not ROOT.exists():
        sys.exit(f"no criterion results under {ROOT}: run `cargo bench --all-features` first")

    header("pin_check: ours / SHA-256 of the same SPKI bytes (target <= 1.3)",
           ["case", "ours", "sha256", "ratio", "target"])
    for kind in KINDS:
        for position in POSITIONS:
            base = f"pin_check/{kind}/{position}"
            row(f"{kind}, match at {position}", median_ns(f"{base}/ours"),
                median_ns(f"{base}/sha256"), lambda r: r <= 1.3)

    header("pinset_size: n entries / 1 entry (target <= 1.15 at 100 000)",
           ["host's entry, size", "n entries", "1 entry", "ratio", "target"])
    for form in ["exact", "one-label", "any-depth"]:
        one = median_ns(f"pinset_size/{form}/1")
        for size in [100, 10000, 100000]:
            target = (lambda r: r <= 1.15) if size == 100000 else None
            row(f"{form}, {size}", median_ns(f"pinset_size/{form}/{size}"), one, target)

    header("verify_server_cert: verifier / WebPkiServerVerifier (target <= 1.03 for pinning)",
           ["verifier", "time", "webpki", "ratio", "target"])
    for kind in KINDS:
        webpki = median_ns(f"verify_server_cert/{kind}/webpki")
        for mode in ["pinning", "wrap"]:
            for position in ["leaf", "intermediate", "root"]:
                target = (lambda r: r <= 1.03) if mode == "pinning" else None
                row(f"{kind}, {mode}, {position} pin",
                    median_ns(f"verify_server_cert/{kind}/{mode}, {position} pin"), webpki, target)

    header("naive: naive / ours (target >= 10)",
           ["case", "naive", "ours", "ratio", "target"])
    for kind in KINDS:
        for position in POSITIONS:
            base = f"naive/{kind}/{position}"
            row(f"{kind}, match at {position}", median_ns(f"{base}/naive"),
                median_ns(f"{base}/ours"), lambda r: r >= 10)

    header("handshake: PinningVerifier / WebPkiServerVerifier (target <= 1.03)",
           ["client", "time", "webpki", "ratio", "target"])
    webpki = median_ns("handshake/ecdsa-p256/webpki")
    for position in ["leaf", "root"]:
        row(f"ecdsa-p256, pinning, {position} pin",
            median_ns(f"handshake/ecdsa-p256/pinning, {position} pin"), webpki,
            lambda r: r <= 1.03)


if __name__ == "__main__":
    main()
