//! [`AttributeValue`]: one typed DynamoDB value, in DynamoDB JSON on the wire
//! (`{"S":"x"}`, `{"N":"42"}`, `{"B":"<base64>"}`, ...); [`Item`]: an item or key by
//! attribute name, with typed getters ([`ItemExt`]) whose errors name the attribute.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An item (or a key, or a set of placeholder values) by attribute name.
pub type Item = BTreeMap<String, AttributeValue>;

/// One DynamoDB attribute value. Numbers stay decimal strings, as DynamoDB sends them (up
/// to 38 digits); [`ItemExt`] parses them. Binary values are raw bytes here and base64 on the
/// wire. DynamoDB rejects empty sets: leave an attribute out rather than write an empty set.
///
/// ```
/// use kinesis_wire::dynamodb::AttributeValue;
/// let v: AttributeValue = serde_json::from_str(r#"{"SS":["shardId-000000000001"]}"#).unwrap();
/// assert_eq!(v, AttributeValue::Ss(vec!["shardId-000000000001".into()]));
/// assert_eq!(serde_json::to_string(&AttributeValue::from(42u64)).unwrap(), r#"{"N":"42"}"#);
/// assert_eq!(serde_json::to_string(&AttributeValue::B(vec![0, 1])).unwrap(), r#"{"B":"AAE="}"#);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    /// `S`: a string.
    S(String),
    /// `N`: a number, as its decimal string.
    N(String),
    /// `B`: binary.
    B(Vec<u8>),
    /// `SS`: a set of strings.
    Ss(Vec<String>),
    /// `NS`: a set of numbers.
    Ns(Vec<String>),
    /// `BS`: a set of binaries.
    Bs(Vec<Vec<u8>>),
    /// `BOOL`.
    Bool(bool),
    /// `NULL` (always `true` on the wire).
    Null,
    /// `L`: a list of values.
    L(Vec<AttributeValue>),
    /// `M`: a map of values.
    M(BTreeMap<String, AttributeValue>),
}

impl AttributeValue {
    /// The DynamoDB type name: `S`, `N`, `B`, `SS`, `NS`, `BS`, `BOOL`, `NULL`, `L` or `M`.
    ///
    /// ```
    /// use kinesis_wire::dynamodb::AttributeValue;
    /// assert_eq!(AttributeValue::Bool(true).type_name(), "BOOL");
    /// ```
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Ss(_) => "SS",
            AttributeValue::Ns(_) => "NS",
            AttributeValue::Bs(_) => "BS",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::Null => "NULL",
            AttributeValue::L(_) => "L",
            AttributeValue::M(_) => "M",
        }
    }

    /// A string set from any strings.
    ///
    /// ```
    /// use kinesis_wire::dynamodb::AttributeValue;
    /// assert_eq!(AttributeValue::string_set(["a", "b"]), AttributeValue::Ss(vec!["a".into(), "b".into()]));
    /// ```
    pub fn string_set<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Self {
        AttributeValue::Ss(values.into_iter().map(Into::into).collect())
    }
}

impl From<&str> for AttributeValue {
    fn from(s: &str) -> Self {
        AttributeValue::S(s.to_string())
    }
}

impl From<String> for AttributeValue {
    fn from(s: String) -> Self {
        AttributeValue::S(s)
    }
}

impl From<bool> for AttributeValue {
    fn from(b: bool) -> Self {
        AttributeValue::Bool(b)
    }
}

impl From<Vec<u8>> for AttributeValue {
    fn from(b: Vec<u8>) -> Self {
        AttributeValue::B(b)
    }
}

macro_rules! number_from {
    ($($t:ty),*) => {$(
        impl From<$t> for AttributeValue {
            fn from(n: $t) -> Self {
                AttributeValue::N(n.to_string())
            }
        }
    )*};
}
number_from!(i32, i64, u32, u64);

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Binary values as base64 strings, for serialising `B` and `BS`.
struct Base64<'a>(&'a [u8]);

