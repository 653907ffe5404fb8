//! `_field_caps`: what each field is, per type across the target indices, in ES's shape
//! (`{"indices": [..], "fields": {name: {type: {"type", "metadata_field", "searchable",
//! "aggregatable"}}}}`; a field with several types, or unmapped somewhere with
//! `include_unmapped`, lists the `indices` of each).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::engine::store::{Resolve, Store};
use crate::engine::util::wildcard_match;
use crate::error::{Error, Result};
use crate::mapping::{FieldMapping, FieldType, Mapping};

/// The metadata fields every index has, as ES 8 reports them: `(name, searchable, aggregatable)`.
const METADATA: &[(&str, bool, bool)] = &[
    ("_data_stream_timestamp", false, false),
    ("_doc_count", false, false),
    ("_field_names", true, false),
    ("_id", true, false),
    ("_ignored", true, true),
    ("_index", true, true),
    ("_routing", true, false),
    ("_seq_no", true, true),
    ("_source", false, false),
    ("_tier", true, false),
    ("_version", false, true),
];

/// Options of a `_field_caps` request.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FieldCapsOptions {
    /// `fields`: names or `*` patterns (required).
    pub fields: Vec<String>,
    /// `include_unmapped` (default false): list the indices where a field is missing as type
    /// `unmapped`.
    pub include_unmapped: bool,
    /// `filters` (`+metadata`, `-metadata`, `-nested`, `-multifield`, `-parent`); default none.
    pub filters: Vec<String>,
    /// `types`: only fields of these types; default all.
    pub types: Vec<String>,
    /// Index resolution (`ignore_unavailable`, `allow_no_indices`).
    pub resolve: Resolve,
}

/// One field's capabilities in one index.
#[derive(Debug, Clone, PartialEq)]
struct Cap {
    ty: String,
    metadata: bool,
    searchable: bool,
    aggregatable: bool,
    /// the field's `meta` (`key`, `value`) pairs
    meta: Vec<(String, String)>,
}

fn leaf_cap(fm: &FieldMapping) -> Cap {
    let (searchable, aggregatable) = match fm.ty {
        FieldType::Text => (fm.index, false),
        // searchable by doc values alone, as Elasticsearch's doc-value queries
        FieldType::Keyword
        | FieldType::Long
        | FieldType::Integer
        | FieldType::Short
        | FieldType::Byte
        | FieldType::Double
        | FieldType::Float
        | FieldType::HalfFloat
        | FieldType::Boolean
        | FieldType::Date
        | FieldType::Ip
        | FieldType::GeoPoint => (fm.index || fm.doc_values, fm.doc_values),
    };
    let meta = fm
        .shown
        .get("meta")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Cap {
        ty: fm.type_name().to_owned(),
        metadata: false,
        searchable,
        aggregatable,
        meta,
    }
}

/// Every field of one index (leaves, multi-fields, objects, metadata) that the options keep.
fn index_caps(mapping: &Mapping, opts: &FieldCapsOptions) -> Result<BTreeMap<String, Cap>> {
    let mut filters = Filters::default();
    for f in &opts.filters {
        match f.trim() {
            // `+` is a space in a query string: `+metadata` arrives as ` metadata`
            "+metadata" | "metadata" => filters.only_metadata = true,
            "-metadata" => filters.no_metadata = true,
            "-multifield" => filters.no_multifield = true,
            "-parent" => filters.no_parent = true,
            "-nested" => filters.no_nested = true,
            "" => {}
            other => {
                return Err(Error::illegal_argument(format!(
                    "Unknown field caps filter [{other}]"
                )));
            }
        }
    }
    let mut all: BTreeMap<String, Cap> = BTreeMap::new();
    if !filters.no_metadata {
        for (name, searchable, aggregatable) in METADATA {
            all.insert(
                (*name).to_owned(),
                Cap {
                    ty: (*name).to_owned(),
                    metadata: true,
                    searchable: *searchable,
                    aggregatable: *aggregatable,
                    meta: Vec::new(),
                },
            );
        }
    }
    if !filters.only_metadata {
        for path in mapping.field_paths() {
            let Some(fm) = mapping.field(&path) else {
                continue;
            };
            let multi = path
                .rsplit_once('.')
                .is_some_and(|(parent, _)| mapping.field(parent).is_some());
            if !(multi && filters.no_multifield) {
                all.insert(path.clone(), leaf_cap(fm));
            }
        }
        // the objects, `nested` ones by that type
        if !filters.no_parent {
            for path in mapping.object_paths() {
                let ty = if mapping.is_nested(&path) {
                    "nested"
                } else {
                    "object"
                };
                all.entry(path).or_insert_with(|| Cap {
                    ty: ty.to_owned(),
                    metadata: false,
                    searchable: false,
                    aggregatable: false,
                    meta: Vec::new(),
                });
            }
        }
        // `-nested`: nothing inside a nested object (nor the nested object itself)
        if filters.no_nested {
            all.retain(|name, _| mapping.nested_scope(name).is_none());
        }
    }
    all.retain(|name, cap| {
        opts.fields.iter().any(|p| wildcard_match(p, name))
            && (opts.types.is_empty() || opts.types.contains(&cap.ty))
    });
    Ok(all)
}

