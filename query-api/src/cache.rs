//! Rendered responses with their strong `ETag`, and the in-process cache of
//! launch listings.
//!
//! Anonymous visitors, bots and the sales site ask for the same few listings
//! over and over; a listing is served from memory for `LISTING_CACHE_TTL_MS`
//! after MongoDB was last asked, keyed by the normalized query (so two query
//! strings meaning the same thing share an entry). The cache is per process
//! and bounded (least recently used entries are evicted first).

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use bytes::Bytes;
use lru::LruCache;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A JSON body ready to send, with its strong entity tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The JSON bytes.
    pub body: Bytes,
    /// `"<first 128 bits of the SHA-256 of the body, hex>"`, quotes included.
    pub etag: String,
}

impl Rendered {
    /// Serializes `value` and tags it.
    pub fn json(value: &impl Serialize) -> Result<Self, serde_json::Error> {
        let body = Bytes::from(serde_json::to_vec(value)?);
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", hex::encode(&digest[..16]));
        Ok(Self { body, etag })
    }

    /// Whether the request's `If-None-Match` names this representation
    /// (weak comparison, as RFC 9110 specifies for `If-None-Match`).
    pub fn matches(&self, req: &HttpRequest) -> bool {
        req.headers()
            .get_all(header::IF_NONE_MATCH)
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == self.etag)
    }

    /// `200` with the body, or `304` without it when the client already has
    /// it. `response` carries the other headers (cache control, versions).
    pub fn respond(&self, req: &HttpRequest, mut response: HttpResponseBuilder) -> HttpResponse {
        if let Ok(etag) = HeaderValue::from_str(&self.etag) {
            response.insert_header((header::ETAG, etag));
        }
        if self.matches(req) {
            response.status(actix_web::http::StatusCode::NOT_MODIFIED);
            return response.finish();
        }
        response
            .content_type("application/json")
            .body(self.body.clone())
    }
}

/// A listing and when MongoDB was read for it.
type Entry = (Instant, Arc<Rendered>);

/// The cache of rendered launch listings.
pub struct ListingCache {
    ttl: Duration,
    entries: Option<Mutex<LruCache<String, Entry>>>,
}

impl ListingCache {
    /// Keeps up to `size` listings for `ttl` each; a zero `ttl` or `size`
    /// disables it.
    pub fn new(ttl: Duration, size: usize) -> Self {
        let entries = NonZeroUsize::new(size)
            .filter(|_| !ttl.is_zero())
            .map(|size| Mutex::new(LruCache::new(size)));
        Self { ttl, entries }
    }

    /// Whether it keeps anything.
    pub fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// The listing stored under `key`, if stored less than the TTL ago.
    pub fn get(&self, key: &str) -> Option<Arc<Rendered>> {
        let mut entries = self.entries.as_ref()?.lock().ok()?;
        match entries.get(key) {
            Some((stored, rendered)) if stored.elapsed() < self.ttl => Some(rendered.clone()),
            Some(_) => {
                entries.pop(key);
                None
            }
            None => None,
        }
    }

    /// Stores `rendered` under `key`, stamped with the time MongoDB was read
    /// (`read_at`), so the TTL bounds the age of what is served.
    pub fn put(&self, key: String, read_at: Instant, rendered: Arc<Rendered>) {
        if let Some(Ok(mut entries)) = self.entries.as_ref().map(Mutex::lock) {
            entries.put(key, (read_at, rendered));
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn the_etag_is_strong_and_changes_with_the_body() {
        let a = Rendered::json(&serde_json::json!({ "a": 1 })).unwrap();
        let b = Rendered::json(&serde_json::json!({ "a": 2 })).unwrap();
        assert!(a.etag.starts_with('"') && a.etag.ends_with('"'));
        assert_eq!(a.etag.len(), 34);
        assert_ne!(a.etag, b.etag);
        assert_eq!(a, Rendered::json(&serde_json::json!({ "a": 1 })).unwrap());
    }

    #[test]
    fn if_none_match_matches_any_listed_tag_weak_or_strong() {
        let a = Rendered::json(&1).unwrap();
        let listed = format!("\"x\", W/{}", a.etag);
        let req = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, listed))
            .to_http_request();
        assert!(a.matches(&req));
        let req = TestRequest::default()
            .insert_header((header::IF_NONE_MATCH, "\"other\""))
            .to_http_request();
        assert!(!a.matches(&req));
        assert!(!a.matches(&TestRequest::default().to_http_request()));
    }

    #[test]
    fn entries_expire_after_the_ttl_and_the_least_recently_used_is_evicted() {
        let cache = ListingCache::new(Duration::from_secs(60), 2);
        let rendered = Arc::new(Rendered::json(&1).unwrap());
        cache.put("a".into(), Instant::now(), rendered.clone());
        cache.put("b".into(), Instant::now(), rendered.clone());
        assert!(cache.get("a").is_some());
        cache.put("c".into(), Instant::now(), rendered.clone());
        assert!(cache.get("b").is_none(), "b was the least recently used");
        let old = Instant::now() - Duration::from_secs(61);
        cache.put("a".into(), old, rendered);
        assert!(cache.get("a").is_none());
    }

    #[test]
    fn a_zero_ttl_or_size_disables_the_cache() {
        let rendered = Arc::new(Rendered::json(&1).unwrap());
        for cache in [
            ListingCache::new(Duration::ZERO, 10),
            ListingCache::new(Duration::from_secs(1), 0),
        ] {
            assert!(!cache.enabled());
            cache.put("a".into(), Instant::now(), rendered.clone());
            assert!(cache.get("a").is_none());
        }
    }
}
