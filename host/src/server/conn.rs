//! The accept loop (ours, not `axum::serve`, which has no timeouts or cap):
//! at most [`ConnLimits::max_connections`] connections are served at once;
//! at the cap the oldest connection with no request running makes room for
//! a newcomer, and with every slot running a request one newcomer waits and
//! the rest wait in the kernel's backlog. A request head must arrive within
//! the header timeout (hyper's timer runs from the moment a connection
//! waits for a head, so it also closes idle keep-alive connections); a body
//! that sends nothing for the body timeout fails; at shutdown a connection
//! with no request running is dropped at once instead of holding the
//! process for the grace period.

use super::bare::BareErrors;
use axum::Router;
use axum::body::Body;
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tower_service::Service;

/// How long a connection may take, and how many there may be.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// From the moment a connection waits for a request head (new, or idle
    /// between keep-alive requests) to the end of that head.
    pub header_timeout: Duration,
    /// Longest wait for the next bytes of a request body the handler reads.
    pub body_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

/// Descriptors kept free of connections for the store, components and logs.
const RESERVED_FDS: usize = 64;

impl ConnLimits {
    /// The connection cap to use when the operator names none: 1024, or
    /// fewer if the process may open fewer files (a cap above the
    /// descriptor limit lets `accept` fail instead of queueing).
    pub fn default_max_connections() -> usize {
        let cap = 1024;
        match open_files_limit() {
            Some(n) => cap.min(n.saturating_sub(RESERVED_FDS)).max(16),
            None => cap,
        }
    }
}

impl Default for ConnLimits {
    fn default() -> Self {
        ConnLimits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: ConnLimits::default_max_connections(),
        }
    }
}

/// The soft limit on open files (Linux `/proc/self/limits`).
fn open_files_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The largest request head hyper reads (a longer one is answered 431);
/// above hyper's 64 KiB URI limit, so a long URI is answered 414.
const MAX_HEADER_BYTES: usize = 96 << 10;

/// Serves `app` on `listener` until `stop` turns true, then lets the
/// connections still running a request finish, and returns when the last
/// one closes.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    mut stop: watch::Receiver<bool>,
) {
    let max = limits.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max));
    let live = Arc::new(Live::default());
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors, or a connection reset before
                    // accept: wait a moment rather than spin.
                    eprintln!("vitals serve: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.wait_for(|s| *s) => break,
        };
        // At the cap, the oldest connection with no request running (idle,
        // or a head still dribbling in) makes room for the newcomer, so a
        // flood of bare connections cannot keep `/healthz` or real clients
        // out. With every slot running a request the newcomer waits, and
        // the connections after it wait in the kernel's backlog (not
        // accepted: no descriptor, no memory).
        let permit = match slots.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                live.shed_oldest_idle();
                tokio::select! {
                    p = slots.clone().acquire_owned() => p.expect("the semaphore is never closed"),
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let stop = stop.clone();
        let entry = live.add(max);
        tokio::spawn(async move {
            connection(stream, app, limits, stop, &entry).await;
            entry.done.store(true, Ordering::SeqCst);
            drop(permit);
        });
    }
    drop(listener);
    // Every slot back means every connection closed.
    let _ = slots.acquire_many(max as u32).await;
}

/// One connection as the accept loop sees it.
#[derive(Default)]
struct Entry {
    /// Requests running on it.
    running: Arc<AtomicUsize>,
    /// Told to close (at the cap, for a newcomer).
    shed: tokio::sync::Notify,
    /// It has closed.
    done: std::sync::atomic::AtomicBool,
}

/// The open connections, oldest first.
#[derive(Default)]
struct Live(std::sync::Mutex<std::collections::VecDeque<Arc<Entry>>>);

impl Live {
    fn add(&self, max: usize) -> Arc<Entry> {
        let entry = Arc::new(Entry::default());
        let mut list = self.0.lock().expect("connection list");
        if list.len() >= 2 * max {
            list.retain(|e| !e.done.load(Ordering::SeqCst));
        }
        list.push_back(entry.clone());
        entry
    }

