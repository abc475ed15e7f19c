//! The bucket, as the shipper and the readers use it: create-only PUT,
//! multipart upload (multipart.rs), HEAD with metadata, listing, GET, each
//! a blocking call on a private tokio runtime (the module doc of `archive`
//! says what that means for threads and fork()). Every error names the
//! object (`s3://bucket/key`).

use super::digest::{self, Digest, Hasher};
use super::location::{Connection, Location};
use super::metadata::ObjectMetadata;
use super::signed::{request, Request, Response, Signer};
use super::store_settings::StoreSettings;
use crate::error::{Error, ErrorKind, Result};
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey, S3ConditionalPut};
use object_store::client::{HttpClient, HttpConnector, ReqwestConnector};
use object_store::path::Path as Key;
use object_store::{BackoffConfig, ClientOptions, GetOptions, GetResult, ObjectStore, RetryConfig};
use std::fmt::Display;
use std::future::Future;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// The bytes each ranged GET of `Remote::for_each_part` reads.
const PART: u64 = 8 << 20;

/// An object a listing or HEAD found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteObject {
    /// The key without the listed prefix.
    pub name: String,
    /// The object's size in bytes.
    pub size: u64,
}

/// What a suffix GET (`Remote::get_suffix`) returned.
pub struct Suffix {
    /// The object's last bytes.
    pub bytes: Vec<u8>,
    /// The object's size.
    pub size: u64,
    /// Its metadata, if it has all of it (an object `binlog ship` wrote).
    pub metadata: Option<ObjectMetadata>,
}

/// What a create-only PUT did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Created {
    /// The object is ours: the server stored it.
    Created,
    /// An object of that key was there already (412): nothing written.
    AlreadyExists,
}

/// How the server says it stored an object (`Remote::stored_encryption_of`).
#[cfg(any(test, feature = "internals"))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEncryption {
    /// `x-amz-server-side-encryption`: `AES256`, `aws:kms`, ...
    pub algorithm: String,
    /// `x-amz-server-side-encryption-aws-kms-key-id`, as the server
    /// names the key (AWS: its ARN).
    pub kms_key_id: Option<String>,
}

/// A client of one bucket (a [`Location`]'s), on a private tokio
/// current-thread runtime. Counts the reads it sent ([`Remote::requests`]).
pub struct Remote {
    runtime: tokio::runtime::Runtime,
    store: AmazonS3,
    signer: Signer,
    location: Location,
    /// The reads sent so far (for tests and benchmarks).
    requests: Mutex<RequestCounts>,
    /// The headers a request creating an object carries, as the store's
    /// settings ask (server-side encryption; store_settings.rs).
    creation_headers: Vec<(String, String)>,
    /// The lock a segment object or signed head gets when created
    /// (`ShipOptions::object_lock`; object_lock.rs).
    pub(super) lock: Option<super::ObjectLock>,
}

/// The reads a `Remote` sent so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestCounts {
    /// GETs sent, whole or ranged (a HEAD is not one).
    pub gets: u64,
    /// Body bytes the GETs returned.
    pub bytes: u64,
    /// Listings sent.
    pub lists: u64,
}

