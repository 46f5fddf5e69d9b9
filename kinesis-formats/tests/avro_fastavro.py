#!/usr/bin/env python3
"""The fastavro side of kinesis-formats/tests/avro_interop.rs.

Usage:
  avro_fastavro.py read  SCHEMA.json PAYLOADS.hex   # one hex payload a line -> canonical JSON lines
  avro_fastavro.py write SCHEMA.json VALUES.jsonl   # canonical JSON lines -> one hex payload a line

Payloads are single Avro binary datums (fastavro.schemaless_reader / schemaless_writer) of the
writer schema our converter prints. Values are exchanged in a canonical, schema-directed JSON
form that both sides can compare exactly:
  null/boolean/int/long as JSON; float/double as the hex of their little-endian IEEE bytes;
  string as string; bytes as hex; decimal as the unscaled integer in a string; date as days;
  time-millis as milliseconds of the day; (local-)timestamp-* as the integer count of its unit
  since the epoch; array as a list; map as a list of [key, value] in wire order; record as a
  list of field values.
"""
import datetime
import decimal
import io
import json
import struct
import sys

import fastavro

# DECIMAL(38, s) needs 38 significant digits; Python's default context keeps 28.
decimal.getcontext().prec = 80

EPOCH_DATE = datetime.date(1970, 1, 1)
EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
EPOCH_NAIVE = datetime.datetime(1970, 1, 1)
UNIT = {"millis": 1000, "micros": 1000000, "nanos": 1000000000}


NAMED = {}  # record definitions by short and full name, for name references


def collect_named(schema, namespace=None):
    if isinstance(schema, list):
        for branch in schema:
            collect_named(branch, namespace)
    elif isinstance(schema, dict):
        kind = schema["type"]
        if kind == "record":
            namespace = schema.get("namespace", namespace)
            NAMED[schema["name"]] = schema
            NAMED[(namespace + "." if namespace else "") + schema["name"]] = schema
            for field in schema["fields"]:
                collect_named(field["type"], namespace)
        elif kind == "array":
            collect_named(schema["items"], namespace)
        elif kind == "map":
            collect_named(schema["values"], namespace)


def resolve(schema):
    return NAMED.get(schema, schema) if isinstance(schema, str) else schema


def logical(schema):
    return schema.get("logicalType") if isinstance(schema, dict) else None


def base(schema):
    return schema if isinstance(schema, str) else schema["type"]


def since_epoch(delta, per_second):
    # Exact integer arithmetic on timedelta parts (no float rounding).
    micros = (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds
    if per_second >= 1000000:
        return micros * (per_second // 1000000)
    return micros // (1000000 // per_second)


def to_canonical(schema, value):
    schema = resolve(schema)
    if isinstance(schema, list):  # ["null", T]
        if value is None:
            return None
        return to_canonical(schema[1], value)
    kind, lt = base(schema), logical(schema)
    if kind == "record":
        return [to_canonical(f["type"], value[f["name"]]) for f in schema["fields"]]
    if kind == "array":
        return [to_canonical(schema["items"], v) for v in value]
    if kind == "map":
        return [[k, to_canonical(schema["values"], v)] for k, v in value.items()]
    if lt == "decimal":
        return str(int(value.scaleb(schema["scale"])))
    if lt == "date":
        return value if isinstance(value, int) else (value - EPOCH_DATE).days
    if lt == "time-millis":
        if isinstance(value, int):
            return value
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000
    if lt and lt.startswith("timestamp-"):
        if isinstance(value, int):
            return value
        return since_epoch(value - EPOCH_UTC, UNIT[lt.split("-")[1]])
    if lt and lt.startswith("local-timestamp-"):
        if isinstance(value, int):
            return value
        return since_epoch(value - EPOCH_NAIVE, UNIT[lt.split("-")[2]])
    if kind == "float":
        return struct.pack("<f", value).hex()
    if kind == "double":
        return struct.pack("<d", value).hex()
    if kind == "bytes":
        return value.hex()
    return value  # null, boolean, int, long, string


def from_canonical(schema, value):
    schema = resolve(schema)
    if isinstance(schema, list):
        if value is None:
            return None
        return from_canonical(schema[1], value)
    kind, lt = base(schema), logical(schema)
    if kind == "record":
        return {f["name"]: from_canonical(f["type"], v) for f, v in zip(schema["fields"], value)}
    if kind == "array":
        return [from_canonical(schema["items"], v) for v in value]
    if kind == "map":
        return {k: from_canonical(schema["values"], v) for k, v in value}
    if lt == "decimal":
        return decimal.Decimal(int(value)).scaleb(-schema["scale"])
    if lt == "date":
        return EPOCH_DATE + datetime.timedelta(days=value)
    if lt == "time-millis":
        ms = value
        return datetime.time(ms // 3600000, ms // 60000 % 60, ms // 1000 % 60, ms % 1000 * 1000)
    if lt in ("timestamp-millis", "timestamp-micros"):
        per = UNIT[lt.split("-")[1]]
        return EPOCH_UTC + datetime.timedelta(microseconds=value * 1000000 // per)
    if lt in ("local-timestamp-millis", "local-timestamp-micros"):
        per = UNIT[lt.split("-")[2]]
        return EPOCH_NAIVE + datetime.timedelta(microseconds=value * 1000000 // per)
    if kind == "float":
        return struct.unpack("<f", bytes.fromhex(value))[0]
    if kind == "double":
        return struct.unpack("<d", bytes.fromhex(value))[0]
    if kind == "bytes":
        return bytes.fromhex(value)
    return value


def main():
    mode, schema_path, data_path = sys.argv[1:4]
    with open(schema_path) as f:
        schema_json = json.load(f)
    collect_named(schema_json)
    parsed = fastavro.parse_schema(schema_json)
    out = sys.stdout
    with open(data_path) as f:
        lines = [line.rstrip("\n") for line in f if line.strip()]
    for line in lines:
        if mode == "read":
            datum = fastavro.schemaless_reader(io.BytesIO(bytes.fromhex(line)), parsed, None)
            out.write(json.dumps(to_canonical(schema_json, datum)) + "\n")
        elif mode == "write":
            buf = io.BytesIO()
            fastavro.schemaless_writer(buf, parsed, from_canonical(schema_json, json.loads(line)))
            out.write(buf.getvalue().hex() + "\n")
        else:
            raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
