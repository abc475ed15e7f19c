//! The bucket settings object_store's builder took (from the environment:
//! `AWS_SERVER_SIDE_ENCRYPTION`, `AWS_SSE_KMS_KEY_ID`,
//! `AWS_SSE_BUCKET_KEY_ENABLED`, `AWS_REQUEST_PAYER`, ...) that the
//! requests signed here (signed.rs) must honour as object_store's own
//! requests do: as headers, which the signature covers. A setting the
//! signed requests cannot honour is refused, never ignored: an object
//! stored without the encryption asked for is not an option.

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};

/// The settings, as the builder holds them (unparsed).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct StoreSettings {
    pub encryption: Option<String>,
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: Option<String>,
    pub request_payer: Option<String>,
    pub skip_signature: Option<String>,
    pub s3_express: Option<String>,
}

/// The headers the signed requests add.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct SettingHeaders {
    /// On every request (`x-amz-request-payer`).
    pub every_request: Vec<(String, String)>,
    /// On each request that creates an object: the create-only PUT and
    /// CreateMultipartUpload (server-side encryption).
    pub object_creation: Vec<(String, String)>,
}

impl StoreSettings {
    /// The settings `b` holds.
    pub fn of(b: &AmazonS3Builder) -> StoreSettings {
        let get = |k: AmazonS3ConfigKey| b.get_config_value(&k);
        // object_store does not export its encryption key type: its
        // settings are named by their configuration names.
        let named = |name: &str| name.parse().ok().and_then(get);
        StoreSettings {
            encryption: named("aws_server_side_encryption"),
            kms_key_id: named("aws_sse_kms_key_id"),
            bucket_key_enabled: named("aws_sse_bucket_key_enabled"),
            request_payer: get(AmazonS3ConfigKey::RequestPayer),
            skip_signature: get(AmazonS3ConfigKey::SkipSignature),
            s3_express: get(AmazonS3ConfigKey::S3Express),
        }
    }

    /// The headers these settings ask for, or why the signed requests
    /// cannot honour them (naming the setting).
    pub fn headers(&self) -> Result<SettingHeaders, String> {
        if truthy("AWS_SKIP_SIGNATURE", &self.skip_signature)? {
            let why = "AWS_SKIP_SIGNATURE is set: the archive's uploads are signed requests and \
                       cannot be sent unsigned";
            return Err(why.into());
        }
        if truthy("AWS_S3_EXPRESS", &self.s3_express)? {
            let why = "AWS_S3_EXPRESS is set: the archive's uploads do not support S3 Express \
                       One Zone buckets";
            return Err(why.into());
        }
        let mut h = SettingHeaders::default();
        if truthy("AWS_REQUEST_PAYER", &self.request_payer)? {
            h.every_request
                .push(("x-amz-request-payer".into(), "requester".into()));
        }
        let encryption = match self.encryption.as_deref() {
            None if self.kms_key_id.is_some() || self.bucket_key_enabled.is_some() => {
                let why = "AWS_SSE_KMS_KEY_ID or AWS_SSE_BUCKET_KEY_ENABLED is set without \
                           AWS_SERVER_SIDE_ENCRYPTION";
                return Err(why.into());
            }
            None => return Ok(h),
            Some(e @ ("AES256" | "aws:kms" | "aws:kms:dsse")) => e,
            Some("sse-c") => {
                let why = "AWS_SERVER_SIDE_ENCRYPTION=sse-c: the archive's uploads do not \
                           support customer-provided keys";
                return Err(why.into());
            }
            Some(other) => {
                return Err(format!(
                    "AWS_SERVER_SIDE_ENCRYPTION={other}: not one of AES256, aws:kms, aws:kms:dsse"
                ))
            }
        };
        // x-amz-server-side-encryption, -aws-kms-key-id, -bucket-key-enabled.
        let sse = "x-amz-server-side-encryption";
        let o = &mut h.object_creation;
        o.push((sse.into(), encryption.into()));
        if let Some(id) = &self.kms_key_id {
            o.push((format!("{sse}-aws-kms-key-id"), id.clone()));
        }
        if self.bucket_key_enabled.is_some() {
            let on = truthy("AWS_SSE_BUCKET_KEY_ENABLED", &self.bucket_key_enabled)?;
            o.push((format!("{sse}-bucket-key-enabled"), on.to_string()));
        }
        Ok(h)
    }
}

/// `value` read as object_store reads a boolean setting (absent: false).
fn truthy(name: &str, value: &Option<String>) -> Result<bool, String> {
    let Some(v) = value else { return Ok(false) };
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" | "y" => Ok(true),
        "0" | "false" | "off" | "no" | "n" => Ok(false),
        _ => Err(format!("{name}={v}: not a boolean")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(n: &str, v: &str) -> (String, String) {
        (n.into(), v.into())
    }

    #[test]
    fn no_settings_add_no_headers() {
        let defaults = StoreSettings {
            request_payer: Some("false".into()),
            skip_signature: Some("false".into()),
            s3_express: Some("false".into()),
            ..StoreSettings::default()
        };
        assert_eq!(defaults.headers(), Ok(SettingHeaders::default()));
    }

    #[test]
    fn encryption_settings_become_object_creation_headers() {
        let s = StoreSettings {
            encryption: Some("aws:kms".into()),
            kms_key_id: Some("key-1".into()),
            bucket_key_enabled: Some("true".into()),
            ..StoreSettings::default()
        };
        let h = s.headers().unwrap();
        assert_eq!(
            h.object_creation,
            [
                pair("x-amz-server-side-encryption", "aws:kms"),
                pair("x-amz-server-side-encryption-aws-kms-key-id", "key-1"),
                pair("x-amz-server-side-encryption-bucket-key-enabled", "true"),
            ]
        );
        assert!(h.every_request.is_empty());
        let aes = StoreSettings {
            encryption: Some("AES256".into()),
            ..StoreSettings::default()
        };
        assert_eq!(
            aes.headers().unwrap().object_creation,
            [pair("x-amz-server-side-encryption", "AES256")]
        );
    }

    #[test]
    fn request_payer_goes_on_every_request() {
        let s = StoreSettings {
            request_payer: Some("true".into()),
            ..StoreSettings::default()
        };
        let h = s.headers().unwrap();
        assert_eq!(h.every_request, [pair("x-amz-request-payer", "requester")]);
        assert!(h.object_creation.is_empty());
    }

    #[test]
    fn settings_the_signed_requests_cannot_honour_are_refused_by_name() {
        // Each setting, set alone, is refused naming it.
        let refused = |set: &dyn Fn(&mut StoreSettings), name: &str| {
            let mut s = StoreSettings::default();
            set(&mut s);
            let why = s.headers().unwrap_err();
            assert!(why.contains(name), "{why}");
        };
        let on = || Some("true".to_string());
        refused(&|s| s.skip_signature = on(), "AWS_SKIP_SIGNATURE");
        refused(&|s| s.s3_express = on(), "AWS_S3_EXPRESS");
        refused(&|s| s.encryption = Some("sse-c".into()), "sse-c");
        refused(
            &|s| s.encryption = Some("rot13".into()),
            "AWS_SERVER_SIDE_ENCRYPTION",
        );
        refused(
            &|s| s.kms_key_id = Some("key-1".into()),
            "AWS_SSE_KMS_KEY_ID",
        );
    }
}
