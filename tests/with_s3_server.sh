#!/usr/bin/env bash
# with_s3_server.sh COMMAND [ARGS...]: runs COMMAND with a real
# S3-compatible server beside it, as the C, Go and Java tests of shipping
# need: versitygw (the Makefile's pinned binary, $BINLOG_VERSITYGW) on a
# free port of 127.0.0.1 over a fresh directory holding two buckets, one
# with S3 Object Lock enabled, with the test credentials of
# tests/it/common/s3.rs. COMMAND sees where it is in
# BINLOG_TEST_S3_ENDPOINT, BINLOG_TEST_S3_BUCKET (the bucket without Object
# Lock), BINLOG_TEST_S3_LOCKED_BUCKET (the one with it),
# BINLOG_TEST_S3_REGION, BINLOG_TEST_S3_ACCESS_KEY and
# BINLOG_TEST_S3_SECRET_KEY, and the
# directory the server keeps the bucket in (each object a file of its
# key's path) in BINLOG_TEST_S3_ROOT; the server and
# its directory are gone when this script exits, with COMMAND's status.
set -euo pipefail

gw=${BINLOG_VERSITYGW:-$HOME/.cache/libbinlog-tools/bin/versitygw-1.8.0}
[ -x "$gw" ] || { echo "with_s3_server.sh: $gw is missing: run 'make s3-server'" >&2; exit 2; }

root=$(mktemp -d /tmp/binlog-s3-XXXXXX)
pid=
cleanup() {
    if [ -n "$pid" ]; then kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$root"
}
trap cleanup EXIT

bucket=binlog-test
mkdir -p "$root/$bucket"
export BINLOG_TEST_S3_BUCKET=$bucket
# Object Lock is enabled when a bucket is created: versitygw's posix backend
# keeps that setting in an attribute of the bucket's directory, as a create
# with x-amz-bucket-object-lock-enabled writes it (tests/it/common/s3.rs).
locked=binlog-test-locked
mkdir -p "$root/$locked"
python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.bucket-lock", sys.argv[2].encode())' "$root/$locked" \
    '{"Enabled":true,"DefaultRetention":null,"CreatedAt":"2026-01-01T00:00:00Z"}'
export BINLOG_TEST_S3_LOCKED_BUCKET=$locked
export BINLOG_TEST_S3_ROOT=$root
export BINLOG_TEST_S3_REGION=us-east-1
export BINLOG_TEST_S3_ACCESS_KEY=binlog-test-access
export BINLOG_TEST_S3_SECRET_KEY=binlog-test-secret

# A port nothing answers on; the server refusing to bind it (taken
# meanwhile) is retried on another.
for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
    "$gw" --port "127.0.0.1:$port" --access "$BINLOG_TEST_S3_ACCESS_KEY" \
        --secret "$BINLOG_TEST_S3_SECRET_KEY" --region "$BINLOG_TEST_S3_REGION" --quiet \
        posix "$root" </dev/null >"$root.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            rm -f "$root.log"
            export BINLOG_TEST_S3_ENDPOINT=http://127.0.0.1:$port
            "$@"
            exit $?
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
done
echo "with_s3_server.sh: versitygw did not start:" >&2
cat "$root.log" >&2 || true
rm -f "$root.log"
exit 2
