//! For the unit tests of this module: a sealed segment to compress.

use crate::{Options, Writer};
use std::path::PathBuf;

/// A sealed segment of 2000 records of 400 bytes, in a directory of its
/// own named after `name` (the caller removes it).
pub fn sealed(name: &str) -> PathBuf {
    let path = crate::sys::scratch::empty_dir(&format!("compress-{name}")).join("seg.binlog");
    let w = Writer::open(&path, Options::default()).unwrap();
    for i in 0..2000u32 {
        let payload: Vec<u8> = (0..400u32).map(|j| (i * 7 + j * 13) as u8).collect();
        w.write("t", &payload).unwrap();
    }
    w.close().unwrap();
    path
}
