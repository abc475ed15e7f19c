"""Checks a `binlog export` against the records a test wrote, with the
engines analytics users read it with: DuckDB (read_parquet, read_json)
for counts, sums and ranges, pyarrow for every row's exact values.

Usage: check_export.py SPEC.json, where SPEC is
  {"dir": export directory, "format": "parquet" | "arrow" | "jsonl",
   "records": [{"log", "seq", "ts_ns", "type", "meta", "payload_hex",
                "fields"}...],          # as the test wrote them (meta:
                                        # [[key, value]...], in order)
   "sums": {type: [decoded field...]},  # fields to sum per type
   "types": {column: type}}             # optional: pyarrow's name of
                                        # each column's type
Prints each difference; exit status 1 if there is any.
"""

import base64
import collections
import glob
import json
import os
import sys

import duckdb
import pyarrow
import pyarrow.feather
import pyarrow.parquet

failures = []


def check(what, got, want):
    if got != want:
        failures.append(f"{what}: got {got!r}, want {want!r}")


def files(spec, ext):
    found = sorted(glob.glob(os.path.join(spec["dir"], "*." + ext)))
    check("files in the export", bool(found), True)
    return found


def duckdb_source(spec, con):
    ext = spec["format"]
    pattern = os.path.join(spec["dir"], "*." + ext)
    if ext == "arrow":
        # DuckDB reads Arrow through pyarrow: the files as one table.
        tables = arrow_tables(spec)
        con.register("exported", pyarrow.concat_tables(tables, promote_options="default"))
        return "exported"
    if ext == "jsonl":
        return f"read_json('{pattern}', format = 'newline_delimited', union_by_name = true)"
    return f"read_parquet('{pattern}', union_by_name = true)"


def pairs(meta):
    """A meta column's entries ({"key", "value"} each) as [key, value]."""
    return [[e["key"], e["value"]] for e in meta]


def check_meta(spec, con):
    """Every row's metadata, in order and repeated keys kept, by DuckDB."""
    src = duckdb_source(spec, con)
    want = {(r["log"], r["seq"]): r["meta"] for r in spec["records"]}
    for log, seq, meta in con.sql(f"SELECT log, seq, to_json(meta) FROM {src}").fetchall():
        check(f"row {(log, seq)} meta (duckdb)", pairs(json.loads(meta)), want.get((log, seq)))


def check_aggregates(spec, con):
    """Counts per type, seq ranges per log and type, sums of decoded fields."""
    records = spec["records"]
    src = duckdb_source(spec, con)
    counts = collections.Counter(r["type"] for r in records)
    got = dict(con.sql(f"SELECT type, count(*) FROM {src} GROUP BY type").fetchall())
    check("records per type (duckdb)", got, dict(counts))
    ranges = collections.defaultdict(list)
    for r in records:
        ranges[(r["log"], r["type"])].append(r["seq"])
    q = f"SELECT log, type, min(seq), max(seq) FROM {src} GROUP BY log, type"
    got = {(l, t): (lo, hi) for l, t, lo, hi in con.sql(q).fetchall()}
    check("seq ranges per log and type (duckdb)", got,
          {k: (min(v), max(v)) for k, v in ranges.items()})
    for type_name, fields in spec["sums"].items():
        if type_name not in counts:
            continue
        for field in fields:
            want = sum(r["fields"][field] for r in records if r["type"] == type_name)
            q = f"SELECT sum({field}) FROM {src} WHERE type = '{type_name}'"
            got = con.sql(q).fetchone()[0]
            if isinstance(want, float):
                got, want = round(got, 6), round(want, 6)
            check(f"sum of {type_name}.{field} (duckdb)", got, want)
    if spec["format"] != "jsonl":
        q = f"SELECT epoch_us(min(time)), epoch_us(max(time)) FROM {src}"
        lo, hi = con.sql(q).fetchone()
        want_lo = min(r["ts_ns"] for r in records) // 1000
        want_hi = max(r["ts_ns"] for r in records) // 1000
        check("earliest time (duckdb, us)", lo, want_lo)
        check("latest time (duckdb, us)", hi, want_hi)


def arrow_tables(spec):
    if spec["format"] == "parquet":
        return [pyarrow.parquet.read_table(f) for f in files(spec, "parquet")]
    return [pyarrow.feather.read_table(f) for f in files(spec, "arrow")]


def check_rows(spec):
    """Every row's time, meta, payload and decoded fields, by pyarrow."""
    want = {(r["log"], r["seq"]): r for r in spec["records"]}
    seen = set()
    for table in arrow_tables(spec):
        time_type = table.schema.field("time").type
        check("time column type", str(time_type), "timestamp[ns, tz=UTC]")
        for column, type_name in spec.get("types", {}).items():
            check(f"{column} column type", str(table.schema.field(column).type), type_name)
        # Times (the record's, decoded ones) as nanoseconds, integers: a
        # datetime holds microseconds.
        for i, field in enumerate(table.schema):
            if pyarrow.types.is_timestamp(field.type):
                table = table.set_column(i, field.name, table.column(i).cast(pyarrow.int64()))
        for row in table.to_pylist():
            key = (row["log"], row["seq"])
            w = want.get(key)
            if w is None:
                failures.append(f"row {key}: not written by the test")
                continue
            seen.add(key)
            check(f"row {key} type", row["type"], w["type"])
            check(f"row {key} time (ns)", row["time"], w["ts_ns"])
            check(f"row {key} meta", pairs(row["meta"]), w["meta"])
            check(f"row {key} payload", row["payload"].hex(), w["payload_hex"])
            for field, value in w.get("fields", {}).items():
                check(f"row {key} decoded {field}", row.get(field), value)
    check("rows missing", sorted(set(want) - seen, key=str), [])


def check_jsonl_rows(spec, con):
    """Every line's payload, by DuckDB."""
    src = duckdb_source(spec, con)
    want = {(r["log"], r["seq"]): r for r in spec["records"]}
    rows = con.sql(f"SELECT log, seq, payload FROM {src}").fetchall()
    check("lines", len(rows), len(want))
    for log, seq, payload in rows:
        w = want.get((log, seq))
        if w is None:
            failures.append(f"line {(log, seq)}: not written by the test")
            continue
        check(f"line {(log, seq)} payload", payload_hex(payload), w["payload_hex"])


def payload_hex(p):
    """A JSON line's payload: arrow-json writes binary as hex."""
    return p if isinstance(p, str) else bytes(p).hex()


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    con = duckdb.connect()
    check_aggregates(spec, con)
    check_meta(spec, con)
    if spec["format"] == "jsonl":
        check_jsonl_rows(spec, con)
    else:
        check_rows(spec)
    for f in failures:
        print(f)
    print(f"check_export: {len(spec['records'])} records, {len(failures)} differences")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
