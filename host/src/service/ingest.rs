//! Ingest as a stream: the body is parsed as it is read and written to the
//! store a batch at a time (`store::Ingest`), so memory holds a batch, not
//! the body. At most [`MAX_INGESTS`] ingests run on a host at once and one
//! per tenant (the store's rule); past either, the answer is 429 `busy`.

use super::{ApiError, ApiResult, IngestMapping, IngestRequest, Service};
use crate::ingest::{BATCH_RECORDS, Format, IngestPreview, Mapping, parse_stream, preview};
use crate::store::{IngestMode, IngestReport};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Ingests a host runs at once (each holds about one batch of parsed rows
/// and one store batch in memory, a few tens of megabytes at most).
pub const MAX_INGESTS: usize = 4;

/// Parsed batches waiting for the writer.
const PARSED_AHEAD: usize = 2;

/// The host's count of ingests going.
#[derive(Debug, Default, Clone)]
pub(super) struct Gate {
    going: Arc<AtomicUsize>,
}

/// One ingest's place at the gate; dropping it frees the place.
pub(super) struct Place(Arc<AtomicUsize>);

impl Drop for Place {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Gate {
    fn enter(&self) -> ApiResult<Place> {
        let taken = self
            .going
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < MAX_INGESTS).then_some(n + 1)
            });
        match taken {
            Ok(_) => Ok(Place(self.going.clone())),
            Err(_) => Err(ApiError::new(
                429,
                "busy",
                format!("{MAX_INGESTS} ingests are going on this host; retry when one ends"),
            )),
        }
    }
}

/// The error a body reader gives when the body passes the ingest limit
/// (the server's reader; the answer is 413).
#[derive(Debug, thiserror::Error)]
#[error("the body is larger than the ingest limit of {limit} bytes; split it")]
pub struct BodyTooLarge {
    /// The limit, bytes.
    pub limit: usize,
}

/// The answer to a body that could not be read.
fn unreadable(e: std::io::Error) -> ApiError {
    if let Some(too_large) = e.get_ref().and_then(|i| i.downcast_ref::<BodyTooLarge>()) {
        return ApiError::new(413, "payload-too-large", too_large.to_string());
    }
    ApiError::bad_request(format!("reading the input: {e}; nothing was loaded"))
}

impl Service {
    /// Parses `body` as it is read and stores it batch by batch, as one
    /// ingest: readers see all of it once it is committed, or none of it.
    /// A body that fails to read (a closed connection, over its limit)
    /// loads nothing.
    pub fn ingest_stream(
        &self,
        tenant: &str,
        body: impl std::io::Read + Send,
        format: Format,
        mode: IngestMode,
        mapping: Option<&Mapping>,
    ) -> ApiResult<IngestReport> {
        self.store.require_tenant_exists(tenant)?;
        let _place = self.ingests.enter()?;
        let mut ingest = self.store.begin_ingest(tenant, mode)?;
        // Parsing and writing overlap: the parser runs on its own thread,
        // at most PARSED_AHEAD batches ahead of the writer.
        let (failed, read) = std::thread::scope(|scope| {
            let (batches, parsed) = std::sync::mpsc::sync_channel(PARSED_AHEAD);
            let parser = std::thread::Builder::new()
                .name("ingest-parser".into())
                .spawn_scoped(scope, move || {
                    parse_stream(body, format, mapping, BATCH_RECORDS, &mut |batch| {
                        batches.send(batch).is_ok()
                    })
                })
                .expect("the ingest's parser thread");
            let mut failed = None;
            // A write that fails drops `parsed`, which stops the parser.
            for batch in parsed {
                let batch: crate::ingest::Parsed = batch;
                if let Err(e) = ingest.write(&batch.rows, batch.errors) {
                    failed = Some(e);
                    break;
                }
            }
            (failed, parser.join().expect("the ingest's parser thread"))
        });
        // Dropped unfinished, the ingest is rolled back.
        if let Some(e) = failed {
            return Err(e.into());
        }
        read.map_err(unreadable)?;
        let report = ingest.finish();
        // Even a refused ingest may have raced a dashboard build: rebuild.
        self.dashboard.forget(tenant);
        Ok(report?)
    }
}

/// What an ingest of `body` would load, found without a store: the body is
/// read as the ingest reads it (as a stream, a batch at a time) and nothing
/// is written anywhere. The local CLI's `ingest --dry-run`, which must not
/// even create a store; [`Service::preview_stream`] is the server's.
pub fn preview_ingest(body: impl std::io::Read, req: &IngestRequest) -> ApiResult<IngestPreview> {
    let mapping = req.mapping.as_ref().map(IngestMapping::mapping);
    preview_body(body, req.format, req.mode, mapping)
}

fn preview_body(
    body: impl std::io::Read,
    format: Format,
    mode: IngestMode,
    mapping: Option<&Mapping>,
) -> ApiResult<IngestPreview> {
    let valid_rows = mode == IngestMode::ValidRows;
    preview(body, format, mapping, valid_rows).map_err(|e| {
        let mut err = unreadable(e);
        err.body.message = err
            .body
            .message
            .replace("nothing was loaded", "nothing was read");
        err
    })
}

impl Service {
    /// [`preview_ingest`] for a tenant of this host: it takes a place at
    /// the host's ingest gate (it reads as much as an ingest), but not the
    /// tenant's write turn, since it writes nothing.
    pub fn preview_stream(
        &self,
        tenant: &str,
        body: impl std::io::Read,
        format: Format,
        mode: IngestMode,
        mapping: Option<&Mapping>,
    ) -> ApiResult<IngestPreview> {
        self.store.require_tenant_exists(tenant)?;
        let _place = self.ingests.enter()?;
        preview_body(body, format, mode, mapping)
    }
}
