//! The client's address, for the per-address failure limit. Behind a load
//! balancer every connection comes from the balancer, so its `X-Forwarded-For`
//! is read, but only when the connection comes from a configured trusted proxy
//! (anyone else could write any address there).

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The address that sent `req`, as far as the trusted proxies tell.
pub fn of(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if trusted.is_empty() {
        return Some(peer);
    }
    let forwarded: Vec<&str> =
        req.headers().get_all("x-forwarded-for").filter_map(|value| value.to_str().ok()).collect();
    Some(resolve(peer, &forwarded.join(","), trusted))
}

/// Walks the chain from the nearest hop back: the first address that is not a
/// trusted proxy is the client. Junk in the header stops the walk (a client
/// can put anything before the part its proxies appended).
fn resolve(peer: IpAddr, forwarded_for: &str, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer;
    if !is_trusted(&client) || forwarded_for.trim().is_empty() {
        return client;
    }
    for hop in forwarded_for.rsplit(',') {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_an_untrusted_peer_cannot() {
        let trusted = nets(&["10.0.0.0/8"]);
        assert_eq!(resolve(ip("10.0.0.5"), "203.0.113.7", &trusted), ip("203.0.113.7"));
        assert_eq!(resolve(ip("198.51.100.1"), "203.0.113.7", &trusted), ip("198.51.100.1"));
        assert_eq!(resolve(ip("10.0.0.5"), "", &trusted), ip("10.0.0.5"));
    }

    #[test]
    fn the_nearest_untrusted_hop_wins_over_what_the_client_wrote() {
        let trusted = nets(&["10.0.0.0/8"]);
        // The client claimed 1.2.3.4; its real address was appended by our proxies.
        assert_eq!(resolve(ip("10.0.0.5"), "1.2.3.4, 203.0.113.7, 10.0.0.9", &trusted), ip("203.0.113.7"));
        assert_eq!(resolve(ip("10.0.0.5"), "junk, 203.0.113.7", &trusted), ip("203.0.113.7"));
        assert_eq!(resolve(ip("10.0.0.5"), "203.0.113.7, junk", &trusted), ip("10.0.0.5"));
        assert_eq!(resolve(ip("10.0.0.5"), "10.0.0.8, 10.0.0.9", &trusted), ip("10.0.0.8"));
    }
}
