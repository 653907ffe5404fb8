//! Where a pattern's captures go: their field paths as one tree, known when the pattern
//! compiles, so that a match builds each new object of the event once (sized for its fields)
//! instead of walking the event from the top for every capture.
//!
//! The result is the one logstash-filter-grok's `handle` gives capture by capture, in pattern
//! order: a capture that did not take part (or is empty and not kept) creates nothing, so the
//! order of an object's fields is the order of the first capture under each that has a value;
//! a field set twice becomes an array (or is replaced where `overwrite` names it). A top-level
//! field the event already has is left to that capture-by-capture walk, and so is every match
//! of a pattern where one capture's path is a prefix of another's (`[a]` and `[a][b]`).
//!
//! A new top-level object is written straight to the event as JSON text
//! ([`LogEvent::insert_field_object`]): no map is built for it unless a later filter reads it,
//! and the matched text is copied once, into that text.

use log_model::{FieldRef, LogEvent, MemberName, ObjectWriter};
use serde_json::{Map, Value as Json};

/// Siblings ordered on the stack up to this many.
const SMALL: usize = 16;

/// Sibling nodes in the order their fields are created.
enum Order {
    Small([usize; SMALL], usize),
    Big(Vec<usize>),
}

impl Order {
    fn nodes(&self) -> &[usize] {
        match self {
            Order::Small(nodes, len) => &nodes[..*len],
            Order::Big(nodes) => nodes,
        }
    }
}

/// One capture's value: the matched text, or what `:int` / `:float` made of it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cap<'t> {
    Text(&'t str),
    Json(Json),
}

impl Cap<'_> {
    fn into_json(self) -> Json {
        match self {
            Cap::Text(s) => Json::String(s.to_owned()),
            Cap::Json(v) => v,
        }
    }
}

/// The capture paths of one pattern as a tree.
#[derive(Debug)]
pub(super) struct Plan {
    /// Per capture: its full path (the `target` prefix applied) and whether `overwrite` names it.
    fields: Vec<(FieldRef, bool)>,
    nodes: Vec<Node>,
    /// Top-level nodes, in pattern order.
    roots: Vec<usize>,
    /// No path is a prefix of another, so the tree can build whole objects.
    disjoint: bool,
}

#[derive(Debug)]
struct Node {
    /// The field name (see [`log_model::intern`]: grok sets it on every match).
    key: &'static str,
    /// `key` as JSON, for writing.
    name: MemberName,
    /// Child nodes (inner node) in pattern order; empty for a leaf.
    children: Vec<usize>,
    /// Every capture at or under this node, in pattern order.
    captures: Vec<usize>,
    leaf: bool,
}

impl Plan {
    /// `fields`: each capture's full path and whether `overwrite` names it, in pattern order.
    pub(super) fn new(fields: Vec<(FieldRef, bool)>) -> Self {
        let mut plan = Self {
            fields: Vec::new(),
            nodes: Vec::new(),
            roots: Vec::new(),
            disjoint: true,
        };
        for (cap, (path, _)) in fields.iter().enumerate() {
            plan.add(cap, path.segments());
        }
        plan.fields = fields;
        plan
    }

    fn add(&mut self, cap: usize, segments: &[String]) {
        let mut parent: Option<usize> = None;
        for (depth, seg) in segments.iter().enumerate() {
            let last = depth + 1 == segments.len();
            let siblings = match parent {
                Some(p) => &self.nodes[p].children,
                None => &self.roots,
            };
            let found = siblings
                .iter()
                .copied()
                .find(|&n| self.nodes[n].key == *seg);
            let node = match found {
                Some(n) => n,
                None => {
                    let n = self.nodes.len();
                    self.nodes.push(Node {
                        key: log_model::intern(seg),
                        name: MemberName::new(seg),
                        children: Vec::new(),
                        captures: Vec::new(),
                        leaf: false,
                    });
                    match parent {
                        Some(p) => self.nodes[p].children.push(n),
                        None => self.roots.push(n),
                    }
                    n
                }
            };
            self.nodes[node].captures.push(cap);
            // a path ending where another goes on, or going on where another ended
            if (last && !self.nodes[node].children.is_empty()) || (!last && self.nodes[node].leaf) {
                self.disjoint = false;
            }
            if last {
                self.nodes[node].leaf = true;
            }
            parent = Some(node);
        }
    }

    /// Whether a capture writes the top-level field `key` or under it.
    pub(super) fn touches(&self, key: &str) -> bool {
        self.fields
            .iter()
            .any(|(path, _)| path.segments().first().is_some_and(|s| s == key))
    }

