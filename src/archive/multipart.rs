//! Multipart uploads, each request signed by us (signed.rs), because
//! object_store's API creates one without telling its id to a caller that
//! restarts, and completes one only in overwrite mode: here the upload is
//! created with the object's metadata and its id returned (the shipper
//! journals it before the first part), completed with `If-None-Match: *`
//! (a 412 is `AlreadyExists`), aborted by id, and listed under a prefix
//! (the uploads a crash left behind).

use super::digest::sha256_of;
use super::metadata::ObjectMetadata;
use super::remote::{Created, Remote};
use super::signed::{request, Request, Response};
use crate::error::{ErrorKind, Result};
use http::Method;

/// A multipart upload in progress: its key and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upload {
    pub key: String,
    pub id: String,
}

/// An uploaded part, as the completion names it.
#[derive(Clone, Debug)]
pub struct Part {
    pub number: u32,
    pub etag: String,
    /// The part's SHA-256, base64 (the server checked the part against it).
    pub sha256: String,
}

#[doc(hidden)]
impl Remote {
    /// Creates a multipart upload to `key` whose object gets `meta`; its id.
    pub fn create_multipart(&self, key: &str, meta: &ObjectMetadata) -> Result<String> {
        let mut headers = self.object_creation_headers(Some(meta));
        headers.push(("x-amz-checksum-algorithm".into(), "SHA256".into()));
        let doing = "create multipart upload";
        let r = Request {
            query: vec![("uploads", String::new())],
            headers,
            ..request(Method::POST, key)
        };
        let r = self.send_ok(key, doing, r)?;
        xml_value(&r.body, "UploadId")
            .ok_or_else(|| self.failed(key, doing, "no UploadId in the answer"))
    }

    /// Uploads part `number` (from 1) of upload `id` to `key`.
    pub fn upload_part(&self, key: &str, id: &str, number: u32, bytes: Vec<u8>) -> Result<Part> {
        let sha = sha256_of(&bytes);
        let checksum = super::digest::base64(&sha);
        let doing = format!("upload part {number}");
        let r = Request {
            query: vec![("partNumber", number.to_string()), ("uploadId", id.into())],
            headers: vec![("x-amz-checksum-sha256".into(), checksum.clone())],
            body: bytes,
            sha256: Some(sha),
            ..request(Method::PUT, key)
        };
        let r = self.send_ok(key, &doing, r)?;
        let etag = r.headers.get("etag").and_then(|v| v.to_str().ok());
        let etag = etag.ok_or_else(|| self.failed(key, &doing, "no ETag in the answer"))?;
        Ok(Part {
            number,
            etag: etag.to_string(),
            sha256: checksum,
        })
    }

    /// Completes upload `id` of `key` from `parts`, only if no object has
    /// that key (`If-None-Match: *`): `AlreadyExists` on a 412.
    pub fn complete_multipart(&self, key: &str, id: &str, parts: &[Part]) -> Result<Created> {
        let mut body = String::from("<CompleteMultipartUpload>");
        for p in parts {
            body += &format!(
                "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag><ChecksumSHA256>{}</ChecksumSHA256></Part>",
                p.number,
                xml_escape(&p.etag),
                p.sha256
            );
        }
        body += "</CompleteMultipartUpload>";
        let doing = "complete multipart upload";
        let r = Request {
            query: vec![("uploadId", id.into())],
            headers: vec![("if-none-match".into(), "*".into())],
            body: body.into_bytes(),
            ..request(Method::POST, key)
        };
        let r = self.signed_request(key, doing, r)?;
        // S3 may answer 200 and report a failure in the body.
        let failed = xml_value(&r.body, "Code").filter(|_| (200..300).contains(&r.status));
        if let Some(code) = failed {
            return Err(self.failed(key, doing, &code));
        }
        self.created(key, doing, r)
    }

    /// Aborts upload `id` of `key`; one already finished or aborted
    /// (404) is no error.
    pub fn abort_multipart(&self, key: &str, id: &str) -> Result<()> {
        self.abort(key, id, false)
    }

