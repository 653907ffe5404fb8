"""The official `elasticsearch` 8.x client's search APIs against sluice-store: search_after,
open_point_in_time / close_point_in_time, field_caps, msearch and highlight.

usage: es_client_search_api.py URL [COUNT]
Prints one JSON line with the figures checked; exits non-zero on any mismatch.
"""
import json
import sys

from elasticsearch import Elasticsearch, NotFoundError, helpers

URL = sys.argv[1]
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000
INDEX = "ui-logs"
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def check(what, got, want):
    if got != want:
        print(f"MISMATCH {what}: got {got!r}, want {want!r}", file=sys.stderr)
        sys.exit(1)


def doc(i):
    return {
        "timestamp": T0 + (i % 100) * 1000,
        "user": f"user{i % 7}",
        "message": f"request {i} served by {'alpha' if i % 2 else 'beta'}",
    }


es = Elasticsearch(URL, request_timeout=60)
es.indices.create(
    index=INDEX,
    mappings={
        "properties": {
            "timestamp": {"type": "date"},
            "user": {"type": "keyword"},
            "message": {"type": "text", "fields": {"keyword": {"type": "keyword"}}},
        }
    },
)
helpers.bulk(
    es,
    ({"_index": INDEX, "_id": str(i), "_source": doc(i)} for i in range(COUNT)),
    refresh=True,
)

# search_after over the live index, with a unique tie-breaker
seen = []
after = None
while True:
    kwargs = {"search_after": after} if after else {}
    r = es.search(
        index=INDEX,
        size=300,
        sort=[{"timestamp": "asc"}, {"message.keyword": "asc"}],
        source=False,
        **kwargs,
    )
    hits = r["hits"]["hits"]
    if not hits:
        break
    for h in hits:
        check("date sort value is epoch millis", isinstance(h["sort"][0], int), True)
    seen.extend(h["_id"] for h in hits)
    after = hits[-1]["sort"]
check("search_after pages", sorted(seen, key=int), [str(i) for i in range(COUNT)])

# a point in time: later writes are not seen; _shard_doc is implicit
pit = es.open_point_in_time(index=INDEX, keep_alive="1m")["id"]
helpers.bulk(
    es,
    ({"_index": INDEX, "_id": f"late{i}", "_source": doc(i)} for i in range(50)),
    refresh=True,
)
pit_seen = set()
after = None
pages = 0
while True:
    kwargs = {"search_after": after} if after else {}
    r = es.search(
        pit={"id": pit, "keep_alive": "1m"},
        size=500,
        sort=[{"timestamp": "desc"}],
        track_total_hits=False,
        **kwargs,
    )
    check("pit_id echoed", r["pit_id"], pit)
    hits = r["hits"]["hits"]
    if not hits:
        break
    pages += 1
    check("implicit tie-breaker", len(hits[0]["sort"]), 2)
    for h in hits:
        if h["_id"] in pit_seen:
            check("seen once", h["_id"], None)
        pit_seen.add(h["_id"])
    after = hits[-1]["sort"]
check("pit sees the snapshot", len(pit_seen), COUNT)
closed = es.close_point_in_time(id=pit)
check("close", dict(closed), {"succeeded": True, "num_freed": 1})
try:
    es.search(pit={"id": pit})
    check("search on a closed pit", "succeeded", "NotFoundError")
except NotFoundError as e:
    check("missing context", e.body["error"]["root_cause"][0]["type"], "search_context_missing_exception")

# field_caps
caps = es.field_caps(index=INDEX, fields="*")
check("field_caps indices", caps["indices"], [INDEX])
check("message", caps["fields"]["message"]["text"]["aggregatable"], False)
check("message.keyword", caps["fields"]["message.keyword"]["keyword"]["aggregatable"], True)
check("timestamp", caps["fields"]["timestamp"]["date"]["type"], "date")
check("_id", caps["fields"]["_id"]["_id"]["metadata_field"], True)

