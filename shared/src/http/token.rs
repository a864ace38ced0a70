//! token-fn's handler: the API Gateway JWT authorizer's verified claims in, a Vonage user token
//! out. Identity comes from those claims and nowhere else: no header, query or body is read.

use super::{error_metrics, error_response, json_response, status};
use crate::config::TokenConfig;
use crate::error::Error;
use crate::metrics::Emf;
use crate::phone::{pseudonym, redact};
use crate::token::{Minter, UserName};
use crate::users::Directory;
use lambda_http::{
    aws_lambda_events::apigw::ApiGatewayV2httpRequestContext,
    http::{
        header::{HeaderValue, CACHE_CONTROL},
        Method, StatusCode,
    },
    request::RequestContext,
    Body, Request, RequestExt, Response,
};
use serde::Serialize;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// Longest display name we pass on to Vonage from the `name` claim, in characters.
const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// The body of a `200`.
#[derive(Debug, Serialize)]
pub struct Issued {
    pub token: String,
    /// The Vonage user name the token is for (its `sub`).
    pub user: String,
    /// The token's `exp`, Unix seconds: refresh the session before then.
    pub expires_at: u64,
    /// Not sent: whether this request created the user at Vonage.
    #[serde(skip)]
    pub new_user: bool,
}

/// `200 {"token", "user", "expires_at"}`; `401` without the authorizer's claims, `403` when the
/// claims do not name a user we can make, `405` for a method other than POST, `409` when
/// Vonage has a user of that name this service did not create, `503` when Vonage or DynamoDB
/// cannot be reached (a retry is safe), `502` when Vonage refuses.
pub async fn handle_token(
    cfg: &TokenConfig,
    minter: &Minter,
    directory: &Directory,
    req: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let result = issue(cfg, minter, directory, &req).await;
    if let Some(sink) = &cfg.metrics {
        sink.emit(&metrics(&result));
    }
    Ok(match result {
        Ok(issued) => {
            let (user, new_user) = (pseudonym(&issued.user), issued.new_user);
            tracing::info!(user, new_user, "TOKEN issued for {user}");
            let mut response = json_response(StatusCode::OK, &issued);
            // A credential: no cache on the way may keep it (as OAuth token responses).
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => {
            let error = redact(&e.to_string());
            let status = status(&e).as_u16();
            tracing::warn!(status, error, "TOKEN refused: {error}");
            error_response(&e)
        }
    })
}

async fn issue(
    cfg: &TokenConfig,
    minter: &Minter,
    directory: &Directory,
    req: &Request,
) -> Result<Issued, Error> {
    if req.method() != Method::POST {
        return Err(Error::MethodNotAllowed(req.method().to_string(), "POST"));
    }
    let claims = verified_claims(req).ok_or_else(|| {
        Error::Unauthorized(
            "no verified identity: call POST /token through the API's JWT authorizer, with the \
             sign-in ID token as `Authorization: Bearer <token>`"
                .into(),
        )
    })?;
    let claim = claims.get(&cfg.user_claim).ok_or_else(|| {
        Error::Forbidden(format!(
            "the identity token has no `{}` claim to name the user by",
            cfg.user_claim
        ))
    })?;
    let user = UserName::from_claim(claim).map_err(Error::Forbidden)?;
    let display_name = claims
        .get("name")
        .map(|name| name.trim())
        .filter(|name| !name.is_empty() && name.chars().count() <= MAX_DISPLAY_NAME_CHARS)
        .unwrap_or(user.as_str());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (_, new_user) = directory.ensure(minter, &user, display_name, now).await?;
    let token = minter
        .user_token(&user, now)
        .map_err(|e| Error::Unavailable(e.to_string()))?;
    Ok(Issued {
        token: token.token,
        user: user.to_string(),
        expires_at: token.expires_at,
        new_user,
    })
}

/// The claims API Gateway's JWT authorizer verified, if the request came through one and it
/// found any. `make run` has no authorizer: there every request is a 401.
fn verified_claims(req: &Request) -> Option<&HashMap<String, String>> {
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
