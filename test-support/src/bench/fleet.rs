//! Large pin sets: a fleet SDK or a mesh sidecar pinning many thousands of hosts.

use rustls_pinning::{Pin, PinEntry, PinEntryBuilder, PinSet};

/// The `index`-th filler entry: patterns cycle through exact, `*.` and `**.`, each with two
/// SPKI pins (primary and backup) that match nothing real. Names are 25 to 33 characters,
/// like real service names.
pub fn filler(index: usize) -> PinEntryBuilder {
    let pattern = match index % 3 {
        0 => format!("host-{index:06}.eu-west.example.com"),
        1 => format!("*.svc-{index:06}.example.com"),
        _ => format!("**.zone-{index:06}.example.net"),
    };
    let digest = |backup: u8| {
        let mut digest = [0xF1; 32];
        digest[..8].copy_from_slice(&(index as u64).to_le_bytes());
        digest[8] = backup;
        digest
    };
    PinEntry::builder(pattern.parse().expect("filler pattern"))
        .pin(Pin::spki_sha256(digest(0)))
        .pin(Pin::spki_sha256(digest(1)))
}

/// A pin set of `size` entries: `first`, then `size - 1` fillers.
pub fn pin_set(size: usize, first: PinEntryBuilder) -> PinSet {
    (1..size)
        .fold(PinSet::builder().entry(first), |builder, index| {
            builder.entry(filler(index))
        })
        .build()
        .expect("pin set")
}
