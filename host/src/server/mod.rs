//! `vitals serve`: the service over HTTP (axum on tokio). Every CLI
//! operation as JSON, scoring one account on demand, shadow runs,
//! `/openapi.json` generated from the handlers, `/healthz`, `/metrics`.
//! Blocking work (sled, wasmtime) runs on tokio's blocking pool. Every API
//! handler takes an [`auth::Caller`]: extracting it authenticates the key and
//! applies the one access policy ([`auth::authorize`]) before anything else.

pub mod auth;
mod bare;
mod conn;
mod dashboard;
mod data;
mod erase;
mod error;
mod operator;
mod packs;
mod plugins;
mod triggers;
mod webhooks;

pub use conn::ConnLimits;
pub use data::MAPPING_HEADER;
pub use operator::WhoAmI;

use crate::service::{ApiError, ApiResult, Service};
use axum::Json;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Sizes the server accepts.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// JSON request bodies.
    pub json_bytes: usize,
    /// Uploaded components (Python and JavaScript components are 12-18 MB).
    pub plugin_bytes: usize,
    /// Uploaded vendor packs (several components each).
    pub pack_bytes: usize,
    /// Ingest bodies (NDJSON is streamed; CSV and JSON are read whole).
    pub ingest_bytes: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            json_bytes: 1 << 20,
            plugin_bytes: 64 << 20,
            pack_bytes: 256 << 20,
            ingest_bytes: 1 << 30,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The service.
    pub service: Arc<Service>,
    /// Body limits.
    pub limits: ServerLimits,
}

/// Runs `f` on the blocking pool (sled and wasmtime block) and wraps its answer.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Service) -> ApiResult<T> + Send + 'static,
) -> Result<Json<T>, ApiError> {
    let service = state.service.clone();
    tokio::task::spawn_blocking(move || f(&service))
        .await
        .map_err(|e| ApiError::internal(format!("a request's worker failed: {e}")))?
        .map(Json)
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Vitals", description = "Customer health, segments, expansion and renewal forecasts from each company's own sandboxed scoring plugins."),
    modifiers(&KeyScheme),
    tags(
        (name = "auth", description = "Who a key is"),
        (name = "operator", description = "Tenants, limits, keys and trusted vendor keys (operator key)"),
        (name = "data", description = "Ingest (tenant admin)"),
        (name = "plugins", description = "Plugin versions, configuration, shadow runs"),
        (name = "packs", description = "Signed vendor packs: install, upgrade, tune, roll back"),
        (name = "runs", description = "Runs, results, summaries, forecasts"),
        (name = "triggers", description = "Trigger rules and the events they fire"),
        (name = "accounts", description = "One account, and scoring it on demand"),
        (name = "webhooks", description = "Webhook endpoints and deliveries of trigger events"),
    )
)]
struct ApiDoc;

struct KeyScheme;