impl Serialize for Base64<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(self.0))
    }
}

impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        let tag = self.type_name();
        match self {
            AttributeValue::S(v) | AttributeValue::N(v) => map.serialize_entry(tag, v)?,
            AttributeValue::B(v) => map.serialize_entry(tag, &Base64(v))?,
            AttributeValue::Ss(v) | AttributeValue::Ns(v) => map.serialize_entry(tag, v)?,
            AttributeValue::Bs(v) => {
                let v: Vec<Base64<'_>> = v.iter().map(|b| Base64(b)).collect();
                map.serialize_entry(tag, &v)?
            }
            AttributeValue::Bool(v) => map.serialize_entry(tag, v)?,
            AttributeValue::Null => map.serialize_entry(tag, &true)?,
            AttributeValue::L(v) => map.serialize_entry(tag, v)?,
            AttributeValue::M(v) => map.serialize_entry(tag, v)?,
        }
        map.end()
    }
}

fn decode_b64<E: de::Error>(tag: &str, s: &str) -> Result<Vec<u8>, E> {
    B64.decode(s)
        .map_err(|e| E::custom(format_args!("{tag} value is not base64: {e}")))
}

impl<'de> Deserialize<'de> for AttributeValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AttributeValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a DynamoDB attribute value: an object with one type key, e.g. {\"S\":\"text\"}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AttributeValue, A::Error> {
                let Some(tag) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(
                        "empty attribute value: expected one type key (S, N, B, SS, NS, BS, BOOL, NULL, L or M)",
                    ));
                };
                let value = match tag.as_str() {
                    "S" => AttributeValue::S(map.next_value()?),
                    "N" => AttributeValue::N(map.next_value()?),
                    "B" => AttributeValue::B(decode_b64("B", &map.next_value::<String>()?)?),
                    "SS" => AttributeValue::Ss(map.next_value()?),
                    "NS" => AttributeValue::Ns(map.next_value()?),
                    "BS" => AttributeValue::Bs(
                        map.next_value::<Vec<String>>()?
                            .iter()
                            .map(|s| decode_b64("BS", s))
                            .collect::<Result<_, _>>()?,
                    ),
                    "BOOL" => AttributeValue::Bool(map.next_value()?),
                    "NULL" => {
                        if !map.next_value::<bool>()? {
                            return Err(de::Error::custom("NULL must be true"));
                        }
                        AttributeValue::Null
                    }
                    "L" => AttributeValue::L(map.next_value()?),
                    "M" => AttributeValue::M(map.next_value()?),
                    other => {
                        return Err(de::Error::custom(format_args!(
                            "unknown attribute type {other:?} (expected S, N, B, SS, NS, BS, BOOL, NULL, L or M)"
                        )))
                    }
                };
                if let Some(extra) = map.next_key::<String>()? {
                    map.next_value::<IgnoredAny>()?;
                    return Err(de::Error::custom(format_args!(
                        "attribute value has two types, {tag} and {extra}"
                    )));
                }
                Ok(value)
            }
        }
        d.deserialize_map(V)
    }
}

/// A typed getter found the attribute missing or of another type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttributeError {
    /// The item has no such attribute (or it is `NULL`, for a required one).
    Missing {
        /// The attribute's name.
        attribute: String,
    },
    /// The attribute has another type.
    WrongType {
        /// The attribute's name.
        attribute: String,
        /// The type asked for, e.g. `N`.
        expected: &'static str,
        /// The type it has, e.g. `S`.
        found: &'static str,
    },
    /// A number that does not fit the integer type asked for.
    NotAnInteger {
        /// The attribute's name.
        attribute: String,
        /// The number as stored.
        value: String,
        /// The type asked for, e.g. `u64`.
        target: &'static str,
    },
}

