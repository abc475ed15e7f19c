//! The store settings object_store takes from the environment, as the
//! uploads the archive signs itself honour them (a real versitygw). One
//! test in its own binary: it sets process environment variables, which
//! every `Remote::connect` of the process reads. versitygw accepts the
//! encryption headers but keeps no trace of them: what is checked is that
//! the signed uploads carrying them are accepted (signature and all).

mod common;

use binlog::archive::remote::Remote;
use binlog::archive::Location;
use binlog::ErrorKind;
use common::s3::S3Server;
use common::shipping::{open, options, shipped, BUCKET};
use common::TempDir;

#[test]
fn uploads_carrying_the_encryption_asked_for_are_accepted_and_unsupported_settings_refused() {
    let server = S3Server::start(&[BUCKET]);
    let dir = TempDir::new("store-settings");
    common::append_orders(dir.path(), 9, 2);
    // SAFETY: the only test of this binary; no other thread reads the
    // environment meanwhile.
    unsafe { std::env::set_var("AWS_SERVER_SIDE_ENCRYPTION", "AES256") };
    let mut s = open(dir.path(), "sse", options(&server, server.endpoint())).unwrap();
    let r = s.ship_once().unwrap();
    assert_eq!(shipped(std::slice::from_ref(&r)), [0, 1, 2, 3, 4]);
    drop(s);
    unsafe { std::env::remove_var("AWS_SERVER_SIDE_ENCRYPTION") };

    unsafe { std::env::set_var("AWS_SKIP_SIGNATURE", "true") };
    let at = Location::parse(&format!("s3://{BUCKET}/sse")).unwrap();
    let e = Remote::connect(&at, &server.connection())
        .err()
        .expect("refused");
    unsafe { std::env::remove_var("AWS_SKIP_SIGNATURE") };
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.to_string().contains("AWS_SKIP_SIGNATURE"), "{e}");
}
