//! Writes a record to `<dir>/dependent.binlog` and reads it back through
//! libbinlog's Rust API; prints "dependent ok: libbinlog <version>": the
//! release check's Rust consumer (packaging/release/check.sh), built
//! against the crate file.

fn main() -> binlog::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .expect("usage: release-consumer DIR");
    let path = std::path::Path::new(&dir).join("dependent.binlog");
    let writer = binlog::Writer::open(&path, binlog::Options::default())?;
    writer.write("greeting", b"hello")?;
    writer.close()?;
    let mut reader = binlog::Reader::open(&path)?;
    let record = reader.next()?.expect("the record written");
    assert_eq!(record.payload, b"hello");
    println!("dependent ok: libbinlog {}", binlog::version::VERSION);
    Ok(())
}
