//! Requests to the bucket that the archive signs itself (SigV4, through
//! object_store's public `AwsAuthorizer`) and sends on the HTTP client
//! object_store's `AmazonS3` uses: those its API cannot make as the
//! shipper needs them: a create-only PUT signed with the SHA-256 the
//! shipper computed already (remote.rs), and multipart uploads created
//! with our metadata, their id known to the caller, completed with
//! `If-None-Match: *`, and listed (multipart.rs).
//!
//! Retries follow object_store's rules (client/retry.rs there) and the
//! one budget of `remote::retry_config`: 5xx, 429 and 408 answers and
//! requests that could not be sent are retried with exponential backoff
//! until the retry timeout has passed since the first try; a
//! timeout or a connection lost after sending only for an idempotent
//! request (the caller's HEAD decides what a create-only PUT did). But a
//! 501 is not retried: the server cannot do the request (MinIO without a
//! KMS, to an encrypted PUT). object_store's own requests (HEAD, GET,
//! listings) still retry a 501 (docs/ARCHITECTURE.md says what that costs).

use super::digest;
use object_store::aws::{AwsAuthorizer, AwsCredentialProvider};
use object_store::client::{HttpClient, HttpErrorKind, HttpRequest, HttpRequestBody};
use object_store::RetryConfig;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Characters a key's path part keeps unencoded ('/' separates its parts).
const PATH_SAFE: &[u8] = b"-._~/";
/// Characters a query value keeps unencoded.
const QUERY_SAFE: &[u8] = b"-._~";

/// How to reach and sign for one bucket.
pub(super) struct Signer {
    pub client: HttpClient,
    pub credentials: AwsCredentialProvider,
    pub region: String,
    /// `https://host/bucket` (path style) or `https://bucket.host`, no
    /// trailing '/': the URL an object's key is appended to.
    pub bucket_url: String,
    pub retry: RetryConfig,
    /// Headers every request carries, as the store's settings ask
    /// (store_settings.rs); signed like the others.
    pub every_request: Vec<(String, String)>,
}

/// One request: its method, the key it is about (`""`: the bucket), its
/// query parameters (unencoded), extra headers, body, and the body's
/// SHA-256 if the caller has it (else it is hashed here).
#[derive(Default)]
pub(super) struct Request<'a> {
    pub method: http::Method,
    pub key: &'a str,
    pub query: Vec<(&'a str, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub sha256: Option<[u8; 32]>,
    /// Whether sending it twice does what sending it once does (all but
    /// a create-only PUT are).
    pub idempotent: bool,
}

/// An idempotent request of `method` about `key` with nothing else set.
pub(super) fn request(method: http::Method, key: &str) -> Request<'_> {
    Request {
        method,
        key,
        idempotent: true,
        ..Request::default()
    }
}

/// A server's answer: its status, headers and body.
pub(super) struct Response {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

impl Signer {
    /// The URL of `key` with `query`, encoded as SigV4 canonicalises it.
    fn url(&self, key: &str, query: &[(&str, String)]) -> String {
        let mut url = format!("{}/{}", self.bucket_url, encode(key, PATH_SAFE));
        for (i, (name, value)) in query.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            url += &format!("{sep}{name}={}", encode(value, QUERY_SAFE));
        }
        url
    }

