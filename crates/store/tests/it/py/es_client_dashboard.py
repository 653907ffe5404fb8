"""The official `elasticsearch` 8.x client against sluice-store.

info, indices.create with the seed mapping, helpers.bulk of N seed events, then the three
dashboard aggregations (actions per user, levels per time bucket, average duration per action),
each compared with what this script computed from the events it sent.

usage: es_client_dashboard.py URL [COUNT] [USER PASSWORD]
Prints one JSON line with the figures checked; exits non-zero on any mismatch.
"""
import json
import random
import struct
import sys
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

from elasticsearch import Elasticsearch, helpers

URL = sys.argv[1]
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
AUTH = (sys.argv[3], sys.argv[4]) if len(sys.argv) > 4 else None
INDEX = "python-logs-interop"
HOUR_MS = 3_600_000

MAPPING = {
    "properties": {
        "timestamp": {"type": "date"},
        "level": {"type": "keyword"},
        "message": {"type": "text"},
        "user": {"type": "keyword"},
        "action": {"type": "keyword"},
        "duration": {"type": "float"},
        "source": {"type": "keyword"},
    }
}


def fail(what, got, want):
    print(f"MISMATCH {what}: got {got!r}, want {want!r}", file=sys.stderr)
    sys.exit(1)


def check(what, got, want):
    if got != want:
        fail(what, got, want)


def as_f32(x):
    return struct.unpack("f", struct.pack("f", x))[0]


def events(n):
    rng = random.Random(20261124)
    start = datetime(2026, 11, 24, 0, 0, 0, tzinfo=timezone.utc)
    for i in range(n):
        ts = start + timedelta(milliseconds=rng.randrange(0, 10 * HOUR_MS))
        yield {
            "timestamp": ts.isoformat().replace("+00:00", "Z"),
            "level": rng.choice(["INFO", "WARNING", "ERROR"]),
            "message": f"Log entry {i}",
            "user": rng.choice(["user1", "user2", "user3", "user4", "user5"]),
            "action": rng.choice(["login", "search", "purchase", "logout", "view"]),
            "duration": round(rng.uniform(0.1, 5.0), 3),
            "source": "python-script",
            "tags": ["python", "webapp"],
        }


def main():
    es = Elasticsearch(URL, basic_auth=AUTH, request_timeout=120)
    info = es.info()
    check("info.tagline", info["tagline"], "You Know, for Search")
    check("info.version.major", info["version"]["number"].split(".")[0], "8")
    check("info.version.distribution", info["version"]["distribution"], "sluice")

    created = es.indices.create(index=INDEX, mappings=MAPPING)
    check("indices.create.acknowledged", created["acknowledged"], True)
    check("indices.create.index", created["index"], INDEX)
    mapping = es.indices.get_mapping(index=INDEX)[INDEX]["mappings"]["properties"]
    for field, spec in MAPPING["properties"].items():
        check(f"mapping.{field}.type", mapping[field]["type"], spec["type"])

    docs = list(events(COUNT))
    ok, errors = helpers.bulk(
        es, ({"_index": INDEX, "_source": d} for d in docs), chunk_size=2_000, raise_on_error=False
    )
    check("helpers.bulk.ok", ok, COUNT)
    check("helpers.bulk.errors", errors, [])
    es.indices.refresh(index=INDEX)
    check("count", es.count(index=INDEX)["count"], COUNT)

    # 1. actions per user (pie): terms user -> doc_count
    want_users = Counter(d["user"] for d in docs)
    r = es.search(index=INDEX, size=0, aggs={"users": {"terms": {"field": "user", "size": 10}}})
    got_users = {b["key"]: b["doc_count"] for b in r["aggregations"]["users"]["buckets"]}
    check("terms user", got_users, dict(want_users))
    counts = [b["doc_count"] for b in r["aggregations"]["users"]["buckets"]]
    check("terms user order", counts, sorted(counts, reverse=True))

    # 2. levels over time (histogram): date_histogram 1h, terms level inside
    want_levels = defaultdict(Counter)
    for d in docs:
        ts = datetime.fromisoformat(d["timestamp"].replace("Z", "+00:00"))
        ms = int(ts.timestamp() * 1000)
        want_levels[ms - ms % HOUR_MS][d["level"]] += 1
    r = es.search(
        index=INDEX,
        size=0,
        aggs={
            "over_time": {
                "date_histogram": {"field": "timestamp", "fixed_interval": "1h"},
                "aggs": {"levels": {"terms": {"field": "level"}}},
            }
        },
    )
    got_levels = {}
    for b in r["aggregations"]["over_time"]["buckets"]:
        if b["doc_count"]:
            got_levels[b["key"]] = {lb["key"]: lb["doc_count"] for lb in b["levels"]["buckets"]}
            expected_str = datetime.fromtimestamp(b["key"] / 1000, tz=timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"
            )
            check("date_histogram key_as_string", b["key_as_string"], expected_str)
    check("date_histogram levels", got_levels, {k: dict(v) for k, v in want_levels.items()})

    # 3. average duration per action (bar): terms action -> avg duration
    sums, ns = defaultdict(float), Counter()
    for d in docs:
        sums[d["action"]] += as_f32(d["duration"])
        ns[d["action"]] += 1
    r = es.search(
        index=INDEX,
        size=0,
        aggs={"actions": {"terms": {"field": "action"}, "aggs": {"avg_duration": {"avg": {"field": "duration"}}}}},
    )
    got_avg = {}
    for b in r["aggregations"]["actions"]["buckets"]:
        check(f"terms action {b['key']} count", b["doc_count"], ns[b["key"]])
        got_avg[b["key"]] = b["avg_duration"]["value"]
    check("terms action keys", sorted(got_avg), sorted(ns))
    for action, got in got_avg.items():
        want = sums[action] / ns[action]
        if abs(got - want) > 1e-6 * max(1.0, abs(want)):
            fail(f"avg duration for {action}", got, want)

    print(json.dumps({"indexed": ok, "users": got_users, "buckets": len(got_levels), "avg": got_avg}))


if __name__ == "__main__":
    main()
