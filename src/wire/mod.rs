//! The shapes on the wire, with Brightspace's exact field names. Request types deserialize,
//! response types serialize; neither is a database row. Also the parsing rules they share
//! (JSON with field-naming errors, canonical ids, booleans, bookmarks). No actix here: the
//! extractors and replies are the handler layer's (`handlers::extract`, `handlers::reply`).

/// Declares the Fetch form of SectionData or GroupData: the same JSON but for the name of the
/// id field, built from the unit and its members' user ids.
macro_rules! child_fetch {
    ($(#[$meta:meta])* $name:ident { $id:ident: $id_name:tt }) => {
        $(#[$meta])*
        #[derive(Debug, serde::Serialize, utoipa::ToSchema)]
        pub struct $name {
            #[serde(rename = $id_name)]
            pub $id: i64,
            #[serde(rename = "Name")]
            pub name: String,
            #[serde(rename = "Code")]
            pub code: String,
            #[serde(rename = "Description")]
            pub description: $crate::wire::RichText,
            #[serde(rename = "Enrollments")]
            pub enrollments: Vec<i64>,
        }

        impl From<&$crate::db::rows::UnitWithMembers> for $name {
            fn from(child: &$crate::db::rows::UnitWithMembers) -> Self {
                let unit = &child.unit;
                Self {
                    $id: unit.id,
                    name: unit.name.clone(),
                    code: unit.code.clone().unwrap_or_default(),
                    description: $crate::wire::RichText::from_stored(
                        unit.description_text.as_deref(),
                        unit.description_html.as_deref(),
                    ),
                    enrollments: child.members.clone(),
                }
            }
        }
    };
}

pub mod classlist;
pub mod courses;
pub mod enrollments;
pub mod groups;
pub mod history;
pub mod institutions;
pub mod oauth;
pub mod orgstructure;
mod parse;
pub mod roles;
pub mod sections;
pub mod self_enrollment;
pub mod testing;
pub mod users;
pub mod versions;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{ApiError, ApiResult};

pub use parse::{
    canonical_id, nul_error, parse_bookmark, parse_bool, parse_id, parse_json, parse_json_strictly,
    parse_utc, path_id, query_nul_parameter,
};

/// `yyyy-MM-ddTHH:mm:ss.fffZ`, milliseconds always present.
pub fn utc(dt: NaiveDateTime) -> String {
    dt.and_utc().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A UTCDateTime on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcDateTime(pub NaiveDateTime);

impl Serialize for UtcDateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&utc(self.0))
    }
}

/// An RFC 3339 date-time string; answered in UTC with milliseconds.
impl utoipa::PartialSchema for UtcDateTime {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some(
                "UTCDateTime: yyyy-MM-ddTHH:mm:ss.fffZ (any RFC 3339 offset accepted in input).",
            ))
            .examples(["2026-01-31T05:00:00.000Z"])
            .into()
    }
}
impl utoipa::ToSchema for UtcDateTime {}

impl<'de> Deserialize<'de> for UtcDateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|dt| UtcDateTime(dt.with_timezone(&Utc).naive_utc()))
            .map_err(|_| {
                serde::de::Error::custom(format!(
                    "{text:?} is not a UTC date-time (yyyy-MM-ddTHH:mm:ss.fffZ)"
                ))
            })
    }
}

/// For a key whose absence and null mean different things, with `#[serde(default)]`: an
/// absent key is `None`, a null one `Some(None)`.
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

pub use crate::domain::rich_text::RichText;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RichTextType {
    Text,
    Html,
}

impl utoipa::PartialSchema for RichTextType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("\"Text\" or \"Html\", in any case."))
            .examples(["Html"])
            .into()
    }
}
impl utoipa::ToSchema for RichTextType {}

impl<'de> Deserialize<'de> for RichTextType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.eq_ignore_ascii_case("text") {
            Ok(RichTextType::Text)
        } else if text.eq_ignore_ascii_case("html") {
            Ok(RichTextType::Html)
        } else {
            Err(serde::de::Error::custom(format!(
                "{text:?} is not \"Text\" or \"Html\""
            )))
        }
    }
}

/// RichTextInput, as sent. Sending the answer shape (`Text`/`Html`) instead is a 400.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
pub struct RichTextInput {
    #[serde(rename = "Content")]
    pub content: String,
    #[serde(rename = "Type")]
    pub kind: RichTextType,
}

