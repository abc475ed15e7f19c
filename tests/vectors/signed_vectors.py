#!/usr/bin/env python3
"""The signed golden vectors' key files and heads, made from docs/FORMAT.md
section 8.6 alone (not by libbinlog), and a check of the signed segments as
that section says: what tests/it/signed_vectors.rs holds the library to.

    python3 tests/vectors/signed_vectors.py keys    # signing.key(.pub), signing.epochs
    python3 tests/vectors/signed_vectors.py heads   # signed.head, epoch-signed.head
    python3 tests/vectors/signed_vectors.py check   # digests, links, signatures

Needs the PyPI packages blake3 and cryptography. The segments themselves are
written by the library: BINLOG_UPDATE_VECTORS=1 tests/run_rust_tests.sh
signed_vectors (then run `heads` again, and put the links it prints in the
test and in FORMAT.md's "Golden vectors").
"""
import os
import struct
import sys

from blake3 import blake3
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

HERE = os.path.dirname(os.path.abspath(__file__))
# RFC 8032 section 7.1, tests 1, 2 and 3: the one key (the epochs' master),
# epoch 0's key and epoch 1's.
KEY = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
EPOCH_SEEDS = [
    bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"),
    bytes.fromhex("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7"),
]
T0 = 1_700_000_000_000_000_000
HOUR = 3_600_000_000_000
# What the heads say besides their segment's digest and end.
LOG, SEGMENT_NO, NEXT_SEQ = "golden", 3, 43


def kdf(context: str, data: bytes) -> bytes:
    return blake3(data, derive_key_context=context).digest()


def public(seed: bytes) -> bytes:
    key = Ed25519PrivateKey.from_private_bytes(seed).public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign(seed: bytes, message: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(seed).sign(message)


def holds(key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(signature, message)
        return True
    except InvalidSignature:
        return False


def cert_message(key: bytes, start: int) -> bytes:
    return b"libbinlog epoch 1\0" + kdf("libbinlog 1 epoch key", key + struct.pack("<q", start))


def head_message(log: str, segment_no: int, end: int, next_seq: int, digest: bytes, prev: bytes) -> bytes:
    name = log.encode()
    data = struct.pack("<Q", len(name)) + name + struct.pack("<QQQ", segment_no, end, next_seq) + digest + prev
    return b"libbinlog head 1\0" + kdf("libbinlog 1 head link", data)


def chain(path: str) -> dict:
    """A sealed segment's chain block and link, as FORMAT.md 8.4-8.6 say."""
    b = open(path, "rb").read()
    assert b[-8:] == b"BLGSEAL1", path
    records_end, dir_offset, dir_len = struct.unpack("<QQI", b[-32:-12])
    body = b[dir_offset + 8 : dir_offset + dir_len]
    at = 85  # the type entries: varint count, then each varint name + 28 bytes

    def varint() -> int:
        nonlocal at
        value = shift = 0
        while True:
            byte = body[at]
            at += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    for _ in range(varint()):
        name_len = varint()
        at += name_len + 28
    fields, block = body[:at], body[at:]
    c = {"tag": block[0], "digest": block[1:33], "prev": block[33:65], "key": block[65:97]}
    c["signature"], c["records_end"] = block[97:161], records_end
    if c["tag"] == 2:
        c["epoch_start"], c["certificate"] = struct.unpack("<q", block[161:169])[0], block[169:233]
    assert blake3(b[:records_end]).digest() == c["digest"], f"{path}: records changed"
    c["dir_hash"] = blake3(fields).digest()
    c["link"] = kdf("libbinlog 1 chain link", c["digest"] + c["prev"] + c["dir_hash"])
    return c


def write(name: str, text: str) -> None:
    with open(os.path.join(HERE, name), "w") as f:
        f.write(text)


def keys() -> None:
    write("signing.key", f"binlog-secret-key-ed25519 {KEY.hex()}\n")
    write("signing.key.pub", f"binlog-public-key-ed25519 {public(KEY).hex()}\n")
    lines = [f"binlog-epoch-keys-ed25519 {public(KEY).hex()} {T0} {HOUR}\n"]
    for i, seed in enumerate(EPOCH_SEEDS):
        cert = sign(KEY, cert_message(public(seed), T0 + i * HOUR))
        lines.append(f"{i} {seed.hex()} {cert.hex()}\n")
    write("signing.epochs", "".join(lines))


def heads() -> None:
    for name, seed in [("signed", KEY), ("epoch-signed", EPOCH_SEEDS[1])]:
        c = chain(os.path.join(HERE, f"{name}.binlog"))
        end, digest, prev = c["records_end"], c["digest"], c["prev"]
        signature = sign(seed, head_message(LOG, SEGMENT_NO, end, NEXT_SEQ, digest, prev))
        words = [LOG, NEXT_SEQ, SEGMENT_NO, end, digest.hex(), prev.hex(), public(seed).hex(), signature.hex()]
        if c["tag"] == 2:
            words += [c["epoch_start"], c["certificate"].hex()]
        write(f"{name}.head", " ".join(["binlog-head-1"] + [str(w) for w in words]) + "\n")
        print(f"{name}: link {c['link'].hex()}")


def check() -> None:
    master = public(KEY)
    for name in ["signed", "epoch-signed"]:
        c = chain(os.path.join(HERE, f"{name}.binlog"))
        assert holds(c["key"], b"libbinlog seal 1\0" + c["link"], c["signature"]), name
        assert c["tag"] == 1 and c["key"] == master or holds(master, cert_message(c["key"], c["epoch_start"]), c["certificate"])
        w = open(os.path.join(HERE, f"{name}.head")).read().split()
        log, (next_seq, segment_no, end) = w[1], map(int, w[2:5])
        digest, prev, key, signature = (bytes.fromhex(x) for x in w[5:9])
        assert holds(key, head_message(log, segment_no, end, next_seq, digest, prev), signature), name
        assert len(w) == 9 and key == master or holds(master, cert_message(key, int(w[9])), bytes.fromhex(w[10]))
        print(f"{name}: digest {c['digest'].hex()} dir_hash {c['dir_hash'].hex()} link {c['link'].hex()}: ok")


if __name__ == "__main__":
    {"keys": keys, "heads": heads, "check": check}[sys.argv[1]]()
