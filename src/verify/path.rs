//! The request path a key with a `pathPrefix` is judged by.

/// Does a `pathPrefix` grant a (normalised) request path? The path equals the prefix or
/// continues it with `/`; a prefix ending in `/` grants what follows it; `=/x` grants exactly
/// `/x`. `/dns/example.com` grants `/dns/example.com/a`, not `/dns/example.com.evil.org`.
pub fn path_allowed(prefix: &str, path: &str) -> bool {
    if let Some(exact) = prefix.strip_prefix('=') {
        return path == exact;
    }
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || prefix.ends_with('/') || rest.starts_with('/'),
        None => false,
    }
}

/// Why a request path is not normalised, or `None` when it is. The path is the one sent on
/// the wire, percent-encoded and without the query. Refused: an empty or relative path;
/// segments of dots only (`.`, `..`, `...`; also with `;` parameters, `..;`); empty segments
/// (`//`, a trailing `/` is fine); every percent-encoded byte but an unreserved one (`A-Z`,
/// `a-z`, `0-9`, `-`, `_`, `~`), so `%2F`, `%2E`, `%25`, `%20`, `%3B`, `%3F`, `%23` and any
/// byte not ASCII (`%C0%AE` is an overlong `.`) are refused, and a `%` without two hex
/// digits; `\`, `?`, `#`, spaces, control characters and anything not ASCII. Each is a way
/// for a server, a proxy and this check to see different paths.
pub fn path_problem(path: &str) -> Option<&'static str> {
    let Some(rest) = path.strip_prefix('/') else {
        return Some(if path.is_empty() {
            "it is empty"
        } else {
            "it does not start with /"
        });
    };
    if path.bytes().any(|b| !b.is_ascii_graphic()) {
        return Some("it holds a space, a control character or a character that is not ASCII");
    }
    for (c, why) in [
        ('?', "it holds '?': give the path without its query"),
        ('#', "it holds '#': give the path without its fragment"),
        ('\\', "it holds a backslash, which some servers read as /"),
    ] {
        if path.contains(c) {
            return Some(why);
        }
    }
    let bytes = path.as_bytes();
    for (i, _) in path.match_indices('%') {
        let hex = |b: Option<&u8>| b.and_then(|b| (*b as char).to_digit(16));
        let (Some(hi), Some(lo)) = (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) else {
            return Some("it holds a '%' that is not followed by two hex digits");
        };
        // Only an encoded unreserved character means the same to every reader.
        match (hi * 16 + lo) as u8 {
            b if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~') => {}
            b'/' => return Some("it holds %2F, an encoded /"),
            b'.' => return Some("it holds %2E, an encoded ."),
            b'%' => return Some("it holds %25, an encoded % (encoded twice?)"),
            b'\\' => return Some("it holds %5C, an encoded backslash"),
            b if b < 0x20 || b == 0x7f => return Some("it holds an encoded control character"),
            0x80.. => {
                return Some(
                    "it holds an encoded byte that is not ASCII (%80 to %FF), which servers decode differently",
                );
            }
            _ => {
                return Some(
                    "it holds an encoded character other than a letter, a digit, '-', '_' or '~' (%20, %3B, %3F, %23...)",
                );
            }
        }
    }
    let mut segments = rest.split('/').peekable();
    while let Some(segment) = segments.next() {
        // `..;x` is `..` to servers that drop path parameters (Tomcat, Jetty).
        let name = segment.split(';').next().unwrap_or_default();
        match name {
            "." => return Some("it holds a '.' segment"),
            ".." => return Some("it holds a '..' segment"),
            // Windows file systems take `...` for `.` or `..`.
            _ if !name.is_empty() && name.bytes().all(|b| b == b'.') => {
                return Some("it holds a segment of dots only ('...')");
            }
            "" if segments.peek().is_some() => return Some("it holds an empty segment (//)"),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_prefixes_end_at_a_segment_boundary() {
        for (prefix, path, ok) in [
            ("/dns/example.com", "/dns/example.com", true),
            ("/dns/example.com", "/dns/example.com/", true),
            ("/dns/example.com", "/dns/example.com/a", true),
            ("/dns/example.com", "/dns/example.com.evil.org", false),
            ("/dns/example.com", "/dns/example.comX", false),
            ("/dns/", "/dns/a", true),
            ("/dns/", "/dns/", true),
            ("/dns/", "/dns", false),
            ("/", "/anything", true),
            ("=/x", "/x", true),
            ("=/x", "/x/", false),
            ("=/", "/", true),
        ] {
            assert_eq!(path_allowed(prefix, path), ok, "{prefix} {path}");
        }
        for path in [
            "/",
            "/a",
            "/a/",
            "/a/b;c",
            "/a/.x",
            "/a/x..",
            "/a/%41%2d%7E%5f%30",
        ] {
            assert_eq!(path_problem(path), None, "{path}");
        }
        for path in [
            "",
            "a",
            "*",
            "//",
            "/a//b",
            "/./a",
            "/a/.",
            "/a/..",
            "/a/...",
            "/..../a",
            "/...;x/a",
            "/..;/a",
            "/a%20b",
            "/a%3Bb",
            "/a%3fb",
            "/a%23b",
            "/a%2Db%2e",
            "/a%3A",
            "/a%40",
            "/a%00",
            "/dns/example.com/..%20/admin",
            "/.;x/a",
            "/a%2fb",
            "/a%2E",
            "/%25",
            "/%5c",
            "/%7f",
            "/%0a",
            "/%c0%ae",
            "/%EF%BC%8E",
            "/%C3%A9",
            "/%",
            "/%4",
            "/%g0",
            "/a\\b",
            "/a?b",
            "/a#b",
            "/a b",
            "/\u{e9}",
            "/\t",
        ] {
            assert!(path_problem(path).is_some(), "{path:?}");
        }
    }
}
