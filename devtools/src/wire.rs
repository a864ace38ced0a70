//! HTTP/1.1 messages on the wire, for the proxy and the local Lambda Runtime API: just enough
//! to read one message (Content-Length or chunked body) and write it back out.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

pub struct Message {
    /// The start line (`POST / HTTP/1.1`, `HTTP/1.1 200 OK`).
    pub start: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Message {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The message with a Content-Length body (a chunked one is re-framed).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = format!("{}\r\n", self.start);
        for (k, v) in &self.headers {
            if !k.eq_ignore_ascii_case("transfer-encoding")
                && !k.eq_ignore_ascii_case("content-length")
            {
                out += &format!("{k}: {v}\r\n");
            }
        }
        out += &format!("content-length: {}\r\n\r\n", self.body.len());
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

async fn line<R: AsyncBufRead + Unpin>(reader: &mut R) -> std::io::Result<Option<String>> {
    let mut buf = Vec::new();
    if reader.read_until(b'\n', &mut buf).await? == 0 {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&buf).trim_end().to_string()))
}

/// Reads one message; `None` when the peer closed the connection between messages.
pub async fn read_message<R: AsyncBufRead + Unpin>(
    reader: &mut R,
) -> std::io::Result<Option<Message>> {
    let Some(start) = line(reader).await? else {
        return Ok(None);
    };
    let mut headers = Vec::new();
    while let Some(l) = line(reader).await? {
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut message = Message {
        start,
        headers,
        body: Vec::new(),
    };
    if message
        .header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let size = line(reader).await?.unwrap_or_default();
            let size = usize::from_str_radix(size.split(';').next().unwrap_or("0").trim(), 16)
                .map_err(|_| std::io::Error::other("bad chunk size"))?;
            let mut chunk = vec![0; size + 2];
            if size == 0 {
                // Trailers, then the blank line.
                while line(reader).await?.is_some_and(|l| !l.is_empty()) {}
                break;
            }
            reader.read_exact(&mut chunk).await?;
            message.body.extend_from_slice(&chunk[..size]);
        }
    } else {
        let length: usize = message
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        message.body = vec![0; length];
        reader.read_exact(&mut message.body).await?;
    }
    Ok(Some(message))
}
