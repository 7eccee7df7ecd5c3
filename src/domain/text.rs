//! Characters that people do not see but that change what they read: names are
//! kept free of them, so that two names that look the same are the same text.
//!
//! The migration `2026-11-30-000002_clean_display_names` removes the same set from
//! the rows stored before these rules: keep the two lists equal.

/// A character that is not shown but changes what is shown around it:
/// text-direction controls (U+202E turns "Alice\u{202E}exe.txt" into
/// "Alicetxt.exe" on screen), zero-width characters (two names that look the same
/// but differ), the soft hyphen and the Mongolian vowel separator (invisible in
/// most fonts), the invisible operators and the deprecated format characters.
///
/// Control characters (`char::is_control`) are the other kind of hidden character;
/// they are checked separately, as the forms explain them separately.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'                    // soft hyphen
            | '\u{061C}'              // Arabic letter mark
            | '\u{180E}'              // Mongolian vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width space, non-joiner, joiner; LRM, RLM
            | '\u{202A}'..='\u{202E}' // embeddings and overrides (LRE, RLE, PDF, LRO, RLO)
            | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
            | '\u{2066}'..='\u{206F}' // isolates (LRI, RLI, FSI, PDI), deprecated format characters
            | '\u{FEFF}' // zero-width no-break space (byte order mark)
    )
}

/// Control or invisible: never kept in a name.
pub fn is_hidden(c: char) -> bool {
    c.is_control() || is_invisible(c)
}

/// The text without its control and invisible characters (not trimmed).
pub fn without_hidden(text: &str) -> String {
    text.chars().filter(|c| !is_hidden(*c)).collect()
}

/// The text without its invisible characters, control characters kept: what a form
/// shows back after refusing a name for its invisible characters, so that the
/// person sees what the name really is.
pub fn without_invisible(text: &str) -> String {
    text.chars().filter(|c| !is_invisible(*c)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_controls_and_zero_width_characters_are_invisible() {
        for c in [
            '\u{061C}', '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}',
            '\u{202C}', '\u{202D}', '\u{202E}', '\u{2060}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
            '\u{FEFF}', '\u{00AD}', '\u{180E}',
        ] {
            assert!(is_invisible(c), "U+{:04X}", c as u32);
            assert!(is_hidden(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn letters_of_any_script_spaces_and_emoji_are_kept() {
        let text = "Zoë 日本 Ωμέγα العربية 👍 a\u{00A0}b";
        assert_eq!(without_hidden(text), text);
        assert_eq!(without_invisible(text), text);
    }

    #[test]
    fn hidden_characters_are_removed_and_the_rest_kept_in_order() {
        assert_eq!(without_hidden("\u{FEFF}Al\u{200B}ice\u{202E}\u{7} Ex"), "Alice Ex");
        assert_eq!(without_invisible("Ali\u{202E}ce\tX"), "Alice\tX");
    }
}
