"""The boto3 baselines of the archive benchmark (bench/archive/boto3.rs
starts this once and sends it commands, so that neither Python's start nor
boto3's import and client set-up is timed).

One boto3 client (path-style addressing, the bench's credentials, retries
as boto3 sets them), made at start and kept. Commands, one a line on
standard input; each answer is one line of numbers on standard output:

``list PREFIX``
    Every key under PREFIX, listed as ``aws s3api list-objects-v2`` does:
    ListObjectsV2 pages of up to 1000 keys, each key's name and size kept.
    Answers ``SECONDS PAGES KEYS CPU`` (CPU: this process's CPU seconds).
``fetch KEY...``
    Each object downloaded (GetObject, the body read in 1 MiB chunks) and
    fed as it arrives to ``zstd -d -c -q`` (a process of its own per
    object, its output to /dev/null): download and decompression overlap,
    as in ``aws s3 cp s3://... - | zstd -d``. Answers ``SECONDS BYTES
    OBJECTS CPU ZSTD_CPU`` (BYTES: the compressed bytes downloaded; CPU:
    this process's CPU seconds, ZSTD_CPU: the zstd processes').

Response checksums are validated only where the API requires it (boto3's
``when_required``): by default boto3 would hash every downloaded body
again in Python, which a baseline chosen to be fast should not pay.

Usage: python boto3_baseline.py ENDPOINT BUCKET ACCESS_KEY SECRET_KEY REGION
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time

import boto3
from botocore.config import Config

CHUNK = 1 << 20


def client(endpoint: str, access: str, secret: str, region: str):
    config = Config(
        s3={"addressing_style": "path"},
        response_checksum_validation="when_required",
        request_checksum_calculation="when_required",
    )
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access,
        aws_secret_access_key=secret,
        region_name=region,
        config=config,
    )


def list_keys(s3, bucket: str, prefix: str) -> str:
    start, cpu = time.perf_counter(), time.process_time()
    pages, keys = 0, []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        pages += 1
        keys.extend((o["Key"], o["Size"]) for o in page.get("Contents", []))
    secs, cpu = time.perf_counter() - start, time.process_time() - cpu
    return f"{secs:.6f} {pages} {len(keys)} {cpu:.6f}"


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def fetch(s3, bucket: str, keys: list) -> str:
    start, cpu, zstd_cpu = time.perf_counter(), time.process_time(), children_cpu()
    fetched = 0
    for key in keys:
        zstd = subprocess.Popen(
            ["zstd", "-d", "-c", "-q"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL
        )
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        for chunk in body.iter_chunks(CHUNK):
            zstd.stdin.write(chunk)
            fetched += len(chunk)
        zstd.stdin.close()
        if zstd.wait() != 0:
            raise SystemExit(f"zstd -d failed on s3://{bucket}/{key}")
    secs, cpu = time.perf_counter() - start, time.process_time() - cpu
    return f"{secs:.6f} {fetched} {len(keys)} {cpu:.6f} {children_cpu() - zstd_cpu:.6f}"


def main() -> None:
    endpoint, bucket, access, secret, region = sys.argv[1:6]
    s3 = client(endpoint, access, secret, region)
    print("ready", flush=True)
    for line in sys.stdin:
        op, *args = line.split()
        if op == "list":
            print(list_keys(s3, bucket, args[0]), flush=True)
        elif op == "fetch":
            print(fetch(s3, bucket, args), flush=True)
        else:
            raise SystemExit(f"unknown command {op!r}")


if __name__ == "__main__":
    main()
