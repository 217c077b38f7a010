//! One attempt at one delivery: the JSON body POSTed with its Standard
//! Webhooks headers, through a client that only connects where the policy
//! allows and follows no redirect; the receiver's answer read up to the
//! operator's cap, then classified.

use super::policy::{DestinationPolicy, PolicyResolver};
use super::settings::DeliverySettings;
use super::sign::signature_header;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What is sent.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// The endpoint's URL.
    pub url: &'a str,
    /// The same on every attempt of this delivery.
    pub webhook_id: &'a str,
    /// The event's JSON.
    pub body: &'a [u8],
    /// The secrets that sign (the current one, and the previous one during
    /// a rotation window).
    pub secrets: Vec<&'a str>,
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The receiver's status code, if it answered.
    pub code: Option<u16>,
    /// From sending to the end of the answer (or the failure).
    pub latency_ms: u64,
    /// Why there was no answer (timeout, refused address, connection).
    pub error: Option<String>,
    /// The first bytes of the answer, made printable.
    pub response: Option<String>,
}

/// How an answer counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: delivered.
    Delivered,
    /// 410: the receiver is gone for good; the endpoint is disabled.
    Gone,
    /// Anything else: try again per the schedule.
    Failed,
}

/// The reason an endpoint answering 410 is disabled with.
pub const GONE_REASON: &str = "410 Gone";

/// Classifies an answer.
pub fn verdict(answer: &Answer) -> Verdict {
    match answer.code {
        Some(code) if (200..300).contains(&code) => Verdict::Delivered,
        Some(410) => Verdict::Gone,
        _ => Verdict::Failed,
    }
}

/// The HTTP client of deliveries, built once per worker.
pub struct Sender {
    client: reqwest::Client,
    policy: Arc<DestinationPolicy>,
    response_bytes: usize,
    timeout: Duration,
}

impl Sender {
    /// A client under the operator's policy: its resolver drops refused
    /// addresses, no proxy (it would connect for us, unchecked), no
    /// redirects (a 3xx is a failed attempt, never a hop elsewhere).
    pub fn new(settings: &DeliverySettings) -> Result<Sender, String> {
        let policy = Arc::new(settings.policy.clone());
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(PolicyResolver {
                policy: policy.clone(),
            }))
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .user_agent(concat!("Vitals-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("the delivery HTTP client: {e}"))?;
        Ok(Sender {
            client,
            policy,
            response_bytes: settings.response_bytes,
            timeout: settings.timeout,
        })
    }

    /// Makes one attempt; never fails, the answer says what happened.
    pub async fn send(&self, out: &Outgoing<'_>) -> Answer {
        let started = Instant::now();
        let failed = |error: String| Answer {
            code: None,
            latency_ms: started.elapsed().as_millis() as u64,
            error: Some(error),
            response: None,
        };
        // A name is checked as it resolves (the resolver); an address in
        // the URL never resolves, so it is checked here, every attempt.
        let url = match self.policy.check_url(out.url) {
            Ok(url) => url,
            Err(why) => return failed(format!("refused: {why}")),
        };
        let timestamp = (crate::store::now_ms() / 1000) as i64;
        let signature = match signature_header(&out.secrets, out.webhook_id, timestamp, out.body) {
            Ok(s) => s,
            Err(why) => return failed(why),
        };
        let request = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", out.webhook_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(out.body.to_vec());
        let mut response = match request.send().await {
            Ok(r) => r,
            Err(e) => return failed(self.describe(&e)),
        };
        let code = response.status().as_u16();
        let mut kept = Vec::new();
        let mut error = None;
        while kept.len() < self.response_bytes {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = self.response_bytes - kept.len();
                    kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                Ok(None) => break,
                Err(e) => {
                    // The status came: it counts; the rest of the body does not.
                    error = Some(self.describe(&e));
                    break;
                }
            }
        }
        Answer {
            code: Some(code),
            latency_ms: started.elapsed().as_millis() as u64,
            error,
            response: (!kept.is_empty()).then(|| printable(&kept)),
        }
    }

    fn describe(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            return format!("timed out after {} ms", self.timeout.as_millis());
        }
        let mut text = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        text
    }
}

/// A receiver's bytes as text that cannot act on a terminal or a page:
/// invalid UTF-8 replaced, control characters other than newline and tab
/// shown as `\u{..}` escapes.
pub fn printable(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .flat_map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                c.escape_unicode().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(code: Option<u16>) -> Answer {
        Answer {
            code,
            latency_ms: 1,
            error: None,
            response: None,
        }
    }

    #[test]
    fn answers_are_classified_by_their_code() {
        assert_eq!(verdict(&answer(Some(200))), Verdict::Delivered);
        assert_eq!(verdict(&answer(Some(204))), Verdict::Delivered);
        assert_eq!(verdict(&answer(Some(410))), Verdict::Gone);
        for failed in [Some(301), Some(404), Some(429), Some(500), Some(503), None] {
            assert_eq!(verdict(&answer(failed)), Verdict::Failed, "{failed:?}");
        }
    }

    #[test]
    fn a_receivers_bytes_are_made_printable() {
        assert_eq!(printable(b"ok\n"), "ok\n");
        assert_eq!(printable(b"\x1b[31mred"), "\\u{1b}[31mred");
        assert_eq!(printable(&[0xff, b'a']), "\u{fffd}a");
    }

    #[tokio::test]
    async fn an_address_the_policy_refuses_is_never_connected_to() {
        let sender = Sender::new(&DeliverySettings::default()).unwrap();
        let out = Outgoing {
            url: "http://127.0.0.1:9/hook",
            webhook_id: "msg_1",
            body: b"{}",
            secrets: vec![],
        };
        let a = sender.send(&out).await;
        assert_eq!(a.code, None);
        let error = a.error.unwrap();
        assert!(
            error.contains("refused") && error.contains("loopback"),
            "{error}"
        );
        // A name resolving to loopback is refused by the resolver.
        let a = sender
            .send(&Outgoing {
                url: "http://localhost:9/hook",
                ..out
            })
            .await;
        let error = a.error.unwrap();
        assert!(error.contains("loopback"), "{error}");
    }
}
