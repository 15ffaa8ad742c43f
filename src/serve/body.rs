//! Request bodies: at most 64 KiB of JSON (else 400), one object whose fields are known and
//! given once, each of the right type (else 422, naming the field). Content-Type is not
//! checked: whatever a client labels it, the body is read as JSON.

use super::reply::ApiError;
use axum::body::Body;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The largest request body read.
pub(super) const MAX_BODY: usize = 64 * 1024;

/// Reads the body, refusing one over [`MAX_BODY`] (400) before reading more than that.
pub(super) async fn read(headers: &http::HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let too_big = || {
        ApiError::bad_request(format!(
            "the request body is over {} KiB; a key's definition is far smaller",
            MAX_BODY / 1024
        ))
    };
    if let Some(len) = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > MAX_BODY as u64 {
            return Err(too_big());
        }
    }
    use http_body_util::BodyExt;
    match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_big()),
        Err(e) => Err(ApiError::bad_request(format!(
            "reading the request body: {e}"
        ))),
    }
}

/// Parses a JSON object into `T`. `known` lists the fields accepted: any other is refused,
/// with the nearest known one suggested. Returns the object too, for fields `T` does not
/// hold.
pub(super) fn parse<T: DeserializeOwned>(
    bytes: &[u8],
    known: &[&str],
) -> Result<(T, Map<String, Value>), ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(if bytes.iter().all(u8::is_ascii_whitespace) {
            "the request body is empty; send a JSON object".to_string()
        } else {
            format!(
                "the request body is not JSON: {} at line {}, column {}",
                strip_position(&e),
                e.line(),
                e.column()
            )
        })
    })?;
    let Value::Object(object) = value else {
        return Err(ApiError::field(
            "",
            format!(
                "the request body must be a JSON object, not {}",
                kind(&value)
            ),
        ));
    };
    // serde_json keeps the last of a field given twice; parsers disagree on which counts, so
    // neither does.
    let names: Members = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad_request(format!("the request body is not JSON: {e}")))?;
    for (i, name) in names.0.iter().enumerate() {
        if names.0[..i].contains(name) {
            return Err(ApiError::field(
                name,
                format!("field '{name}' is given twice; give each field once"),
            ));
        }
    }
    for name in object.keys() {
        if !known.contains(&name.as_str()) {
            let hint = match crate::names::nearest(name, known.iter().copied()) {
                Some(near) => format!("did you mean '{near}'?"),
                None => format!("the fields are {}", known.join(", ")),
            };
            return Err(ApiError::field(
                name,
                format!("unknown field '{name}'; {hint}"),
            ));
        }
    }
    let typed = serde_path_to_error::deserialize(Value::Object(object.clone())).map_err(
        |e: serde_path_to_error::Error<serde_json::Error>| {
            let field = e.path().to_string();
            ApiError::field(&field, format!("{field}: {}", e.inner()))
        },
    )?;
    Ok((typed, object))
}

/// serde_json's message without its " at line L column C" (given separately).
fn strip_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The member names of a JSON object, in order, repeats included.
struct Members(Vec<String>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Members, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    names.push(name);
                }
                Ok(Members(names))
            }
        }
        d.deserialize_map(Visitor)
    }
}

/// For a field that may be left out but not given as null: `Some` of its value.
pub(super) fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}
