//! token-fn's edge: the API Gateway JWT authorizer's verified claims → the use case
//! (`usecase::token`) → a Vonage user token. Identity comes from those claims and nowhere else:
//! no header, query or body is read.

use super::{error_metrics, error_response, json_response, status};
use crate::config::TokenConfig;
use crate::error::Error;
use crate::metrics::Emf;
use crate::usecase::token::{issue_token, Issued, UserProfiles, VonageUsers};
use lambda_http::{
    aws_lambda_events::apigw::ApiGatewayV2httpRequestContext,
    http::{
        header::{HeaderValue, CACHE_CONTROL},
        Method, StatusCode,
    },
    request::RequestContext,
    Body, Request, RequestExt, Response,
};
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};
use voice_core::privacy::{pseudonym, redact};
use voice_core::token::Minter;

/// `200 {"token", "user", "expires_at"}`; `401` without the authorizer's claims, `403` when the
/// claims do not name a user we can make, `405` for a method other than POST, `409` when
/// Vonage has a user of that name this service did not create, `503` when Vonage or DynamoDB
/// cannot be reached (a retry is safe), `502` when Vonage refuses.
pub async fn handle_token<P: UserProfiles, V: VonageUsers>(
    cfg: &TokenConfig,
    minter: &Minter,
    profiles: &P,
    vonage: &V,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let result = async {
        if req.method() != Method::POST {
            return Err(Error::MethodNotAllowed(req.method().to_string(), "POST"));
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = verified_claims(&req);
        Ok(issue_token(&cfg.user_claim, claims, minter, profiles, vonage, now).await?)
    }
    .await;
    if let Some(sink) = &cfg.metrics {
        sink.emit(&metrics(&result));
    }
    Ok(match result {
        Ok(issued) => {
            let (user, new_user) = (pseudonym(&issued.user), issued.new_user);
            tracing::info!(user, new_user, "TOKEN issued for {user}");
            no_store(json_response(StatusCode::OK, &issued))
        }
        Err(e) => {
            let error = redact(&e.to_string());
            let status = status(&e).as_u16();
            tracing::warn!(status, error, "TOKEN refused: {error}");
            error_response(&e)
        }
    })
}

/// A credential, or what was asked of a user's own data: no cache on the way may keep it (as
/// OAuth token responses).
pub fn no_store(mut response: Response<Body>) -> Response<Body> {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The claims API Gateway's JWT authorizer verified, if the request came through one and it
/// found any. `make run` has no authorizer: there every request is a 401.
pub fn verified_claims(req: &Request) -> Option<&HashMap<String, String>> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV2(ApiGatewayV2httpRequestContext {
            authorizer: Some(authorizer),
            ..
        }) => authorizer
            .jwt
            .as_ref()
            .map(|jwt| &jwt.claims)
            .filter(|claims| !claims.is_empty()),
        _ => None,
    }
}

/// `Tokens` by user (new or known), or `WebhookErrors` by kind.
pub fn metrics(result: &Result<Issued, Error>) -> Emf {
    let emf = Emf::new("token");
    match result {
        Ok(issued) => emf
            .dimension("User", if issued.new_user { "new" } else { "known" })
            .count(&[&["Function"], &["Function", "User"]], "Tokens", 1),
        Err(e) => error_metrics(emf, e),
    }
}