impl Remote {
    /// A client of `location`'s bucket; nothing is sent yet.
    pub fn connect(location: &Location, c: &Connection) -> Result<Remote> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Error::new(ErrorKind::Io, format!("start the S3 client's runtime: {e}"))
            })?;
        let mut b = AmazonS3Builder::from_env()
            .with_bucket_name(&location.bucket)
            .with_conditional_put(S3ConditionalPut::ETagMatch)
            .with_checksum_algorithm(object_store::aws::Checksum::SHA256);
        use AmazonS3ConfigKey as K;
        let virtual_hosted = c.virtual_hosted_style.map(|v| v.to_string());
        for (key, value) in [
            (K::Endpoint, &c.endpoint),
            (K::Region, &c.region),
            (K::AccessKeyId, &c.access_key_id),
            (K::SecretAccessKey, &c.secret_access_key),
            (K::VirtualHostedStyleRequest, &virtual_hosted),
        ] {
            if let Some(v) = value {
                b = b.with_config(key, v);
            }
        }
        // The endpoint as the settings or the environment give it.
        let endpoint = b.get_config_value(&K::Endpoint);
        let plain_http = endpoint.is_some_and(|e| e.starts_with("http://"));
        // A request waits at most the retry timeout (unless its own
        // timeout is set): a server that accepts connections and never
        // answers fails a call within it, as one that refuses them does.
        // A zero retry timeout means no retries, not requests that time
        // out before they are sent: those wait the 60 s default.
        let retry_timeout = c.retry_timeout.unwrap_or(Duration::from_secs(180));
        let default_timeout = match retry_timeout.is_zero() {
            true => Duration::from_secs(60),
            false => Duration::from_secs(60).min(retry_timeout),
        };
        let timeout = c.request_timeout.unwrap_or(default_timeout);
        let client = ClientOptions::new()
            .with_allow_http(plain_http)
            .with_timeout(timeout)
            .with_connect_timeout(Duration::from_secs(5).min(timeout));
        let retry = retry_config(retry_timeout);
        let invalid = |e: object_store::Error| Error::invalid(format!("{location}: {e}"));
        // One HTTP client (and connection pool) for object_store's
        // requests and ours.
        let http = ReqwestConnector::default()
            .connect(&client)
            .map_err(invalid)?;
        // The bucket's region as object_store takes it: `us-east-1` if the
        // settings give none.
        let region = b.get_config_value(&K::Region);
        let region = region.unwrap_or_else(|| "us-east-1".into());
        let bucket_url = bucket_url(&b, &location.bucket, &region);
        let settings = StoreSettings::of(&b)
            .headers()
            .map_err(|why| Error::invalid(format!("{location}: {why}")))?;
        let store = b
            .with_client_options(client)
            .with_retry(retry.clone())
            .with_http_connector(SharedClient(http.clone()))
            .build()
            .map_err(invalid)?;
        let signer = Signer {
            client: http,
            credentials: store.credentials().clone(),
            region,
            bucket_url,
            retry,
            every_request: settings.every_request,
        };
        Ok(Remote {
            runtime,
            store,
            signer,
            location: location.clone(),
            requests: Mutex::default(),
            creation_headers: settings.object_creation,
            lock: None,
        })
    }

    /// Sends `r` (about `key`) as signed.rs does; a failure to get an
    /// answer is an error naming the object.
    pub(super) fn signed_request(&self, key: &str, doing: &str, r: Request) -> Result<Response> {
        self.block_on(self.signer.send(r))
            .map_err(|f| self.failed(key, doing, &f))
    }

    /// `signed_request`, its answer taken as `expect_success` takes it.
    pub(super) fn send_ok(&self, key: &str, doing: &str, r: Request) -> Result<Response> {
        let r = self.signed_request(key, doing, r)?;
        self.expect_success(key, doing, r)
    }

    /// The error of `doing` on `key` that failed for reason `why`.
    pub(super) fn failed(&self, key: &str, doing: &str, why: &str) -> Error {
        self.object_error(key, ErrorKind::Remote, format!("{doing}: {why}"))
    }

    /// An error of `kind` about the object at `key`, named as every error
    /// names an object: `s3://bucket/key`.
    pub(crate) fn object_error(&self, key: &str, kind: ErrorKind, what: impl Display) -> Error {
        let url = self.location.url_of(key);
        Error::file(kind, std::path::Path::new(&url), what)
    }

    /// The `NotFound` error of the object at `key`: no such object.
    pub(crate) fn no_such_object(&self, key: &str) -> Error {
        self.object_error(key, ErrorKind::NotFound, "no such object")
    }

    /// The headers of a request creating a segment object with `meta` (or
    /// a signed head, without): its metadata, the ones the store's
    /// settings ask for, and the lock, if objects are locked.
    pub(super) fn object_creation_headers(
        &self,
        meta: Option<&ObjectMetadata>,
    ) -> Vec<(String, String)> {
        let mut headers = meta.map_or(Vec::new(), ObjectMetadata::to_headers);
        headers.extend(self.creation_headers.iter().cloned());
        headers.extend(self.lock.iter().flat_map(|l| l.headers()));
        headers
    }

    /// The bucket and prefix this client reads and writes.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The GETs and listings sent so far.
    pub fn requests(&self) -> RequestCounts {
        *self.counts()
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, RequestCounts> {
        self.requests.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a GET that returned `bytes` body bytes.
    fn count_get(&self, bytes: usize) {
        let mut c = self.counts();
        c.gets += 1;
        c.bytes += bytes as u64;
    }

    fn block_on<T>(&self, f: impl Future<Output = T>) -> T {
        self.runtime.block_on(f)
    }

    fn key(&self, key: &str) -> Result<Key> {
        Key::parse(key).map_err(|e| self.object_error(key, ErrorKind::InvalidArgument, e))
    }

    /// Stores `body` under `key` only if no object has that key
    /// (`If-None-Match: *`), with `meta` as its metadata, signed with
    /// `meta.sha256` as the body's hash (hashed once). Not retried after a
    /// timeout or a connection lost mid-request (the caller's HEAD
    /// decides what happened).
    #[doc(hidden)]
    pub fn put_create(&self, key: &str, body: Vec<u8>, meta: &ObjectMetadata) -> Result<Created> {
        let doing = "create-only PUT";
        let sha = crate::format::from_hex(&meta.sha256)
            .ok_or_else(|| self.failed(key, doing, "the metadata's sha256 is not one"))?;
        let headers = self.object_creation_headers(Some(meta));
        let r = self.signed_request(key, doing, put(key, body, sha, headers, true))?;
        self.created(key, doing, r)
    }

    /// Stores `body` (a small object without metadata: the claim) under
    /// `key` only if no object has that key, as `put_create` does. A
    /// request that got no answer (the server may have stored it, or
    /// answered 412) is followed by a HEAD: an object there is
    /// `AlreadyExists` (the caller reads whose it is); none, or a failed
    /// HEAD, is the PUT's error. An answer (a 501 too) is taken as it is.
    #[doc(hidden)]
    pub fn put_create_plain(&self, key: &str, body: Vec<u8>) -> Result<Created> {
        self.put_create_small(key, body, self.creation_headers.clone())
    }

    pub(super) fn put_create_small(
        &self,
        key: &str,
        body: Vec<u8>,
        headers: Vec<(String, String)>,
    ) -> Result<Created> {
        let doing = "create-only PUT";
        let sha = digest::sha256_of(&body);
        match self.block_on(self.signer.send(put(key, body, sha, headers, true))) {
            Ok(r) => self.created(key, doing, r),
            Err(f) => match self.head(key) {
                Ok(Some(_)) => Ok(Created::AlreadyExists),
                Ok(None) | Err(_) => Err(self.failed(key, doing, &f)),
            },
        }
    }

    /// Stores `body` (a small object without metadata: the prune marker)
    /// under `key`, replacing any object there. Only a claim's holder
    /// writes such a key (archive/prune/).
    #[doc(hidden)]
    pub fn put_replace_plain(&self, key: &str, body: Vec<u8>) -> Result<()> {
        let sha = digest::sha256_of(&body);
        let r = put(key, body, sha, self.creation_headers.clone(), false);
        self.send_ok(key, "PUT", r).map(|_| ())
    }

    /// Deletes the object at `key` (none there is no error, as S3
    /// answers). A refusal is a `PermissionDenied` error naming the object
    /// and the endpoint.
    #[doc(hidden)]
    pub fn delete(&self, key: &str) -> Result<()> {
        let doing = format!("DELETE (at {})", self.signer.bucket_url);
        let r = request(http::Method::DELETE, key);
        self.send_ok(key, &doing, r).map(|_| ())
    }

    /// What the answer `r` to a create-only request for `key` says:
    /// created; already there: a 412, or a 403 refusing to overwrite an
    /// object (a server that checks an object's lock before the
    /// condition, as versitygw does); or the error naming the object, the
    /// status and the server's message.
    pub(super) fn created(&self, key: &str, doing: &str, r: Response) -> Result<Created> {
        if r.status == 412 || r.status == 403 && self.head(key)?.is_some() {
            return Ok(Created::AlreadyExists);
        }
        self.expect_success(key, doing, r).map(|_| Created::Created)
    }

    /// The size and metadata of the object at `key`, `None` if there is
    /// none (a HEAD).
    pub fn head(&self, key: &str) -> Result<Option<(u64, Option<ObjectMetadata>)>> {
        let path = self.key(key)?;
        let opts = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        let got = self.block_on(self.store.get_opts(&path, opts));
        let meta = |r: GetResult| (r.meta.size, ObjectMetadata::from_attributes(&r.attributes));
        Ok(self.found(key, "HEAD", got)?.map(meta))
    }

    /// How the server says it stored the object at `key` (a HEAD's
    /// `x-amz-server-side-encryption` and KMS key), `None` if it does not
    /// (stored unencrypted, or by a server that keeps no record of it, as
    /// versitygw 1.8.0). A missing object is a `NotFound` error. Signed
    /// here: object_store's HEAD does not return these headers.
    #[cfg(any(test, feature = "internals"))]
    pub fn stored_encryption_of(&self, key: &str) -> Result<Option<StoredEncryption>> {
        let r = self.signed_request(key, "HEAD", request(http::Method::HEAD, key))?;
        if r.status == 404 {
            return Err(self.object_error(key, ErrorKind::NotFound, "HEAD: no such object"));
        }
        let r = self.expect_success(key, "HEAD", r)?;
        let header = |name: &str| {
            let v = r.headers.get(name)?;
            Some(String::from_utf8_lossy(v.as_bytes()).into_owned())
        };
        let kms_key_id = header("x-amz-server-side-encryption-aws-kms-key-id");
        let algorithm = header("x-amz-server-side-encryption");
        Ok(algorithm.map(|algorithm| StoredEncryption {
            algorithm,
            kms_key_id,
        }))
    }

    /// The object at `key`, whole; `None` if there is none.
    #[doc(hidden)]
    pub fn get(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let path = self.key(key)?;
        let got = self.block_on(async { self.store.get(&path).await?.bytes().await });
        let got = self.found(key, "GET", got)?;
        Ok(got.inspect(|b| self.count_get(b.len())).map(Vec::from))
    }

    /// The object at `key`, whole, as text (a small object the archive
    /// writes: the claim, the prune marker), and its URL; `None` if there
    /// is none.
    pub(super) fn get_text(&self, key: &str) -> Result<Option<(String, PathBuf)>> {
        let url = PathBuf::from(self.location.url_of(key));
        let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
        Ok(self.get(key)?.map(|b| (text(b), url)))
    }

    /// The size and SHA-256 of the object at `key`, read with ranged GETs
    /// (see `for_each_part`); `None` if there is no such object.
    #[doc(hidden)]
    pub fn digest(&self, key: &str) -> Result<Option<Digest>> {
        let mut h = Hasher::default();
        let found = self.for_each_part(key, |part| {
            h.update(part);
            Ok(())
        })?;
        Ok(found.map(|_| h.finish()))
    }

    /// Calls `f` on the object at `key` from its start, `PART` bytes (one
    /// ranged GET) at a time, in bounded memory: its size (as a HEAD gave
    /// it; a shorter object ends early), `None` if there is no such object.
    #[doc(hidden)]
    pub fn for_each_part(
        &self,
        key: &str,
        f: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<Option<u64>> {
        let Some((size, _)) = self.head(key)? else {
            return Ok(None);
        };
        self.for_each_part_of(key, size, f)?;
        Ok(Some(size))
    }

    /// `for_each_part` of an object of `size` bytes (as a HEAD said).
    pub(super) fn for_each_part_of(
        &self,
        key: &str,
        size: u64,
        mut f: impl FnMut(&[u8]) -> Result<()>,
    ) -> Result<()> {
        let mut at = 0;
        while at < size {
            let part = self.get_range(key, at..size.min(at + PART))?;
            if part.is_empty() {
                break;
            }
            f(&part)?;
            at += part.len() as u64;
        }
        Ok(())
    }

    /// The last `len` bytes of the object at `key` (all of it, if shorter),
    /// its size and metadata, in one GET (`Range: bytes=-len`); `None` if
    /// there is no such object.
    #[doc(hidden)]
    pub fn get_suffix(&self, key: &str, len: u64) -> Result<Option<Suffix>> {
        let path = self.key(key)?;
        let opts = GetOptions {
            range: Some(object_store::GetRange::Suffix(len)),
            ..GetOptions::default()
        };
        let got = self.block_on(async {
            let r = self.store.get_opts(&path, opts).await?;
            let (size, metadata) = (r.meta.size, ObjectMetadata::from_attributes(&r.attributes));
            let bytes = Vec::from(r.bytes().await?);
            Ok(Suffix {
                bytes,
                size,
                metadata,
            })
        });
        let got = self.found(key, "suffix GET", got)?;
        Ok(got.inspect(|s| self.count_get(s.bytes.len())))
    }

    /// Bytes `range` of the object at `key`, in one ranged GET (fewer if
    /// the object ends before `range.end`).
    #[doc(hidden)]
    pub fn get_range(&self, key: &str, range: Range<u64>) -> Result<Vec<u8>> {
        let path = self.key(key)?;
        let doing = format!("ranged GET at offset {}", range.start);
        let got = self.block_on(self.store.get_range(&path, range));
        let b = got.map_err(|e| self.error(key, &doing, e))?;
        self.count_get(b.len());
        // The body's buffer itself when nothing else shares it
        // (object_store gathers a ranged GET's body into one): no copy of
        // the chunk.
        Ok(Vec::from(b))
    }

    /// Every object directly under `prefix` (which ends in '/'), sorted
    /// by key, with the names relative to it.
    #[doc(hidden)]
    pub fn list(&self, prefix: &str) -> Result<Vec<RemoteObject>> {
        let path = self.key(prefix.trim_end_matches('/'))?;
        self.counts().lists += 1;
        let got = self.block_on(self.store.list_with_delimiter(Some(&path)));
        let listed = got.map_err(|e| self.error(prefix, "list", e))?;
        let mut out = relative_to(prefix, listed.objects);
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// One page (one ListObjectsV2 request) of the keys under `prefix`
    /// (which ends in '/'; `""`: the whole bucket), at every depth, named
    /// relative to it: at most `max_keys` (else the server's limit), from
    /// the previous page's `token`, in the server's order; and the next
    /// page's token, `None` after the last.
    #[doc(hidden)]
    pub fn list_page(
        &self,
        prefix: &str,
        token: Option<String>,
        max_keys: Option<usize>,
    ) -> Result<(Vec<RemoteObject>, Option<String>)> {
        use object_store::list::{PaginatedListOptions, PaginatedListStore};
        self.counts().lists += 1;
        let opts = PaginatedListOptions {
            max_keys,
            page_token: token,
            ..PaginatedListOptions::default()
        };
        let listed_prefix = Some(prefix).filter(|p| !p.is_empty());
        let got = self.block_on(self.store.list_paginated(listed_prefix, opts));
        let page = got.map_err(|e| self.error(prefix, "list", e))?;
        Ok((relative_to(prefix, page.result.objects), page.page_token))
    }

    /// `got`, or `None` if the object at `key` is missing (`doing` failed
    /// with `NotFound`), or the error naming it.
    fn found<T>(&self, key: &str, doing: &str, got: object_store::Result<T>) -> Result<Option<T>> {
        match got {
            Ok(v) => Ok(Some(v)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.error(key, doing, e)),
        }
    }

    /// An object_store error about `key` as a core error naming the object
    /// (and, for a `Remote` one, the server).
    fn error(&self, key: &str, doing: &str, e: object_store::Error) -> Error {
        let kind = match &e {
            object_store::Error::NotFound { .. } => ErrorKind::NotFound,
            object_store::Error::PermissionDenied { .. }
            | object_store::Error::Unauthenticated { .. } => ErrorKind::PermissionDenied,
            object_store::Error::AlreadyExists { .. } => ErrorKind::AlreadyExists,
            _ => ErrorKind::Remote,
        };
        let mut what = super::signed::cause_chain(&e);
        // object_store names the request's URL unless it failed before
        // sending one: the server is named either way.
        if kind == ErrorKind::Remote && !what.contains(&self.signer.bucket_url) {
            what = format!("{} at {what}", self.signer.bucket_url);
        }
        self.object_error(key, kind, format!("{doing}: {what}"))
    }
}

/// The one retry policy of every request to the store, object_store's
/// and those signed here (signed.rs): a failure that is retried (a
/// refused connection, a 5xx) is retried with backoff until `budget` has
/// passed since the request's first try, however many tries that takes;
/// an answer that is not retried (403, 404, 412) ends it at once.
pub(super) fn retry_config(budget: Duration) -> RetryConfig {
    let backoff = BackoffConfig::default();
    // Every wait is at least `init_backoff`, so this count is never
    // reached before the budget is spent: time alone decides.
    let tries = usize::try_from(budget.as_nanos() / backoff.init_backoff.as_nanos().max(1));
    let max_retries = tries.unwrap_or(usize::MAX).saturating_add(1);
    // object_store waits once more after its last check of the time: the
    // longest wait, a tenth of the budget, bounds how far it goes past it.
    let max_backoff = (budget / 10).clamp(backoff.init_backoff, backoff.max_backoff);
    RetryConfig {
        backoff: BackoffConfig {
            max_backoff,
            ..backoff
        },
        max_retries,
        retry_timeout: budget,
    }
}

/// The listed `objects` under `prefix`, named relative to it (a key
/// outside it, which no server lists, is left out).
fn relative_to(prefix: &str, objects: Vec<object_store::ObjectMeta>) -> Vec<RemoteObject> {
    objects
        .into_iter()
        .filter_map(|o| {
            let name = o.location.as_ref().strip_prefix(prefix)?.to_string();
            Some(RemoteObject { name, size: o.size })
        })
        .collect()
}

/// A PUT of `body`, of SHA-256 `sha`, to `key` with `headers`; with
/// `create_only`, only if no object has that key (`If-None-Match: *`), and
/// not idempotent. It carries the hash as `x-amz-checksum-sha256`, so that
/// the server refuses other bytes.
fn put(
    key: &str,
    body: Vec<u8>,
    sha: [u8; 32],
    mut headers: Vec<(String, String)>,
    create_only: bool,
) -> Request<'_> {
    if create_only {
        headers.push(("if-none-match".into(), "*".into()));
    }
    headers.push(("x-amz-checksum-sha256".into(), digest::base64(&sha)));
    Request {
        headers,
        body,
        sha256: Some(sha),
        idempotent: !create_only,
        ..request(http::Method::PUT, key)
    }
}

/// The URL objects' keys are appended to, as object_store makes it of
/// `b`'s settings and the bucket's `region` (path style: `endpoint/bucket`).
fn bucket_url(b: &AmazonS3Builder, bucket: &str, region: &str) -> String {
    let virtual_hosted = b
        .get_config_value(&AmazonS3ConfigKey::VirtualHostedStyleRequest)
        .is_some_and(|v| v == "true");
    let endpoint = b.get_config_value(&AmazonS3ConfigKey::Endpoint);
    match (endpoint, virtual_hosted) {
        (Some(e), true) => e.trim_end_matches('/').to_string(),
        (Some(e), false) => format!("{}/{bucket}", e.trim_end_matches('/')),
        (None, true) => format!("https://{bucket}.s3.{region}.amazonaws.com"),
        (None, false) => format!("https://s3.{region}.amazonaws.com/{bucket}"),
    }
}

/// Hands object_store the HTTP client the signed requests use.
#[derive(Debug)]
struct SharedClient(HttpClient);

impl HttpConnector for SharedClient {
    fn connect(&self, _: &ClientOptions) -> object_store::Result<HttpClient> {
        Ok(self.0.clone())
    }
}
