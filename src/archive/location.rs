//! Where a log ships to (`s3://bucket/prefix`) and how to reach it: the
//! endpoint, region, credentials and addressing, from the usual AWS
//! environment variables unless the caller sets them.

use crate::error::{Error, Result};
use std::time::Duration;

/// A bucket and a key prefix: `s3://bucket/prefix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The bucket's name.
    pub bucket: String,
    /// The prefix without leading or trailing '/' (may be empty).
    pub prefix: String,
}

impl Location {
    /// Parses `s3://bucket[/prefix]`.
    pub fn parse(url: &str) -> Result<Location> {
        let bad =
            |why: &str| Error::invalid(format!("{url:?}: {why} (expected s3://bucket/prefix)"));
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| bad("not an s3:// URL"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let named = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-';
        if !(3..=63).contains(&bucket.len()) || !bucket.bytes().all(named) {
            return Err(bad("bucket names are 3 to 63 of a-z 0-9 . -"));
        }
        let prefix = prefix.trim_matches('/');
        if !prefix.is_empty() && prefix.split('/').any(|p| ["", ".", ".."].contains(&p)) {
            return Err(bad("the prefix has an empty, '.' or '..' part"));
        }
        Ok(Location {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }

    /// `s3://bucket/key`, how errors name an object.
    pub fn url_of(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.prefix.as_str() {
            "" => write!(f, "s3://{}", self.bucket),
            p => write!(f, "s3://{}/{p}", self.bucket),
        }
    }
}

/// How to reach the bucket. Every field left `None` comes from the
/// environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, `AWS_REGION` (or `AWS_DEFAULT_REGION`),
/// `AWS_ENDPOINT_URL` (an S3-compatible server), and
/// `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`; without them, AWS's own endpoint of
/// the region, path-style addressing.
#[derive(Clone, Debug, Default)]
pub struct Connection {
    /// The server's URL (`AWS_ENDPOINT_URL`), for an S3-compatible server.
    pub endpoint: Option<String>,
    /// The region (`AWS_REGION`, `AWS_DEFAULT_REGION`).
    pub region: Option<String>,
    /// The access key's id (`AWS_ACCESS_KEY_ID`).
    pub access_key_id: Option<String>,
    /// The secret access key (`AWS_SECRET_ACCESS_KEY`).
    pub secret_access_key: Option<String>,
    /// `bucket.host/key` instead of `host/bucket/key`.
    pub virtual_hosted_style: Option<bool>,
    /// The longest one request may take (default 60 s, or the retry
    /// timeout if that is shorter and not zero).
    pub request_timeout: Option<Duration>,
    /// How long failed requests are retried, with backoff, before the
    /// failure is returned, however many tries that takes (default 3
    /// minutes): a server that is down, refuses connections or stops
    /// answering fails a call in about this long (a request's own timeout
    /// is at most this long unless `request_timeout` says otherwise), with
    /// an error naming the server's URL and the cause.
    pub retry_timeout: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_print() {
        let l = Location::parse("s3://my-bucket/a/b/").unwrap();
        assert_eq!((l.bucket.as_str(), l.prefix.as_str()), ("my-bucket", "a/b"));
        assert_eq!(l.to_string(), "s3://my-bucket/a/b");
        assert_eq!(l.url_of("a/b/x"), "s3://my-bucket/a/b/x");
        assert_eq!(Location::parse("s3://bkt").unwrap().prefix, "");
        for bad in [
            "http://b/x",
            "s3://B/x",
            "s3://ab/x",
            "s3://bkt/a//b",
            "s3://bkt/a/../b",
        ] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
    }
}
