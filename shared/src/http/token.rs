//! token-fn's edge: the signed-in user's verified claims (`http::identity`) → the use case
//! (`usecase::token`) → a Vonage user token.

use super::identity::{now_seconds, signed_in_claims};
use super::{error_metrics, error_response, json_response, no_store, status};
use crate::config::TokenConfig;
use crate::error::Error;
use crate::metrics::Emf;
use crate::usecase::token::{issue_token, Issued, UserProfiles, VonageUsers};
use lambda_http::{
    http::{Method, StatusCode},
    Body, Request, Response,
};
use voice_core::privacy::{pseudonym, redact};
use voice_core::token::Minter;

/// `200 {"token", "user", "expires_at"}`; `401` without verified claims, `403` when the
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
        let claims = signed_in_claims(&cfg.identity, &req)?;
        let user_claim = &cfg.identity.user_claim;
        let now = now_seconds();
        Ok(issue_token(user_claim, claims.as_deref(), minter, profiles, vonage, now).await?)
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
