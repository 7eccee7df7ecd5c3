//! Percent-decoding until nothing changes: something between a client and us (a
//! proxy, a framework, a log pipeline) may decode a value once more, so a key
//! encoded twice (`mci%255Forg%255F…`) must be recognised as a key.

use percent_encoding::percent_decode_str;

/// How many rounds of decoding are tried before a value is taken as hiding
/// something (it still changes after that many).
pub const DECODE_ROUNDS: usize = 8;

/// `text` percent-decoded until it stops changing (invalid UTF-8 becomes
/// U+FFFD); `None` when it still changes after [`DECODE_ROUNDS`].
pub fn fully_decoded(text: &str) -> Option<String> {
    let mut current = text.to_string();
    for _ in 0..=DECODE_ROUNDS {
        let next = percent_decode_str(&current).decode_utf8_lossy().into_owned();
        if next == current {
            return Some(current);
        }
        current = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_decoded_until_stable() {
        assert_eq!(fully_decoded("mci%255Forg%255F").as_deref(), Some("mci_org_"));
        assert_eq!(fully_decoded("plain").as_deref(), Some("plain"));
        assert_eq!(fully_decoded("100%").as_deref(), Some("100%"));
        assert_eq!(fully_decoded("%zz%4").as_deref(), Some("%zz%4"));
    }

    #[test]
    fn a_value_still_changing_after_the_last_round_is_none() {
        let mut deep = "_".to_string();
        for _ in 0..=DECODE_ROUNDS + 1 {
            deep = deep.replace('%', "%25").replace('_', "%5F");
        }
        assert_eq!(fully_decoded(&deep), None);
    }
}
