//! Request bodies read as JSON values, with every member given once.
//!
//! serde_json keeps the last of `{"description": "a", "description": "b"}`;
//! another reader (a proxy, an audit tool, the client's own checks) may keep the
//! first, so such a body means different things to different readers. It is
//! refused (422, naming the member) instead, at any depth.

use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::error::ApiError;

/// What a 422 says about a member given twice.
pub const TWICE: &str = "This member appears more than once in the body: send it once.";

/// A JSON body as read, and the first member it gives twice, if any.
#[derive(Debug)]
pub struct JsonBody {
    value: Value,
    /// Where: `description`, `extra.x`, `list[1].y`.
    duplicate: Option<String>,
}

impl JsonBody {
    /// The value, or a 422 naming the first member given twice.
    pub fn into_value(self) -> Result<Value, ApiError> {
        match self.duplicate {
            Some(path) => Err(ApiError::field(&path, TWICE)),
            None => Ok(self.value),
        }
    }
}

impl<'de> Deserialize<'de> for JsonBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut duplicate = None;
        let value = Node { path: String::new(), duplicate: &mut duplicate }.deserialize(deserializer)?;
        Ok(JsonBody { value, duplicate })
    }
}

/// One value of the document, at `path`. (serde_json's recursion limit bounds
/// the depth.)
struct Node<'a> {
    path: String,
    duplicate: &'a mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let Node { path, duplicate } = self;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(Node {
            path: format!("{path}[{}]", items.len()),
            duplicate: &mut *duplicate,
        })? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let Node { path, duplicate } = self;
        let mut members = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let at = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
            let value = map.next_value_seed(Node { path: at.clone(), duplicate: &mut *duplicate })?;
            if members.contains_key(&name) {
                duplicate.get_or_insert(at);
            } else {
                members.insert(name, value);
            }
        }
        Ok(Value::Object(members))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(raw: &str) -> JsonBody {
        serde_json::from_str(raw).expect("valid JSON")
    }

    #[test]
    fn a_body_with_each_member_once_reads_as_serde_json_reads_it() {
        for raw in [
            r#"{"description": "CI", "valid_until": null}"#,
            r#"{"a": {"x": 1, "y": [{"x": 2}, {"x": 3}]}, "x": -1.5, "b": [true, false, "é\n"]}"#,
            r#"["a", "a", {"a": 1}, {"a": 2}]"#,
            r#""text""#,
            "18446744073709551615",
            "null",
        ] {
            let body = read(raw);
            assert_eq!(body.duplicate, None, "{raw}");
            assert_eq!(body.into_value().unwrap(), serde_json::from_str::<Value>(raw).unwrap(), "{raw}");
        }
    }

    #[test]
    fn the_first_member_given_twice_is_named_with_its_path() {
        for (raw, path) in [
            (r#"{"description": "a", "description": "b"}"#, "description"),
            (r#"{"a": 1, "b": 2, "a": 1}"#, "a"),
            (r#"{"a": {"x": 1, "x": 2}}"#, "a.x"),
            (r#"{"a": [{"x": 1}, {"y": {"z": 1, "z": 2}}]}"#, "a[1].y.z"),
            (r#"[{"x": 1, "x": 1}]"#, "[0].x"),
            (r#"{"a": {"x": 1, "x": 2}, "a": 3}"#, "a.x"),
            (r#"{"": 1, "": 2}"#, ""),
        ] {
            let body = read(raw);
            assert_eq!(body.duplicate.as_deref(), Some(path), "{raw}");
            match body.into_value() {
                Err(ApiError::Validation(fields)) => {
                    assert_eq!(
                        fields.into_iter().collect::<Vec<_>>(),
                        [(path.to_string(), TWICE.to_string())]
                    );
                }
                other => panic!("{raw}: {other:?}"),
            }
        }
    }

    #[test]
    fn syntax_errors_stay_syntax_errors() {
        for raw in [r#"{"a": 1,}"#, r#"{"a": "#, "not json"] {
            let error = serde_json::from_str::<JsonBody>(raw).unwrap_err();
            assert!(error.is_syntax() || error.is_eof(), "{raw}: {error}");
        }
        assert_eq!(read(&json!({"a": 1}).to_string()).into_value().unwrap(), json!({"a": 1}));
    }
}