impl utoipa::Modify for KeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes and their OpenAPI document.
fn api(state: &AppState) -> (axum::Router<AppState>, utoipa::openapi::OpenApi) {
    let upload = OpenApiRouter::new()
        .routes(routes!(plugins::list_plugins, plugins::upload_plugin))
        .layer(DefaultBodyLimit::max(state.limits.plugin_bytes));
    let pack_upload = OpenApiRouter::new()
        .routes(routes!(packs::list_packs, packs::install_pack))
        .layer(DefaultBodyLimit::max(state.limits.pack_bytes));
    let ingest = OpenApiRouter::new()
        .routes(routes!(data::ingest))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(operator::whoami))
        .routes(routes!(operator::list_tenants, operator::create_tenant))
        .routes(routes!(
            operator::get_limits,
            operator::set_limits,
            operator::clear_limits
        ))
        .routes(routes!(operator::list_keys, operator::issue_key))
        .routes(routes!(operator::revoke_key))
        .routes(routes!(plugins::get_plugin))
        .routes(routes!(plugins::activate))
        .routes(routes!(plugins::rollback))
        .routes(routes!(plugins::deactivate))
        .routes(routes!(plugins::export_component))
        .routes(routes!(plugins::get_config, plugins::set_config))
        .routes(routes!(plugins::list_shadow_runs, plugins::shadow_run))
        .routes(routes!(plugins::get_shadow_run))
        .routes(routes!(packs::get_pack))
        .routes(routes!(packs::activate_pack))
        .routes(routes!(packs::rollback_pack))
        .routes(routes!(packs::tune_pack))
        .routes(routes!(packs::shadow_pack))
        .routes(routes!(packs::trust_list))
        .routes(routes!(packs::trust_key))
        .routes(routes!(packs::remove_trusted_key))
        .routes(routes!(packs::revoke))
        .routes(routes!(packs::set_allow_unsigned))
        .routes(routes!(triggers::rule_schema))
        .routes(routes!(triggers::list_triggers, triggers::put_trigger))
        .routes(routes!(triggers::remove_trigger))
        .routes(routes!(triggers::trigger_versions))
        .routes(routes!(triggers::test_trigger))
        .routes(routes!(triggers::list_events))
        .routes(routes!(data::list_runs, data::start_run))
        .routes(routes!(data::get_run))
        .routes(routes!(data::discard_run))
        .routes(routes!(data::get_results))
        .routes(routes!(data::summary))
        .routes(routes!(data::forecast))
        .routes(routes!(data::account, erase::delete_account))
        .routes(routes!(erase::tenant_audit))
        .routes(routes!(erase::delete_tenant))
        .routes(routes!(erase::operator_audit))
        .routes(routes!(data::score))
        .routes(routes!(data::backtest))
        .routes(routes!(data::suggest))
        .routes(routes!(webhooks::list_webhooks, webhooks::add_webhook))
        .routes(routes!(webhooks::remove_webhook))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::enable_webhook))
        .routes(routes!(webhooks::list_deliveries))
        .routes(routes!(webhooks::replay))
        .layer(DefaultBodyLimit::max(state.limits.json_bytes))
        .merge(upload)
        .merge(pack_upload)
        .merge(ingest)
        .merge(dashboard::routes())
        .split_for_parts()
}

/// The whole application: API, `/openapi.json`, `/healthz`, `/metrics`.
pub fn app(state: AppState) -> axum::Router {
    let (router, mut doc) = api(&state);
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    let doc = Arc::new(doc);
    router
        .route(
            "/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .fallback(|| async { ApiError::not_found("no such route (see /openapi.json)") })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            refuse_declared_oversize,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

async fn healthz(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let version = s.service.store_schema()?;
    Ok(Json(
        serde_json::json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "store_schema": version}),
    ))
}

async fn metrics(State(s): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        s.service.metrics().render(),
    )
        .into_response()
}

/// The body limit of a route template.
fn body_limit(limits: &ServerLimits, route: &str) -> usize {
    match route {
        "/v1/tenants/{tenant}/ingest" => limits.ingest_bytes,
        plugins::UPLOAD_ROUTE => limits.plugin_bytes,
        packs::UPLOAD_ROUTE => limits.pack_bytes,
        _ => limits.json_bytes,
    }
}

/// A `Content-Length` over the route's limit is refused with 413 before the
/// body is read (or the key checked): reading it first would let anyone
/// hold a connection and a buffer for a body that can only fail.
async fn refuse_declared_oversize(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let limit = body_limit(&s.limits, &route);
    match declared {
        Some(n) if n > limit as u64 => {
            tokio::spawn(drain(req.into_body()));
            let refusal = if route == plugins::UPLOAD_ROUTE {
                plugins::upload_too_large(limit, Some(n), "component")
            } else if route == packs::UPLOAD_ROUTE {
                plugins::upload_too_large(limit, Some(n), "pack")
            } else {
                ApiError::new(
                    413,
                    "payload-too-large",
                    format!(
                        "the body ({n} bytes) is larger than this route's limit of {limit} bytes"
                    ),
                )
            };
            refused_body(refusal)
        }
        _ => next.run(req).await,
    }
}

