//! Where on a verified path a pin may match: positions, scopes, and a pin with its scope.

use std::fmt;

use crate::policy::pin::Pin;

/// Which certificates of the verified path a pin may match.
///
/// ```
/// use rustls_pinning::{PinScope, ScopedPin, Pin};
///
/// let root_only = ScopedPin::new(Pin::spki_sha256([0; 32]), PinScope::Root);
/// assert_eq!(root_only.scope(), PinScope::Root);
/// assert_eq!(PinScope::default(), PinScope::Any);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PinScope {
    /// Any certificate of the verified path: leaf, intermediate or trust anchor.
    #[default]
    Any,
    /// The end-entity (leaf) certificate only.
    Leaf,
    /// Any certificate between the leaf and the trust anchor.
    Intermediate,
    /// The trust anchor (root) that the verified path ends in.
    Root,
}

impl PinScope {
    pub(crate) fn admits(self, position: Position) -> bool {
        matches!(
            (self, position),
            (Self::Any, _)
                | (Self::Leaf, Position::Leaf)
                | (Self::Intermediate, Position::Intermediate)
                | (Self::Root, Position::Root)
        )
    }

    fn label(self) -> &'static str {
        match self {
            Self::Any => "any position",
            Self::Leaf => "leaf",
            Self::Intermediate => "intermediate",
            Self::Root => "root",
        }
    }
}

/// Where a certificate sits on a verified path.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Position {
    /// The end-entity certificate the server presented first.
    Leaf,
    /// A CA certificate between the leaf and the trust anchor.
    Intermediate,
    /// The trust anchor.
    Root,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Leaf => "leaf",
            Self::Intermediate => "intermediate",
            Self::Root => "root",
        })
    }
}

/// A [`Pin`] together with the [`PinScope`] it applies to.
///
/// ```
/// use rustls_pinning::{Pin, PinScope, ScopedPin};
///
/// let pin = ScopedPin::new(Pin::spki_sha256([0; 32]), PinScope::Leaf);
/// assert_eq!(
///     pin.to_string(),
///     "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= (leaf)"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ScopedPin {
    pin: Pin,
    scope: PinScope,
}

impl ScopedPin {
    /// A pin restricted to `scope`.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinScope, ScopedPin};
    /// let pin = ScopedPin::new(Pin::spki_sha256([0; 32]), PinScope::Any);
    /// assert_eq!(pin.pin(), Pin::spki_sha256([0; 32]));
    /// ```
    pub const fn new(pin: Pin, scope: PinScope) -> Self {
        Self { pin, scope }
    }

    /// The pin.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinScope, ScopedPin};
    /// assert_eq!(ScopedPin::new(Pin::spki_sha256([1; 32]), PinScope::Any).pin().sha256(), &[1; 32]);
    /// ```
    pub const fn pin(&self) -> Pin {
        self.pin
    }

    /// The pin, borrowed: the pin check compares digests in place.
    pub(crate) const fn pin_ref(&self) -> &Pin {
        &self.pin
    }

    /// The certificates it may match.
    ///
    /// ```
    /// # use rustls_pinning::{Pin, PinScope, ScopedPin};
    /// assert_eq!(ScopedPin::new(Pin::spki_sha256([1; 32]), PinScope::Leaf).scope(), PinScope::Leaf);
    /// ```
    pub const fn scope(&self) -> PinScope {
        self.scope
    }
}

impl fmt::Display for ScopedPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.pin, self.scope.label())
    }
}
