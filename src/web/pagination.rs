//! Page numbers for long lists (`?page=N`).

use serde::Deserialize;

/// Rows per page of the lists people page through (keys, the audit log).
pub const PER_PAGE: i64 = 50;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub page: Option<String>,
}

/// Where a list is, for the template's "Previous" / "Next" links.
#[derive(Debug, Clone)]
pub struct Pagination {
    pub page: i64,
    pub pages: i64,
    pub per_page: i64,
    /// False when the number of pages is not known (only whether one follows).
    pub exact: bool,
}

impl Pagination {
    /// The requested page number; anything that is not a positive number is page 1.
    pub fn requested(query: &PageQuery) -> i64 {
        query
            .page
            .as_deref()
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
            .min(1_000_000)
    }

    pub fn new(page: i64, per_page: i64, total: i64) -> Pagination {
        let pages = ((total + per_page - 1) / per_page).max(1);
        Pagination { page: page.clamp(1, pages), pages, per_page, exact: true }
    }

    /// For a list too long to count: the page, and whether another follows.
    pub fn open_ended(page: i64, per_page: i64, has_next: bool) -> Pagination {
        let page = page.max(1);
        Pagination { page, pages: if has_next { page + 1 } else { page }, per_page, exact: false }
    }

    pub fn offset_for(page: i64, per_page: i64) -> i64 {
        (page.max(1) - 1) * per_page
    }

    pub fn has_previous(&self) -> bool {
        self.page > 1
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages
    }

    pub fn previous(&self) -> i64 {
        self.page - 1
    }

    pub fn next(&self) -> i64 {
        self.page + 1
    }
}

/// A page of a list as storage returns it: whether it holds anything, and the
/// list's total when it was counted (a list too long to count has none).
pub trait ListPage {
    fn is_empty(&self) -> bool;
    fn counted_total(&self) -> Option<i64>;
}

/// Rows and the list's total.
impl<T> ListPage for (Vec<T>, i64) {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn counted_total(&self) -> Option<i64> {
        Some(self.1)
    }
}

/// Loads page `requested` with `load(offset)`; past the last page of a counted
/// list, loads the last page instead, so that a stale link (the list shrank)
/// shows what is there rather than an empty list that says nothing matches.
pub fn page_or_last<P: ListPage, E>(
    requested: i64,
    per_page: i64,
    mut load: impl FnMut(i64) -> Result<P, E>,
) -> Result<P, E> {
    let page = load(Pagination::offset_for(requested, per_page))?;
    match page.counted_total() {
        Some(total) if page.is_empty() && total > 0 => {
            let last = Pagination::new(requested, per_page, total).page;
            if last == requested { Ok(page) } else { load(Pagination::offset_for(last, per_page)) }
        }
        _ => Ok(page),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_page_numbers_mean_the_first_page() {
        for junk in ["0", "-3", "abc", "", "9999999999999999999999"] {
            assert_eq!(Pagination::requested(&PageQuery { page: Some(junk.into()) }), 1, "{junk}");
        }
        assert_eq!(Pagination::requested(&PageQuery { page: Some("3".into()) }), 3);
    }

    #[test]
    fn pages_are_counted_from_the_total() {
        let p = Pagination::new(2, 50, 101);
        assert_eq!(p.pages, 3);
        assert!(p.has_previous() && p.has_next());
        assert_eq!(Pagination::new(1, 50, 0).pages, 1);
        assert_eq!(Pagination::new(9, 50, 10).page, 1);
    }

    /// Five rows, two a page, loaded as storage would: the page at `offset` and the total.
    fn five_rows(offset: i64) -> Result<(Vec<i64>, i64), ()> {
        Ok(((offset..(offset + 2).min(5)).collect(), 5))
    }

    #[test]
    fn past_the_last_page_of_a_counted_list_comes_the_last_page() {
        assert_eq!(page_or_last(2, 2, five_rows), Ok((vec![2, 3], 5)));
        assert_eq!(page_or_last(9, 2, five_rows), Ok((vec![4], 5)), "page 9 of 3");
        let empty = |_| Ok::<_, ()>((Vec::<i64>::new(), 0));
        assert_eq!(page_or_last(4, 2, empty), Ok((vec![], 0)), "an empty list stays empty");
    }
}
