//! `Pin::from_str` and `Pin::parse_list` on arbitrary text: never panic, and a parsed pin's
//! `Display` form parses back to the same pin (as does its `base64` under `sha256/` for SPKI
//! pins).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rustls_pinning::{Pin, PinKind};

fn round_trip(pin: &Pin) {
    let shown = pin.to_string();
    let back: Pin = shown
        .parse()
        .unwrap_or_else(|error| panic!("{shown:?} (display of {pin:?}) does not parse: {error}"));
    assert_eq!(&back, pin, "{shown:?} parses to a different pin");
    if pin.kind() == PinKind::Spki {
        let hpkp = format!("pin-sha256=\"{}\"", pin.base64());
        assert_eq!(hpkp.parse::<Pin>().as_ref(), Ok(pin), "{hpkp:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(pin) = text.parse::<Pin>() {
        round_trip(&pin);
    }
    if let Ok(pins) = Pin::parse_list(text) {
        assert!(!pins.is_empty(), "parse_list accepted an empty list");
        for pin in &pins {
            round_trip(pin);
        }
        let joined = pins
            .iter()
            .map(Pin::to_string)
            .collect::<Vec<_>>()
            .join(";");
        assert_eq!(Pin::parse_list(&joined).as_ref(), Ok(&pins), "{joined:?}");
    }
});
