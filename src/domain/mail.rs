//! An e-mail as this product sends it: to one address, with a plain-text and
//! an HTML part. Never a token in it (SPEC §2 "Lifecycle").

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}
