#!/usr/bin/env bash
# packaging/release/sums.sh: a release's checksums and their signature.
#
#   sums.sh sign DIST TOOL KEY    DIST/SHA256SUMS (every file of DIST) and
#                                 DIST/SHA256SUMS.sig, its Ed25519 signature
#                                 by the secret key file KEY (`binlog keys new`
#                                 writes one; TOOL, the binlog tool, makes a
#                                 new one when KEY is target/release-key's
#                                 and prints its public key); the public key
#                                 as DIST/release.key.pub and DIST/release.pub.pem
#   sums.sh verify DIST [PUB]     checks DIST/SHA256SUMS.sig against PUB (a
#                                 `binlog-public-key-ed25519` line; default
#                                 DIST/release.key.pub), then every file's
#                                 checksum; fails, naming it, when one differs
#
# The signature is plain Ed25519 of the file's bytes (RFC 8032), which
# openssl checks too (docs/INSTALL.md "Releases"):
#   openssl pkeyutl -verify -pubin -inkey release.pub.pem -rawin \
#     -in SHA256SUMS -sigfile SHA256SUMS.sig && sha256sum -c SHA256SUMS
set -euo pipefail
fail() { echo "sums.sh: $*" >&2; exit 1; }

# The 32 bytes of key file $1 (label $2, then 64 hex digits) after the DER
# prefix $3: a key openssl reads (PKCS#8 secret key, SubjectPublicKeyInfo).
der_key() {
  local label hex rest
  read -r label hex rest < "$1" || true
  [[ $label == "$2" && $hex =~ ^[0-9a-f]{64}$ && -z $rest ]] ||
    fail "$1: not a key file of libbinlog ($2 and 64 hex digits)"
  printf '%s%s' "$3" "$hex" | sed 's/../\\x&/g' | xargs -0 printf '%b'
}
SECRET_DER=302e020100300506032b657004220420
PUBLIC_DER=302a300506032b6570032100

case ${1:-} in
sign)
  dist=$2 tool=$3 key=$4
  if [[ $key == target/release-key/release.key ]]; then
    rm -rf target/release-key && mkdir -p target/release-key
    "$tool" keys new "$key" > /dev/null
  fi
  [[ -f $key ]] || fail "$key: no such key file (RELEASE_KEY: a key \`binlog keys new\` wrote)"
  rm -f "$dist"/SHA256SUMS "$dist"/SHA256SUMS.sig
  "$tool" keys public "$key" > "$dist/release.key.pub"
  der_key "$dist/release.key.pub" binlog-public-key-ed25519 $PUBLIC_DER |
    openssl pkey -pubin -inform DER -out "$dist/release.pub.pem"
  (cd "$dist" && find . -type f ! -name 'SHA256SUMS*' | sed 's,^\./,,' | LC_ALL=C sort |
    xargs -d '\n' sha256sum > SHA256SUMS)
  # The secret key as PEM only in a pipe: openssl reads it from stdin.
  der_key "$key" binlog-secret-key-ed25519 $SECRET_DER |
    openssl pkey -inform DER |
    openssl pkeyutl -sign -inkey /dev/stdin -rawin -in "$dist/SHA256SUMS" -out "$dist/SHA256SUMS.sig"
  echo "$dist/SHA256SUMS: $(wc -l < "$dist/SHA256SUMS") files, signed by $(cat "$dist/release.key.pub")"
  ;;
verify)
  dist=$2 pub=${3:-$2/release.key.pub}
  pem=$(mktemp) && trap 'rm -f "$pem"' EXIT
  der_key "$pub" binlog-public-key-ed25519 $PUBLIC_DER | openssl pkey -pubin -inform DER -out "$pem"
  openssl pkeyutl -verify -pubin -inkey "$pem" -rawin -in "$dist/SHA256SUMS" \
    -sigfile "$dist/SHA256SUMS.sig" > /dev/null 2>&1 ||
    fail "$dist/SHA256SUMS: its signature SHA256SUMS.sig is not the key's $(cat "$pub")"
  (cd "$dist" && sha256sum --quiet --strict -c SHA256SUMS) ||
    fail "$dist: a file is not the one SHA256SUMS names"
  echo "$dist: SHA256SUMS signed by $(cat "$pub"); its $(wc -l < "$dist/SHA256SUMS") files match"
  ;;
*) fail "usage: sums.sh sign DIST TOOL KEY | sums.sh verify DIST [PUB]" ;;
esac