    /// Sends `r`, signed, retrying as the module doc says: the first
    /// answer that is not retried (any status), or why none came.
    pub async fn send(&self, r: Request<'_>) -> Result<Response, String> {
        let url = self.url(r.key, &r.query);
        let sha256 = r.sha256.unwrap_or_else(|| digest::sha256_of(&r.body));
        let body = HttpRequestBody::from(r.body);
        let started = Instant::now();
        let mut backoff = self.retry.backoff.init_backoff;
        for attempt in 0.. {
            let signed = self.signed(&r.method, &url, &r.headers, body.clone(), &sha256);
            let request = signed.await?;
            let last = started.elapsed() + backoff > self.retry.retry_timeout;
            match self.client.execute(request).await {
                Ok(answer) => {
                    let status = answer.status().as_u16();
                    // 5xx but 501, 429 and 408 are retried (see the module doc).
                    let retried = matches!(status, 500 | 502..=599 | 429 | 408);
                    if last || !retried {
                        let (parts, body) = answer.into_parts();
                        let body = body.bytes().await;
                        let body = body.map_err(|e| format!("reading the answer: {e}"))?;
                        return Ok(Response {
                            status,
                            headers: parts.headers,
                            body: body.to_vec(),
                        });
                    }
                }
                Err(e) => {
                    let retried = match e.kind() {
                        HttpErrorKind::Connect | HttpErrorKind::Request => true,
                        HttpErrorKind::Timeout | HttpErrorKind::Interrupted => r.idempotent,
                        _ => false,
                    };
                    if last || !retried {
                        let (method, took) = (&r.method, started.elapsed());
                        // Without the query (an upload id, a part number:
                        // not where the server is).
                        let at = url.split_once('?').map_or(&url[..], |(u, _)| u);
                        return Err(format!(
                            "{method} {at}: {} (after {attempt} retries in {took:.1?})",
                            cause_chain(&e)
                        ));
                    }
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = next_backoff(backoff, &self.retry);
        }
        unreachable!("the loop returns")
    }

    /// A request of `method` to `url` with `headers` and `body` (of
    /// SHA-256 `sha256`), signed with the current credentials.
    async fn signed(
        &self,
        method: &http::Method,
        url: &str,
        headers: &[(String, String)],
        body: HttpRequestBody,
        sha256: &[u8; 32],
    ) -> Result<HttpRequest, String> {
        let credential = self.credentials.get_credential().await;
        let credential = credential.map_err(|e| format!("credentials: {e}"))?;
        let mut request = HttpRequest::new(body);
        *request.method_mut() = method.clone();
        let uri = url.parse().map_err(|e| format!("URL {url}: {e}"));
        *request.uri_mut() = uri?;
        for (name, value) in headers.iter().chain(&self.every_request) {
            let n = http::HeaderName::try_from(name.as_str());
            let (Ok(n), Ok(v)) = (n, http::HeaderValue::try_from(value.as_str())) else {
                return Err(format!("header {name}: {value:?} is not valid"));
            };
            request.headers_mut().insert(n, v);
        }
        AwsAuthorizer::new(&credential, "s3", &self.region).authorize(&mut request, Some(sha256));
        Ok(request)
    }
}

/// `e` and every error under it (its sources), each once: the request's
/// failure down to its cause (`Connection refused`, `operation timed
/// out`, a DNS lookup's failure), which the outer errors' texts leave out.
pub(super) fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(s) = next {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        next = s.source();
    }
    out
}

/// The wait after `now`: `base` times longer, at most `max_backoff`, with
/// up to half of it taken off at random so that clients spread out.
fn next_backoff(now: Duration, retry: &RetryConfig) -> Duration {
    let b = &retry.backoff;
    let longer = now.mul_f64(b.base.max(1.0)).min(b.max_backoff);
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH);
    let nanos = since_epoch.map_or(0, |d| d.subsec_nanos());
    let jitter = longer.mul_f64(f64::from(nanos % 1000) / 2000.0);
    (longer - jitter).max(b.init_backoff)
}

/// `s` percent-encoded, but for ASCII letters, digits and `safe`.
fn encode(s: &str, safe: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b.is_ascii_alphanumeric() || safe.contains(&b) {
            true => out.push(b as char),
            false => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_query_values_are_encoded_as_sigv4_wants() {
        assert_eq!(
            encode("p/orders/0001-02.binlog", PATH_SAFE),
            "p/orders/0001-02.binlog"
        );
        assert_eq!(encode("a b+c/d", PATH_SAFE), "a%20b%2Bc/d");
        assert_eq!(encode("x/y=z", QUERY_SAFE), "x%2Fy%3Dz");
    }
}