    /// As `abort_multipart`, but one the credentials may not abort (403
    /// AccessDenied) is left, no error.
    pub(crate) fn abort_multipart_if_allowed(&self, key: &str, id: &str) -> Result<()> {
        self.abort(key, id, true)
    }

    fn abort(&self, key: &str, id: &str, may_be_refused: bool) -> Result<()> {
        let doing = "abort multipart upload";
        let r = Request {
            query: vec![("uploadId", id.into())],
            ..request(Method::DELETE, key)
        };
        let r = self.signed_request(key, doing, r)?;
        if r.status == 404 || may_be_refused && refused(r.status, &error_code(&r)) {
            return Ok(());
        }
        self.expect_success(key, doing, r).map(|_| ())
    }

    /// The multipart uploads in progress whose keys start with `prefix`.
    #[cfg(any(test, feature = "internals"))]
    pub fn multipart_uploads(&self, prefix: &str) -> Result<Vec<Upload>> {
        self.list_uploads(prefix, |_| false)
    }

    /// As `multipart_uploads`, but none if the listing is not to be had:
    /// the credentials may not list (403 AccessDenied) or the server has
    /// no such listing (501).
    pub(crate) fn multipart_uploads_if_listable(&self, prefix: &str) -> Result<Vec<Upload>> {
        self.list_uploads(prefix, |r| listing_unavailable(r.status, &error_code(r)))
    }

    /// The uploads under `prefix`, page by page; none as soon as an
    /// answer is `unavailable`.
    fn list_uploads(
        &self,
        prefix: &str,
        unavailable: impl Fn(&Response) -> bool,
    ) -> Result<Vec<Upload>> {
        let doing = "list multipart uploads";
        let mut out = Vec::new();
        let mut markers: Option<(String, String)> = None;
        loop {
            let mut query = vec![("prefix", prefix.to_string()), ("uploads", String::new())];
            if let Some((key, id)) = &markers {
                query.push(("key-marker", key.clone()));
                query.push(("upload-id-marker", id.clone()));
            }
            let r = Request {
                query,
                ..request(Method::GET, "")
            };
            let r = self.signed_request(prefix, doing, r)?;
            if unavailable(&r) {
                return Ok(Vec::new());
            }
            let r = self.expect_success(prefix, doing, r)?;
            let text = String::from_utf8_lossy(&r.body);
            for block in xml_blocks(&text, "Upload") {
                let value = |tag| xml_value(block.as_bytes(), tag);
                if let (Some(key), Some(id)) = (value("Key"), value("UploadId")) {
                    out.push(Upload { key, id });
                }
            }
            let value = |tag| xml_value(&r.body, tag);
            let next = value("NextKeyMarker").zip(value("NextUploadIdMarker"));
            if value("IsTruncated").as_deref() != Some("true") || next.is_none() || next == markers
            {
                return Ok(out);
            }
            markers = next;
        }
    }

    /// `r` answered with a 2xx status, or the error naming `key`, the
    /// status, and the server's error code and message.
    pub(super) fn expect_success(&self, key: &str, doing: &str, r: Response) -> Result<Response> {
        if (200..300).contains(&r.status) {
            return Ok(r);
        }
        let code = error_code(&r);
        let kind = error_kind(r.status, &code);
        let message = xml_value(&r.body, "Message").map_or(String::new(), |m| format!(": {m}"));
        let what = format!("{doing}: status {} {code}{message}", r.status);
        Err(self.object_error(key, kind, what))
    }
}

/// The error code (`<Code>`) of an answer, `""` if it has none.
fn error_code(r: &Response) -> String {
    xml_value(&r.body, "Code").unwrap_or_default()
}

/// The kind of error an answer of `status` with error code `code` is:
/// `NotFound` ("object or log not found") only for a missing object or
/// bucket, never for a missing upload (`NoSuchUpload`: a remote error).
fn error_kind(status: u16, code: &str) -> ErrorKind {
    match (status, code) {
        (401 | 403, _) => ErrorKind::PermissionDenied,
        (404, "NoSuchKey" | "NoSuchBucket") => ErrorKind::NotFound,
        _ => ErrorKind::Remote,
    }
}

