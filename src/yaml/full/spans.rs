//! Where saphyr's spans go wrong, and where a node's text really starts and ends: a quoted
//! scalar's span can run into a trailing comment, a block scalar's starts at its first line of
//! content and runs into the indentation after it, a flow collection's runs past its bracket.

use saphyr_parser::ScalarStyle;
use std::borrow::Cow;

/// Where a block scalar's text starts: its anchor, tag or `|`/`>` indicator, found from
/// `from` (just past its key or the item before it) over the `:`, `-` or `?` indicator,
/// blanks, line breaks and comments. saphyr's span starts at the first line of content, or
/// for an empty block scalar at the next token; `None` when no indicator is found.
pub(super) fn block_scalar_start(text: &str, from: usize) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let mut i = from;
    let mut node_start = None;
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b':' | b'-' | b'?' if node_start.is_none() => i += 1,
            b'#' => i = line_break_at(b, i),
            b'&' | b'!' => {
                node_start.get_or_insert(i);
                while i < b.len() && !matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
                    i += 1;
                }
            }
            b'|' | b'>' => return Some((node_start.unwrap_or(i), i)),
            _ => return None,
        }
    }
    None
}

/// Where a block scalar whose indicator (`|` or `>`) is at `header` ends: past the last
/// character of the last line that belongs to it. `parent` is the indentation of the
/// collection holding it (-1 at the top level).
///
/// Its lines are those after the header that are blank or indented at least as deep as its
/// content; the first line with text less indented ends it. A trailing line of spaces is part
/// of it when it counts: always with keep chomping (`|+`, whose value holds its line break),
/// and when it holds more spaces than the content's indentation (it is content then). The
/// trailing lines that clip and strip chomping drop are left out, so that text added after
/// the scalar goes right after its last line of content and its value stays the same.
///
/// Also how many line breaks its value ends with, as YAML's chomping says: none when
/// stripped; when clipped, the last content line's break if it has one; when kept, that and
/// the break of each empty line after it. saphyr miscounts them where the file ends without a
/// line break (`a: |\n  mt` is "mt", `a: |\n  mt\n  ` is "mt\n", `a: |+\n  mt\n ` is
/// "mt\n" to libyaml, PyYAML and ruamel; found by fuzz/edit's libyaml check).
pub(super) fn block_scalar_end(text: &str, header: usize, parent: isize) -> (usize, usize) {
    let b = text.as_bytes();
    let header_end = line_break_at(b, header);
    // The header: `|` or `>`, then a chomping indicator and an indentation digit in either
    // order, then blanks and an optional comment.
    let (mut keep, mut strip, mut explicit) = (false, false, None);
    for &c in b[(header + 1).min(header_end)..header_end].iter().take(2) {
        match c {
            b'+' => keep = true,
            b'-' => strip = true,
            b'1'..=b'9' => explicit = Some((c - b'0') as isize),
            _ => break,
        }
    }
    let header_text_end = text[..header_end].trim_end_matches([' ', '\t', '\r']).len();
    let mut indent = explicit.map(|m| parent.max(0) + m);
    let mut last_content = header_text_end;
    let mut last_line = header_text_end;
    // For the value's final line breaks: whether there is content and its last line has a
    // break, and how many empty lines with a break follow it.
    let (mut content, mut content_break, mut empty_breaks) = (false, false, 0);
    let mut line = header_end + 1;
    while line <= b.len() && header_end < b.len() {
        let end = line_break_at(b, line);
        let body = text[line..end].trim_end_matches('\r');
        let spaces = body.bytes().take_while(|&c| c == b' ').count() as isize;
        if spaces as usize == body.len() {
            if end == b.len() && body.is_empty() {
                break; // the end of the text, not a line
            }
            // A line of spaces: content when deeper than the content's indentation. Its end
            // is its line break, which is part of the value (with keep chomping, or as content).
            let past = (end + 1).min(b.len());
            if indent.is_some_and(|n| spaces > n) {
                last_content = past;
                (content, content_break, empty_breaks) = (true, end < b.len(), 0);
            } else if end < b.len() {
                empty_breaks += 1;
            }
            last_line = past;
        } else {
            let n = *indent.get_or_insert(spaces);
            if spaces < n || spaces <= parent {
                break;
            }
            last_content = line + body.len();
            last_line = last_content;
            (content, content_break, empty_breaks) = (true, end < b.len(), 0);
        }
        if end >= b.len() {
            break;
        }
        line = end + 1;
    }
    let final_break = usize::from(content && content_break);
    let breaks = if strip {
        0
    } else if keep {
        final_break + empty_breaks
    } else {
        final_break
    };
    (if keep { last_line } else { last_content }, breaks)
}

