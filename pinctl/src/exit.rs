//! The exit codes of `pinctl`, in one place: the code returns them and `--help` lists them.

/// Everything worked; for the checking subcommands, nothing was found to complain about.
pub(crate) const OK: u8 = 0;

/// The command ran and found a problem: a check failed, a chain did not validate, lint found
/// an error, something expires, a conversion cannot express the policy, a bundle does not
/// verify.
pub(crate) const PROBLEM_FOUND: u8 = 1;

/// The command could not run: bad arguments (clap also exits with 2 for those), an unreadable
/// or malformed file, an unreachable server.
pub(crate) const USAGE_OR_INPUT_ERROR: u8 = 2;

/// The "Exit codes" and "Errors" paragraphs of `--help`: the contract, stated once.
pub(crate) fn help() -> String {
    format!(
        "Exit codes:\n  \
         {OK}  success; for the checking subcommands, nothing found to complain about\n  \
         {PROBLEM_FOUND}  the command found a problem: a chain that does not validate (pins \
         --cafile) or that the policy rejects (check), lint errors (or warnings with --strict; \
         a policy that pins nothing is an error), something expired or expiring (expiry), a \
         policy the target format cannot express (convert, whatever the target), a bundle that \
         does not verify (bundle verify, bundle inspect --trusted)\n  \
         {USAGE_OR_INPUT_ERROR}  usage or input error: bad arguments, a file that cannot be read \
         or is malformed or too large (policy, certificate, key, bundle), a policy that pins \
         nothing (except for lint), no root to validate with, an unreachable server, a \
         --timeout deadline that passed\n\
         \n\
         Errors: one line on standard error, `pinctl: error: WHAT: REASON`, WHAT being the file \
         (FILE:LINE when the place is known), the server (HOST:PORT) or the option concerned; \
         with --json, `{{\"error\": \"WHAT: REASON\", \"exit_code\": N}}`. Problems found \
         (exit code {PROBLEM_FOUND}) are reported on standard output and name the file or server \
         too; a policy a conversion cannot express is an error instead. Usage errors are the \
         argument parser's: `error: ...` naming the argument."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_lists_every_code() {
        let help = help();
        for code in [OK, PROBLEM_FOUND, USAGE_OR_INPUT_ERROR] {
            assert!(help.contains(&format!("  {code}  ")), "{help}");
        }
    }

    #[test]
    fn usage_errors_share_clap_exit_code() {
        // clap exits with 2 on a usage error before our code runs; the constant must agree.
        let error = clap::Error::new(clap::error::ErrorKind::UnknownArgument);
        assert_eq!(error.exit_code(), i32::from(USAGE_OR_INPUT_ERROR));
    }
}