# msearch: one answer per search, errors in place
ms = es.msearch(
    searches=[
        {"index": INDEX},
        {"query": {"term": {"user": "user3"}}, "size": 0, "track_total_hits": True},
        {"index": "no-such-index"},
        {"query": {"match_all": {}}},
        {},
        {"query": {"match": {"message": "alpha"}}, "size": 0, "track_total_hits": True},
    ]
)
responses = ms["responses"]
check("msearch count", len(responses), 3)
want_user3 = sum(1 for i in range(COUNT) if i % 7 == 3) + sum(1 for i in range(50) if i % 7 == 3)
check("msearch 1", (responses[0]["status"], responses[0]["hits"]["total"]["value"]), (200, want_user3))
check("msearch 2", (responses[1]["status"], responses[1]["error"]["type"]), (404, "index_not_found_exception"))
check("msearch 3", responses[2]["hits"]["total"]["value"], COUNT // 2 + 50 // 2)

# highlight
r = es.search(
    index=INDEX,
    query={"bool": {"must": [{"match": {"message": "alpha"}}, {"term": {"user": "user1"}}]}},
    highlight={"fields": {"message": {}, "user": {}}, "pre_tags": ["<mark>"], "post_tags": ["</mark>"]},
    sort=[{"timestamp": "asc"}, {"message.keyword": "asc"}],
    size=1,
)
h = r["hits"]["hits"][0]
want = h["_source"]["message"].replace("alpha", "<mark>alpha</mark>")
check("highlight", h["highlight"], {"message": [want], "user": ["<mark>user1</mark>"]})

# scroll: helpers.scan (scroll + clear_scroll), in order with preserve_order, and
# helpers.reindex (scan + bulk) into another index
total = COUNT + 50
scanned = [h["_id"] for h in helpers.scan(es, index=INDEX, query={"query": {"match_all": {}}}, size=333, scroll="1m")]
check("scan every document once", (len(scanned), len(set(scanned))), (total, total))
ordered = [
    h["sort"][0]
    for h in helpers.scan(
        es, index=INDEX, query={"sort": [{"timestamp": "desc"}]}, size=250, scroll="1m", preserve_order=True
    )
]
check("scan in sort order", (len(ordered), ordered == sorted(ordered, reverse=True)), (total, True))
user3 = sum(1 for i in range(COUNT) if i % 7 == 3) + sum(1 for i in range(50) if i % 7 == 3)
reindexed = helpers.reindex(es, INDEX, INDEX + "-copy", query={"query": {"term": {"user": "user3"}}}, chunk_size=100)
check("reindex", (reindexed[0], not reindexed[1]), (user3, True))
es.indices.refresh(index=INDEX + "-copy")
check("reindexed count", es.count(index=INDEX + "-copy")["count"], user3)
# by-query: rewrite the copy in place, then empty it
updated = es.update_by_query(index=INDEX + "-copy", query={"match_all": {}}, refresh=True)
check("update_by_query", (updated["updated"], updated["version_conflicts"], updated["failures"]), (user3, 0, []))
deleted = es.delete_by_query(index=INDEX + "-copy", query={"term": {"user": "user3"}}, refresh=True, conflicts="proceed")
check("delete_by_query", (deleted["deleted"], deleted["total"]), (user3, user3))
check("emptied", es.count(index=INDEX + "-copy")["count"], 0)
first = es.search(index=INDEX, scroll="30s", size=10)
cleared = es.clear_scroll(scroll_id=first["_scroll_id"])
check("clear_scroll", dict(cleared), {"succeeded": True, "num_freed": 1})
try:
    es.scroll(scroll_id=first["_scroll_id"], scroll="30s")
    check("scroll after clear", "succeeded", "NotFoundError")
except NotFoundError as e:
    check("cleared context", e.body["error"]["root_cause"][0]["type"], "search_context_missing_exception")

print(json.dumps({"search_after": len(seen), "pit": len(pit_seen), "pit_pages": pages, "msearch": len(responses), "scan": len(scanned), "reindex": reindexed[0]}))
