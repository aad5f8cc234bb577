//! The client address a login is counted against.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The TCP peer's address; or, when `trust_forwarded_for` (behind a proxy
/// that sets it, and only then, or clients could pick their own address),
/// the first `X-Forwarded-For` entry that is an IP address.
pub fn client_address(request: &HttpRequest, trust_forwarded_for: bool) -> String {
    let forwarded = trust_forwarded_for
        .then(|| {
            request
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(first_forwarded)
        })
        .flatten();
    forwarded
        .or_else(|| request.peer_addr().map(|peer| peer.ip()))
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// The first entry of an `X-Forwarded-For` value, when it is an IP address.
fn first_forwarded(value: &str) -> Option<IpAddr> {
    value.split(',').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_first_forwarded_entry_counts_only_when_trusted() {
        let request = TestRequest::default()
            .peer_addr("10.0.0.9:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "203.0.113.7, 10.0.0.1"))
            .to_http_request();
        assert_eq!(client_address(&request, true), "203.0.113.7");
        assert_eq!(client_address(&request, false), "10.0.0.9");
    }

    #[test]
    fn a_garbled_forwarded_header_falls_back_to_the_peer() {
        let request = TestRequest::default()
            .peer_addr("10.0.0.9:5000".parse().unwrap())
            .insert_header(("X-Forwarded-For", "not-an-ip"))
            .to_http_request();
        assert_eq!(client_address(&request, true), "10.0.0.9");
        assert_eq!(first_forwarded("2001:db8::1"), "2001:db8::1".parse().ok());
    }
}
