//! The formats of policy files.

use std::fmt;
use std::path::Path;

/// A policy file format.
///
/// ```
/// use rustls_pinning::config::ConfigFormat;
/// assert_eq!(ConfigFormat::from_path("pins.toml".as_ref()), Some(ConfigFormat::Toml));
/// assert_eq!(ConfigFormat::from_path("pins.JSON".as_ref()), Some(ConfigFormat::Json));
/// assert_eq!(ConfigFormat::from_path("pins.yaml".as_ref()), None);
/// ```
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConfigFormat {
    /// TOML (`.toml`).
    Toml,
    /// JSON (`.json`).
    Json,
}

impl ConfigFormat {
    /// The format a file name's extension names, if any.
    ///
    /// ```
    /// # use rustls_pinning::config::ConfigFormat;
    /// assert_eq!(ConfigFormat::from_path("a/b.json".as_ref()), Some(ConfigFormat::Json));
    /// ```
    pub fn from_path(path: &Path) -> Option<Self> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "toml" => Some(Self::Toml),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

impl fmt::Display for ConfigFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Toml => "TOML",
            Self::Json => "JSON",
        })
    }
}