#[derive(Default)]
struct Filters {
    only_metadata: bool,
    no_metadata: bool,
    no_multifield: bool,
    no_parent: bool,
    no_nested: bool,
}

/// Indices of one type of one field, with their capabilities.
type Group = Vec<(String, Cap)>;

fn render_group(ty: &str, group: &Group, list_indices: bool) -> Value {
    let searchable = group.iter().all(|(_, c)| c.searchable);
    let aggregatable = group.iter().all(|(_, c)| c.aggregatable);
    let metadata = group.iter().any(|(_, c)| c.metadata);
    let mut o = Map::new();
    o.insert("type".into(), Value::from(ty));
    o.insert("metadata_field".into(), Value::from(metadata));
    o.insert("searchable".into(), Value::from(searchable));
    o.insert("aggregatable".into(), Value::from(aggregatable));
    if list_indices {
        o.insert(
            "indices".into(),
            group.iter().map(|(i, _)| Value::from(i.clone())).collect(),
        );
    }
    let names = |f: fn(&Cap) -> bool| -> Value {
        group
            .iter()
            .filter(|(_, c)| !f(c))
            .map(|(i, _)| Value::from(i.clone()))
            .collect()
    };
    if !searchable && group.iter().any(|(_, c)| c.searchable) {
        o.insert("non_searchable_indices".into(), names(|c| c.searchable));
    }
    if !aggregatable && group.iter().any(|(_, c)| c.aggregatable) {
        o.insert("non_aggregatable_indices".into(), names(|c| c.aggregatable));
    }
    // each `meta` key with the values the indices give it, as ES merges them
    let mut meta: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        std::collections::BTreeMap::new();
    for (_, c) in group {
        for (k, v) in &c.meta {
            meta.entry(k).or_default().insert(v);
        }
    }
    if !meta.is_empty() {
        o.insert(
            "meta".into(),
            meta.into_iter()
                .map(|(k, vs)| (k.to_owned(), vs.into_iter().map(Value::from).collect()))
                .collect::<Map<String, Value>>()
                .into(),
        );
    }
    Value::Object(o)
}

impl Store {
    /// `GET|POST [/{target}]/_field_caps?fields=..`.
    ///
    /// # Errors
    /// `action_request_validation_exception` without fields; index resolution errors; an
    /// unknown filter.
    pub fn field_caps(&self, target: &str, opts: &FieldCapsOptions) -> Result<Value> {
        if opts.fields.is_empty() {
            return Err(super::validation_failed(&[
                "specified fields can't be null or empty".to_owned(),
            ]));
        }
        let names = self.only_open(target, self.resolve(target, opts.resolve)?, opts.resolve)?;
        let mut by_field: BTreeMap<String, BTreeMap<String, Group>> = BTreeMap::new();
        let mut per_index: Vec<(String, BTreeMap<String, Cap>)> = Vec::new();
        for name in &names {
            let shard = self.shard(name)?;
            let caps = index_caps(&shard.meta().mapping, opts)?;
            per_index.push((name.clone(), caps));
        }
        for (index, caps) in &per_index {
            for (field, cap) in caps {
                by_field
                    .entry(field.clone())
                    .or_default()
                    .entry(cap.ty.clone())
                    .or_default()
                    .push((index.clone(), cap.clone()));
            }
        }
        if opts.include_unmapped {
            for (field, types) in &mut by_field {
                let missing: Group = per_index
                    .iter()
                    .filter(|(_, caps)| !caps.contains_key(field))
                    .map(|(i, _)| {
                        (
                            i.clone(),
                            Cap {
                                ty: "unmapped".to_owned(),
                                metadata: false,
                                searchable: false,
                                aggregatable: false,
                                meta: Vec::new(),
                            },
                        )
                    })
                    .collect();
                if !missing.is_empty() {
                    types.insert("unmapped".to_owned(), missing);
                }
            }
        }
        let mut fields = Map::new();
        for (field, types) in by_field {
            let several = types.len() > 1;
            let rendered: Map<String, Value> = types
                .iter()
                .map(|(ty, group)| (ty.clone(), render_group(ty, group, several)))
                .collect();
            fields.insert(field, Value::Object(rendered));
        }
        Ok(json!({"indices": names, "fields": fields}))
    }
}
