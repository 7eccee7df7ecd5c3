//! The list's filter form: its query string and what the form shows back.

use serde::Deserialize;

use crate::db::api_keys;
use crate::domain::api_key::{BadCursor, KeyCursor, KeyListFilter, KeySort, StatusFilter};

/// One choice of a select.
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// The list's filter form as the page shows it.
pub struct FilterView {
    pub text: String,
    pub statuses: Vec<Choice>,
    pub sorts: Vec<Choice>,
    /// Whether keys are left out: the list says how many match, and offers to show all.
    pub narrows: bool,
    /// "3", or "1000+": how many keys match.
    pub matching_label: String,
}

impl FilterView {
    pub fn new(filter: &KeyListFilter, matching: i64) -> FilterView {
        FilterView {
            text: filter.text.as_ref().map(|t| t.as_str().to_string()).unwrap_or_default(),
            statuses: StatusFilter::ALL
                .into_iter()
                .map(|s| Choice { value: s.code(), label: s.label(), selected: s == filter.status })
                .collect(),
            sorts: KeySort::ALL
                .into_iter()
                .map(|s| Choice { value: s.code(), label: s.label(), selected: s == filter.sort })
                .collect(),
            narrows: filter.narrows(),
            matching_label: count_label(matching),
        }
    }
}

/// "55", or "1000+" past the counting limit.
pub fn count_label(total: i64) -> String {
    if total > api_keys::COUNT_CAP { format!("{}+", api_keys::COUNT_CAP) } else { total.to_string() }
}

/// The list's query string: where the page starts, and the filter (see
/// [`KeyListFilter::parse`]). An old `?page=N` link is not read: it shows the
/// first page.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub cursor: Option<String>,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub sort: String,
}

impl ListQuery {
    pub fn filter(&self) -> KeyListFilter {
        KeyListFilter::parse(&self.q, &self.status, &self.sort)
    }

    /// Where the page starts: the beginning without a cursor (or with an empty
    /// one, as a form would send it); `Err` for one this list did not give.
    pub fn cursor(&self, filter: &KeyListFilter) -> Result<Option<KeyCursor>, BadCursor> {
        match self.cursor.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => KeyCursor::parse(raw, filter.sort).map(Some),
        }
    }
}

/// The links to the pages before and after this one, keeping the filter:
/// `{list_url}?cursor=…&q=…&status=…&sort=…`.
pub fn page_link(list_url: &str, filter: &KeyListFilter, cursor: Option<KeyCursor>) -> String {
    let mut pairs: Vec<(&'static str, String)> = Vec::new();
    if let Some(cursor) = cursor {
        pairs.push(("cursor", cursor.encode()));
    }
    pairs.extend(filter.query_pairs());
    // Plain strings always encode.
    let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
    if query.is_empty() { list_url.to_string() } else { format!("{list_url}?{query}") }
}
