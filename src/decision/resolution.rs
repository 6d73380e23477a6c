//! Which entry of a pin set governs a host, and the layers of policy one connection is judged
//! by.

use pki_types::{ServerName, UnixTime};

use crate::decision::judge::{self, Layer, Standing};
use crate::decision::pin_check::Policy;
use crate::policy::{
    normalize_host_into, AfterExpiry, EnforcementMode, PinEntry, PinSet, UnpinnedHostPolicy,
};

/// The entry, if any, that governs a connection.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Resolution<'a> {
    /// An entry applies and is in force.
    Pinned(&'a PinEntry),
    /// Plain validation (global deny pins still apply); `Some` when an entry was skipped
    /// because it expired.
    Unpinned(Option<&'a PinEntry>),
    /// No entry, and the set rejects unpinned hosts.
    Rejected,
}

impl<'a> Resolution<'a> {
    /// The entry whose pins are enforced, if any.
    pub(crate) fn entry(&self) -> Option<&'a PinEntry> {
        match self {
            Self::Pinned(entry) => Some(entry),
            _ => None,
        }
    }
}

/// Finds the entry governing `server_name` at `now`.
pub(crate) fn resolve<'a>(
    pins: &'a PinSet,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Resolution<'a> {
    let entry = match server_name {
        ServerName::DnsName(name) => {
            let mut buf = [0u8; 256];
            normalize_host_into(name.as_ref(), &mut buf)
                .and_then(|name| pins.lookup_normalized_dns(name))
        }
        ServerName::IpAddress(ip) => pins.lookup_ip(std::net::IpAddr::from(*ip)),
        _ => None,
    };
    match entry {
        Some(entry) if entry.is_expired_at(now) && entry.after_expiry() == AfterExpiry::Skip => {
            Resolution::Unpinned(Some(entry))
        }
        Some(entry) => Resolution::Pinned(entry),
        None => match pins.unpinned_host_policy() {
            UnpinnedHostPolicy::Reject => Resolution::Rejected,
            _ => Resolution::Unpinned(None),
        },
    }
}

/// The pins that apply to a connection governed by `entry` (`None`: only the pins denied
/// everywhere).
pub(crate) fn policy_for<'a>(pins: &'a PinSet, entry: Option<&'a PinEntry>) -> Policy<'a> {
    Policy {
        allowed: entry.map_or(&[], PinEntry::allowed_pins),
        primary_count: entry.map_or(0, |entry| entry.primary_pins().len()),
        denied: entry.map_or(&[], PinEntry::denied_pins),
        denied_everywhere: pins.globally_denied_pins(),
    }
}

/// A pin set's layer for a connection resolved as `resolution`.
pub(crate) fn server_layer<'a>(pins: &'a PinSet, resolution: &Resolution<'a>) -> Layer<'a> {
    let standing = match resolution {
        Resolution::Pinned(entry) => Standing::Pins {
            enforced: entry.mode() == EnforcementMode::Enforce,
        },
        Resolution::Unpinned(_) => Standing::Unpinned,
        Resolution::Rejected => Standing::Refuses,
    };
    Layer {
        policy: policy_for(pins, resolution.entry()),
        standing,
    }
}

/// The server name as text, for messages and events.
pub(crate) fn host_text(server_name: &ServerName<'_>) -> String {
    match server_name {
        ServerName::DnsName(name) => name.as_ref().to_owned(),
        ServerName::IpAddress(ip) => std::net::IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    }
}

/// The policy layers of one server connection: one pin set, or a store's static set and its
/// bundle's, each resolved for the host.
pub(crate) struct ServerLayers<'a> {
    sets: [&'a PinSet; judge::MAX_SERVER_LAYERS],
    resolutions: [Resolution<'a>; judge::MAX_SERVER_LAYERS],
    layers: [Layer<'a>; judge::MAX_SERVER_LAYERS],
    len: usize,
    combination: judge::Combination,
}

impl<'a> ServerLayers<'a> {
    /// One pin set.
    pub(crate) fn single(pins: &'a PinSet, server_name: &ServerName<'_>, now: UnixTime) -> Self {
        let resolution = resolve(pins, server_name, now);
        let layer = server_layer(pins, &resolution);
        Self {
            sets: [pins; judge::MAX_SERVER_LAYERS],
            resolutions: [resolution; judge::MAX_SERVER_LAYERS],
            layers: [layer; judge::MAX_SERVER_LAYERS],
            len: 1,
            combination: judge::Combination::Any,
        }
    }

    /// Two pin sets combined: a store's static policy first, then its bundle's.
    #[cfg_attr(not(feature = "dynamic"), allow(dead_code))]
    pub(crate) fn pair(
        first: &'a PinSet,
        second: &'a PinSet,
        combination: judge::Combination,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Self {
        let resolutions = [
            resolve(first, server_name, now),
            resolve(second, server_name, now),
        ];
        Self {
            sets: [first, second],
            layers: [
                server_layer(first, &resolutions[0]),
                server_layer(second, &resolutions[1]),
            ],
            resolutions,
            len: 2,
            combination,
        }
    }

    pub(crate) fn judge(&self) -> judge::Judge<'_> {
        judge::Judge::new(&self.layers[..self.len], self.combination)
    }

    /// The pin set of a layer (the first one for an index out of range).
    pub(crate) fn set(&self, layer: usize) -> &'a PinSet {
        self.sets.get(layer).copied().unwrap_or(self.sets[0])
    }

    /// How a layer's pin set resolved the host (the first one for an index out of range).
    pub(crate) fn resolution(&self, layer: usize) -> &Resolution<'a> {
        self.resolutions
            .get(..self.len)
            .and_then(|resolutions| resolutions.get(layer))
            .unwrap_or(&self.resolutions[0])
    }

    /// The layers in order, with their index.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (usize, &'a PinSet, &Resolution<'a>)> + '_ {
        (0..self.len).map(|layer| (layer, self.set(layer), self.resolution(layer)))
    }
}