/// Whether an answer of `status` with error code `code` refuses the
/// credentials the permission: only `AccessDenied` (S3 answers 403 for a
/// bad signature, a skewed clock or an expired token too: errors to
/// report, never to pass over as a missing permission).
fn refused(status: u16, code: &str) -> bool {
    matches!((status, code), (401 | 403, "AccessDenied"))
}

/// Whether an answer of `status` with error code `code` to a listing of
/// multipart uploads says that none is to be had: not allowed, or not
/// implemented by the server.
fn listing_unavailable(status: u16, code: &str) -> bool {
    status == 501 || refused(status, code)
}

/// The text of the first `<tag>` element in `xml`, unescaped.
fn xml_value(xml: &[u8], tag: &str) -> Option<String> {
    let text = String::from_utf8_lossy(xml);
    let value = xml_blocks(&text, tag).next();
    value.map(|v| xml_unescape(&v))
}

/// The contents of each `<tag>...</tag>` element of `xml`, in order (the
/// answers parsed here have no attributes on these elements).
fn xml_blocks<'a>(xml: &'a str, tag: &str) -> impl Iterator<Item = String> + 'a {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut rest = xml;
    std::iter::from_fn(move || {
        let start = rest.find(&open)? + open.len();
        let end = start + rest[start..].find(&close)?;
        let inner = rest[start..end].to_string();
        rest = &rest[end + close.len()..];
        Some(inner)
    })
}

fn xml_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_answers_are_read_element_by_element() {
        let xml = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>\
            <Upload><Key>p/a&amp;b</Key><UploadId>1</UploadId></Upload>\
            <Upload><Key>p/c</Key><UploadId>2</UploadId></Upload></ListMultipartUploadsResult>";
        let uploads: Vec<_> = xml_blocks(xml, "Upload")
            .map(|b| {
                (
                    xml_value(b.as_bytes(), "Key"),
                    xml_value(b.as_bytes(), "UploadId"),
                )
            })
            .collect();
        assert_eq!(
            uploads,
            [
                (Some("p/a&b".into()), Some("1".into())),
                (Some("p/c".into()), Some("2".into()))
            ]
        );
        assert_eq!(
            xml_value(xml.as_bytes(), "IsTruncated").as_deref(),
            Some("false")
        );
        assert_eq!(xml_value(xml.as_bytes(), "Code"), None);
    }

    #[test]
    fn only_access_denied_is_a_refused_permission() {
        assert!(refused(403, "AccessDenied"));
        for code in [
            "SignatureDoesNotMatch",
            "RequestTimeTooSkewed",
            "ExpiredToken",
            "",
        ] {
            assert!(!refused(403, code), "{code}");
        }
        assert!(!refused(500, "AccessDenied"));
    }

    #[test]
    fn only_a_missing_object_or_bucket_is_not_found() {
        assert_eq!(error_kind(404, "NoSuchKey"), ErrorKind::NotFound);
        assert_eq!(error_kind(404, "NoSuchBucket"), ErrorKind::NotFound);
        assert_eq!(error_kind(404, "NoSuchUpload"), ErrorKind::Remote);
        assert_eq!(error_kind(404, ""), ErrorKind::Remote);
        assert_eq!(
            error_kind(403, "SignatureDoesNotMatch"),
            ErrorKind::PermissionDenied
        );
        assert_eq!(error_kind(503, "SlowDown"), ErrorKind::Remote);
    }

    #[test]
    fn a_listing_refused_or_not_implemented_is_unavailable() {
        assert!(listing_unavailable(403, "AccessDenied"));
        assert!(listing_unavailable(501, "NotImplemented"));
        assert!(!listing_unavailable(403, "SignatureDoesNotMatch"));
        assert!(!listing_unavailable(500, "InternalError"));
        assert!(!listing_unavailable(200, ""));
    }
}
