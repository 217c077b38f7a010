//! A tenant's data: ingest (NDJSON streamed), runs, results, summaries,
//! accounts, and scoring one account on demand.

use super::auth::Caller;
use super::{AppState, blocking};

use crate::ingest::IngestPreview;
use crate::scoring::Summary;
use crate::service::{
    AccountDetail, Api, ApiError, BodyTooLarge, DiscardRun, ErrorBody, ForecastView, IngestMapping,
    IngestQuery, IngestRequest, Page, ResultsPage, RunRequest, ScoreQuery, ScoreReport,
    SummaryQuery,
};
use crate::store::{IngestReport, RunRecord};
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

/// Body chunks queued between the connection and the ingest's parser: a
/// bound on what a body can hold in memory ahead of the parser (a chunk is
/// at most hyper's read buffer, some hundreds of kilobytes).
const QUEUED_CHUNKS: usize = 16;

/// Header carrying a custom ingest mapping (JSON).
pub const MAPPING_HEADER: &str = "x-vitals-mapping";

/// The body as the ingest's blocking thread reads it: chunks from the
/// connection, in order, through a bounded queue.
struct BodyReader {
    chunks: tokio::sync::mpsc::Receiver<std::io::Result<bytes::Bytes>>,
    current: bytes::Bytes,
}

impl std::io::Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk?,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// The answer of an ingest: what was loaded or, with `dry_run`, what would be.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum IngestAnswer {
    /// What the ingest loaded.
    Loaded(IngestReport),
    /// What it would load (`dry_run=true`); nothing was written.
    Preview(IngestPreview),
}

/// Loads accounts, snapshots and outcomes. All or nothing by default.
/// With `dry_run=true`, reads the body as the ingest would and answers
/// what it would load (each column's targets and first values, the
/// records, the errors), writing nothing.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/ingest", tag = "data",
    params(("tenant" = String, Path, description = "Tenant id"), IngestQuery,
        ("x-vitals-mapping" = Option<String>, Header, description = "A custom mapping, JSON")),
    request_body(content(
        (String = "application/x-ndjson"), (String = "text/csv"), (String = "application/json"))),
    responses((status = 200, body = IngestAnswer), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn ingest(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<IngestQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<IngestAnswer>, ApiError> {
    let content_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let custom = match headers.get(MAPPING_HEADER) {
        Some(v) => Some(
            v.to_str()
                .map_err(|_| ApiError::bad_request(format!("{MAPPING_HEADER}: not valid text")))?,
        ),
        None => None,
    };
    // Parsed here, at the edge: the service takes typed requests.
    let IngestRequest {
        format,
        mode,
        mapping,
    } = q.request(content_type, custom)?;
    s.service.require_tenant(&tenant)?;
    let max = s.limits.ingest_bytes;
    let (queue, chunks) = tokio::sync::mpsc::channel(QUEUED_CHUNKS);
    let reader = BodyReader {
        chunks,
        current: bytes::Bytes::new(),
    };
    // The ingest parses and stores on a blocking thread as the body arrives.
    let dry_run = q.dry_run == Some(true);
    let job = blocking(&s, move |svc| {
        let mapping = mapping.as_ref().map(IngestMapping::mapping);
        if dry_run {
            svc.preview_stream(&tenant, reader, format, mode, mapping)
                .map(IngestAnswer::Preview)
        } else {
            svc.ingest_stream(&tenant, reader, format, mode, mapping)
                .map(IngestAnswer::Loaded)
        }
    });
    let pump = async move {
        let mut stream = body.into_data_stream();
        let mut received = 0usize;
        // Whether the ingest still reads. Refused or failed early, it
        // reads no more: the rest of the body (within the limit) is read
        // and dropped, so that a client still sending hears the answer
        // instead of a reset connection.
        let mut reading = true;
        while let Some(chunk) = stream.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                Err(e) => {
                    let failed = std::io::Error::other(format!("request body: {e}"));
                    if reading {
                        let _ = queue.send(Err(failed)).await;
                    }
                    break;
                }
            };
            received += chunk.len();
            if received > max {
                if reading {
                    let too_large = std::io::Error::other(BodyTooLarge { limit: max });
                    let _ = queue.send(Err(too_large)).await;
                }
                break;
            }
            if reading && queue.send(Ok(chunk)).await.is_err() {
                reading = false;
            }
        }
    };
    let (answer, ()) = tokio::join!(job, pump);
    answer
}

