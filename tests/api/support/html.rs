//! Reading pages as a person reads them: text squashed, table rows, attributes.
//! Parsing runs [`quietly`], so that no page (one-time tokens included) is
//! copied into the logs the tests search.

/// Runs `f` with logging off on this thread: the test harness captures logs at
/// debug level, and the tests' own HTML parsing must not copy pages (one-time
/// tokens included) into the logs the tests search.
pub fn quietly<T>(f: impl FnOnce() -> T) -> T {
    tracing::dispatcher::with_default(&tracing::Dispatch::none(), f)
}

/// Text with runs of white space made one space, trimmed.
pub fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of an element, squashed.
fn element_text(element: scraper::ElementRef<'_>) -> String {
    squash(&element.text().collect::<String>())
}

/// The text of a table cell: its text nodes joined by spaces, squashed (so that
/// `28 Feb 2027<br><span>by Alice</span>` reads "28 Feb 2027 by Alice").
fn cell_text(element: scraper::ElementRef<'_>) -> String {
    squash(&element.text().collect::<Vec<_>>().join(" "))
}

/// The text of every element matching `css`.
pub fn texts(html: &str, css: &str) -> Vec<String> {
    quietly(|| {
        let doc = scraper::Html::parse_document(html);
        let selector = scraper::Selector::parse(css).unwrap();
        doc.select(&selector).map(element_text).collect()
    })
}

/// The text of the first element matching `css`.
pub fn text(html: &str, css: &str) -> Option<String> {
    texts(html, css).into_iter().next()
}

/// An attribute of every element matching `css`.
pub fn attrs(html: &str, css: &str, attr: &str) -> Vec<String> {
    quietly(|| {
        let doc = scraper::Html::parse_document(html);
        let selector = scraper::Selector::parse(css).unwrap();
        doc.select(&selector).filter_map(|e| e.value().attr(attr)).map(str::to_string).collect()
    })
}

/// The value of the first input matching `css`.
pub fn value(html: &str, css: &str) -> Option<String> {
    attrs(html, css, "value").into_iter().next()
}

/// The body rows of a table, as the text of their cells, squashed.
pub fn rows(html: &str, table: &str) -> Vec<Vec<String>> {
    table_rows(html, table, element_text)
}

/// [`rows`], but each cell's text nodes joined by spaces (so that
/// `28 Feb 2027<br><span>by Alice</span>` reads "28 Feb 2027 by Alice").
pub fn rows_with_breaks(html: &str, table: &str) -> Vec<Vec<String>> {
    table_rows(html, table, cell_text)
}

fn table_rows(html: &str, table: &str, cell: fn(scraper::ElementRef<'_>) -> String) -> Vec<Vec<String>> {
    quietly(|| {
        let doc = scraper::Html::parse_document(html);
        let row_selector = scraper::Selector::parse(&format!("{table} tbody tr")).unwrap();
        let cell_selector = scraper::Selector::parse("td").unwrap();
        doc.select(&row_selector).map(|row| row.select(&cell_selector).map(cell).collect()).collect()
    })
}

/// The first cell of each body row of a table.
pub fn first_column(html: &str, table: &str) -> Vec<String> {
    rows(html, table).into_iter().filter_map(|row| row.into_iter().next()).collect()
}

/// The whole text of a page (what a person reads), squashed.
pub fn page_text(html: &str) -> String {
    quietly(|| element_text(scraper::Html::parse_document(html).root_element()))
}

/// The value of the first `csrf_token` hidden field in a page.
pub fn csrf_token_in(html: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(r#"input[name="csrf_token"]"#).unwrap();
    doc.select(&selector).find_map(|e| e.value().attr("value")).filter(|v| !v.is_empty()).map(str::to_string)
}

/// The text of the first element matching a CSS selector.
pub fn text_of(html: &str, css: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse(css).unwrap();
    doc.select(&selector).next().map(|e| e.text().collect::<String>().trim().to_string())
}
