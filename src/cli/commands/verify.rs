//! `verify`: reads a token (or a whole Authorization value) from stdin, never argv, and says
//! whether it is valid or exactly why not. `--record` notes the use in security.usage.yml.

use crate::cli::args::VerifyArgs;
use crate::cli::context::Context;
use crate::cli::output::write_data;
use crate::error::stdout_error;
use crate::error::{Error, Result};
use crate::store::usage::Usage;
use crate::verify::{Needs, Outcome, Rejection, Verifier};
use std::io::{IsTerminal, Write};
use zeroize::Zeroizing;

/// Longest input read: the longest token, base64-encoded in Basic credentials, and then some.
const MAX_INPUT: u64 = 2 * crate::verify::MAX_TOKEN_LEN as u64;

#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct VerifyView {
    valid: bool,
    /// 200, 401 or 403: what a server would answer.
    status: u16,
    /// "valid", "empty", "whitespace", "bad-header", "bad-input", "malformed", "unknown",
    /// "ambiguous", "disabled", "expired", "rotated", "permission", "ip", "path", "resource".
    reason: &'static str,
    message: String,
    key: Option<String>,
    permissions: Option<Vec<String>>,
    /// For "ambiguous": the keys that share the secret (the first 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    keys: Option<Vec<String>>,
}

pub(crate) fn run(ctx: &Context, args: VerifyArgs) -> Result<()> {
    let ip = args
        .ip
        .as_deref()
        .map(|s| {
            s.parse::<std::net::IpAddr>()
                .map(crate::verify::client_address)
                .map_err(|_| {
                    Error::Usage(format!("invalid --ip {s:?}: give an IPv4 or IPv6 address"))
                })
        })
        .transpose()?;
    let needs = Needs {
        permission: args.permission.as_deref(),
        ip,
        path: args.path.as_deref(),
        resource: args.resource.as_deref(),
    };
    let store = ctx.store()?;
    // A missing file fails before anything is read: "unknown token" would hide a typo.
    let model = ctx.read_existing_keys(&store)?;
    let input = read_input()?;
    let now = ctx.clock.now();
    let mut hint = None;
    let outcome = match input {
        Err(r) => Outcome::Rejected(r),
        Ok(text) => {
            let verifier = Verifier::unindexed(model);
            let outcome = if is_header_value(&text) {
                verifier.verify_header(&text, &needs, now)
            } else {
                verifier.verify(&text, &needs, now)
            };
            if outcome == Outcome::Rejected(Rejection::Whitespace) {
                hint = whitespace_hint(&verifier, &text, &needs, now);
            }
            crate::cli::context::leak_at_exit(verifier);
            outcome
        }
    };
    if args.record {
        if let Outcome::Valid { key, .. } = &outcome {
            let recorded = store.record_use(
                key,
                Usage {
                    last_used_at: now,
                    last_used_from: ip.map(|i| i.to_string()),
                },
                ctx.lock_timeout,
            );
            // The token is valid whatever happens to the record of its use: a read-only or
            // full disk, a broken usage file or a held lock must not turn it away.
            if let Err(e) = recorded {
                ctx.say(format!("warning: this use was not recorded: {e}"));
            }
        }
    }
    let mut view = view(&outcome);
    if let Some(h) = hint {
        view.message = format!("{}; {h}", view.message);
    }
    // The message may repeat --path, --permission or --resource: no secret in it, in any
    // format. (On stderr, main redacts it and adds the advice to rotate.)
    let message = std::mem::take(&mut view.message);
    view.message = crate::text::redact(&message).into_owned();
    let mut out = crate::cli::output::data_out();
    if !ctx.is_table() {
        write_data(&mut out, ctx.format, &view)?;
    } else if view.valid {
        writeln!(out, "{}", view.message).map_err(stdout_error)?;
    }
    match outcome {
        Outcome::Valid { .. } => Ok(()),
        Outcome::Rejected(_) => Err(Error::Rejected(format!("rejected: {message}"))),
        Outcome::Forbidden(_) => Err(Error::Forbidden(format!("forbidden: {message}"))),
    }
}

/// Whitespace around a token is refused as a server would refuse it; but "why do I get a 401?"
/// deserves to know whether that is the only thing wrong.
fn whitespace_hint(
    verifier: &Verifier,
    text: &str,
    needs: &Needs,
    now: jiff::Timestamp,
) -> Option<String> {
    let token = if is_header_value(text) {
        crate::verify::token_from_header(text).ok()?
    } else {
        Zeroizing::new(text.to_string())
    };
    match verifier.verify(token.trim(), needs, now) {
        Outcome::Valid { key, .. } => {
            Some(format!("without it, the token is valid for key '{key}'"))
        }
        _ => None,
    }
}

/// Is the input a whole `Authorization` value rather than a bare token? Tokens have no inner
/// whitespace, so a word, a space and more is a scheme and its credentials (Bearer, Basic, or
/// one to refuse by name). A pasted header line (`Authorization: Bearer ...`) counts too, and
/// is refused for its missing scheme.
fn is_header_value(text: &str) -> bool {
    let t = text.trim();
    t.contains([' ', '\t']) || t.eq_ignore_ascii_case("bearer") || t.eq_ignore_ascii_case("basic")
}

fn view(outcome: &Outcome) -> VerifyView {
    VerifyView {
        valid: matches!(outcome, Outcome::Valid { .. }),
        status: outcome.http_status(),
        reason: outcome.reason(),
        message: match outcome {
            Outcome::Valid { .. } => outcome.to_string(),
            Outcome::Rejected(r) => r.to_string(),
            Outcome::Forbidden(d) => d.to_string(),
        },
        key: outcome.key().map(str::to_string),
        permissions: match outcome {
            Outcome::Valid { permissions, .. } => Some(permissions.clone()),
            _ => None,
        },
        keys: match outcome {
            Outcome::Rejected(Rejection::Ambiguous { keys, .. }) => Some(keys.clone()),
            _ => None,
        },
    }
}

/// Reads the token from stdin. One trailing line break (as `echo` and here-strings add) is
/// removed; any other surrounding whitespace is left for verification to diagnose.
fn read_input() -> Result<Result<Zeroizing<String>, Rejection>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let s = dialoguer::Password::new()
            .with_prompt("Token (or Authorization value)")
            .allow_empty_password(true)
            .interact()
            .map_err(crate::cli::interactive::prompt_error)?;
        return Ok(Ok(Zeroizing::new(s)));
    }
    let Some(buf) = crate::cli::secrets::read_stdin_secret(MAX_INPUT as usize)
        .map_err(|e| Error::io("<stdin>", "reading the token", e))?
    else {
        // Drain nothing more: the rest is not read, and the process exits.
        return Ok(Err(Rejection::Input(format!(
            "the input is longer than {} KiB; no token is that long",
            MAX_INPUT / 1024
        ))));
    };
    let Ok(text) = std::str::from_utf8(&buf) else {
        return Ok(Err(Rejection::Input(
            "the input is not UTF-8 text, so it is no token".into(),
        )));
    };
    let text = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(text);
    if text.is_empty() {
        return Ok(Err(Rejection::Empty));
    }
    Ok(Ok(Zeroizing::new(text.to_string())))
}
