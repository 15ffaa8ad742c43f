//! The token in an `Authorization` value (docs/FORMAT.md, "How a token is verified", step 1),
//! and, with the `http` feature, the one `Authorization` header of a request's
//! [`http::HeaderMap`] ([`authorization`]).

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

/// Why a request has no one readable `Authorization` header, before any token is looked at.
#[cfg(feature = "http")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// No `Authorization` header: 401, with `WWW-Authenticate: Bearer`.
    Missing,
    /// More than one: 400. Which one counts would be a guess, and a proxy in front may pick
    /// another than the server behind it.
    Repeated,
    /// A value with bytes that are not visible ASCII: 400, rather than guess at its encoding.
    NotAscii,
}

#[cfg(feature = "http")]
impl HeaderError {
    /// The status a server should answer with: 401 for a missing header, else 400.
    pub fn http_status(&self) -> u16 {
        match self {
            HeaderError::Missing => 401,
            HeaderError::Repeated | HeaderError::NotAscii => 400,
        }
    }

    /// In one word, as the admin API's access log gives it: `missing`, or `bad-header` as
    /// for an `Authorization` value that cannot be read ([`super::Outcome::reason`]).
    pub fn reason(&self) -> &'static str {
        match self {
            HeaderError::Missing => "missing",
            HeaderError::Repeated | HeaderError::NotAscii => "bad-header",
        }
    }
}

#[cfg(feature = "http")]
impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HeaderError::Missing => "no Authorization header: send `Authorization: Bearer <token>`",
            HeaderError::Repeated => "more than one Authorization header: send exactly one",
            HeaderError::NotAscii => "the Authorization header is not ASCII text",
        })
    }
}

#[cfg(feature = "http")]
impl std::error::Error for HeaderError {}

/// The value of a request's one `Authorization` header, for [`token_from_header`] or
/// [`super::Verifier::verify_header`]; refused when there is none, more than one, or one
/// that is not ASCII text.
#[cfg(feature = "http")]
pub fn authorization(headers: &http::HeaderMap) -> Result<&str, HeaderError> {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    match (values.next(), values.next()) {
        (None, _) => Err(HeaderError::Missing),
        (Some(_), Some(_)) => Err(HeaderError::Repeated),
        (Some(value), None) => value.to_str().map_err(|_| HeaderError::NotAscii),
    }
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

    #[cfg(feature = "http")]
    #[test]
    fn one_authorization_header() {
        use http::header::AUTHORIZATION;
        let mut headers = http::HeaderMap::new();
        assert_eq!(authorization(&headers), Err(HeaderError::Missing));
        headers.insert(AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(authorization(&headers), Ok("Bearer abc"));
        headers.append(AUTHORIZATION, "Bearer abc".parse().unwrap());
        assert_eq!(authorization(&headers), Err(HeaderError::Repeated));
        headers.insert(
            AUTHORIZATION,
            http::HeaderValue::from_bytes(b"Bearer \xff").unwrap(),
        );
        assert_eq!(authorization(&headers), Err(HeaderError::NotAscii));
        assert_eq!(
            [
                HeaderError::Missing,
                HeaderError::Repeated,
                HeaderError::NotAscii
            ]
            .map(|e| (e.http_status(), e.reason())),
            [(401, "missing"), (400, "bad-header"), (400, "bad-header")]
        );
    }
}
