//! One shipper per log: `Shipper::open` takes the log's ship lock
//! (`<log>.ship.lock`), a second open of the same log is `Locked` while
//! the first lives, and dropping a shipper releases the lock, also while
//! a child forked after its open (which holds a copy of the lock's
//! descriptor) still runs. Against versitygw on 127.0.0.1
//! (tests/it/common/s3.rs).

use crate::common;

use binlog::archive::{Location, ShipOptions, Shipper};
use binlog::ErrorKind;
use common::s3::S3Server;
use common::TempDir;
use std::path::Path;

fn open(server: &S3Server, dir: &Path) -> binlog::Result<Shipper> {
    let to = Location::parse("s3://logs/locked").unwrap();
    let opts = ShipOptions {
        connection: server.connection(),
        ..ShipOptions::default()
    };
    Shipper::open(dir, "orders", &to, opts)
}

#[test]
fn a_second_shipper_of_a_log_is_refused_until_the_first_is_dropped() {
    let server = S3Server::start(&["logs"]);
    let dir = TempDir::new("ship-lock");
    common::append_orders(dir.path(), 20, 10);
    let first = open(&server, dir.path()).unwrap();
    let e = open(&server, dir.path()).err().expect("a second shipper");
    assert_eq!(e.kind(), ErrorKind::Locked, "{e}");
    assert!(e.message().contains("orders.ship.lock"), "{e}");
    drop(first);
    open(&server, dir.path()).expect("the lock was released");
}

#[test]
fn a_dropped_shippers_lock_is_released_while_a_child_forked_after_its_open_runs() {
    let server = S3Server::start(&["logs"]);
    let dir = TempDir::new("ship-lock-fork");
    common::append_orders(dir.path(), 20, 10);
    let first = open(&server, dir.path()).unwrap();
    // SAFETY: the child calls only async-signal-safe functions (pause,
    // _exit) and is killed below.
    let child = unsafe { libc::fork() };
    assert!(child >= 0, "fork failed");
    if child == 0 {
        unsafe {
            libc::pause();
            libc::_exit(0);
        }
    }
    drop(first);
    let again = open(&server, dir.path());
    // SAFETY: `child` is this process's child, not yet waited for.
    unsafe {
        libc::kill(child, libc::SIGKILL);
        libc::waitpid(child, std::ptr::null_mut(), 0);
    }
    again.expect("the lock was released though the child holds its descriptor");
}