    /// Sets the values of one match: `values[i]` for capture `i`, `None` where it creates
    /// nothing. Takes the values it uses.
    pub(super) fn apply(&self, event: &mut LogEvent, values: &mut [Option<Cap<'_>>]) {
        for &root in self.in_order(&self.roots, values).nodes() {
            let node = &self.nodes[root];
            if self.disjoint && !event.contains_field(node.key) {
                if node.leaf {
                    let value = self.build(root, values);
                    event.insert_field(node.key, value);
                } else {
                    event.insert_field_object(node.key, |w| {
                        self.write_members(root, values, w);
                    });
                }
                continue;
            }
            for &cap in &node.captures {
                if let Some(v) = values[cap].take() {
                    let (path, overwrite) = &self.fields[cap];
                    if let Some(slot) = event.slot_mut(path) {
                        merge(slot, v.into_json(), *overwrite);
                    }
                }
            }
        }
    }

    /// Writes the members of inner node `node` (with at least one capture under it that has a
    /// value) as [`Plan::build`] would make them.
    fn write_members(&self, node: usize, values: &mut [Option<Cap<'_>>], w: &mut ObjectWriter<'_>) {
        for &child in self.in_order(&self.nodes[node].children, values).nodes() {
            let c = &self.nodes[child];
            if !c.leaf {
                w.object(&c.name, |w| self.write_members(child, values, w));
                continue;
            }
            let mut present = c.captures.iter().filter(|&&cap| values[cap].is_some());
            match (present.next(), present.next()) {
                // one value: as it is; several: merged as `handle` merges them
                (Some(&cap), None) => match values[cap].take() {
                    Some(Cap::Text(s)) => w.str(&c.name, s),
                    Some(Cap::Json(v)) => w.value(&c.name, &v),
                    None => {}
                },
                _ => {
                    let v = self.build(child, values);
                    w.value(&c.name, &v);
                }
            }
        }
    }

    /// The first capture at or under `node` that has a value.
    fn first_present(&self, node: usize, values: &[Option<Cap<'_>>]) -> Option<usize> {
        self.nodes[node]
            .captures
            .iter()
            .copied()
            .find(|&c| values[c].is_some())
    }

    /// Of sibling `nodes`, those with a capture that has a value, by their first such
    /// capture. Siblings hold disjoint captures, so taking one's values leaves this order
    /// of the others as it was.
    fn in_order(&self, nodes: &[usize], values: &[Option<Cap<'_>>]) -> Order {
        // insertion into a sorted array: a handful of siblings, no allocation
        let mut order = [0usize; SMALL];
        let mut firsts = [0usize; SMALL];
        let mut len = 0;
        for &n in nodes {
            let Some(first) = self.first_present(n, values) else {
                continue;
            };
            if len == SMALL {
                return self.in_order_big(nodes, values);
            }
            let mut i = len;
            while i > 0 && firsts[i - 1] > first {
                firsts[i] = firsts[i - 1];
                order[i] = order[i - 1];
                i -= 1;
            }
            firsts[i] = first;
            order[i] = n;
            len += 1;
        }
        Order::Small(order, len)
    }

    /// [`Plan::in_order`] for more than [`SMALL`] siblings.
    fn in_order_big(&self, nodes: &[usize], values: &[Option<Cap<'_>>]) -> Order {
        let mut firsts: Vec<(usize, usize)> = nodes
            .iter()
            .filter_map(|&n| Some((self.first_present(n, values)?, n)))
            .collect();
        firsts.sort_unstable();
        Order::Big(firsts.into_iter().map(|(_, n)| n).collect())
    }

    /// The value of a node with at least one capture under it that has a value.
    fn build(&self, node: usize, values: &mut [Option<Cap<'_>>]) -> Json {
        let n = &self.nodes[node];
        if n.leaf {
            let mut slot = Json::Null;
            for &cap in &n.captures {
                if let Some(v) = values[cap].take() {
                    merge(&mut slot, v.into_json(), self.fields[cap].1);
                }
            }
            return slot;
        }
        let children = self.in_order(&n.children, values);
        let mut map = Map::with_capacity(children.nodes().len());
        for &child in children.nodes() {
            let value = self.build(child, values);
            map.insert(self.nodes[child].key.to_owned(), value);
        }
        Json::Object(map)
    }
}

/// One capture into its field, as logstash-filter-grok's `handle`: an empty field takes the
/// value, a field named in `overwrite` is replaced, any other becomes (or grows) an array.
pub(super) fn merge(slot: &mut Json, value: Json, overwrite: bool) {
    if overwrite {
        *slot = value;
        return;
    }
    match slot {
        Json::Null => *slot = value,
        Json::Array(items) => items.push(value),
        existing => {
            let old = existing.take();
            *existing = Json::Array(vec![old, value]);
        }
    }
}
