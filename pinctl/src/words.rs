//! How pinctl writes the library's values in its text and JSON output: pin roles and
//! enforcement modes. Words only; what a pin is to a policy, and which pins match, is the
//! library's to say ([`PolicyStanding::matching_pins`](rustls_pinning::PolicyStanding::matching_pins),
//! [`Explanation`](rustls_pinning::Explanation)).

use rustls_pinning::{EnforcementMode, PinRole};

/// The role in JSON, as a policy file names the lists: `primary`, `backup`, `denied`,
/// `denied-everywhere`.
pub(crate) fn role_name(role: PinRole) -> &'static str {
    match role {
        PinRole::Primary => "primary",
        PinRole::Backup => "backup",
        PinRole::Denied => "denied",
        PinRole::DeniedEverywhere => "denied-everywhere",
        _ => "other",
    }
}

/// The role in a sentence: `primary pin`, `backup pin`, `deny pin`, `pin denied everywhere`.
pub(crate) fn role_label(role: PinRole) -> &'static str {
    match role {
        PinRole::Primary => "primary pin",
        PinRole::Backup => "backup pin",
        PinRole::Denied => "deny pin",
        PinRole::DeniedEverywhere => "pin denied everywhere",
        _ => "pin",
    }
}

/// `enforce` or `report-only`, as policy files write the mode.
pub(crate) fn mode_label(mode: EnforcementMode) -> &'static str {
    match mode {
        EnforcementMode::ReportOnly => "report-only",
        _ => "enforce",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_like_the_policy_file() {
        assert_eq!(role_name(PinRole::Primary), "primary");
        assert_eq!(role_name(PinRole::Backup), "backup");
        assert_eq!(role_name(PinRole::Denied), "denied");
        assert_eq!(role_name(PinRole::DeniedEverywhere), "denied-everywhere");
        assert_eq!(role_label(PinRole::Denied), "deny pin");
        assert_eq!(mode_label(EnforcementMode::ReportOnly), "report-only");
        assert_eq!(mode_label(EnforcementMode::Enforce), "enforce");
    }
}
