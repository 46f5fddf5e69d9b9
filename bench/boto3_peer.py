#!/usr/bin/env python3
"""The boto3 peer: `boto3_peer.py put-raw|get-raw --endpoint URL --stream NAME ...`.

The same work as the floor's paths (kinesis_bench::floor) with boto3's Kinesis client: the
same 100-byte records (kinesis_bench::payload's generator, below), PutRecords of --batch,
one request in flight; GetRecords (limit 10,000) from TRIM_HORIZON until --records records.
CPU is the whole process's (every thread), over the measured loop only (after imports and
client creation). Prints one JSON report line, like the Rust peers.
"""
import argparse
import json
import resource
import time

import boto3
import botocore.config

POOL = 1024
BEHAVIORS = ["pv", "buy", "cart", "fav"]
TS = "2017-11-26 01:00:00.000"


def csv_row(i, size):
    user, item, category = 1_000_000 + i, 2_000_000 + (i * 7919) % 1_000_000, i % 5000
    behavior = BEHAVIORS[i % 4]
    base = len(f"{user},{item},{category},{behavior},{TS}")
    behavior += "x" * max(0, size - base)
    return f"{user},{item},{category},{behavior},{TS}".encode()


def key(i):
    return str(1_000_000 + i)


def cpu_now():
    return time.clock_gettime(time.CLOCK_PROCESS_CPUTIME_ID)


def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def report(path, records, nbytes, wall0, cpu0):
    return {
        "peer": "boto3",
        "path": path,
        "records": records,
        "bytes": nbytes,
        "wall_s": time.monotonic() - wall0,
        "cpu_s": cpu_now() - cpu0,
        "rss_kib": status("VmHWM"),
        "threads": status("Threads"),
        "extra": {},
    }


def client(args):
    return boto3.client(
        "kinesis",
        region_name="us-east-1",
        endpoint_url=args.endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )


def put_raw(args):
    pool = [(csv_row(i, args.size), key(i)) for i in range(POOL)]
    c = client(args)
    wall0, cpu0 = time.monotonic(), cpu_now()
    sent = nbytes = 0
    while sent < args.records:
        m = min(args.batch, args.records - sent)
        entries = []
        for i in range(sent, sent + m):
            d, k = pool[i % POOL]
            nbytes += len(d)
            entries.append({"Data": d, "PartitionKey": k})
        out = c.put_records(StreamName=args.stream, Records=entries)
        if out.get("FailedRecordCount", 0):
            raise SystemExit("boto3 peer: PutRecords failed entries (the peer does not retry)")
        sent += m
    return report(args.path, sent, nbytes, wall0, cpu0)


def get_raw(args):
    c = client(args)
    wall0, cpu0 = time.monotonic(), cpu_now()
    it = c.get_shard_iterator(
        StreamName=args.stream, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    n = nbytes = meta = 0
    while n < args.records:
        page = c.get_records(ShardIterator=it, Limit=10_000)
        records = page["Records"]
        for r in records:
            nbytes += len(r["Data"])
            meta += len(r["SequenceNumber"]) + len(r["PartitionKey"]) + (r["ApproximateArrivalTimestamp"] is not None)
            n += 1
        nxt = page.get("NextShardIterator")
        if not nxt or not records:
            break
        it = nxt
    assert meta > 0 or n == 0
    return report(args.path, n, nbytes, wall0, cpu0)


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("path", choices=["put-raw", "get-raw"])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--stream", required=True)
    p.add_argument("--records", type=int, default=1000)
    p.add_argument("--size", type=int, default=100)
    p.add_argument("--batch", type=int, default=500)
    args = p.parse_args()
    r = put_raw(args) if args.path == "put-raw" else get_raw(args)
    print(json.dumps(r))


if __name__ == "__main__":
    main()