    fn shed_oldest_idle(&self) {
        let mut list = self.0.lock().expect("connection list");
        list.retain(|e| !e.done.load(Ordering::SeqCst));
        if let Some(at) = list
            .iter()
            .position(|e| e.running.load(Ordering::SeqCst) == 0)
            && let Some(e) = list.remove(at)
        {
            // Stored if the connection is not waiting yet: it sees it next.
            e.shed.notify_one();
        }
    }
}

async fn connection(
    stream: tokio::net::TcpStream,
    app: Router,
    limits: ConnLimits,
    mut stop: watch::Receiver<bool>,
    entry: &Entry,
) {
    let running = entry.running.clone();
    let service = Handler {
        app,
        running: running.clone(),
        body_timeout: limits.body_timeout,
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(MAX_HEADER_BYTES)
        .serve_connection(TokioIo::new(BareErrors::new(stream)), service);
    tokio::pin!(conn);
    loop {
        tokio::select! {
            // Timeouts and resets end connections too; nothing to tell anyone.
            _ = conn.as_mut() => return,
            _ = stop.wait_for(|s| *s) => break,
            // A request may have started since it was picked: then it stays.
            _ = entry.shed.notified() => if running.load(Ordering::SeqCst) == 0 { break },
        }
    }
    conn.as_mut().graceful_shutdown();
    if running.load(Ordering::SeqCst) == 0 {
        // Idle, or a head still arriving: no answer is owed. A moment lets
        // an answer just finished flush.
        let _ = tokio::time::timeout(Duration::from_millis(200), conn).await;
    } else {
        let _ = conn.await;
    }
}

/// The app as a hyper service: counts the requests running on the
/// connection (until their answer's body is dropped) and times the body.
#[derive(Clone)]
struct Handler {
    app: Router,
    running: Arc<AtomicUsize>,
    body_timeout: Duration,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Handler {
    type Response = hyper::Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        let guard = Running::enter(&self.running);
        let timeout = self.body_timeout;
        let req = req.map(|b| Body::new(TimedBody::new(b, timeout)));
        let mut app = self.app.clone();
        Box::pin(async move {
            let response = match app.call(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            // The request counts as running until its answer is written.
            Ok(response.map(move |b| {
                Body::new(b.map_frame(move |f| {
                    let _still_running = &guard;
                    f
                }))
            }))
        })
    }
}

/// One request running on a connection, while it lives.
struct Running(Arc<AtomicUsize>);

impl Running {
    fn enter(count: &Arc<AtomicUsize>) -> Running {
        count.fetch_add(1, Ordering::SeqCst);
        Running(count.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A request body that fails when the client sends nothing for `timeout`
/// while the handler waits for it (time the handler spends elsewhere is
/// not counted).
struct TimedBody {
    inner: Incoming,
    timeout: Duration,
    /// Set while the handler waits; `None` between its reads.
    waiting: Option<Pin<Box<Sleep>>>,
}

impl TimedBody {
    fn new(inner: Incoming, timeout: Duration) -> TimedBody {
        TimedBody {
            inner,
            timeout,
            waiting: None,
        }
    }
}

/// The body timeout, as the error the handler's read sees.
#[derive(Debug, thiserror::Error)]
#[error("no bytes of the request body came for {0:?} (the body timeout); send it faster")]
pub struct BodyTimeout(Duration);

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                this.waiting = None;
                Poll::Ready(frame.map(|f| f.map_err(axum::Error::new)))
            }
            Poll::Pending => {
                let timeout = this.timeout;
                let sleep = this.waiting.get_or_insert_with(|| {
                    Box::pin(tokio::time::sleep_until(Instant::now() + timeout))
                });
                match sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        Poll::Ready(Some(Err(axum::Error::new(BodyTimeout(timeout)))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
