//! An embedded, Elasticsearch-compatible log store on tantivy, and its HTTP surface.
