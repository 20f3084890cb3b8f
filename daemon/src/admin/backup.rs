//! `GET /v1/backup`: streams a snapshot of the whole store (see `crate::backup`).

use hyper::StatusCode;
use hyper::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue,
};

use super::AdminApi;
use crate::http::{ApiError, Body, Response};

impl AdminApi {
    pub(super) async fn backup(&self) -> Result<Response, ApiError> {
        let snapshot = self.backups.take().await.map_err(ApiError::internal)?;
        let length = snapshot.summary.bytes;
        tracing::info!(
            entries = snapshot.summary.entries,
            bytes = length,
            "backup snapshot taken"
        );
        let (tx, body) = Body::channel();
        snapshot.stream(tx);
        let mut response = hyper::Response::new(body);
        *response.status_mut() = StatusCode::OK;
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(
            CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"tern.snapshot\""),
        );
        Ok(response)
    }
}