impl RichTextInput {
    /// Turns input into what is stored and answered: sanitized HTML and its text.
    pub fn render(&self) -> RichText {
        crate::domain::rich_text::render(&self.content, self.kind == RichTextType::Html)
    }

    /// An optional description: absent or null is empty text.
    pub fn render_optional(input: Option<&RichTextInput>) -> RichText {
        input.map(Self::render).unwrap_or_default()
    }
}

/// The Create and Update forms of SectionData and GroupData, which are the same:
/// `{"Name", "Code", "Description"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ChildOrgUnitInput {
    #[serde(rename = "Name")]
    pub name: String,
    #[serde(rename = "Code")]
    pub code: String,
    #[serde(rename = "Description", default)]
    pub description: Option<RichTextInput>,
}

impl TryFrom<ChildOrgUnitInput> for crate::domain::naming::ChildChange {
    type Error = ApiError;

    /// Checks the name and code rules and renders the description.
    fn try_from(input: ChildOrgUnitInput) -> ApiResult<Self> {
        crate::domain::validate::name("Name", &input.name, 256).map_err(ApiError::BadRequest)?;
        crate::domain::validate::code("Code", &input.code).map_err(ApiError::BadRequest)?;
        let description = RichTextInput::render_optional(input.description.as_ref());
        Ok(Self {
            name: input.name,
            code: input.code,
            description,
        })
    }
}

/// What the health probes answer: `{"status": "ok"}` (live) or `{"status": "ready"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Status {
    pub status: &'static str,
}

/// Brightspace's paged answer.
#[derive(Debug, Serialize)]
pub struct PagedResultSet<T> {
    #[serde(rename = "PagingInfo")]
    pub paging_info: PagingInfo,
    #[serde(rename = "Items")]
    pub items: Vec<T>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PagingInfo {
    #[serde(rename = "Bookmark")]
    pub bookmark: Option<String>,
    #[serde(rename = "HasMoreItems")]
    pub has_more_items: bool,
}

/// A page of `T` is its own schema, `PagedResultSet_T`, so that each kind of page can be named.
impl<T: utoipa::ToSchema> utoipa::PartialSchema for PagedResultSet<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        page_schema::<T>("PagingInfo", PagingInfo::schema_ref(), "Items")
    }
}
impl<T: utoipa::ToSchema> utoipa::ToSchema for PagedResultSet<T> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("PagedResultSet_{}", T::name()).into()
    }
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            "PagingInfo".into(),
            <PagingInfo as utoipa::PartialSchema>::schema(),
        ));
        schemas.push((T::name().into(), T::schema()));
        T::schemas(schemas);
    }
}

impl PagingInfo {
    fn schema_ref() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::Ref::from_schema_name("PagingInfo").into()
    }
}

/// The schema of a page: `{info: <info>, items: [T]}`, both keys required.
pub fn page_schema<T: utoipa::ToSchema>(
    info: &str,
    info_schema: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    items: &str,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder};
    ObjectBuilder::new()
        .property(info, info_schema)
        .required(info)
        .property(
            items,
            ArrayBuilder::new().items(utoipa::openapi::Ref::from_schema_name(T::name())),
        )
        .required(items)
        .into()
}

/// Items a page of a PagedResultSet holds at most.
pub const PAGE_SIZE: i64 = 100;

/// Builds a page from up to `PAGE_SIZE + 1` rows fetched in key order: the extra row only says
/// there is more. The bookmark is the last item's key.
pub fn page<R, T>(
    mut rows: Vec<R>,
    key: impl Fn(&R) -> i64,
    item: impl Fn(R) -> T,
) -> PagedResultSet<T> {
    let has_more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let bookmark = rows.last().map(|r| key(r).to_string());
    PagedResultSet {
        paging_info: PagingInfo {
            bookmark,
            has_more_items: has_more,
        },
        items: rows.into_iter().map(item).collect(),
    }
}

/// Whether enumerations are answered by name instead of by number (`--enum-encoding names`).
/// D2L documents numbers (`<number:GRPENROLL_T>`), and typed clients break on a string, so
/// numbers are the default; one process answers one way.
static ENUMS_BY_NAME: AtomicBool = AtomicBool::new(false);

/// Answers enumerations by name (true) or by number (false) from now on, in this process.
pub fn answer_enums_by_name(by_name: bool) {
    ENUMS_BY_NAME.store(by_name, Ordering::Relaxed);
}

/// Writes an enumeration as the process answers them: its number, or its name.
pub fn serialize_enum<S: serde::Serializer>(
    s: S,
    number: i64,
    name: &str,
) -> Result<S::Ok, S::Error> {
    if ENUMS_BY_NAME.load(Ordering::Relaxed) {
        s.serialize_str(name)
    } else {
        s.serialize_i64(number)
    }
}

