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

/// A member name written once as JSON (`"name":`), for writers that write it often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberName(Box<[u8]>);

impl MemberName {
    #[must_use]
    pub fn new(name: &str) -> Self {
        let mut out = Vec::with_capacity(name.len() + 3);
        write::string(&mut out, name);
        out.push(b':');
        Self(out.into_boxed_slice())
    }
}

/// A member name: text, or a [`MemberName`] already written.
pub trait Key {
    /// Appends `"name":`.
    fn write_key(&self, out: &mut Vec<u8>);
}

impl Key for str {
    fn write_key(&self, out: &mut Vec<u8>) {
        write::string(out, self);
        out.push(b':');
    }
}

impl Key for String {
    fn write_key(&self, out: &mut Vec<u8>) {
        self.as_str().write_key(out);
    }
}

impl Key for MemberName {
    fn write_key(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
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

    fn key(&mut self, key: &(impl Key + ?Sized)) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        key.write_key(self.out);
    }

    /// A string member.
    pub fn str(&mut self, key: &(impl Key + ?Sized), value: &str) {
        self.key(key);
        write::string(self.out, value);
    }

    /// A member holding `value`.
    pub fn value(&mut self, key: &(impl Key + ?Sized), value: &Value) {
        self.key(key);
        write::value(self.out, value);
    }

    /// An object member, its members written by `build`.
    pub fn object(&mut self, key: &(impl Key + ?Sized), build: impl FnOnce(&mut ObjectWriter<'_>)) {
        self.key(key);
        ObjectWriter::write(self.out, build);
    }
}
