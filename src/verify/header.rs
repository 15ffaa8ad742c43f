//! The token in an `Authorization` value (docs/FORMAT.md, "How a token is verified", step 1).

use super::Rejection;
use base64::Engine;

/// Takes the token out of an `Authorization` value: what follows `Bearer `, or the password of
/// `Basic` credentials (docs/FORMAT.md, "How a token is verified", step 1). The scheme is case-insensitive, as HTTP says; a value
/// with no scheme or another scheme is refused with a reason saying what to send instead.
pub fn token_from_header(value: &str) -> Result<zeroize::Zeroizing<String>, Rejection> {
    // HTTP strips whitespace before a field value; what follows the scheme is kept exactly,
    // so whitespace around the token itself is still diagnosed.
    let trimmed = value.trim_start();
    if trimmed.trim_end().is_empty() {
        return Err(Rejection::Empty);
    }
    let Some((scheme, rest)) = trimmed.split_once(' ') else {
        let word = trimmed.trim_end();
        if word.eq_ignore_ascii_case("bearer") || word.eq_ignore_ascii_case("basic") {
            return Err(Rejection::Empty);
        }
        return Err(Rejection::BadHeader(
            "no scheme: send `Authorization: Bearer <token>` (or Basic credentials with the token as password)".into(),
        ));
    };
    if scheme.eq_ignore_ascii_case("authorization:") {
        return Err(Rejection::BadHeader(
            "this is a whole header line: give only its value, `Bearer <token>`".into(),
        ));
    }
    if scheme.eq_ignore_ascii_case("bearer") {
        if rest.trim().is_empty() {
            return Err(Rejection::Empty);
        }
        return Ok(zeroize::Zeroizing::new(rest.to_string()));
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim().as_bytes())
            .map_err(|_| Rejection::BadHeader("Basic credentials are not valid base64".into()))?;
        let decoded = zeroize::Zeroizing::new(decoded);
        let text = std::str::from_utf8(&decoded)
            .map_err(|_| Rejection::BadHeader("Basic credentials are not UTF-8".into()))?;
        let (user, password) = text.split_once(':').ok_or_else(|| {
            Rejection::BadHeader("Basic credentials have no ':' before the password".into())
        })?;
        if password.is_empty() {
            return Err(Rejection::BadHeader(if user.is_empty() {
                "Basic credentials with an empty password: the token goes in the password".into()
            } else {
                "Basic credentials with an empty password: the token goes in the password, not the user name (curl -u any:TOKEN)".into()
            }));
        }
        return Ok(zeroize::Zeroizing::new(password.to_string()));
    }
    // Name the scheme only when it looks like one: the first word might be a secret.
    let looks_like_scheme = scheme.len() <= 16
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    Err(Rejection::BadHeader(if looks_like_scheme {
        format!("unknown scheme '{scheme}': use `Bearer <token>` or Basic credentials")
    } else {
        "no scheme: send `Authorization: Bearer <token>` (or Basic credentials with the token as password)".into()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values() {
        let ok = |h: &str| token_from_header(h).map(|t| t.to_string());
        assert_eq!(ok("Bearer abc").unwrap(), "abc");
        assert_eq!(ok("  bearer abc").unwrap(), "abc");
        // base64("user:pw:with:colons")
        assert_eq!(
            ok("Basic dXNlcjpwdzp3aXRoOmNvbG9ucw==").unwrap(),
            "pw:with:colons"
        );
        assert_eq!(ok(""), Err(Rejection::Empty));
        assert_eq!(ok("Bearer"), Err(Rejection::Empty));
        assert_eq!(ok("Bearer   "), Err(Rejection::Empty));
        for bad in [
            "abc",
            "Token abc",
            "Authorization: Bearer abc",
            "Basic %%%",
            "Basic YWJj",
        ] {
            assert!(matches!(ok(bad), Err(Rejection::BadHeader(_))), "{bad}");
        }
        // The first word is not echoed unless it looks like a scheme name.
        let Err(Rejection::BadHeader(why)) = ok("tk_0123456789abcdef0123 x") else {
            panic!()
        };
        assert!(!why.contains("0123456789"), "{why}");
    }
}
