//! `vitals serve`'s delivery loop: a thread of its own (sled and the
//! receivers' latency stay off the request workers) running a pass when a
//! run completes (a wake-up) or every second, until it is stopped. A pass
//! cut by the stop loses nothing: an attempt not yet recorded is made
//! again later, with the same `webhook-id`.

use super::worker::Worker;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How often a pass runs when nothing wakes the loop.
const TICK: Duration = Duration::from_secs(1);

/// The running loop.
pub struct Background {
    stop: watch::Sender<bool>,
    thread: std::thread::JoinHandle<()>,
}

/// Starts the loop; `wake` starts a pass at once (a run completed).
pub fn spawn(worker: Worker, wake: Arc<Notify>) -> std::io::Result<Background> {
    let (stop, mut stopped) = watch::channel(false);
    let thread = std::thread::Builder::new()
        .name("vitals-deliveries".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("vitals serve: webhook deliveries cannot start: {e}");
                    return;
                }
            };
            runtime.block_on(async move {
                loop {
                    tokio::select! {
                        result = worker.pass() => {
                            if let Err(e) = result {
                                eprintln!("vitals serve: a webhook delivery pass failed: {e}");
                            }
                        }
                        _ = stopped.wait_for(|s| *s) => return,
                    }
                    tokio::select! {
                        _ = wake.notified() => {}
                        _ = tokio::time::sleep(TICK) => {}
                        _ = stopped.wait_for(|s| *s) => return,
                    }
                }
            });
        })?;
    Ok(Background { stop, thread })
}

impl Background {
    /// Stops the loop (an attempt in flight is dropped) and waits for it.
    pub fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.thread.join();
    }
}