impl fmt::Display for AttributeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttributeError::Missing { attribute } => write!(f, "attribute {attribute} is missing"),
            AttributeError::WrongType {
                attribute,
                expected,
                found,
            } => write!(
                f,
                "attribute {attribute} is of type {found}, expected {expected}"
            ),
            AttributeError::NotAnInteger {
                attribute,
                value,
                target,
            } => write!(
                f,
                "attribute {attribute} holds the number {value:?}, not a {target}"
            ),
        }
    }
}

impl std::error::Error for AttributeError {}

/// Typed getters on an [`Item`]. `get_*` fail when the attribute is missing (or `NULL`) or
/// of another type; `opt_*` return `None` when it is missing or `NULL` and fail only on
/// another type. Every error names the attribute.
///
/// ```
/// use kinesis_wire::dynamodb::{AttributeValue, Item, ItemExt};
/// let item = Item::from([
///     ("leaseKey".to_string(), AttributeValue::from("shardId-000000000000")),
///     ("leaseCounter".to_string(), AttributeValue::from(7u64)),
///     ("parentShardId".to_string(), AttributeValue::string_set(["shardId-000000000002"])),
/// ]);
/// assert_eq!(item.get_s("leaseKey")?, "shardId-000000000000");
/// assert_eq!(item.get_u64("leaseCounter")?, 7);
/// assert_eq!(item.get_ss("parentShardId")?, ["shardId-000000000002"]);
/// assert_eq!(item.opt_s("leaseOwner")?, None);
/// let e = item.get_s("leaseCounter").unwrap_err();
/// assert_eq!(e.to_string(), "attribute leaseCounter is of type N, expected S");
/// # Ok::<(), kinesis_wire::dynamodb::AttributeError>(())
/// ```
pub trait ItemExt {
    /// The `S` attribute `name`.
    fn get_s(&self, name: &str) -> Result<&str, AttributeError>;
    /// The `N` attribute `name` as an `i64`.
    fn get_i64(&self, name: &str) -> Result<i64, AttributeError>;
    /// The `N` attribute `name` as a `u64`.
    fn get_u64(&self, name: &str) -> Result<u64, AttributeError>;
    /// The `SS` attribute `name`.
    fn get_ss(&self, name: &str) -> Result<&[String], AttributeError>;
    /// The `BOOL` attribute `name`.
    fn get_bool(&self, name: &str) -> Result<bool, AttributeError>;
    /// The `S` attribute `name`, if present.
    fn opt_s(&self, name: &str) -> Result<Option<&str>, AttributeError>;
    /// The `N` attribute `name` as an `i64`, if present.
    fn opt_i64(&self, name: &str) -> Result<Option<i64>, AttributeError>;
    /// The `N` attribute `name` as a `u64`, if present.
    fn opt_u64(&self, name: &str) -> Result<Option<u64>, AttributeError>;
    /// The `SS` attribute `name`, if present.
    fn opt_ss(&self, name: &str) -> Result<Option<&[String]>, AttributeError>;
}

/// The attribute `name` unless absent or `NULL`.
fn present<'a>(item: &'a Item, name: &str) -> Option<&'a AttributeValue> {
    item.get(name).filter(|v| **v != AttributeValue::Null)
}

fn wrong_type(name: &str, expected: &'static str, found: &AttributeValue) -> AttributeError {
    AttributeError::WrongType {
        attribute: name.to_string(),
        expected,
        found: found.type_name(),
    }
}

fn integer<T: std::str::FromStr>(
    name: &str,
    v: &AttributeValue,
    target: &'static str,
) -> Result<T, AttributeError> {
    match v {
        AttributeValue::N(n) => n.parse().map_err(|_| AttributeError::NotAnInteger {
            attribute: name.to_string(),
            value: n.clone(),
            target,
        }),
        other => Err(wrong_type(name, "N", other)),
    }
}

fn required<T>(name: &str, v: Option<T>) -> Result<T, AttributeError> {
    v.ok_or_else(|| AttributeError::Missing {
        attribute: name.to_string(),
    })
}

