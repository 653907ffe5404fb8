//! The fields of a data view, from `_field_caps` (what Kibana asks for too), with Kibana's
//! field types (`string`, `number`, `date`, ...).

use serde_json::{Value, json};

/// Kibana's type of an Elasticsearch field type.
pub fn kibana_type(es_type: &str) -> &'static str {
    match es_type {
        "text" | "keyword" | "match_only_text" | "constant_keyword" | "wildcard" | "version" => {
            "string"
        }
        "long" | "integer" | "short" | "byte" | "double" | "float" | "half_float"
        | "scaled_float" | "unsigned_long" => "number",
        "date" | "date_nanos" => "date",
        "boolean" => "boolean",
        "ip" => "ip",
        "geo_point" => "geo_point",
        "object" | "nested" | "flattened" => "object",
        _ => "unknown",
    }
}

/// The UI API's `{"fields": [...], "indices": [...]}` from a `_field_caps` response:
/// metadata fields left out, sorted by name; a field whose types disagree across indices is
/// `conflict`.
pub fn from_field_caps(resp: &Value) -> Value {
    let mut fields = Vec::new();
    if let Some(map) = resp["fields"].as_object() {
        for (name, by_type) in map {
            let Some(by_type) = by_type.as_object() else {
                continue;
            };
            if name.starts_with('_')
                || by_type
                    .values()
                    .any(|c| c["metadata_field"].as_bool() == Some(true))
            {
                continue;
            }
            let es_types: Vec<&str> = by_type.keys().map(String::as_str).collect();
            let mut kinds: Vec<&str> = es_types
                .iter()
                .copied()
                .filter(|t| *t != "unmapped")
                .map(kibana_type)
                .collect();
            kinds.dedup();
            let kind = match kinds.as_slice() {
                [one] => *one,
                [] => "unknown",
                _ => "conflict",
            };
            let all = |key: &str| by_type.values().all(|c| c[key].as_bool() == Some(true));
            fields.push(json!({
                "name": name,
                "type": kind,
                "esTypes": es_types,
                "searchable": all("searchable"),
                "aggregatable": all("aggregatable"),
            }));
        }
    }
    fields.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    json!({"fields": fields, "indices": resp.get("indices").cloned().unwrap_or_else(|| json!([]))})
}

/// The date fields among [`from_field_caps`]'s answer, `@timestamp` and `timestamp` first.
pub fn date_fields(fields: &Value) -> Vec<String> {
    let mut out: Vec<String> = fields["fields"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|f| f["type"] == "date")
                .filter_map(|f| f["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|n| match n.as_str() {
        "@timestamp" => 0,
        "timestamp" => 1,
        _ => 2,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_caps_become_kibana_fields() {
        let resp = json!({
            "indices": ["logs-1", "logs-2"],
            "fields": {
                "_id": {"_id": {"type": "_id", "metadata_field": true, "searchable": true, "aggregatable": false}},
                "@timestamp": {"date": {"type": "date", "metadata_field": false, "searchable": true, "aggregatable": true}},
                "message": {"text": {"type": "text", "metadata_field": false, "searchable": true, "aggregatable": false}},
                "message.keyword": {"keyword": {"type": "keyword", "metadata_field": false, "searchable": true, "aggregatable": true}},
                "duration": {
                    "long": {"type": "long", "metadata_field": false, "searchable": true, "aggregatable": true, "indices": ["logs-1"]},
                    "float": {"type": "float", "metadata_field": false, "searchable": true, "aggregatable": true, "indices": ["logs-2"]}
                },
                "user": {
                    "keyword": {"type": "keyword", "metadata_field": false, "searchable": true, "aggregatable": true, "indices": ["logs-1"]},
                    "long": {"type": "long", "metadata_field": false, "searchable": true, "aggregatable": true, "indices": ["logs-2"]}
                }
            }
        });
        let got = from_field_caps(&resp);
        let names: Vec<_> = got["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                (
                    f["name"].as_str().unwrap_or(""),
                    f["type"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("@timestamp", "date"),
                ("duration", "number"),
                ("message", "string"),
                ("message.keyword", "string"),
                ("user", "conflict")
            ]
        );
        assert_eq!(got["fields"][2]["aggregatable"], false);
        assert_eq!(got["indices"], json!(["logs-1", "logs-2"]));
        assert_eq!(date_fields(&got), ["@timestamp"]);
    }
}
