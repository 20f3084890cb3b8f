//! The public callback listener: `POST /callbacks/{provider_id}/{token}` and nothing else.
//!
//! It is a separate listener from the admin API so that it alone can face the internet
//! (behind TLS): no admin route is reachable through it.

use crate::http::{ApiError, Handler, Request, Response};

/// The callback listener's handler.
pub struct CallbackApi;

impl Handler for CallbackApi {
    async fn handle(&self, request: Request) -> Response {
        ApiError::not_found(format!("no route {} {}", request.method, request.path()))
            .into_response()
    }
}
