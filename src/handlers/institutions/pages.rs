//! Lists of the operator API as Django REST framework pages them: `limit`/`offset`, a
//! case-insensitive `search` over some fields and `ordering` by any field, over the items'
//! JSON (`{"count", "next", "previous", "results"}`). HTTP-level only: the items come whole
//! from a unit of work, so nothing here knows a table.

use std::cmp::Ordering;

use actix_web::HttpRequest;
use serde_json::Value;

use super::super::extract::Query;
use super::super::reply::origin;
use crate::error::{ApiError, ApiResult};
use crate::wire::institutions::Page;

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 500;

/// A list request's parameters, as [`params`] reads them.
pub struct ListParams {
    limit: usize,
    offset: usize,
    search: Option<String>,
    ordering: Option<(String, bool)>,
}

/// The list parameters of the request: `limit` and `offset` (as Django REST framework reads
/// them), `search`, and `ordering` by one of `fields` (`-field` descending).
pub fn params(req: &HttpRequest, fields: &[&str]) -> ApiResult<ListParams> {
    let query = Query::parse(req.query_string())?;
    let count = |name: &str| -> ApiResult<Option<usize>> {
        query
            .get(name)
            .map(|v| {
                v.parse::<usize>().map_err(|_| {
                    ApiError::bad_request(format!("{name}: {v:?} is not a non-negative integer."))
                })
            })
            .transpose()
    };
    // As Django REST framework: a limit of 0 means the default; above the maximum, the maximum.
    let limit = match count("limit")? {
        None | Some(0) => DEFAULT_LIMIT,
        Some(n) => n.min(MAX_LIMIT),
    };
    let offset = count("offset")?.unwrap_or(0);
    let search = query
        .get("search")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_lowercase);
    let ordering = match query
        .get("ordering")
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(o) => {
            let (field, desc) = match o.strip_prefix('-') {
                Some(f) => (f, true),
                None => (o, false),
            };
            if !fields.contains(&field) {
                return Err(ApiError::bad_request(format!(
                    "ordering: {field:?} is not a field; use one of {}.",
                    fields.join(", ")
                )));
            }
            Some((field.to_string(), desc))
        }
    };
    Ok(ListParams {
        limit,
        offset,
        search,
        ordering,
    })
}

fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => a.to_string().cmp(&b.to_string()),
    }
}

/// The absolute URL of this list with another offset (None when there is no such page).
fn page_url(req: &HttpRequest, limit: usize, offset: Option<usize>) -> String {
    let mut pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(req.query_string().as_bytes())
            .into_owned()
            .filter(|(k, _)| k != "limit" && k != "offset")
            .collect();
    pairs.push(("limit".into(), limit.to_string()));
    if let Some(offset) = offset {
        pairs.push(("offset".into(), offset.to_string()));
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    format!("{}{}?{query}", origin(req), req.path())
}

/// Searches (case-insensitively, in the `searchable` fields), orders (by `id` unless asked
/// otherwise) and pages serialized items, with absolute links to the pages beside.
pub fn page<T: serde::Serialize>(
    req: &HttpRequest,
    params: &ListParams,
    items: &[T],
    searchable: &[&str],
) -> ApiResult<Page<Value>> {
    let mut values: Vec<Value> = items
        .iter()
        .map(|i| serde_json::to_value(i).map_err(ApiError::internal))
        .collect::<ApiResult<_>>()?;
    if let Some(term) = &params.search {
        values.retain(|v| {
            searchable.iter().any(|f| {
                v[*f]
                    .as_str()
                    .is_some_and(|s| s.to_lowercase().contains(term.as_str()))
            })
        });
    }
    match &params.ordering {
        Some((field, desc)) => values.sort_by(|a, b| {
            let o = compare(&a[field.as_str()], &b[field.as_str()]);
            if *desc {
                o.reverse()
            } else {
                o
            }
        }),
        None => values.sort_by(|a, b| compare(&a["id"], &b["id"])),
    }
    let count = values.len();
    let after = params.offset.saturating_add(params.limit);
    let next = (after < count).then(|| page_url(req, params.limit, Some(after)));
    let previous = (params.offset > 0).then(|| {
        let back = params.offset.saturating_sub(params.limit);
        page_url(req, params.limit, (back > 0).then_some(back))
    });
    let results = values
        .into_iter()
        .skip(params.offset)
        .take(params.limit)
        .collect();
    Ok(Page {
        count,
        next,
        previous,
        results,
    })
}
