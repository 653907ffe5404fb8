//! JSON text built for an event field without building a [`Value`] first: a filter that
//! creates whole objects (grok's captures) writes them as text into the event
//! ([`super::LogEvent::insert_field_object`]), the event keeps the text, and an output copies
//! it. The text is parsed only if something reads the field.
//!
//! [`ObjectWriter`] only writes well-formed JSON (keys and strings escaped, every object
//! closed), so the text always parses; the tests hold it to `serde_json`'s.

use serde_json::Value;

use super::write;

/// Parses text a builder wrote (well-formed by construction).
pub(super) fn parse(text: &[u8]) -> Value {
    serde_json::from_slice(text).unwrap_or_else(|err| {
        debug_assert!(false, "built JSON text failed to parse: {err}");
        Value::Null
    })
}

/// Writes the members of one JSON object.
#[derive(Debug)]
pub struct ObjectWriter<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> ObjectWriter<'a> {
    pub(super) fn write(out: &'a mut Vec<u8>, build: impl FnOnce(&mut ObjectWriter<'_>)) {
        out.push(b'{');
        let mut w = ObjectWriter { out, first: true };
        build(&mut w);
        w.out.push(b'}');
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write::string(self.out, key);
        self.out.push(b':');
    }

    /// A string member.
    pub fn str(&mut self, key: &str, value: &str) {
        self.key(key);
        write::string(self.out, value);
    }

    /// A member holding `value`.
    pub fn value(&mut self, key: &str, value: &Value) {
        self.key(key);
        write::value(self.out, value);
    }

    /// An object member, its members written by `build`.
    pub fn object(&mut self, key: &str, build: impl FnOnce(&mut ObjectWriter<'_>)) {
        self.key(key);
        ObjectWriter::write(self.out, build);
    }
}