/// Every run, oldest first.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/runs", tag = "runs",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, body = Vec<RunRecord>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn list_runs(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
) -> Result<Json<Vec<RunRecord>>, ApiError> {
    blocking(&s, move |svc| svc.runs(&tenant)).await
}

/// Runs the active plugins (health first); answers when the runs are complete.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/runs", tag = "runs",
    params(("tenant" = String, Path, description = "Tenant id")), request_body = RunRequest,
    responses((status = 201, body = Vec<RunRecord>), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn start_run(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Json(req): Json<RunRequest>,
) -> Result<(StatusCode, Json<Vec<RunRecord>>), ApiError> {
    let warm = (s.service.clone(), tenant.clone());
    let runs = blocking(&s, move |svc| svc.run(&tenant, &req, &mut |_| {})).await?;
    // The dashboard's next view would read every new result: read them now.
    tokio::task::spawn_blocking(move || warm.0.warm_dashboard(&warm.1));
    Ok((StatusCode::CREATED, runs))
}

/// One run: plugin hash, configuration, counts, errors by kind, log.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/runs/{id}", tag = "runs",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = u64, Path, description = "Run id")),
    responses((status = 200, body = RunRecord), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn get_run(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, id)): Path<(String, u64)>,
) -> Result<Json<RunRecord>, ApiError> {
    blocking(&s, move |svc| svc.run_record(&tenant, id)).await
}

/// A page of a complete run's per-account results.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/runs/{id}/results", tag = "runs",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = u64, Path, description = "Run id"), Page),
    responses((status = 200, body = ResultsPage), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn get_results(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, id)): Path<(String, u64)>,
    Query(page): Query<Page>,
) -> Result<Json<ResultsPage>, ApiError> {
    blocking(&s, move |svc| svc.results(&tenant, id, page)).await
}