impl ItemExt for Item {
    fn get_s(&self, name: &str) -> Result<&str, AttributeError> {
        required(name, self.opt_s(name)?)
    }
    fn get_i64(&self, name: &str) -> Result<i64, AttributeError> {
        required(name, self.opt_i64(name)?)
    }
    fn get_u64(&self, name: &str) -> Result<u64, AttributeError> {
        required(name, self.opt_u64(name)?)
    }
    fn get_ss(&self, name: &str) -> Result<&[String], AttributeError> {
        required(name, self.opt_ss(name)?)
    }
    fn get_bool(&self, name: &str) -> Result<bool, AttributeError> {
        match required(name, present(self, name))? {
            AttributeValue::Bool(b) => Ok(*b),
            other => Err(wrong_type(name, "BOOL", other)),
        }
    }
    fn opt_s(&self, name: &str) -> Result<Option<&str>, AttributeError> {
        match present(self, name) {
            None => Ok(None),
            Some(AttributeValue::S(s)) => Ok(Some(s)),
            Some(other) => Err(wrong_type(name, "S", other)),
        }
    }
    fn opt_i64(&self, name: &str) -> Result<Option<i64>, AttributeError> {
        present(self, name)
            .map(|v| integer(name, v, "i64"))
            .transpose()
    }
    fn opt_u64(&self, name: &str) -> Result<Option<u64>, AttributeError> {
        present(self, name)
            .map(|v| integer(name, v, "u64"))
            .transpose()
    }
    fn opt_ss(&self, name: &str) -> Result<Option<&[String]>, AttributeError> {
        match present(self, name) {
            None => Ok(None),
            Some(AttributeValue::Ss(s)) => Ok(Some(s)),
            Some(other) => Err(wrong_type(name, "SS", other)),
        }
    }
}

