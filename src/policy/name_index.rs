//! The pin set's index from DNS host patterns to entries.
//!
//! A pin set may hold 100 000 entries, so the index does not keep a second copy of each
//! pattern: its keys are derived from a keyed SipHash digest of the name and the pattern's
//! form, its values entry indexes, and the entry's own pattern confirms a hit. Two keys that
//! collide (never seen in practice: the SipHash keys are random per set) are told apart the
//! same way, the second one moving on to the next key value, as in open addressing.
//!
//! A lookup hashes each suffix of the host once, whatever the number of forms it probes
//! with that suffix, so its cost depends on the host, not on which forms the set holds.

use std::collections::hash_map::{Entry, HashMap, RandomState};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use crate::policy::host_pattern::HostPattern;

/// The forms of DNS pattern the index holds, each looked up on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Form {
    /// `name`.
    Exact,
    /// `*.name`.
    OneLabel,
    /// `**.name`.
    AnyDepth,
}

impl Form {
    /// The normalised name of `pattern` if it has this form.
    fn name_of(self, pattern: &HostPattern) -> Option<&str> {
        match self {
            Self::Exact => pattern.exact_name(),
            Self::OneLabel => pattern.one_label_suffix(),
            Self::AnyDepth => pattern.any_depth_suffix(),
        }
    }

    /// The form and name of a DNS pattern; `None` for an IP address.
    pub(crate) fn of(pattern: &HostPattern) -> Option<(Self, &str)> {
        [Self::Exact, Self::OneLabel, Self::AnyDepth]
            .into_iter()
            .find_map(|form| form.name_of(pattern).map(|name| (form, name)))
    }
}

/// A `Hasher` for keys that already are digests: passes them through.
#[derive(Default)]
struct Digested(u64);

impl Hasher for Digested {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u64(&mut self, digest: u64) {
        self.0 = digest;
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are hashed here; folding keeps any other use correct.
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }
}

/// Entry indexes by (form, normalised name). `S` is only ever replaced in tests, to force
/// collisions.
#[derive(Clone, Debug)]
pub(crate) struct NameIndex<S = RandomState> {
    keys: S,
    slots: HashMap<u64, usize, BuildHasherDefault<Digested>>,
    /// Whether any pattern of each form is indexed: a lookup skips the forms that are not.
    forms: [bool; 3],
}

impl NameIndex {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self::with_keys(RandomState::new(), capacity)
    }
}

impl<S: BuildHasher> NameIndex<S> {
    fn with_keys(keys: S, capacity: usize) -> Self {
        Self {
            keys,
            slots: HashMap::with_capacity_and_hasher(capacity, BuildHasherDefault::default()),
            forms: [false; 3],
        }
    }

    /// Whether any pattern of `form` is indexed.
    pub(crate) fn has(&self, form: Form) -> bool {
        self.forms[form as usize]
    }

    /// The digest of `name`, from which the key of each of its forms derives.
    pub(crate) fn digest(&self, name: &str) -> u64 {
        self.keys.hash_one(name)
    }

    /// The key of `form` for a name with `digest`: distinct forms give unrelated keys.
    fn key(digest: u64, form: Form) -> u64 {
        // The SplitMix64 finaliser, a bijection, over the digest with the form mixed in.
        let mut key = digest ^ (form as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        key = (key ^ (key >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        key = (key ^ (key >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        key ^ (key >> 31)
    }

    /// The index of the entry of `patterns` whose pattern is `name` in `form`, given
    /// `digest`, the [`digest`](Self::digest) of `name`.
    pub(crate) fn find<'p>(
        &self,
        patterns: impl Fn(usize) -> Option<&'p HostPattern>,
        form: Form,
        name: &str,
        digest: u64,
    ) -> Option<usize> {
        if !self.has(form) {
            return None;
        }
        let mut key = Self::key(digest, form);
        loop {
            let index = *self.slots.get(&key)?;
            if patterns(index).and_then(|pattern| form.name_of(pattern)) == Some(name) {
                return Some(index);
            }
            key = key.wrapping_add(1);
        }
    }

    /// Indexes entry `index` under `name` in `form`; `false` (and nothing changes) if an
    /// entry of `patterns` already has that pattern.
    pub(crate) fn insert<'p>(
        &mut self,
        patterns: impl Fn(usize) -> Option<&'p HostPattern>,
        form: Form,
        name: &str,
        index: usize,
    ) -> bool {
        let mut key = Self::key(self.digest(name), form);
        loop {
            match self.slots.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(index);
                    self.forms[form as usize] = true;
                    return true;
                }
                Entry::Occupied(slot) => {
                    let taken = patterns(*slot.get()).and_then(|pattern| form.name_of(pattern));
                    if taken == Some(name) {
                        return false;
                    }
                    key = key.wrapping_add(1);
                }
            }
        }
    }

    /// Gives back the memory reserved for entries that turned out not to be DNS patterns.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.slots.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use std::hash::BuildHasherDefault;

    use super::*;

    /// Every name gets the same digest: each lookup must walk past the others.
    #[derive(Default)]
    struct Constant;

    impl Hasher for Constant {
        fn finish(&self) -> u64 {
            7
        }

        fn write(&mut self, _: &[u8]) {}
    }

    #[test]
    fn colliding_digests_are_told_apart_by_the_patterns() {
        let patterns: Vec<HostPattern> = ["a.example", "*.a.example", "**.a.example", "b.example"]
            .iter()
            .map(|text| text.parse().unwrap())
            .collect();
        let lookup = |index: usize| patterns.get(index);
        let mut index = NameIndex::with_keys(BuildHasherDefault::<Constant>::default(), 0);
        for (position, pattern) in patterns.iter().enumerate() {
            let (form, name) = Form::of(pattern).unwrap();
            assert!(index.insert(lookup, form, name, position));
        }
        assert!(!index.insert(lookup, Form::Exact, "b.example", 9));
        let find = |form, name| index.find(lookup, form, name, index.digest(name));
        assert_eq!(find(Form::Exact, "a.example"), Some(0));
        assert_eq!(find(Form::OneLabel, "a.example"), Some(1));
        assert_eq!(find(Form::AnyDepth, "a.example"), Some(2));
        assert_eq!(find(Form::Exact, "b.example"), Some(3));
        assert_eq!(find(Form::Exact, "c.example"), None);
        assert_eq!(find(Form::OneLabel, "b.example"), None);
    }

    #[test]
    fn forms_without_patterns_are_skipped() {
        let patterns: Vec<HostPattern> = vec!["a.example".parse().unwrap()];
        let lookup = |index: usize| patterns.get(index);
        let mut index = NameIndex::with_capacity(1);
        assert!(index.insert(lookup, Form::Exact, "a.example", 0));
        assert_eq!(index.forms, [true, false, false]);
        let digest = index.digest("a.example");
        assert_eq!(
            index.find(lookup, Form::AnyDepth, "a.example", digest),
            None
        );
        assert_eq!(
            index.find(lookup, Form::Exact, "a.example", digest),
            Some(0)
        );
    }

    #[test]
    fn ip_patterns_have_no_form() {
        let pattern: HostPattern = "192.0.2.1".parse().unwrap();
        assert_eq!(Form::of(&pattern), None);
    }
}
