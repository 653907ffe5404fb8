"""The seed's Example 2 and its bulk tip, made with `requests` exactly as the tutorial makes them.

PUT the index with the seed mapping, 50 x POST /python-logs/_doc expecting 201, then the bulk tip:
`{"index":{}}` lines, `application/x-ndjson`. Every answer is checked, then read back.

usage: requests_seed.py URL
"""
import json
import random
import sys
from datetime import datetime

import requests

ELASTICSEARCH_URL = sys.argv[1]
INDEX_NAME = "python-logs"


def check(what, got, want):
    if got != want:
        print(f"MISMATCH {what}: got {got!r}, want {want!r}", file=sys.stderr)
        sys.exit(1)


def create_index():
    mapping = {
        "mappings": {
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
    }
    response = requests.put(f"{ELASTICSEARCH_URL}/{INDEX_NAME}", json=mapping)
    check("PUT index status", response.status_code, 200)
    check("PUT index body", response.json(), {"acknowledged": True, "shards_acknowledged": True, "index": INDEX_NAME})
    check("X-Elastic-Product", response.headers.get("X-Elastic-Product"), "Elasticsearch")


def send_log_to_elasticsearch(log_data):
    url = f"{ELASTICSEARCH_URL}/{INDEX_NAME}/_doc"
    headers = {"Content-Type": "application/json"}
    response = requests.post(url, data=json.dumps(log_data), headers=headers)
    check("POST _doc status", response.status_code, 201)
    body = response.json()
    check("POST _doc result", body["result"], "created")
    check("POST _doc _index", body["_index"], INDEX_NAME)
    return body["_id"]


def send_bulk_logs(logs):
    bulk_data = []
    for log in logs:
        bulk_data.append(json.dumps({"index": {}}))
        bulk_data.append(json.dumps(log))
    response = requests.post(
        f"{ELASTICSEARCH_URL}/{INDEX_NAME}/_bulk",
        data="\n".join(bulk_data) + "\n",
        headers={"Content-Type": "application/x-ndjson"},
    )
    check("bulk status", response.status_code, 200)
    return response.json()


def log_entry(rng, i):
    return {
        "timestamp": datetime.utcnow().isoformat(),
        "level": rng.choice(["INFO", "WARNING", "ERROR"]),
        "message": f"Log entry {i}",
        "user": rng.choice(["user1", "user2", "user3", "user4", "user5"]),
        "action": rng.choice(["login", "search", "purchase", "logout", "view"]),
        "duration": rng.uniform(0.1, 3.0),
        "source": "python-script",
    }


def main():
    rng = random.Random(7)
    create_index()
    sent = {}
    for i in range(50):
        entry = log_entry(rng, i)
        sent[send_log_to_elasticsearch(entry)] = entry
    check("distinct ids", len(sent), 50)
    for doc_id, entry in sent.items():
        got = requests.get(f"{ELASTICSEARCH_URL}/{INDEX_NAME}/_doc/{doc_id}")
        check("GET _doc status", got.status_code, 200)
        check("GET _doc _source", got.json()["_source"], entry)

    bulk_logs = [log_entry(rng, 50 + i) for i in range(100)]
    result = send_bulk_logs(bulk_logs)
    check("bulk errors", result["errors"], False)
    check("bulk items", len(result["items"]), 100)
    for item in result["items"]:
        check("bulk item status", item["index"]["status"], 201)
        check("bulk item result", item["index"]["result"], "created")

    requests.post(f"{ELASTICSEARCH_URL}/{INDEX_NAME}/_refresh")
    count = requests.get(f"{ELASTICSEARCH_URL}/{INDEX_NAME}/_count").json()["count"]
    check("count", count, 150)
    everything = list(sent.values()) + bulk_logs
    for user in ["user1", "user3"]:
        want = sum(1 for e in everything if e["user"] == user)
        r = requests.post(
            f"{ELASTICSEARCH_URL}/{INDEX_NAME}/_count",
            json={"query": {"term": {"user": user}}},
        )
        check(f"count user {user}", r.json()["count"], want)
    print(json.dumps({"docs": len(sent), "bulk": len(bulk_logs), "count": count}))


if __name__ == "__main__":
    main()