/// The answer to a body refused unread (or part read): the connection
/// closes after it (the body's bytes still coming are drained meanwhile).
fn refused_body(refusal: ApiError) -> Response {
    let mut response = refusal.into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Bytes, and time, a refused body is read and dropped for after its 413.
const DRAIN_BYTES: usize = 16 << 20;
const DRAIN_TIME: Duration = Duration::from_secs(5);

/// Reads a refused body a little while its 413 is written: a client still
/// sending it (most do not wait for an answer before the body) would get a
/// reset instead of the answer if the connection closed with its bytes
/// unread. Bounded by [`DRAIN_BYTES`], [`DRAIN_TIME`] and the body timeout;
/// then the connection closes.
async fn drain(body: axum::body::Body) {
    drain_stream(body.into_data_stream()).await
}

/// [`drain`] for a body already part read.
async fn drain_stream(mut stream: axum::body::BodyDataStream) {
    use futures_util::StreamExt;
    let mut read = 0usize;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        while let Some(Ok(chunk)) = stream.next().await {
            read += chunk.len();
            if read > DRAIN_BYTES {
                break;
            }
        }
    })
    .await;
}

/// Headers every answer carries: no content sniffing; JSON (tenant data,
/// errors) is never cached by a browser or proxy.
fn harden_headers(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let json = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// Counts and times every request by route template, and gives axum's own
/// plain-text rejections (bad JSON, bad query, too large...) the API's
/// `{code, message}` shape.
async fn observe(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(req).await;
    let status = response.status();
    let is_plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    let response = if (status.is_client_error() || status.is_server_error())
        && is_plain
        && route != "/metrics"
    {
        let (_, body) = response.into_parts();
        let text = axum::body::to_bytes(body, 64 << 10)
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let message = if text.is_empty() {
            status.canonical_reason().unwrap_or("error").to_string()
        } else {
            text
        };
        error::rejection(status, message).into_response()
    } else {
        response
    };
    let mut response = response;
    harden_headers(&mut response);
    s.service.metrics().request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// How `vitals serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Body limits.
    pub limits: ServerLimits,
    /// After a shutdown signal, how long running requests may take to finish.
    pub shutdown_grace: Duration,
    /// Connection cap and timeouts.
    pub conn: ConnLimits,
}

/// How `serve` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// Every request finished within the grace period.
    Clean,
    /// The grace period ended with requests still running; they were cut
    /// (a run cut so is failed when the store next opens).
    GraceCut,
}

/// Serves until SIGINT or SIGTERM; then stops taking connections, drops
/// the ones with no request running, lets running requests finish within
/// the grace period, and returns (the store is flushed when the service
/// drops; a run still going when the grace ends is failed when the store
/// next opens, and the answer says [`Stopped::GraceCut`]).
pub fn serve(service: Service, options: ServeOptions) -> std::io::Result<Stopped> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let service = Arc::new(service);
    // Webhook deliveries run beside the server, in a thread of their own.
    let deliveries = match service.delivery_worker() {
        Ok(worker) => Some(crate::delivery::background::spawn(
            worker,
            service.delivery_wakeups(),
        )?),
        Err(e) => {
            eprintln!("vitals serve: webhook deliveries are off: {e}");
            None
        }
    };
    let state = AppState {
        service: service.clone(),
        limits: options.limits,
    };
    let stopped = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(options.listen).await?;
        let addr = listener.local_addr()?;
        // Tests and scripts read this line to find the port of `:0`.
        println!("vitals serve: listening on http://{addr}");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown_signal().await;
            eprintln!("vitals serve: shutting down; finishing running requests");
            let _ = stop_tx.send(true);
        });
        let server = conn::serve(listener, app(state), options.conn, stop_rx.clone());
        let grace = options.shutdown_grace;
        let mut stop_rx2 = stop_rx;
        tokio::select! {
            _ = server => Ok::<_, std::io::Error>(Stopped::Clean),
            _ = async {
                let _ = stop_rx2.wait_for(|s| *s).await;
                tokio::time::sleep(grace).await;
            } => {
                eprintln!("vitals serve: grace period over; requests still running were cut (a cut run is failed at the next start)");
                Ok(Stopped::GraceCut)
            }
        }
    })?;
    if let Some(d) = deliveries {
        d.stop();
    }
    // Work still going past the grace period is abandoned, not waited for:
    // a run cut here is failed when the store next opens.
    runtime.shutdown_timeout(Duration::from_millis(500));
    // Flush what the last requests wrote (every acknowledged write already is).
    if let Err(e) = service.flush() {
        eprintln!("vitals serve: final flush failed: {e}");
    }
    eprintln!("vitals serve: stopped");
    Ok(stopped)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
