//! S3 Object Lock (WORM) on what the shipper uploads
//! (`ShipOptions::object_lock`): each segment object and signed head is
//! created with a retention mode and a date before which it cannot be
//! deleted or overwritten (compliance: by no one; governance: by no one
//! without the `s3:BypassGovernanceRetention` permission). Only a bucket
//! made with Object Lock enabled takes it: a shipper asked to lock objects
//! into another refuses to start, saying so. Remote prune asks each object
//! it would delete for its lock and stops at the first one locked
//! (`PruneReport::locked`).

#[cfg(feature = "s3")]
use super::{remote::Remote, signed::request, signed::Request};
use crate::error::Result;

/// How objects are locked: S3's two retention modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockMode {
    /// Deleted or overwritten before its date only by a user allowed
    /// `s3:BypassGovernanceRetention`.
    Governance,
    /// Deleted or overwritten before its date by no one, the account's
    /// root user included; the date cannot be moved earlier.
    Compliance,
}

/// The lock each object the shipper creates gets: `mode`, for `days`
/// (1 to 36,500) from its upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectLock {
    /// The retention mode.
    pub mode: LockMode,
    /// Days from each object's upload to its retention date.
    pub days: u32,
}

impl ObjectLock {
    /// The lock, if `days` is one the shipper takes.
    pub(crate) fn checked(self) -> Result<ObjectLock> {
        match self.days {
            1..=36_500 => Ok(self),
            d => Err(crate::Error::invalid(format!(
                "object lock of {d} days: from 1 to 36500"
            ))),
        }
    }

    /// The headers that lock an object created now (AWS wants a locked
    /// object's PUT to say which checksum it carries: it carries
    /// `x-amz-checksum-sha256`).
    pub(super) fn headers(&self) -> [(String, String); 3] {
        let mode = match self.mode {
            LockMode::Governance => "GOVERNANCE",
            LockMode::Compliance => "COMPLIANCE",
        };
        let until = iso_date(crate::clock::now_ns() + i64::from(self.days) * 86_400_000_000_000);
        [
            ("x-amz-object-lock-mode".into(), mode.into()),
            ("x-amz-object-lock-retain-until-date".into(), until),
            ("x-amz-sdk-checksum-algorithm".into(), "SHA256".into()),
        ]
    }
}

/// What keeps an object from being deleted now (`Remote::lock_of`,
/// `PruneReport::locked`); shown `until <date>` or `a legal hold`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ObjectLockHold {
    /// Its retention, until this date as the server wrote it
    /// (`2026-11-18T11:06:40Z`, perhaps with fractions of a second).
    Until(String),
    /// A legal hold (whatever its retention date).
    LegalHold,
}

impl std::fmt::Display for ObjectLockHold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ObjectLockHold::Until(date) => write!(f, "until {date}"),
            ObjectLockHold::LegalHold => f.write_str("a legal hold"),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of `ns` since the epoch: how S3 writes a date
/// (its answers may add fractions of a second: compare 19 characters).
fn iso_date(ns: i64) -> String {
    // `YYYYMMDDTHHMMSSZ`, the separators added.
    let s = crate::format::naming::utc_stamp(ns);
    let (y, mo, d) = (&s[0..4], &s[4..6], &s[6..8]);
    let (h, mi, sec) = (&s[9..11], &s[11..13], &s[13..15]);
    format!("{y}-{mo}-{d}T{h}:{mi}:{sec}Z")
}

// Compiled without the feature too (ffi/archive_absent.rs), for the types.
#[cfg(feature = "s3")]
impl Remote {
    /// Locks each segment object and signed head it creates from now on
    /// with `lock`, once the bucket is found to have Object Lock enabled:
    /// if not (or the server cannot say), an `InvalidArgument` error saying
    /// the shipper cannot lock its objects there.
    pub(super) fn lock_objects(&mut self, lock: ObjectLock) -> Result<()> {
        let doing = "GET the bucket's Object Lock configuration";
        let r = Request {
            query: vec![("object-lock", String::new())],
            ..request(http::Method::GET, "")
        };
        let r = self.signed_request("", doing, r)?;
        let enabled = b"<ObjectLockEnabled>Enabled</ObjectLockEnabled>";
        if r.status == 200 && r.body.windows(enabled.len()).any(|w| w == enabled) {
            self.lock = Some(lock.checked()?);
            return Ok(());
        }
        use crate::error::ErrorKind;
        let why = match self.expect_success("", doing, r) {
            Ok(_) => "its Object Lock is not enabled".to_string(),
            Err(e) if e.kind() == ErrorKind::PermissionDenied => return Err(e),
            Err(e) => e.message().to_string(),
        };
        let what = format!(
            "objects cannot be locked in this bucket ({why}): Object Lock is enabled when a \
             bucket is created"
        );
        Err(self.object_error("", ErrorKind::InvalidArgument, what))
    }

    /// What keeps the object at `key` from being deleted now: its
    /// retention or a legal hold; `None` if nothing does (a HEAD's headers).
    #[doc(hidden)]
    pub fn lock_of(&self, key: &str) -> Result<Option<ObjectLockHold>> {
        let r = self.send_ok(key, "HEAD", request(http::Method::HEAD, key))?;
        let header = |name| r.headers.get(name).and_then(|v| v.to_str().ok());
        if header("x-amz-object-lock-legal-hold") == Some("ON") {
            return Ok(Some(ObjectLockHold::LegalHold));
        }
        let now = iso_date(crate::clock::now_ns());
        let until = header("x-amz-object-lock-retain-until-date");
        let locked = until.filter(|u| u.get(..19).is_some_and(|u| u > &now[..19]));
        Ok(locked.map(|u| ObjectLockHold::Until(u.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_date_is_written_as_s3_writes_dates() {
        assert_eq!(iso_date(0), "1970-01-01T00:00:00Z");
        let ns = 1_795_000_000 * 1_000_000_000;
        assert_eq!(iso_date(ns), "2026-11-18T11:06:40Z");
    }

    #[test]
    fn a_lock_hold_is_shown_in_the_words_the_tool_prints() {
        let until = ObjectLockHold::Until("2026-11-18T11:06:40.123Z".into());
        assert_eq!(until.to_string(), "until 2026-11-18T11:06:40.123Z");
        assert_eq!(ObjectLockHold::LegalHold.to_string(), "a legal hold");
    }

    #[test]
    fn a_lock_of_no_days_or_beyond_a_century_is_refused() {
        let lock = |days| {
            ObjectLock {
                mode: LockMode::Governance,
                days,
            }
            .checked()
        };
        assert!(lock(0).is_err() && lock(36_501).is_err());
        assert!(lock(1).is_ok() && lock(36_500).is_ok());
    }
}
