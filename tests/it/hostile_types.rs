//! Type ids that no segment could hold: a CRC-valid record that uses (or
//! defines) a type id far above the types defined before it. Readers that
//! skip damage name a type whose definition was lost in a damaged region
//! (`<lost type N>`), and `binlog verify` keeps a table by id: neither may
//! size a table by an id read from the file (4 billion entries for
//! `u32::MAX`), only by what the bytes before the record could have defined.

use crate::common;

use binlog::format::frame::{encode_record, RecordHead};
use binlog::{ErrorKind, Options, Reader, Writer};
use common::TempDir;
use std::os::unix::process::CommandExt;
use std::path::Path;

/// An unsealed segment: records 0 and 1 of type "a", then record 2, CRC
/// valid, using type id `id` that nothing defined (or defining it, if
/// `define`), then record 3 of type "a".
fn segment_with_type_id(path: &Path, id: u32, define: bool) {
    let w = Writer::open(path, Options::default()).unwrap();
    w.write_with("a", &[], Some(1), b"zero").unwrap();
    w.write_with("a", &[], Some(2), b"one").unwrap();
    w.flush().unwrap();
    // The records as flushed, before closing adds the seal.
    let mut bytes = std::fs::read(path).unwrap();
    w.close().unwrap();
    for (seq, type_id, define) in [(2, id, define), (3, 0, false)] {
        let head = RecordHead {
            seq,
            timestamp_ns: 3,
            type_id,
            define: define.then_some(&b"big"[..]),
            meta: &[],
        };
        encode_record(&mut bytes, &head, &[b"payload"]);
    }
    std::fs::write(path, &bytes).unwrap();
}

/// Type id 10 million, nothing defined it: a skipping reader reports the
/// record as damage (two records of 30 bytes cannot have defined ten
/// million types) instead of naming it `<lost type 10000000>` after
/// filling a table of ten million names.
#[test]
fn a_skipping_reader_does_not_size_its_type_table_by_a_hostile_id() {
    let dir = TempDir::new("hostile-type-id");
    for define in [false, true] {
        let p = dir.join(format!("seg-{define}.binlog"));
        segment_with_type_id(&p, 10_000_000, define);

        // A plain reader stops at the record: its type is undefined.
        let mut r = Reader::open(&p).unwrap();
        assert_eq!(r.next().unwrap().unwrap().seq, 0);
        assert_eq!(r.next().unwrap().unwrap().seq, 1);
        let e = r.next().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");

        let mut r = Reader::open(&p).unwrap();
        r.skip_damaged(true);
        let mut got = Vec::new();
        while let Some(rec) = r.next().unwrap() {
            got.push((rec.seq, rec.type_name.to_string()));
        }
        assert_eq!(
            got,
            [(0, "a".to_string()), (1, "a".into()), (3, "a".into())],
            "define {define}"
        );
        assert_eq!(r.damages().len(), 1, "{:?}", r.damages());
        assert_eq!(r.damages()[0].from_seq, 2);
        assert!(
            r.types().len() < 10,
            "define {define}: the reader holds {} type names",
            r.types().len()
        );
    }
}

/// `binlog verify` on a record using type id `u32::MAX` reports it at its
/// offset, as damage naming the impossible id (the library's reader takes
/// it for damage too: docs/FORMAT.md section 10.4), without growing a
/// table to 4 billion entries (about 170 GB).
#[test]
fn verify_reports_an_impossible_type_id_without_a_table_of_that_size() {
    let dir = TempDir::new("hostile-type-id-verify");
    for define in [false, true] {
        let p = dir.join(format!("seg-{define}.binlog"));
        segment_with_type_id(&p, u32::MAX, define);
        let offset = {
            let mut r = Reader::open(&p).unwrap();
            r.next().unwrap();
            r.next().unwrap();
            r.position()
        };
        let mut cmd = crate::common::child::command(crate::common::cli::tool());
        cmd.arg("verify").arg(&p);
        // 4 GiB of address space: tables sized by the id fail to allocate
        // at once instead of filling the machine's memory.
        unsafe {
            cmd.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: 4 << 30,
                    rlim_max: 4 << 30,
                };
                if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "define {define}: exit {:?}, stdout {stdout}, stderr {stderr}",
            out.status
        );
        assert!(
            stdout.contains(&format!("offset {offset}: corrupt: type id {}", u32::MAX)),
            "define {define}: {stdout}"
        );
    }
}