/// The schema of an enumeration: its numbers (as answered by default) or its names (as
/// answered under `--enum-encoding names`, and accepted in input with numbers as strings).
pub fn enum_schema(
    name: &str,
    values: &[(i64, &str)],
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Type};
    let listed: Vec<String> = values.iter().map(|(n, v)| format!("{n} = {v}")).collect();
    AnyOfBuilder::new()
        .description(Some(format!(
            "{name}: {}. Answered as the number (or the name under --enum-encoding names); \
             accepted as the number, the name in any case, or the number as a string.",
            listed.join(", ")
        )))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .enum_values(Some(values.iter().map(|(n, _)| *n))),
        )
        .item(ObjectBuilder::new().schema_type(Type::String))
        .into()
}

/// An enumeration as clients send it: its number, its name, or its number as a string.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum NumberOrName {
    Number(i64),
    Name(String),
}

impl NumberOrName {
    /// The value named, by number or by name (`named` looks a name up).
    pub fn decode<T>(
        &self,
        from_number: impl Fn(i64) -> Option<T>,
        named: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        match self {
            NumberOrName::Number(n) => from_number(*n),
            NumberOrName::Name(text) => match text.trim().parse::<i64>() {
                Ok(n) => from_number(n),
                Err(_) => named(text.trim()),
            },
        }
    }

    /// What was sent, for an error message.
    pub fn sent(&self) -> String {
        match self {
            NumberOrName::Number(n) => n.to_string(),
            NumberOrName::Name(text) => format!("{text:?}"),
        }
    }
}

/// Declares a Brightspace enumeration: answered by number (or by name, see
/// [`answer_enums_by_name`]), accepted as its number, its name (case-insensitively) or its
/// number as a string, as real clients send all three.
#[macro_export]
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant = $value),+
        }

        impl $name {
            pub fn from_number(n: i64) -> Option<Self> {
                match n {
                    $($value => Some(Self::$variant),)+
                    _ => None,
                }
            }

            pub fn number(self) -> i64 {
                self as i64
            }

            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($variant),)+
                }
            }

            fn from_name(text: &str) -> Option<Self> {
                $(if text.eq_ignore_ascii_case(stringify!($variant)) {
                    return Some(Self::$variant);
                })+
                None
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::wire::serialize_enum(s, self.number(), self.name())
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::wire::enum_schema(stringify!($name), &[$(($value, stringify!($variant))),+])
            }
        }
        impl utoipa::ToSchema for $name {}

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let expected = concat!("one of ", $(stringify!($variant), " (", $value, ") "),+);
                let sent = <$crate::wire::NumberOrName as serde::Deserialize>::deserialize(d)?;
                sent.decode(Self::from_number, Self::from_name).ok_or_else(|| {
                    serde::de::Error::custom(format!("{} is not {expected}", sent.sent()))
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_always_carry_milliseconds() {
        let dt = DateTime::parse_from_rfc3339("2026-01-31T05:00:00Z")
            .expect("date")
            .naive_utc();
        assert_eq!(utc(dt), "2026-01-31T05:00:00.000Z");
        let parsed: UtcDateTime =
            serde_json::from_str("\"2026-01-31T06:00:00.250+01:00\"").expect("parse");
        assert_eq!(utc(parsed.0), "2026-01-31T05:00:00.250Z");
        assert!(serde_json::from_str::<UtcDateTime>("\"yesterday\"").is_err());
    }

    #[test]
    fn rich_text_type_is_case_insensitive() {
        let r: RichTextInput =
            serde_json::from_str(r#"{"Content": "x", "Type": "HTML"}"#).expect("parse");
        assert_eq!(r.kind, RichTextType::Html);
        assert!(serde_json::from_str::<RichTextInput>(r#"{"Text": "x", "Html": "x"}"#).is_err());
    }

    #[test]
    fn pages_carry_a_bookmark_and_more_flag() {
        let rows: Vec<i64> = (1..=101).collect();
        let p = page(rows, |r| *r, |r| r);
        assert_eq!(p.items.len(), 100);
        assert!(p.paging_info.has_more_items);
        assert_eq!(p.paging_info.bookmark.as_deref(), Some("100"));
        let p = page(vec![1i64, 2], |r| *r, |r| r);
        assert!(!p.paging_info.has_more_items);
    }
}
