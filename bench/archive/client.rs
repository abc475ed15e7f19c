//! The object_store client the baselines use, as the shipper builds its own
//! (src/archive/remote.rs) but with no checksum: plain PUTs and GETs, each
//! a blocking call on a current-thread runtime of the client's own.

use crate::common::s3::{S3Server, ACCESS_KEY, REGION, SECRET_KEY};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{ClientOptions, ObjectStore, PutPayload};
use std::future::Future;

pub struct Client {
    runtime: tokio::runtime::Runtime,
    store: AmazonS3,
}

impl Client {
    pub fn new(server: &S3Server) -> Client {
        let store = AmazonS3Builder::new()
            .with_endpoint(server.endpoint())
            .with_bucket_name(crate::BUCKET)
            .with_region(REGION)
            .with_access_key_id(ACCESS_KEY)
            .with_secret_access_key(SECRET_KEY)
            .with_virtual_hosted_style_request(false)
            .with_client_options(ClientOptions::new().with_allow_http(true))
            .build()
            .expect("S3 client");
        Client::with_store(store)
    }

    fn with_store(store: AmazonS3) -> Client {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        Client { runtime, store }
    }

    fn block_on<T>(&self, f: impl Future<Output = T>) -> T {
        self.runtime.block_on(f)
    }

    /// A plain PUT (overwrite mode, no checksum) of `body`; bodies above
    /// `multipart_threshold` go up in parts of `part_size`, one after the
    /// other, as the shipper sends them.
    pub fn put(&self, key: &str, body: Vec<u8>, multipart_threshold: u64, part_size: usize) {
        let key = Key::from(key);
        if body.len() as u64 <= multipart_threshold {
            self.block_on(self.store.put(&key, PutPayload::from(body)))
                .unwrap_or_else(|e| panic!("PUT {key}: {e}"));
            return;
        }
        self.block_on(async {
            let mut upload = self.store.put_multipart(&key).await?;
            for part in body.chunks(part_size) {
                upload.put_part(PutPayload::from(part.to_vec())).await?;
            }
            upload.complete().await
        })
        .unwrap_or_else(|e| panic!("multipart PUT {key}: {e}"));
    }

    /// The whole object, in one GET.
    pub fn get(&self, key: &str) -> Vec<u8> {
        let key = Key::from(key);
        self.block_on(async { self.store.get(&key).await?.bytes().await })
            .unwrap_or_else(|e| panic!("GET {key}: {e}"))
            .to_vec()
    }

    /// Deletes every object directly under `dir` (which ends in '/').
    pub fn delete_under(&self, dir: &str) {
        let prefix = Key::from(dir.trim_end_matches('/'));
        self.block_on(async {
            let listed = self.store.list_with_delimiter(Some(&prefix)).await?;
            for o in listed.objects {
                self.store.delete(&o.location).await?;
            }
            Ok::<_, object_store::Error>(())
        })
        .unwrap_or_else(|e| panic!("delete under {dir}: {e}"));
    }
}
