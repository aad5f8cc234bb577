//! What a browser sees of an API's CORS answers, checked the same way for
//! every browser-facing service.

/// Checks, on `path` (a `GET` the API serves to anyone) of the API at
/// `address`, which allows `allowed` and no other origin: a preflight from
/// `allowed` is answered 200 with the allowed methods, headers and max-age
/// (before routing, so not 405); a preflight from another origin gets no
/// `Access-Control-Allow-Origin`; a simple `GET` from `allowed` echoes it
/// with `Vary: Origin` and exposes the request id; a `GET` from another
/// origin is served without the header (the browser keeps the answer from
/// the page).
pub async fn assert_cors(client: &reqwest::Client, address: &str, path: &str, allowed: &str) {
    let url = format!("{address}{path}");
    let preflight = |origin: &str| {
        client
            .request(reqwest::Method::OPTIONS, &url)
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type,idempotency-key",
            )
            .send()
    };
    let header = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("an ASCII header").to_ascii_lowercase())
    };

    let answer = preflight(allowed).await.expect("the preflight is answered");
    assert_eq!(answer.status(), 200, "a preflight from {allowed}");
    assert_eq!(
        header(&answer, "access-control-allow-origin").as_deref(),
        Some(allowed)
    );
    let methods = header(&answer, "access-control-allow-methods").unwrap_or_default();
    for method in ["get", "post", "put", "delete"] {
        assert!(methods.contains(method), "{method} allowed: {methods}");
    }
    let headers = header(&answer, "access-control-allow-headers").unwrap_or_default();
    for name in [
        "authorization",
        "content-type",
        "idempotency-key",
        "if-none-match",
    ] {
        assert!(headers.contains(name), "{name} allowed: {headers}");
    }
    assert_eq!(
        header(&answer, "access-control-max-age").as_deref(),
        Some("3600")
    );
    assert!(header(&answer, "access-control-allow-credentials").is_none());

    let stranger = "https://elsewhere.example.com";
    let answer = preflight(stranger)
        .await
        .expect("the preflight is answered");
    assert!(
        header(&answer, "access-control-allow-origin").is_none(),
        "no Access-Control-Allow-Origin for {stranger}"
    );

    let get = client
        .get(&url)
        .header("Origin", allowed)
        .send()
        .await
        .expect("the GET is answered");
    assert_eq!(get.status(), 200);
    assert_eq!(
        header(&get, "access-control-allow-origin").as_deref(),
        Some(allowed)
    );
    assert!(
        header(&get, "vary").is_some_and(|v| v.contains("origin")),
        "Vary: Origin"
    );
    let exposed = header(&get, "access-control-expose-headers").unwrap_or_default();
    for name in ["location", "retry-after", "etag", "x-request-id"] {
        assert!(exposed.contains(name), "{name} exposed: {exposed}");
    }

    let get = client
        .get(&url)
        .header("Origin", stranger)
        .send()
        .await
        .expect("the GET is answered");
    assert_eq!(get.status(), 200);
    assert!(header(&get, "access-control-allow-origin").is_none());
}
