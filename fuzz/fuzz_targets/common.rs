//! Turns fuzz bytes into a webhook request: the first byte picks GET (query string) or POST
//! (body), the rest is the query string or the body.

use lambda_http::{Body, Request, RequestExt};
use std::collections::HashMap;

pub fn request(data: &[u8]) -> Request {
    match data.split_first() {
        Some((selector, rest)) if selector % 2 == 0 => {
            let mut query: HashMap<String, Vec<String>> = HashMap::new();
            for pair in String::from_utf8_lossy(rest).split('&') {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                query.entry(k.to_string()).or_default().push(v.to_string());
            }
            Request::default().with_query_string_parameters(query)
        }
        Some((_, rest)) => lambda_http::http::Request::builder()
            .method("POST")
            .header("content-type", "application/json")
            .body(Body::Binary(rest.to_vec()))
            .expect("request"),
        None => Request::default(),
    }
}
