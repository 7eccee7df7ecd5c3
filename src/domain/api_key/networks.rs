//! Where a key may be used from (SPEC §2 "Allowed networks"): a list of IPv4
//! and IPv6 networks in CIDR notation. A bare address stands for itself alone.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;

/// The most networks one key may list.
pub const MAX_NETWORKS: usize = 50;

/// A non-empty list of networks, each stored as its network address (the bits
/// past the prefix cleared), without repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedNetworks(Vec<IpNet>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetworksError {
    #[error(
        "`{0}` is not a network: write an address with its prefix length, e.g. 203.0.113.0/24 or 2001:db8::/32"
    )]
    NotANetwork(String),
    #[error("List at most {MAX_NETWORKS} networks.")]
    TooMany,
}

impl AllowedNetworks {
    /// Networks separated by spaces, commas or new lines; `None` for none at all
    /// (the key may be used from anywhere).
    pub fn parse(raw: &str) -> Result<Option<AllowedNetworks>, NetworksError> {
        let mut networks: Vec<IpNet> = Vec::new();
        for word in raw.split(|c: char| c == ',' || c.is_whitespace()).filter(|word| !word.is_empty()) {
            let network = parse_network(word).ok_or_else(|| NetworksError::NotANetwork(shorten(word)))?;
            if !networks.contains(&network) {
                networks.push(network);
            }
            if networks.len() > MAX_NETWORKS {
                return Err(NetworksError::TooMany);
            }
        }
        Ok((!networks.is_empty()).then_some(AllowedNetworks(networks)))
    }

    /// Whether a request from `address` may use the key. An IPv4 address seen
    /// as IPv6 (`::ffff:203.0.113.9`) counts as the IPv4 address.
    pub fn allows(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|network| network.contains(&address))
    }

    pub fn iter(&self) -> impl Iterator<Item = &IpNet> {
        self.0.iter()
    }

    /// Each network as written back (`203.0.113.0/24`).
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

fn parse_network(word: &str) -> Option<IpNet> {
    if let Ok(network) = word.parse::<IpNet>() {
        return Some(network.trunc());
    }
    word.parse::<IpAddr>().ok().map(|address| IpNet::from(address.to_canonical()))
}

/// A word as an error message repeats it: at most 60 characters.
fn shorten(word: &str) -> String {
    if word.chars().count() > 60 {
        format!("{}…", word.chars().take(60).collect::<String>())
    } else {
        word.into()
    }
}

impl fmt::Display for AllowedNetworks {
    /// Space separated, as stored.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_strings().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn networks(raw: &str) -> AllowedNetworks {
        AllowedNetworks::parse(raw).unwrap().unwrap()
    }

    #[test]
    fn nothing_written_means_anywhere() {
        assert_eq!(AllowedNetworks::parse(" \n, ").unwrap(), None);
    }

    #[test]
    fn networks_are_read_in_any_separator_and_written_back_canonically() {
        let list = networks("203.0.113.7/24,\n2001:db8::1/32  198.51.100.4 203.0.113.0/24");
        assert_eq!(list.to_string(), "203.0.113.0/24 2001:db8::/32 198.51.100.4/32");
        assert_eq!(AllowedNetworks::parse(&list.to_string()).unwrap(), Some(list));
    }

    #[test]
    fn a_request_is_allowed_from_inside_a_listed_network_only() {
        let list = networks("203.0.113.0/24 2001:db8::/32");
        assert!(list.allows("203.0.113.200".parse().unwrap()));
        assert!(list.allows("::ffff:203.0.113.9".parse().unwrap()), "IPv4 seen as IPv6");
        assert!(list.allows("2001:db8:1::5".parse().unwrap()));
        assert!(!list.allows("203.0.114.1".parse().unwrap()));
        assert!(!list.allows("2001:db9::1".parse().unwrap()));
    }

    #[test]
    fn junk_and_long_lists_are_refused_with_what_was_wrong() {
        assert_eq!(
            AllowedNetworks::parse("10.0.0.0/8 10.0.0.0/33"),
            Err(NetworksError::NotANetwork("10.0.0.0/33".into()))
        );
        assert!(matches!(AllowedNetworks::parse("example.com"), Err(NetworksError::NotANetwork(_))));
        let many: Vec<String> = (0..=MAX_NETWORKS).map(|i| format!("10.0.{i}.0/24")).collect();
        assert_eq!(AllowedNetworks::parse(&many.join(" ")), Err(NetworksError::TooMany));
    }
}
