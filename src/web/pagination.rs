//! Page numbers for long lists (`?page=N`).

use serde::Deserialize;

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
}
