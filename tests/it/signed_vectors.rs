//! Golden signed segments and heads (docs/FORMAT.md section 8.6 and
//! "Golden vectors"), for whoever writes a verifier of their own:
//!
//! - `signed.binlog`: a segment sealed by the one key in `signing.key`
//!   (RFC 8032's first test key; public key in `signing.key.pub`);
//! - `epoch-signed.binlog`: one sealed by the epoch key file
//!   `signing.epochs` (master: that key; two hourly epochs), whose records
//!   are in epoch 1, so epoch 1's key signs it (tag 02);
//! - `signed.head`, `epoch-signed.head`: signed heads of those segments.
//!
//! The key files and the heads were made from FORMAT.md by another
//! implementation (`tests/vectors/signed_vectors.py`: Python's blake3 and
//! cryptography), not by this library:
//! the library reading them (each epoch's certificate checked) and
//! verifying the heads checks the document's bytes against the code. Each
//! segment is written again and compared byte for byte (Ed25519 signatures
//! are deterministic); `BINLOG_UPDATE_VECTORS=1 tests/run_rust_tests.sh
//! signed_vectors` rewrites the segments (a change is a format change).
//! Its link is computed from the file's bytes as FORMAT.md says, apart
//! from the library's decoder, and must be the one FORMAT.md gives.

use crate::common::TempDir;
use binlog::format::seal::Trailer;
use binlog::sign::{PublicKey, SignedHead, Signing};
use binlog::verify::Verify;
use binlog::{Durability, Options, Reader, Writer};
use ring::signature::{UnparsedPublicKey, ED25519};
use std::path::{Path, PathBuf};

const T0: i64 = 1_700_000_000_000_000_000; // 2023-11-14T22:13:20Z
const HOUR: i64 = 3_600_000_000_000;

/// The public keys: the one key (the epochs' master), epoch 1's.
const KEY: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
const EPOCH_1_KEY: &str = "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025";

/// The links FORMAT.md gives (section "Golden vectors").
const SIGNED_LINK: &str = "1e456f563841e97de21b7a2556cb67cbb9026bc06f814449100a16ab27045751";
const EPOCH_SIGNED_LINK: &str = "63e2a24206b1f008e652defef764f7bb0efb53f7d7c33a48d984b8d9c1f09884";

/// A vector: its name, the key file that signs it, where its records are.
struct Vector {
    name: &'static str,
    key_file: &'static str,
    first_ts: i64,
}

