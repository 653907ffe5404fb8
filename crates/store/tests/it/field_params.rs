//! Field types and parameters held to Elasticsearch's documented behaviour: `binary` (base64
//! values, never searched, found by `exists`, refused by aggregations), `meta` (checked and
//! shown), the text parameters that change nothing but the mapping (`index_options`,
//! `term_vector`, `index_phrases`, `index_prefixes`) and those refused by name
//! (`index_options: docs`); `index.number_of_routing_shards`; `typed_keys`; `term` on
//! `_id` with a number; `_cat` columns (`h`) and sort (`s`); gets' source filters and
//! `realtime=false`.

use serde_json::json;

use crate::TestServer;
use crate::client::{es_error, get, json, ndjson, ok};

#[test]
fn binary_fields_keep_base64_values_that_only_exists_finds() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/b",
        Some(&json!({"mappings": {"properties": {
            "blob": {"type": "binary", "doc_values": true},
            "raw": {"type": "binary", "store": true}}}})),
    ));
    let m = ok(&get(a, "/b/_mapping"));
    assert_eq!(
        m["b"]["mappings"]["properties"],
        json!({"blob": {"type": "binary", "doc_values": true},
               "raw": {"type": "binary", "store": true}})
    );
    let r = ok(&ndjson(
        a,
        "/b/_bulk?refresh=true",
        "{\"index\":{\"_id\":\"1\"}}\n{\"blob\":\"YWJjZGUxMjM0\"}\n{\"index\":{\"_id\":\"2\"}}\n{\"raw\":\"U2x1aWNl\"}\n",
    ));
    assert_eq!(r["errors"], false, "{r}");
    // what is not base64 is refused, as is a number
    for bad in [json!({"blob": "not base64!"}), json!({"raw": 12})] {
        let r = json(a, "PUT", "/b/_doc/3", Some(&bad));
        es_error(&r, 400, "document_parsing_exception");
    }
    for (field, id) in [("blob", "1"), ("raw", "2")] {
        let r = ok(&json(
            a,
            "POST",
            "/b/_search",
            Some(&json!({"query": {"exists": {"field": field}}})),
        ));
        assert_eq!(r["hits"]["total"]["value"], 1, "{field}: {r}");
        assert_eq!(r["hits"]["hits"][0]["_id"], id);
        assert_eq!(
            r["hits"]["hits"][0]["_source"].as_object().unwrap().len(),
            1
        );
    }
    let r = json(
        a,
        "POST",
        "/b/_search",
        Some(&json!({"size": 0, "aggs": {"t": {"terms": {"field": "blob"}}}})),
    );
    es_error(&r, 400, "search_phase_execution_exception");
    let text = r.text();
    assert!(
        text.contains("Field [blob] of type [binary] is not supported for aggregation [terms]"),
        "{text}"
    );
    // a binary field takes no other parameter
    let r = json(
        a,
        "PUT",
        "/b2",
        Some(&json!({"mappings": {"properties": {"x": {"type": "binary", "index": true}}}})),
    );
    let why = es_error(&r, 400, "mapper_parsing_exception");
    assert!(
        why.contains("unknown parameter [index] on mapper [x] of type [binary]"),
        "{why}"
    );
}

