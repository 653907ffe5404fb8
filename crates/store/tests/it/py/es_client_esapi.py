"""The official `elasticsearch` 8.x client against sluice-store's analysis, query_string
wildcards, IANA time zones, aggregation meta, license/xpack answers, node sniffing and data
streams.

usage: es_client_esapi.py URL
Prints one JSON line with the figures checked; exits non-zero on any mismatch.
"""
import json
import sys

from elasticsearch import Elasticsearch, helpers

URL = sys.argv[1]


def check(what, got, want):
    if got != want:
        print(f"MISMATCH {what}: got {got!r}, want {want!r}", file=sys.stderr)
        sys.exit(1)


es = Elasticsearch(URL, request_timeout=60)

r = es.indices.analyze(analyzer="standard", text="The 2 QUICK Brown-Foxes _jsonparsefailure")
check("analyze", [t["token"] for t in r["tokens"]],
      ["the", "2", "quick", "brown", "foxes", "_jsonparsefailure"])
r = es.indices.analyze(tokenizer="whitespace", filter=["lowercase"], text="A-B C")
check("analyze chain", [t["token"] for t in r["tokens"]], ["a-b", "c"])

T0 = 1_711_756_800_000  # 2024-03-30T00:00:00Z
helpers.bulk(
    es,
    (
        {
            "_index": "logstash-py",
            "_source": {
                "@timestamp": T0 + h * 3_600_000,
                "message": f"BAR event {h}",
                "tags": ["_jsonparsefailure"] if h % 2 else ["ok"],
            },
        }
        for h in range(48)
    ),
    refresh=True,
)
check("failure tags", es.count(index="logstash-py", query={"term": {"tags": "_jsonparsefailure"}})["count"], 24)
check("q wildcard", es.search(index="logstash-py", q="message:BA*", size=0)["hits"]["total"]["value"], 48)

r = es.search(
    index="logstash-py",
    size=0,
    aggs={"days": {
        "meta": {"panel": "a"},
        "date_histogram": {"field": "@timestamp", "calendar_interval": "1d", "time_zone": "Europe/Berlin"},
    }},
)
days = r["aggregations"]["days"]
check("meta", days["meta"], {"panel": "a"})
check("dst days", [b["doc_count"] for b in days["buckets"]], [23, 23, 2])

# Document APIs: update (partial doc, upsert, noop), optimistic concurrency, mget, get_source,
# and bulk update actions through the client's helpers.
from elasticsearch import ConflictError, NotFoundError

w = es.index(index="docs-py", id="1", document={"n": 1, "o": {"a": 1}}, refresh=True)
check("forced refresh", w["forced_refresh"], True)
u = es.update(index="docs-py", id="1", doc={"o": {"b": 2}})
check("update", (u["result"], u["_version"]), ("updated", 2))
check("noop", es.update(index="docs-py", id="1", doc={"n": 1})["result"], "noop")
check("upsert", es.update(index="docs-py", id="2", doc={"n": 5}, upsert={"n": 0})["result"], "created")
check("get_source", es.get_source(index="docs-py", id="1").body, {"n": 1, "o": {"a": 1, "b": 2}})
cur = es.get(index="docs-py", id="1")
es.index(index="docs-py", id="1", document={"n": 3}, if_seq_no=cur["_seq_no"], if_primary_term=cur["_primary_term"])
try:
    es.index(index="docs-py", id="1", document={"n": 4}, if_seq_no=cur["_seq_no"], if_primary_term=cur["_primary_term"])
    raise SystemExit("a stale if_seq_no was accepted")
except ConflictError as e:
    check("conflict", e.meta.status, 409)
try:
    es.update(index="docs-py", id="missing", doc={"n": 1})
    raise SystemExit("an update of a missing document succeeded")
except NotFoundError as e:
    check("missing", e.body["error"]["type"], "document_missing_exception")
ok, errors = helpers.bulk(
    es,
    [
        {"_op_type": "update", "_index": "docs-py", "_id": "2", "doc": {"m": True}},
        {"_op_type": "update", "_index": "docs-py", "_id": "3", "doc": {"n": 7}, "doc_as_upsert": True},
    ],
    refresh=True,
)
check("bulk updates", (ok, errors), (2, []))
got = es.mget(index="docs-py", ids=["1", "2", "3", "4"])
check("mget", [d.get("_source") for d in got["docs"]], [{"n": 3}, {"n": 0, "m": True}, {"n": 7}, None])

check("license", es.license.get()["license"]["type"], "basic")
check("xpack", es.xpack.info()["license"]["mode"], "basic")

# sniffing: the client asks GET _nodes/_all/http and talks to the publish address it gets
sniffer = Elasticsearch(URL, sniff_on_start=True, request_timeout=60)
check("sniffed count", sniffer.count(index="docs-py")["count"], 3)
http = es.nodes.info(metric="http")["nodes"]
check("one node", len(http), 1)
check("publish address", "http://" + next(iter(http.values()))["http"]["publish_address"], URL)
stats = es.nodes.stats(metric="indices")["nodes"]
check("node docs", next(iter(stats.values()))["indices"]["docs"]["count"] >= 3, True)

# data streams as Filebeat and Logstash 8 write them: a template, create-only writes, rollover
es.indices.put_index_template(name="py-ds", index_patterns=["py-ds-*"], data_stream={}, priority=100)
r = es.index(index="py-ds-app", document={"@timestamp": "2026-12-06T00:00:00Z", "m": 1}, refresh=True)
check("first backing index", r["_index"].startswith(".ds-py-ds-app-"), True)
ds = es.indices.get_data_stream(name="py-ds-app")["data_streams"][0]
check("data stream", (ds["name"], ds["generation"], ds["template"]), ("py-ds-app", 1, "py-ds"))
check("rollover", es.indices.rollover(alias="py-ds-app")["rolled_over"], True)
ok, errors = helpers.bulk(
    es,
    [{"_op_type": "create", "_index": "py-ds-app", "@timestamp": "2026-12-06T01:00:00Z", "m": 2},
     {"_op_type": "index", "_index": "py-ds-app", "@timestamp": "2026-12-06T02:00:00Z", "m": 3}],
    refresh=True,
    raise_on_error=False,
)
check("bulk into a data stream", (ok, [e["index"]["error"]["type"] for e in errors]),
      (1, ["illegal_argument_exception"]))
check("data stream count", es.count(index="py-ds-app")["count"], 2)
check("delete data stream", es.indices.delete_data_stream(name="py-ds-app")["acknowledged"], True)

print(json.dumps({"analyze": "ok", "days": [b["doc_count"] for b in days["buckets"]]}))
