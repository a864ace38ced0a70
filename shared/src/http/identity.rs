//! Who sent a request to the token service or the call history: the claims API Gateway's JWT
//! authorizer verified, and, under `make run` only (`config::identity`), the claims of a local
//! sign-in token in `Authorization`, checked as that authorizer checks a token. Nothing else
//! names a user: no other header, no query, no body.

use super::authorization;
use crate::config::identity::Identity;
use crate::error::Error;
use lambda_http::{
    aws_lambda_events::apigw::ApiGatewayV2httpRequestContext, request::RequestContext, Request,
    RequestExt,
};
use std::borrow::Cow;
use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

/// The verified claims of the request: the authorizer's if it ran; else, with the local
/// sign-in on, those of the local token it carries (a `401` if that token does not pass);
/// else none.
pub fn signed_in_claims<'r>(
    identity: &Identity,
    req: &'r Request,
) -> Result<Option<Cow<'r, HashMap<String, String>>>, Error> {
    if let Some(claims) = authorizer_claims(req) {
        return Ok(Some(Cow::Borrowed(claims)));
    }
    match (&identity.local, authorization(req)) {
        (Some(local), Some(header)) => local
            .verify(Some(header), now_seconds())
            .map(|claims| Some(Cow::Owned(claims)))
            .map_err(Error::Unauthorized),
        _ => Ok(None),
    }
}

/// The claims API Gateway's JWT authorizer verified, if the request came through one and it
/// found any.
pub fn authorizer_claims(req: &Request) -> Option<&HashMap<String, String>> {
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

/// Now, in Unix seconds.
pub fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