const SIGNED: Vector = Vector {
    name: "signed",
    key_file: "signing.key",
    first_ts: T0,
};
const EPOCH_SIGNED: Vector = Vector {
    name: "epoch-signed",
    key_file: "signing.epochs",
    first_ts: T0 + HOUR + 1_000,
};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn unhex<const N: usize>(text: &str) -> [u8; N] {
    let b: Vec<u8> = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect();
    b.try_into().unwrap()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Writes vector `v` with the Rust API (a copy of its key file signing:
/// a lone segment's writer erases no epoch key, but the committed file
/// stays untouched all the same); its bytes.
fn generate(v: &Vector) -> Vec<u8> {
    let t = TempDir::new(&format!("gen-{}", v.name));
    let key = t.join(v.key_file);
    std::fs::copy(vectors_dir().join(v.key_file), &key).unwrap();
    // Checked out 0644; a secret key file others may read is refused.
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let opts = Options {
        log_name: "golden".into(),
        first_seq: 40,
        segment_no: 3,
        created_ns: Some(T0),
        writer_version: "libbinlog/golden".into(),
        durability: Durability::None,
        signing: Some(Signing::from_key_file(&key).unwrap()),
        ..Options::default()
    };
    let p = t.join("v.binlog");
    let w = Writer::open(&p, opts).unwrap();
    let records: [(&str, &[u8]); 3] = [
        ("order", b"BUY 100 ACME"),
        ("trade", b""),
        ("order", b"SELL 5"),
    ];
    for (i, (ty, payload)) in records.into_iter().enumerate() {
        w.write_with(ty, &[], Some(v.first_ts + i as i64 * 1_000), payload)
            .unwrap();
    }
    w.close().unwrap();
    std::fs::read(&p).unwrap()
}

/// The committed bytes of vector `v` (written first with
/// BINLOG_UPDATE_VECTORS=1), and its path.
fn committed(v: &Vector) -> (Vec<u8>, PathBuf) {
    let path = vectors_dir().join(format!("{}.binlog", v.name));
    if std::env::var_os("BINLOG_UPDATE_VECTORS").is_some_and(|x| x == "1") {
        std::fs::write(&path, generate(v)).unwrap();
    }
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (bytes, path)
}

fn ed25519_holds(key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    UnparsedPublicKey::new(&ED25519, key)
        .verify(message, signature)
        .is_ok()
}

fn kdf(context: &str, input: &[u8]) -> [u8; 32] {
    blake3::derive_key(context, input)
}

/// A signed segment's chain block and link, read from its bytes as
/// FORMAT.md sections 8.4 to 8.6 say (the chain block is the last bytes of
/// the directory's body: a writer writes nothing after it).
struct Chain {
    tag: u8,
    digest: [u8; 32],
    prev: [u8; 32],
    key: [u8; 32],
    signature: [u8; 64],
    epoch: Option<(i64, [u8; 64])>,
    link: [u8; 32],
    records_end: u64,
}

fn chain_of(bytes: &[u8]) -> Chain {
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let t = Trailer::decode(bytes, header_len).unwrap();
    let (records_end, dir) = (t.records_end as usize, t.dir_offset as usize);
    let body = &bytes[dir + 8..dir + t.dir_len as usize];
    let block_len = if body.len() > 233 && body[body.len() - 233] == 2 {
        233
    } else {
        161
    };
    let (fields, block) = body.split_at(body.len() - block_len);
    let digest: [u8; 32] = block[1..33].try_into().unwrap();
    let prev: [u8; 32] = block[33..65].try_into().unwrap();
    assert_eq!(digest, *blake3::hash(&bytes[..records_end]).as_bytes());
    let link_input = [&digest[..], &prev, blake3::hash(fields).as_bytes()].concat();
    Chain {
        tag: block[0],
        digest,
        prev,
        key: block[65..97].try_into().unwrap(),
        signature: block[97..161].try_into().unwrap(),
        epoch: (block_len == 233).then(|| {
            let start = i64::from_le_bytes(block[161..169].try_into().unwrap());
            (start, block[169..233].try_into().unwrap())
        }),
        link: kdf("libbinlog 1 chain link", &link_input),
        records_end: t.records_end,
    }
}

#[test]
fn signed_vectors_are_written_again_byte_for_byte_and_verify_against_their_key() {
    let public = PublicKey::from_file(vectors_dir().join("signing.key.pub")).unwrap();
    assert_eq!(hex(&public.0), KEY);
    for v in [SIGNED, EPOCH_SIGNED] {
        let (bytes, path) = committed(&v);
        assert!(
            bytes == generate(&v),
            "{}: the writer no longer writes it",
            v.name
        );
        let reps: Vec<_> = Verify::files(vec![path]).trusting(public).collect();
        assert_eq!(reps.len(), 1);
        assert!(
            reps[0].findings.is_empty(),
            "{}: {:?}",
            v.name,
            reps[0].findings
        );
        assert_eq!(reps[0].records, 3);
    }
}

#[test]
fn signed_vectors_links_and_signatures_are_as_the_format_says() {
    for (v, tag, signer, want) in [
        (SIGNED, 1, KEY, SIGNED_LINK),
        (EPOCH_SIGNED, 2, EPOCH_1_KEY, EPOCH_SIGNED_LINK),
    ] {
        let (bytes, path) = committed(&v);
        let c = chain_of(&bytes);
        assert_eq!(
            (c.tag, hex(&c.key), c.prev),
            (tag, signer.into(), [0; 32]),
            "{}",
            v.name
        );
        assert_eq!(hex(&c.link), want, "{}: its link", v.name);
        // The library's link is the same.
        let r = Reader::open(&path).unwrap();
        let dir = r.seal().unwrap();
        assert_eq!(binlog::sign::link(dir.chain.as_ref().unwrap(), dir), c.link);
        let message = [&b"libbinlog seal 1\0"[..], &c.link].concat();
        assert!(ed25519_holds(&c.key, &message, &c.signature), "{}", v.name);
        if let Some((start, cert)) = c.epoch {
            assert_eq!(start, T0 + HOUR, "epoch 1 starts an hour after epoch 0");
            let input = [&c.key[..], &start.to_le_bytes()].concat();
            let cert_link = kdf("libbinlog 1 epoch key", &input);
            let message = [&b"libbinlog epoch 1\0"[..], &cert_link].concat();
            assert!(ed25519_holds(&unhex::<32>(KEY), &message, &cert));
        }
    }
}

#[test]
fn signed_heads_made_from_the_format_verify_and_are_the_lines_a_writer_writes() {
    let public = PublicKey::from_file(vectors_dir().join("signing.key.pub")).unwrap();
    for (v, fields) in [(SIGNED, 9), (EPOCH_SIGNED, 11)] {
        let path = vectors_dir().join(format!("{}.head", v.name));
        let text = std::fs::read_to_string(&path).unwrap();
        let head = SignedHead::from_file(&path).unwrap();
        assert!(head.signed_by(&public), "{}", v.name);
        assert_eq!(format!("{}\n", head.to_line()), text, "{}", v.name);
        assert_eq!(text.split(' ').count(), fields);
        // It covers the vector's records.
        let (bytes, _) = committed(&v);
        let c = chain_of(&bytes);
        assert_eq!(
            (head.log.as_str(), head.segment_no, head.next_seq),
            ("golden", 3, 43)
        );
        assert_eq!(
            (head.end, head.digest, head.prev),
            (c.records_end, c.digest, c.prev)
        );
        // What a reader accepts besides: any whitespace, no line end,
        // upper-case hex, a `+` and leading zeros.
        let loose = text
            .trim_end()
            .replace(" 43 ", " +0043 ")
            .replace(&hex(&head.digest), &hex(&head.digest).to_uppercase())
            .replace(' ', " \t ");
        let read = SignedHead::from_bytes(format!("{loose}\r\n").as_bytes(), &path).unwrap();
        assert_eq!(read, head);
        // One field changed: it no longer verifies.
        let moved = text.replace(" 43 ", " 44 ");
        let moved = SignedHead::from_bytes(moved.as_bytes(), &path).unwrap();
        assert!(!moved.signed_by(&public));
    }
}