#[test]
fn field_parameters_are_checked_shown_or_refused_by_name() {
    let t = TestServer::start();
    let a = t.addr();
    let mapping = json!({"properties": {
        "latency": {"type": "long", "meta": {"unit": "ms"}},
        "body": {"type": "text", "index_options": "offsets", "term_vector": "with_positions_offsets",
                 "index_phrases": true, "index_prefixes": {"min_chars": 1, "max_chars": 10},
                 "fielddata": false}}});
    ok(&json(a, "PUT", "/p", Some(&json!({"mappings": mapping}))));
    let m = ok(&get(a, "/p/_mapping"));
    let props = &m["p"]["mappings"]["properties"];
    assert_eq!(props["latency"]["meta"], json!({"unit": "ms"}), "{m}");
    assert_eq!(props["body"]["index_options"], "offsets");
    assert_eq!(props["body"]["term_vector"], "with_positions_offsets");
    assert_eq!(props["body"]["index_phrases"], true);
    assert_eq!(
        props["body"]["index_prefixes"],
        json!({"min_chars": 1, "max_chars": 10})
    );
    // the store restarts with the same mapping
    let t = t.restart();
    let again = ok(&get(t.addr(), "/p/_mapping"));
    assert_eq!(again, m);
    let a = t.addr();
    let refused = [
        (
            json!({"type": "keyword", "meta": {"a": 1}}),
            "[meta] values can only be strings",
        ),
        (
            json!({"type": "keyword", "meta": {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6"}}),
            "[meta] can't have more than 5 entries",
        ),
        (
            json!({"type": "text", "index_options": "docs"}),
            "[index_options] = [docs] on field [f] is not supported by sluice-store",
        ),
        (
            json!({"type": "text", "index_options": "all"}),
            "Unknown value [all] for field [index_options]",
        ),
        (
            json!({"type": "text", "index_prefixes": {"min_chars": 5, "max_chars": 2}}),
            "min_chars [5] must be less than max_chars [2]",
        ),
    ];
    for (def, want) in refused {
        let r = json(
            a,
            "PUT",
            "/q",
            Some(&json!({"mappings": {"properties": {"f": def}}})),
        );
        let why = es_error(&r, 400, "mapper_parsing_exception");
        assert!(why.contains(want), "{def}: {why}");
    }
}

#[test]
fn routing_shards_route_as_given_and_are_checked() {
    let t = TestServer::start();
    let a = t.addr();
    let r = json(
        a,
        "PUT",
        "/r",
        Some(&json!({"settings": {"number_of_shards": 3, "number_of_routing_shards": 4}})),
    );
    let why = es_error(&r, 400, "illegal_argument_exception");
    assert!(why.contains("must be a factor of [4]"), "{why}");
    let r = json(
        a,
        "PUT",
        "/r",
        Some(&json!({"settings": {"number_of_shards": 4, "number_of_routing_shards": 2}})),
    );
    es_error(&r, 400, "illegal_argument_exception");
    ok(&json(
        a,
        "PUT",
        "/r",
        Some(&json!({"settings": {"number_of_shards": 5, "number_of_routing_shards": 5}})),
    ));
    let s = ok(&get(a, "/r/_settings"));
    assert_eq!(
        s["r"]["settings"]["index"]["number_of_routing_shards"], "5",
        "{s}"
    );
    // ids route over the five routing shards (murmur3 of the id modulo 5)
    let bulk: String = (0..40)
        .map(|i| format!("{{\"index\":{{\"_id\":\"{i}\"}}}}\n{{\"f\":{i}}}\n"))
        .collect();
    ok(&ndjson(a, "/r/_bulk?refresh=true", &bulk));
    let rows = ok(&get(a, "/_cat/shards/r?format=json&h=shard,prirep,docs"));
    let per_shard: Vec<u64> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["prirep"] == "p")
        .map(|r| r["docs"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(per_shard.len(), 5, "{rows}");
    assert_eq!(per_shard.iter().sum::<u64>(), 40);
    assert!(per_shard.iter().all(|n| *n > 0), "{rows}");
}

#[test]
fn typed_keys_id_terms_and_cat_columns() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/k",
        Some(&json!({"mappings": {"properties": {
            "s": {"type": "keyword"}, "n": {"type": "long"}, "d": {"type": "double"}}}})),
    ));
    ok(&ndjson(
        a,
        "/k/_bulk?refresh=true",
        "{\"index\":{\"_id\":\"1\"}}\n{\"s\":\"a\",\"n\":1,\"d\":1.5}\n{\"index\":{\"_id\":\"2\"}}\n{\"s\":\"b\",\"n\":2,\"d\":2.5}\n",
    ));
    let body = json!({"size": 0, "aggs": {
        "by_s": {"terms": {"field": "s"}, "aggs": {"top": {"max": {"field": "n"}}}},
        "by_n": {"terms": {"field": "n"}},
        "by_d": {"terms": {"field": "d"}},
        "pct": {"percentiles": {"field": "n"}},
        "hist": {"histogram": {"field": "n", "interval": 1},
                 "aggs": {"c": {"value_count": {"field": "n"}}}},
        "best": {"max_bucket": {"buckets_path": "hist>c"}}}});
    let r = ok(&json(a, "POST", "/k/_search?typed_keys=true", Some(&body)));
    let keys: Vec<&str> = r["aggregations"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "sterms#by_s",
            "lterms#by_n",
            "dterms#by_d",
            "tdigest_percentiles#pct",
            "histogram#hist",
            "bucket_metric_value#best"
        ]
    );
    assert_eq!(
        r["aggregations"]["sterms#by_s"]["buckets"][0]["max#top"]["value"],
        1.0
    );
    assert_eq!(
        r["aggregations"]["histogram#hist"]["buckets"][1]["value_count#c"]["value"],
        1
    );
    // without the parameter the names are as given
    let r = ok(&json(a, "POST", "/k/_search", Some(&body)));
    assert!(r["aggregations"]["by_s"].is_object(), "{r}");
    // `_id` is a keyword of every document: a number is its text
    let r = ok(&json(
        a,
        "POST",
        "/k/_search",
        Some(&json!({"query": {"term": {"_id": 2}}})),
    ));
    assert_eq!(r["hits"]["total"]["value"], 1, "{r}");
    let r = ok(&json(
        a,
        "POST",
        "/k/_search",
        Some(&json!({"query": {"terms": {"_id": [1, "2", 3]}}})),
    ));
    assert_eq!(r["hits"]["total"]["value"], 2, "{r}");
    // `_cat` columns and sort
    ok(&json(a, "POST", "/k/_aliases/z_alias", None));
    ok(&json(a, "POST", "/k/_aliases/a_alias", None));
    let text = get(a, "/_cat/aliases?h=alias&s=alias:desc").text();
    assert_eq!(text, "z_alias\na_alias\n");
    let r = get(a, "/_cat/aliases?h=nope");
    let why = es_error(&r, 400, "illegal_argument_exception");
    assert!(
        why.contains("header name [nope] does not exist in table"),
        "{why}"
    );
}

