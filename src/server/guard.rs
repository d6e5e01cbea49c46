//! What stands between a client and a handler: a deadline for the whole request, a cap on one
//! address's requests at once, and a catch for a panic (issue 11 items 5 and 6).
//!
//! A connection that sent its head and part of a body was held for ever, and 20,500 of them
//! exhausted the server's descriptors; a panic in one request aborted the process. Now each
//! request has `request_timeout` to arrive and be answered (then `408 timeout`, and the
//! connection is closed), an address may have [`REQUESTS_PER_ADDRESS`] requests in progress
//! (more: `429 throttled`, `Retry-After: 1`), and a panic is answered `500 internal` and logged
//! while every other request goes on.

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
#[cfg(test)]
use actix_web::dev::Service as _;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use futures_util::FutureExt as _;

use super::throttle::{address_subject, client_address};
use super::{ApiError, AppState};

/// Requests one address may have in progress at once.
pub const REQUESTS_PER_ADDRESS: usize = 64;

/// The middleware (`middleware::from_fn`).
pub async fn guard(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(next.call(request).await?.map_into_boxed_body());
    };
    let address = address_subject(client_address(request.request(), &state.trusted_proxies));
    let _slot = state.requests.enter(&[(address, REQUESTS_PER_ADDRESS)])?;
    let timeout = state.request_timeout;
    // Errors from here carry the security headers themselves (ApiError::error_response): the
    // middleware that adds them to answers does not see an error.
    let handled = AssertUnwindSafe(next.call(request)).catch_unwind();
    match tokio::time::timeout(timeout, handled).await {
        Ok(Ok(response)) => Ok(response?.map_into_boxed_body()),
        Ok(Err(panic)) => {
            let what = (panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            Err(ApiError::internal(&format!("a request panicked: {what}")).into())
        }
        Err(_) => Err(ApiError::TimedOut(timeout.as_secs().max(1)).into()),
    }
}

/// The default for `teller serve --request-timeout`.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use actix_web::{App, HttpResponse, test, web};

    use super::*;

    fn state(timeout: Duration) -> web::Data<AppState> {
        let store = crate::store::Store::open(":memory:").unwrap();
        web::Data::new(AppState::new(store, timeout, Vec::new()).unwrap())
    }

    /// The answer as the client gets it: an error becomes its response, as the dispatcher does.
    macro_rules! answer {
        ($app:expr, $path:expr) => {
            match $app
                .call(test::TestRequest::get().uri($path).to_request())
                .await
            {
                Ok(response) => response.into_parts().1,
                Err(error) => error.error_response(),
            }
        };
    }

    #[actix_web::test]
    async fn a_panicking_request_is_answered_500_and_the_next_is_served() {
        let app = test::init_service(
            App::new()
                .app_data(state(Duration::from_secs(5)))
                .wrap(actix_web::middleware::from_fn(guard))
                .route(
                    "/boom",
                    web::get().to(|| async {
                        let bytes: Vec<u8> = Vec::new();
                        // An index out of range: a bug in a handler.
                        HttpResponse::Ok().body(bytes[std::hint::black_box(3)].to_string())
                    }),
                )
                .route(
                    "/fine",
                    web::get().to(|| async { HttpResponse::Ok().finish() }),
                ),
        )
        .await;
        let boom = answer!(app, "/boom");
        assert_eq!(boom.status(), 500);
        assert_eq!(
            boom.headers().get("X-Content-Type-Options").unwrap(),
            "nosniff"
        );
        let body = actix_web::body::to_bytes(boom.into_body()).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"]["code"], "internal");
        let fine = answer!(app, "/fine");
        assert_eq!(fine.status(), 200);
    }

    #[actix_web::test]
    async fn a_request_past_its_deadline_is_answered_408() {
        let app = test::init_service(
            App::new()
                .app_data(state(Duration::from_millis(200)))
                .wrap(actix_web::middleware::from_fn(guard))
                .route(
                    "/slow",
                    web::get().to(|| async {
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        HttpResponse::Ok().finish()
                    }),
                ),
        )
        .await;
        let slow = answer!(app, "/slow");
        assert_eq!(slow.status(), 408);
        assert!(slow.head().connection_type() == actix_web::http::ConnectionType::Close);
    }
}