/// A one-attribute key (or item), e.g. the lease table's `leaseKey`.
///
/// ```
/// use kinesis_wire::dynamodb::{key, AttributeValue};
/// let k = key("leaseKey", "shardId-000000000000");
/// assert_eq!(k["leaseKey"], AttributeValue::S("shardId-000000000000".into()));
/// ```
pub fn key(name: &str, value: impl Into<AttributeValue>) -> Item {
    Item::from([(name.to_string(), value.into())])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(v: &AttributeValue, wire: &str) {
        assert_eq!(serde_json::to_string(v).unwrap(), wire, "{v:?}");
        let back: AttributeValue = serde_json::from_str(wire).unwrap();
        assert_eq!(&back, v, "{wire}");
    }

    #[test]
    fn every_type_round_trips_through_dynamodb_json() {
        round_trip(
            &AttributeValue::S("héllo \"x\"".into()),
            r#"{"S":"héllo \"x\""}"#,
        );
        round_trip(&AttributeValue::N("-12.5E3".into()), r#"{"N":"-12.5E3"}"#);
        round_trip(&AttributeValue::B(vec![0, 1, 255]), r#"{"B":"AAH/"}"#);
        round_trip(&AttributeValue::B(vec![]), r#"{"B":""}"#);
        round_trip(
            &AttributeValue::string_set(["a", "b"]),
            r#"{"SS":["a","b"]}"#,
        );
        round_trip(
            &AttributeValue::Ns(vec!["1".into(), "2.5".into()]),
            r#"{"NS":["1","2.5"]}"#,
        );
        round_trip(
            &AttributeValue::Bs(vec![vec![1], vec![2, 3]]),
            r#"{"BS":["AQ==","AgM="]}"#,
        );
        round_trip(&AttributeValue::Bool(false), r#"{"BOOL":false}"#);
        round_trip(&AttributeValue::Null, r#"{"NULL":true}"#);
        round_trip(
            &AttributeValue::L(vec![AttributeValue::from("q"), AttributeValue::from(3u64)]),
            r#"{"L":[{"S":"q"},{"N":"3"}]}"#,
        );
        round_trip(
            &AttributeValue::M(BTreeMap::from([
                ("k".to_string(), AttributeValue::from(true)),
                (
                    "n".to_string(),
                    AttributeValue::M(BTreeMap::from([("x".into(), AttributeValue::Null)])),
                ),
            ])),
            r#"{"M":{"k":{"BOOL":true},"n":{"M":{"x":{"NULL":true}}}}}"#,
        );
        round_trip(&AttributeValue::L(vec![]), r#"{"L":[]}"#);
    }

    #[test]
    fn conversions_pick_the_dynamodb_type() {
        assert_eq!(AttributeValue::from(-3i64), AttributeValue::N("-3".into()));
        assert_eq!(AttributeValue::from(7u32), AttributeValue::N("7".into()));
        assert_eq!(AttributeValue::from(7i32), AttributeValue::N("7".into()));
        assert_eq!(
            AttributeValue::from(String::from("s")),
            AttributeValue::S("s".into())
        );
        assert_eq!(AttributeValue::from(vec![1u8]), AttributeValue::B(vec![1]));
    }

    #[test]
    fn malformed_values_are_refused_with_the_reason() {
        let err = |wire: &str| {
            serde_json::from_str::<AttributeValue>(wire)
                .unwrap_err()
                .to_string()
        };
        assert!(
            err(r#"{}"#).contains("empty attribute value"),
            "{}",
            err("{}")
        );
        assert!(err(r#"{"X":"1"}"#).contains(r#"unknown attribute type "X""#));
        assert!(err(r#"{"S":"a","N":"1"}"#).contains("two types, S and N"));
        assert!(err(r#"{"B":"!!"}"#).contains("B value is not base64"));
        assert!(err(r#"{"BS":["AQ==","%"]}"#).contains("BS value is not base64"));
        assert!(err(r#"{"NULL":false}"#).contains("NULL must be true"));
        assert!(err(r#"{"N":1}"#).contains("invalid type"));
        assert!(err(r#""S""#).contains("DynamoDB attribute value"));
    }

    #[test]
    fn getters_name_the_attribute_at_fault() {
        let item = Item::from([
            ("s".to_string(), AttributeValue::from("x")),
            ("n".to_string(), AttributeValue::from(-5i64)),
            (
                "big".to_string(),
                AttributeValue::N("18446744073709551616".into()),
            ),
            ("frac".to_string(), AttributeValue::N("1.5".into())),
            ("ss".to_string(), AttributeValue::string_set(["a"])),
            ("b".to_string(), AttributeValue::from(true)),
            ("null".to_string(), AttributeValue::Null),
        ]);
        assert_eq!(item.get_s("s").unwrap(), "x");
        assert_eq!(item.get_i64("n").unwrap(), -5);
        assert_eq!(item.get_ss("ss").unwrap(), ["a"]);
        assert!(item.get_bool("b").unwrap());
        assert_eq!(item.opt_u64("absent").unwrap(), None);
        assert_eq!(item.opt_s("null").unwrap(), None);
        assert_eq!(item.opt_ss("absent").unwrap(), None);
        assert_eq!(item.opt_i64("n").unwrap(), Some(-5));
        assert_eq!(
            item.get_u64("n").unwrap_err().to_string(),
            r#"attribute n holds the number "-5", not a u64"#
        );
        assert_eq!(
            item.get_u64("big").unwrap_err(),
            AttributeError::NotAnInteger {
                attribute: "big".into(),
                value: "18446744073709551616".into(),
                target: "u64"
            }
        );
        assert!(item.get_i64("frac").is_err());
        assert_eq!(
            item.get_s("null").unwrap_err().to_string(),
            "attribute null is missing"
        );
        assert_eq!(
            item.get_ss("s").unwrap_err().to_string(),
            "attribute s is of type S, expected SS"
        );
        assert_eq!(
            item.opt_s("n").unwrap_err().to_string(),
            "attribute n is of type N, expected S"
        );
        assert_eq!(
            item.get_bool("s").unwrap_err().to_string(),
            "attribute s is of type S, expected BOOL"
        );
        assert_eq!(
            item.get_i64("missing").unwrap_err().to_string(),
            "attribute missing is missing"
        );
    }
}