#[test]
fn gets_filter_sources_and_read_what_a_search_sees_when_not_realtime() {
    let t = TestServer::start();
    let a = t.addr();
    ok(&json(
        a,
        "PUT",
        "/g",
        Some(&json!({"settings": {"refresh_interval": "-1"}})),
    ));
    let doc = json!({"include": {"field1": "v1", "field2": "v2"}, "count": 1});
    ok(&json(a, "PUT", "/g/_doc/1", Some(&doc)));
    // realtime (the default) sees the write; realtime=false sees the last refresh
    assert_eq!(get(a, "/g/_doc/1").status, 200);
    assert_eq!(get(a, "/g/_doc/1?realtime=false").status, 404);
    assert_eq!(get(a, "/g/_source/1?realtime=false").status, 404);
    let r = ok(&json(
        a,
        "POST",
        "/_mget?realtime=false",
        Some(&json!({"docs": [{"_index": "g", "_id": "1"}]})),
    ));
    assert_eq!(r["docs"][0]["found"], false, "{r}");
    ok(&json(a, "POST", "/g/_refresh", None));
    assert_eq!(get(a, "/g/_doc/1?realtime=false").status, 200);
    // URL filters on get and _source
    let r = ok(&get(a, "/g/_doc/1?_source_includes=include.field1"));
    assert_eq!(r["_source"], json!({"include": {"field1": "v1"}}));
    let r = ok(&get(a, "/g/_doc/1?_source=count"));
    assert_eq!(r["_source"], json!({"count": 1}));
    let r = ok(&get(a, "/g/_doc/1?_source_excludes=include"));
    assert_eq!(r["_source"], json!({"count": 1}));
    let r = ok(&get(a, "/g/_doc/1?_source=false"));
    assert!(r.get("_source").is_none(), "{r}");
    let r = ok(&get(a, "/g/_source/1?_source_includes=include.field2"));
    assert_eq!(r, json!({"include": {"field2": "v2"}}));
    // per document in _mget, over the URL's
    let r = ok(&json(
        a,
        "POST",
        "/_mget?_source=count",
        Some(&json!({"docs": [
            {"_index": "g", "_id": "1", "_source": false},
            {"_index": "g", "_id": "1", "_source": ["include.field1"]},
            {"_index": "g", "_id": "1", "_source": {"excludes": ["include"]}},
            {"_index": "g", "_id": "1"}]})),
    ));
    assert!(r["docs"][0].get("_source").is_none(), "{r}");
    assert_eq!(
        r["docs"][1]["_source"],
        json!({"include": {"field1": "v1"}})
    );
    assert_eq!(r["docs"][2]["_source"], json!({"count": 1}));
    assert_eq!(r["docs"][3]["_source"], json!({"count": 1}));
}
