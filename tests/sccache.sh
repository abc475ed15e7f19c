#!/bin/sh
# RUSTC_WRAPPER for the Makefile: sccache ($SCCACHE_BIN), with rustc's one
# input that names the clone's path made the same in every clone.
#
# A crate that includes a file its build script wrote (serde, thiserror:
# include!(concat!(env!("OUT_DIR"), ...))) has the absolute OUT_DIR in its
# cache key and in its rlib, so in a clone at a new path it and every crate
# built on it miss the cache. Here rustc gets a copy of OUT_DIR at a path
# named by the copy's contents, under BINLOG_OUT_DIRS: equal contents, equal
# path, in any clone. A copy is never changed once its name exists (made
# whole, then linked into place); the copies are kept, one per distinct
# contents (under 2 MB after make test here), and can be removed between
# builds. Only small directories of plain files are copied (generated
# sources: named by their files, an empty directory adds nothing); a build
# script's native objects, which rustc finds by -L and not by OUT_DIR, stay
# where they are.
#
# cc-rs wraps C compilers with this file too (it knows it by its name):
# those runs go to sccache unchanged.
case " $* " in *" --crate-name "*) ;; *) exec "$SCCACHE_BIN" "$@" ;; esac
# sccache keys a Rust compile on every CARGO_* variable: CARGO_TARGET_DIR,
# which rustc never reads (cargo gives it every path), would make each
# target directory miss what another's builds cached.
unset CARGO_TARGET_DIR
[ -n "$OUT_DIR" ] && [ -d "$OUT_DIR" ] && [ -n "$BINLOG_OUT_DIRS" ] || exec "$SCCACHE_BIN" "$@"

if command -v sha256sum > /dev/null 2>&1; then sha() { sha256sum | cut -c1-64; }
else sha() { shasum -a 256 | cut -c1-64; }; fi

named_copy() (
    cd "$OUT_DIR" || return 1
    [ -z "$(find . ! -type f ! -type d)" ] && [ "$(du -sk . | cut -f1)" -le 1024 ] || return 1
    sum=$(find . -type f | LC_ALL=C sort | while IFS= read -r f; do
        printf '%s %s\n' "$(sha < "$f")" "$f"; done | sha) || return 1
    dest=$BINLOG_OUT_DIRS/$sum
    if [ ! -e "$dest" ]; then
        mkdir -p "$BINLOG_OUT_DIRS" && tmp=$(mktemp -d "$BINLOG_OUT_DIRS/.new.XXXXXX") || return 1
        cp -R . "$tmp/" || { rm -rf "$tmp"; return 1; }
        ln -s "${tmp##*/}" "$dest" 2> /dev/null || rm -rf "$tmp"
    fi
    [ -d "$dest" ] && printf '%s\n' "$dest"
)

if copy=$(named_copy); then OUT_DIR=$copy; export OUT_DIR; fi
exec "$SCCACHE_BIN" "$@"