/// `value` ending in exactly `n` line breaks (see [`block_scalar_end`]).
pub(super) fn with_final_breaks(value: Cow<'_, str>, n: usize) -> Cow<'_, str> {
    let trimmed = value.trim_end_matches('\n').len();
    if value.len() - trimmed == n {
        return value;
    }
    let mut v = value.into_owned();
    v.truncate(trimmed);
    v.extend(std::iter::repeat_n('\n', n));
    Cow::Owned(v)
}

/// The `-` before `at` on its line, when only blanks stand between them and `at` is not
/// itself a `-`.
pub(super) fn dash_before(text: &str, at: usize) -> Option<usize> {
    let b = text.as_bytes();
    if b.get(at) == Some(&b'-') {
        return None;
    }
    let before = text[..at].trim_end_matches([' ', '\t']);
    (before.len() < at && before.ends_with('-')).then(|| before.len() - 1)
}

/// The offset of the `\n` that ends the line holding `at`, or the end of the text.
fn line_break_at(b: &[u8], at: usize) -> usize {
    memchr::memchr(b'\n', &b[at.min(b.len())..]).map_or(b.len(), |i| at + i)
}

/// Does the text of a collection's start event open a flow collection? The span runs on
/// over blanks and a comment after the bracket (`{ # note`), so those are cut off first.
pub(super) fn opens_flow(span_text: &str) -> bool {
    let b = span_text.as_bytes();
    let comment =
        (0..b.len()).find(|&i| b[i] == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()));
    span_text[..comment.unwrap_or(b.len())]
        .trim_end()
        .ends_with(['[', '{'])
}

/// Just past the first `}` or `]` at or after `from`, if only blanks and comments come first.
pub(super) fn closing_bracket_after(text: &str, from: usize) -> Option<usize> {
    let mut rest = &text[from..];
    loop {
        rest = rest.trim_start_matches([' ', '\t', '\r', '\n']);
        if rest.starts_with('#') {
            rest = &rest[rest.find('\n')?..];
            continue;
        }
        return rest
            .starts_with(['}', ']'])
            .then(|| text.len() - rest.len() + 1);
    }
}

/// Where a scalar's text really ends: saphyr's spans can run past a closing quote into a
/// trailing comment, and past a block scalar into the blank lines after it.
pub(super) fn scalar_end(text: &str, start: usize, span_end: usize, style: ScalarStyle) -> usize {
    let bytes = text.as_bytes();
    match style {
        ScalarStyle::DoubleQuoted => {
            let Some(open) = text[start..].find('"').map(|i| start + i) else {
                return span_end;
            };
            let mut i = open + 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'\\' => i += 2,
                    b'"' => return i + 1,
                    _ => i += 1,
                }
            }
            span_end
        }
        ScalarStyle::SingleQuoted => {
            let Some(open) = text[start..].find('\'').map(|i| start + i) else {
                return span_end;
            };
            let mut i = open + 1;
            while i < bytes.len() {
                if bytes[i] == b'\'' {
                    if bytes.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return i + 1;
                }
                i += 1;
            }
            span_end
        }
        _ => {
            let mut end = span_end.min(bytes.len());
            while end > start && bytes[end - 1].is_ascii_whitespace() {
                end -= 1;
            }
            end
        }
    }
}