/// Health bands and change, turned Red, segments, expansion, forecast.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/summary", tag = "runs",
    params(("tenant" = String, Path, description = "Tenant id"), SummaryQuery),
    responses((status = 200, body = Summary), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn summary(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<SummaryQuery>,
) -> Result<Json<Summary>, ApiError> {
    blocking(&s, move |svc| svc.summary(&tenant, &q)).await
}

/// Discards a run: it stays listed, marked with who discarded it, when and
/// why, and no summary, dashboard or health history reads it.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/runs/{id}/discard", tag = "runs",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = u64, Path, description = "Run id")),
    request_body = DiscardRun,
    responses((status = 200, body = RunRecord), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn discard_run(
    State(s): State<AppState>,
    caller: Caller,
    Path((tenant, id)): Path<(String, u64)>,
    Json(req): Json<DiscardRun>,
) -> Result<Json<RunRecord>, ApiError> {
    let by = caller.1;
    blocking(&s, move |svc| svc.discard_run_by(&tenant, id, &req, &by)).await
}

/// Forecast period.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// First renewal date, `YYYY-MM-DD` (default: the run's as-of).
    #[serde(default, with = "crate::contract::date::option")]
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<i32>,
    /// Days (default 90).
    #[serde(default = "ninety")]
    #[param(minimum = 1, maximum = 3660)]
    pub days: i32,
}

fn ninety() -> i32 {
    90
}

/// The renewal forecast for a period, with GRR and NRR.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/forecast", tag = "runs",
    params(("tenant" = String, Path, description = "Tenant id"), ForecastQuery),
    responses((status = 200, body = ForecastView), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn forecast(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Query(q): Query<ForecastQuery>,
) -> Result<Json<ForecastView>, ApiError> {
    blocking(&s, move |svc| svc.forecast(&tenant, q.from, q.days)).await
}

/// One account: attributes, snapshots, outcomes, results in every run.
#[utoipa::path(get, path = "/v1/tenants/{tenant}/accounts/{id}", tag = "accounts",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "Account id")),
    responses((status = 200, body = AccountDetail), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn account(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Json<AccountDetail>, ApiError> {
    blocking(&s, move |svc| svc.account(&tenant, &id)).await
}

/// Scores one account now with the active plugins (nothing stored).
#[utoipa::path(post, path = "/v1/tenants/{tenant}/accounts/{id}/score", tag = "accounts",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "Account id"), ScoreQuery),
    responses((status = 200, body = ScoreReport), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn score(
    State(s): State<AppState>,
    _caller: Caller,
    Path((tenant, id)): Path<(String, String)>,
    Query(q): Query<ScoreQuery>,
) -> Result<Json<ScoreReport>, ApiError> {
    blocking(&s, move |svc| svc.score(&tenant, &id, q.as_of)).await
}

/// Scores accounts as of a past cut-off (only what was known then) and
/// judges the scores against the outcomes that followed: ROC-AUC, PR-AUC,
/// rates and ARR per band, lift, calibration and Brier. Writes nothing.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/backtests", tag = "runs",
    params(("tenant" = String, Path, description = "Tenant id")),
    request_body = crate::backtest::BacktestSpec,
    responses((status = 200, body = crate::backtest::BacktestReport), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn backtest(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Json(spec): Json<crate::backtest::BacktestSpec>,
) -> Result<Json<crate::backtest::BacktestReport>, ApiError> {
    blocking(&s, move |svc| svc.backtest(&tenant, &spec)).await
}

/// Fits configurations to the tenant's own outcomes, each judged on held-out
/// accounts beside the current one; returns them for review, activates nothing.
#[utoipa::path(post, path = "/v1/tenants/{tenant}/backtests/suggest", tag = "runs",
    params(("tenant" = String, Path, description = "Tenant id")),
    request_body = crate::backtest::SuggestSpec,
    responses((status = 200, body = crate::backtest::Suggestion), (status = "4XX", body = ErrorBody)),
    security(("key" = [])))]
pub async fn suggest(
    State(s): State<AppState>,
    _caller: Caller,
    Path(tenant): Path<String>,
    Json(spec): Json<crate::backtest::SuggestSpec>,
) -> Result<Json<crate::backtest::Suggestion>, ApiError> {
    blocking(&s, move |svc| svc.suggest(&tenant, &spec)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A summary's query string as the server reads it (axum's `Query`).
    fn summary_query(query: &str) -> Result<SummaryQuery, String> {
        let uri: axum::http::Uri = format!("/v1/tenants/t/summary?{query}").parse().unwrap();
        Query::<SummaryQuery>::try_from_uri(&uri)
            .map(|q| q.0)
            .map_err(|e| {
                assert_eq!(e.status(), StatusCode::BAD_REQUEST);
                e.body_text()
            })
    }

    #[test]
    fn a_summary_query_reads_its_runs_as_run_ids_and_names_a_bad_item() {
        assert_eq!(summary_query("runs=3,5").unwrap().runs.ids(), &[3, 5]);
        assert_eq!(summary_query("runs=3%2C5").unwrap().runs.ids(), &[3, 5]);
        assert!(summary_query("days=30").unwrap().runs.is_empty());
        let bad = summary_query("runs=3,abc").unwrap_err();
        assert!(
            bad.ends_with(r#"runs: "abc" is not a run id (runs are numbered 1, 2, 3...; `vitals results` lists them)"#),
            "{bad}"
        );
        let twice = summary_query("runs=3,3").unwrap_err();
        assert!(twice.ends_with("runs: run 3 is named twice"), "{twice}");
    }

    #[test]
    fn a_summary_query_round_trips_from_the_client_to_the_server() {
        let sent = SummaryQuery {
            as_of: Some(20_454),
            runs: "3,5".parse().unwrap(),
            ..SummaryQuery::default()
        };
        // As `client::Client::summary` writes it.
        let request = reqwest::Client::new()
            .get("http://vitals.test/v1/tenants/t/summary")
            .query(&sent)
            .build()
            .unwrap();
        let query = request.url().query().unwrap().to_string();
        assert!(query.contains("runs=3%2C5"), "{query}");
        assert_eq!(summary_query(&query).unwrap(), sent);
        let none = reqwest::Client::new()
            .get("http://vitals.test/")
            .query(&SummaryQuery::default())
            .build()
            .unwrap();
        assert!(!none.url().query().unwrap().contains("runs"));
    }
}
