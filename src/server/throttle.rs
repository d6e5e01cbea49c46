//! Who a login comes from, and how many of their codes may be hashed at once.
//!
//! The throttle is not what keeps codes from being guessed: a code carries 120 bits, and at a
//! million guesses a second a guesser would need 10^22 years. It keeps argon2 (19 MiB and tens of
//! milliseconds a hash) for members: a flood from one address, or against one member number, is
//! refused before it is hashed. It must never let a stranger keep a member from voting, so
//! failures count against the member number *from one address* (docs/design/README.md,
//! "Throttling"): a burst of wrong codes for member 12 from one address blocks member 12 at that
//! address only, and the member's right code from their own address is hashed as usual.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use actix_web::HttpRequest;
use ipnet::IpNet;

use super::ApiError;

/// Codes of one member number being hashed at once, from anywhere.
pub const MEMBER_IN_FLIGHT: usize = 2;
/// Codes from one address being hashed at once.
pub const ADDRESS_IN_FLIGHT: usize = 8;

/// The address a request comes from: the TCP peer, or — when the peer is a trusted reverse
/// proxy — the right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
/// Anyone can write `X-Forwarded-For`, so it is read only from the proxies named.
pub fn client_address(request: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = request.peer_addr()?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut client = peer;
    // Each proxy appends the address it received from, so read from the right.
    let forwarded = request.headers().get_all("X-Forwarded-For");
    let hops: Vec<&str> = forwarded
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    for hop in hops.iter().rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !is_trusted(&ip) {
                    break;
                }
            }
            // A hop that is not an address ends what can be believed.
            Err(_) => break,
        }
    }
    Some(client)
}

/// The throttle's name for an address: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber's network: a guesser holds all of its 2^64 addresses).
pub fn address_subject(address: Option<IpAddr>) -> String {
    match address {
        Some(IpAddr::V4(v4)) => format!("address:{v4}"),
        Some(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("address:{v4}"),
            None => {
                let s = v6.segments();
                format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        None => "address:unknown".into(),
    }
}

/// Hashes running or queued per member number and per address, in this process.
#[derive(Default)]
pub struct InFlight {
    counts: Mutex<HashMap<String, usize>>,
}

/// Holds a place in [`InFlight`] until dropped.
pub struct Slots {
    owner: Arc<InFlight>,
    keys: Vec<String>,
}

impl InFlight {
    /// Takes a slot for each `(key, limit)`, or none and answers `throttled` (retry in a
    /// second) if any is full.
    pub fn enter(self: &Arc<Self>, keys: &[(String, usize)]) -> Result<Slots, ApiError> {
        let mut counts = self
            .counts
            .lock()
            .map_err(|_| ApiError::internal("in-flight counts poisoned"))?;
        if keys
            .iter()
            .any(|(key, limit)| counts.get(key).copied().unwrap_or(0) >= *limit)
        {
            return Err(ApiError::Throttled { retry_after: 1 });
        }
        for (key, _) in keys {
            *counts.entry(key.clone()).or_default() += 1;
        }
        Ok(Slots {
            owner: self.clone(),
            keys: keys.iter().map(|(k, _)| k.clone()).collect(),
        })
    }
}

impl Drop for Slots {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.owner.counts.lock() {
            for key in &self.keys {
                if let Some(n) = counts.get_mut(key) {
                    *n -= 1;
                    if *n == 0 {
                        counts.remove(key);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(peer: &str, forwarded: &[&str]) -> HttpRequest {
        let mut test = actix_web::test::TestRequest::default().peer_addr(peer.parse().unwrap());
        for value in forwarded {
            test = test.append_header(("X-Forwarded-For", *value));
        }
        test.to_http_request()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
        let proxy: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let at = |peer, fwd: &[&str], trusted: &[IpNet]| {
            client_address(&request(peer, fwd), trusted).map(|a| a.to_string())
        };
        let some = |s: &str| Some(s.to_owned());
        // Not from the proxy: the header is the client's own claim.
        assert_eq!(
            at("192.0.2.7:5000", &["198.51.100.1"], &proxy),
            some("192.0.2.7")
        );
        assert_eq!(
            at("10.1.2.3:5000", &["198.51.100.1"], &[]),
            some("10.1.2.3")
        );
        // From the proxy: the right-most address the proxies did not add themselves.
        assert_eq!(
            at("10.1.2.3:5000", &["198.51.100.1"], &proxy),
            some("198.51.100.1")
        );
        assert_eq!(
            at(
                "10.1.2.3:5000",
                &["203.0.113.9, 198.51.100.1, 10.9.9.9"],
                &proxy
            ),
            some("198.51.100.1"),
            "a client's own claim to the left is not believed"
        );
        assert_eq!(
            at("10.1.2.3:5000", &["203.0.113.9", "198.51.100.1"], &proxy),
            some("198.51.100.1")
        );
        assert_eq!(
            at("10.1.2.3:5000", &["junk, 198.51.100.1"], &proxy),
            some("198.51.100.1")
        );
        assert_eq!(
            at("10.1.2.3:5000", &["198.51.100.1, junk"], &proxy),
            some("10.1.2.3")
        );
        assert_eq!(at("10.1.2.3:5000", &[], &proxy), some("10.1.2.3"));
    }

    #[test]
    fn an_ipv6_subscriber_is_one_subject() {
        let subject = |s: &str| address_subject(Some(s.parse().unwrap()));
        assert_eq!(subject("2001:db8:1:2::7"), subject("2001:db8:1:2:ffff::1"));
        assert_ne!(subject("2001:db8:1:2::7"), subject("2001:db8:1:3::7"));
        assert_eq!(subject("::ffff:192.0.2.1"), "address:192.0.2.1");
        assert_eq!(subject("192.0.2.1"), "address:192.0.2.1");
    }

    #[test]
    fn in_flight_slots_are_capped_and_given_back() {
        let flight = Arc::new(InFlight::default());
        let keys = [("member:1".to_owned(), 2), ("address:a".to_owned(), 3)];
        let first = flight.enter(&keys).unwrap();
        let _second = flight.enter(&keys).unwrap();
        assert!(matches!(
            flight.enter(&keys),
            Err(ApiError::Throttled { retry_after: 1 })
        ));
        // The address alone still has a slot; then it is full, for another member too.
        let _other = flight.enter(&[("address:a".to_owned(), 3)]).unwrap();
        let another = [("member:2".to_owned(), 2), ("address:a".to_owned(), 3)];
        assert!(flight.enter(&another).is_err(), "the address is full");
        // A slot given back is free again.
        drop(first);
        let _third = flight.enter(&keys).unwrap();
        assert!(flight.enter(&keys).is_err());
    }
}
