//! hyper answers a head it cannot parse (400), an over-long URI (414) and
//! over-large headers (431) itself, before any handler, with an empty body.
//! [`BareErrors`] wraps the connection's socket and swaps such an answer,
//! as hyper writes it, for the API's `{code, message}` JSON with the same
//! status (hyper closes the connection after it either way).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// A socket whose bare hyper error answers become JSON.
pub struct BareErrors {
    inner: TcpStream,
    /// The JSON answer being written in place of hyper's, how much of it is
    /// written, and how many of hyper's bytes it stands for.
    swap: Option<(Vec<u8>, usize, usize)>,
}

impl BareErrors {
    pub fn new(inner: TcpStream) -> BareErrors {
        BareErrors { inner, swap: None }
    }
}

/// The status of a bare answer hyper wrote itself, if `buf` is one: its
/// own status line, no content type, an empty body.
fn bare_status(buf: &[u8]) -> Option<u16> {
    let status = [400u16, 414, 431]
        .into_iter()
        .find(|s| buf.starts_with(format!("HTTP/1.1 {s} ").as_bytes()))?;
    let head = buf.get(..buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4)?;
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    (head.contains("\r\ncontent-length: 0\r\n") && !head.contains("\r\ncontent-type:"))
        .then_some(status)
}

/// The API's answer for a bare status.
pub fn json_answer(status: u16) -> Vec<u8> {
    let (reason, code, message) = match status {
        414 => (
            "URI Too Long",
            "uri-too-long",
            "the request's URI is longer than 65534 bytes",
        ),
        431 => (
            "Request Header Fields Too Large",
            "header-fields-too-large",
            "the request's head is larger than 96 KiB or has more than 100 headers",
        ),
        _ => (
            "Bad Request",
            "bad-request",
            "the request's head is not valid HTTP/1.1",
        ),
    };
    let body = serde_json::json!({"code": code, "message": message}).to_string();
    format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n\
         x-content-type-options: nosniff\r\ncache-control: no-store\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

impl AsyncRead for BareErrors {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for BareErrors {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.swap.is_none()
            && let Some(status) = bare_status(buf)
        {
            this.swap = Some((json_answer(status), 0, buf.len()));
        }
        let Some((answer, written, stands_for)) = &mut this.swap else {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        while *written < answer.len() {
            let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &answer[*written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            *written += n;
        }
        let n = *stands_for;
        this.swap = None;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    // Not vectored: hyper then writes each head in one flat buffer, which
    // is what `bare_status` reads.
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyper_s_own_empty_error_answers_are_swapped() {
        let bare =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(bare_status(bare), Some(431));
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_status(ours), None);
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(bare_status(ok), None);
        let answer = String::from_utf8(json_answer(414)).unwrap();
        let body = answer.split("\r\n\r\n").nth(1).unwrap();
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["code"], "uri-too-long");
        assert!(answer.contains(&format!("content-length: {}\r\n", body.len())));
    }
}
