//! Text analysis as Elasticsearch's built-in analyzers do it: tokenizers, token filters, the
//! `lowercase` normalizer, and the `_analyze` request.
//!
//! [`Analyzer::standard`] is ES's `standard` analyzer: Unicode UAX #29 word boundaries (the
//! `unicode-segmentation` crate), segments without a letter, digit or emoji dropped, tokens longer
//! than `max_token_length` (255 UTF-16 code units) split at that length, then lowercased. So
//! `_jsonparsefailure` is one token (`_` joins letters), `dog's` and `1.5` are one token each,
//! and `Brown-Foxes` is two.
//!
//! One [`Analyzer`] value serves indexing (through [`EsTokenizer`], the tantivy adapter), query
//! text, highlighting and `_analyze`, so the four never disagree.
//!
//! Indices written before the UAX #29 tokenizer keep the one they were written with
//! ([`TextAnalysis::Legacy`]: split at every character that is neither a letter nor a digit,
//! tokens of 256 bytes or more dropped). The tantivy schema of each index names its tokenizer
//! ([`TextAnalysis::tokenizer_name`]), so the marker is the index itself; reindexing such an
//! index into a new one moves it to the standard analyzer.

mod request;
#[cfg(test)]
mod tests;

use tantivy::tokenizer::{
    LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer, Token as TvToken, TokenStream,
    Tokenizer as TvTokenizer,
};
use unicode_segmentation::UnicodeSegmentation;

pub use request::{IndexContext, MAX_TOKEN_COUNT, analyze_request};

/// ES's default `max_token_length` of the `standard`, `whitespace` and letter tokenizers.
pub const DEFAULT_MAX_TOKEN_LENGTH: usize = 255;

/// Lucene's `EnglishAnalyzer.ENGLISH_STOP_WORDS_SET`, the `stop` analyzer's and `stop` filter's
/// default (`_english_`).
pub const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// Which analysis an index's `text` values were written with (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextAnalysis {
    /// ES's `standard` analyzer (UAX #29); every index created since it exists.
    Standard,
    /// The tokenizer of indices written before: split at non-alphanumerics, lowercase.
    Legacy,
}

impl TextAnalysis {
    /// The tokenizer name recorded in the tantivy schema of indices of this kind.
    pub fn tokenizer_name(self) -> &'static str {
        match self {
            TextAnalysis::Standard => "es_standard_uax29",
            TextAnalysis::Legacy => "es_standard",
        }
    }

    /// The kind recorded under `name` in a tantivy schema (`None`: not a text analyzer of ours).
    pub fn from_tokenizer_name(name: &str) -> Option<TextAnalysis> {
        [TextAnalysis::Standard, TextAnalysis::Legacy]
            .into_iter()
            .find(|a| a.tokenizer_name() == name)
    }

    /// The analyzer for this kind.
    pub fn analyzer(self) -> Analyzer {
        match self {
            TextAnalysis::Standard => Analyzer::standard(),
            TextAnalysis::Legacy => Analyzer {
                tokenizer: Tokenizer::Legacy,
                filters: Vec::new(),
            },
        }
    }
}

/// One token, with byte offsets into the analysed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The term.
    pub text: String,
    /// Byte offset of its start.
    pub from: usize,
    /// Byte offset past its end.
    pub to: usize,
    /// Position (stop words leave gaps, as in Lucene).
    pub position: usize,
    /// Lucene's token type (`<ALPHANUM>`, `<NUM>`, `word`, ...).
    pub kind: &'static str,
}

/// A tokenizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tokenizer {
    /// `standard`: UAX #29 words.
    Standard {
        /// Longer tokens are split at this many UTF-16 code units (default 255).
        max_token_length: usize,
    },
    /// `letter`: runs of letters.
    Letter {
        /// as for `standard`
        max_token_length: usize,
    },
    /// `lowercase`: runs of letters, lowercased.
    Lowercase {
        /// as for `standard`
        max_token_length: usize,
    },
    /// `whitespace`: runs of non-whitespace (Java's `Character.isWhitespace`).
    Whitespace {
        /// as for `standard`
        max_token_length: usize,
    },
    /// `keyword`: the whole input as one token.
    Keyword,
    /// the tokenizer of indices written before UAX #29 (see [`TextAnalysis::Legacy`])
    Legacy,
}

/// A token filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenFilter {
    /// `lowercase`
    Lowercase,
    /// `uppercase`
    Uppercase,
    /// `stop`, with its (already lowercased unless `ignore_case` is false) words
    Stop {
        /// the stop words
        words: Vec<String>,
        /// compare lowercased
        ignore_case: bool,
    },
}

/// A tokenizer followed by token filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analyzer {
    /// The tokenizer.
    pub tokenizer: Tokenizer,
    /// The filters, in order.
    pub filters: Vec<TokenFilter>,
}

impl Analyzer {
    /// ES's `standard` analyzer.
    pub fn standard() -> Analyzer {
        Analyzer {
            tokenizer: Tokenizer::Standard {
                max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
            },
            filters: vec![TokenFilter::Lowercase],
        }
    }

    /// ES's `simple` analyzer (the `lowercase` tokenizer).
    pub fn simple() -> Analyzer {
        Analyzer {
            tokenizer: Tokenizer::Lowercase {
                max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
            },
            filters: Vec::new(),
        }
    }

    /// ES's `whitespace` analyzer.
    pub fn whitespace() -> Analyzer {
        Analyzer {
            tokenizer: Tokenizer::Whitespace {
                max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
            },
            filters: Vec::new(),
        }
    }

    /// ES's `keyword` analyzer.
    pub fn keyword() -> Analyzer {
        Analyzer {
            tokenizer: Tokenizer::Keyword,
            filters: Vec::new(),
        }
    }

    /// ES's `stop` analyzer (English stop words).
    pub fn stop() -> Analyzer {
        Analyzer {
            tokenizer: Tokenizer::Lowercase {
                max_token_length: DEFAULT_MAX_TOKEN_LENGTH,
            },
            filters: vec![TokenFilter::english_stop()],
        }
    }

    /// The `lowercase` normalizer (keyword fields): the whole value, lowercased.
    pub fn lowercase_normalizer() -> Analyzer {
        Analyzer {
            tokenizer: Tokenizer::Keyword,
            filters: vec![TokenFilter::Lowercase],
        }
    }

    /// A built-in analyzer by its ES name.
    pub fn builtin(name: &str) -> Option<Analyzer> {
        Some(match name {
            "standard" | "default" => Analyzer::standard(),
            "simple" => Analyzer::simple(),
            "whitespace" => Analyzer::whitespace(),
            "keyword" => Analyzer::keyword(),
            "stop" => Analyzer::stop(),
            _ => return None,
        })
    }

    /// The tokens of `text`, appended to `out` (positions start at 0).
    pub fn analyze_into(&self, text: &str, out: &mut Vec<Token>) {
        let start = out.len();
        self.tokenizer.tokenize(text, out);
        for f in &self.filters {
            f.apply(&mut out[start..]);
        }
        let mut pos = 0usize;
        let mut gap = 0usize;
        let mut keep = start;
        for i in start..out.len() {
            if out[i].kind.is_empty() {
                // removed by a stop filter: its position stays taken
                gap += 1;
                continue;
            }
            out[i].position = pos + gap;
            pos += gap + 1;
            gap = 0;
            out.swap(keep, i);
            keep += 1;
        }
        out.truncate(keep);
    }

    /// The tokens of `text`.
    pub fn analyze(&self, text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        self.analyze_into(text, &mut out);
        out
    }

    /// The terms of `text` (query text).
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.analyze(text).into_iter().map(|t| t.text).collect()
    }
}

impl TokenFilter {
    /// `stop` with `_english_`.
    pub fn english_stop() -> TokenFilter {
        TokenFilter::Stop {
            words: ENGLISH_STOP_WORDS.iter().map(|s| (*s).to_owned()).collect(),
            ignore_case: false,
        }
    }

    /// Applies the filter; a removed token gets an empty `kind`.
    fn apply(&self, toks: &mut [Token]) {
        for t in toks.iter_mut().filter(|t| !t.kind.is_empty()) {
            match self {
                TokenFilter::Lowercase => t.text = lowercase(&t.text),
                TokenFilter::Uppercase => t.text = uppercase(&t.text),
                TokenFilter::Stop { words, ignore_case } => {
                    let hit = if *ignore_case {
                        let l = lowercase(&t.text);
                        words.contains(&l)
                    } else {
                        words.contains(&t.text)
                    };
                    if hit {
                        t.kind = "";
                    }
                }
            }
        }
    }
}

/// Lowercases as Java's `Character.toLowerCase(int)` does, code point by code point (simple case
/// mapping: no context-dependent final sigma, `İ` becomes `i`).
pub fn lowercase(s: &str) -> String {
    if s.is_ascii() {
        return s.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\u{130}' {
            out.push('i');
            continue;
        }
        let mut l = c.to_lowercase();
        match (l.next(), l.next()) {
            (Some(a), None) => out.push(a),
            // only U+0130 maps to several chars, handled above
            _ => out.push(c),
        }
    }
    out
}

/// Uppercases code point by code point (simple case mapping, as Java's `Character.toUpperCase`).
pub fn uppercase(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let mut u = c.to_uppercase();
        match (u.next(), u.next()) {
            (Some(a), None) => out.push(a),
            // a full mapping to several chars (`ß` → `SS`): Java's simple mapping keeps the char
            _ => out.push(c),
        }
    }
    out
}

impl Tokenizer {
    fn tokenize(&self, text: &str, out: &mut Vec<Token>) {
        match self {
            Tokenizer::Standard { max_token_length } => standard(text, *max_token_length, out),
            Tokenizer::Letter { max_token_length } => {
                char_runs(text, char::is_alphabetic, *max_token_length, false, out);
            }
            Tokenizer::Lowercase { max_token_length } => {
                char_runs(text, char::is_alphabetic, *max_token_length, true, out);
            }
            Tokenizer::Whitespace { max_token_length } => {
                char_runs(text, |c| !java_whitespace(c), *max_token_length, false, out);
            }
            Tokenizer::Keyword => out.push(Token {
                text: text.to_owned(),
                from: 0,
                to: text.len(),
                position: 0,
                kind: "word",
            }),
            Tokenizer::Legacy => {
                let mut a = legacy_analyzer();
                let mut s = a.token_stream(text);
                while s.advance() {
                    let t = s.token();
                    out.push(Token {
                        text: t.text.clone(),
                        from: t.offset_from,
                        to: t.offset_to,
                        position: 0,
                        kind: "word",
                    });
                }
            }
        }
    }
}

/// The analyzer of indices written before UAX #29, exactly as it was.
fn legacy_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(256))
        .filter(LowerCaser)
        .build()
}

/// Java's `Character.isWhitespace`: Unicode spaces except the no-break ones, plus the ASCII and
/// separator controls.
fn java_whitespace(c: char) -> bool {
    match c {
        '\u{a0}' | '\u{2007}' | '\u{202f}' => false,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | '\u{1c}'..='\u{1f}' => true,
        c => c.is_whitespace() && c != '\u{85}',
    }
}

fn char_runs(
    text: &str,
    keep: impl Fn(char) -> bool,
    max: usize,
    lower: bool,
    out: &mut Vec<Token>,
) {
    let first = out.len();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        match (keep(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                push_split(text, s, i, "word", max, out);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        push_split(text, s, text.len(), "word", max, out);
    }
    if lower {
        for t in &mut out[first..] {
            t.text = lowercase(&t.text);
        }
    }
}

/// Pushes `text[from..to]`, split into pieces of at most `max` UTF-16 code units (never inside a
/// char), as Lucene's tokenizers split what exceeds their buffer.
fn push_split(
    text: &str,
    from: usize,
    to: usize,
    kind: &'static str,
    max: usize,
    out: &mut Vec<Token>,
) {
    let max = max.max(1);
    let mut start = from;
    let mut units = 0usize;
    for (i, c) in text[from..to].char_indices() {
        let w = c.len_utf16();
        if units + w > max {
            let end = from + i;
            out.push(token(text, start, end, kind));
            start = end;
            units = 0;
        }
        units += w;
    }
    if start < to {
        out.push(token(text, start, to, kind));
    }
}

fn token(text: &str, from: usize, to: usize, kind: &'static str) -> Token {
    Token {
        text: text[from..to].to_owned(),
        from,
        to,
        position: 0,
        kind,
    }
}

/// The Lucene token type of a UAX #29 segment, or `None` when the standard tokenizer skips it
/// (punctuation, spaces, symbols).
fn segment_kind(seg: &str) -> Option<&'static str> {
    let mut digits = false;
    for c in seg.chars() {
        if c.is_alphabetic() {
            return Some(script_kind(c));
        }
        if c.is_numeric() {
            digits = true;
        }
    }
    if digits {
        return Some("<NUM>");
    }
    seg.chars().any(is_emoji).then_some("<EMOJI>")
}

fn script_kind(c: char) -> &'static str {
    match c as u32 {
        0x3040..=0x309F => "<HIRAGANA>",
        0x30A0..=0x30FF | 0x31F0..=0x31FF | 0xFF66..=0xFF9F => "<KATAKANA>",
        0x1100..=0x11FF | 0x3130..=0x318F | 0xA960..=0xA97F | 0xAC00..=0xD7FF => "<HANGUL>",
        0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF | 0x19E0..=0x19FF | 0x1A20..=0x1AAF => {
            "<SOUTHEAST_ASIAN>"
        }
        0x2E80..=0x2FDF
        | 0x3005..=0x3007
        | 0x3021..=0x3029
        | 0x3038..=0x303B
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0x20000..=0x3FFFF => "<IDEOGRAPHIC>",
        _ => "<ALPHANUM>",
    }
}

/// Emoji pictographs (the blocks of `Extended_Pictographic` that carry emoji, and the regional
/// indicators); the standard tokenizer keeps them as `<EMOJI>` tokens.
fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x231A..=0x23FF | 0x2190..=0x21FF
        | 0x00A9 | 0x00AE | 0x203C | 0x2049 | 0x2122 | 0x2139 | 0x3030 | 0x303D | 0x3297 | 0x3299)
}

fn standard(text: &str, max: usize, out: &mut Vec<Token>) {
    // consecutive South-East Asian segments form one token (Lucene's grammar keeps runs of
    // complex-context scripts together; UAX #29 leaves them to a dictionary)
    let mut sea: Option<(usize, usize)> = None;
    for (from, seg) in text.split_word_bound_indices() {
        let to = from + seg.len();
        let kind = segment_kind(seg);
        if kind == Some("<SOUTHEAST_ASIAN>") {
            match &mut sea {
                Some((_, end)) if *end == from => *end = to,
                _ => {
                    if let Some((s, e)) = sea.take() {
                        push_split(text, s, e, "<SOUTHEAST_ASIAN>", max, out);
                    }
                    sea = Some((from, to));
                }
            }
            continue;
        }
        if let Some((s, e)) = sea.take() {
            push_split(text, s, e, "<SOUTHEAST_ASIAN>", max, out);
        }
        if let Some(kind) = kind {
            push_split(text, from, to, kind, max, out);
        }
    }
    if let Some((s, e)) = sea {
        push_split(text, s, e, "<SOUTHEAST_ASIAN>", max, out);
    }
}

/// Byte offset → UTF-16 offset (what ES reports as `start_offset`/`end_offset`).
pub fn utf16_offset(text: &str, byte: usize) -> usize {
    text[..byte].encode_utf16().count()
}

/// The tantivy adapter: indexes with an [`Analyzer`].
#[derive(Clone)]
pub struct EsTokenizer {
    analyzer: Analyzer,
    buf: Vec<Token>,
}

impl EsTokenizer {
    /// A tokenizer running `analyzer`.
    pub fn new(analyzer: Analyzer) -> EsTokenizer {
        EsTokenizer {
            analyzer,
            buf: Vec::new(),
        }
    }

    /// The tantivy analyzer for an index written with `analysis`.
    pub fn text_analyzer(analysis: TextAnalysis) -> TextAnalyzer {
        match analysis {
            TextAnalysis::Legacy => legacy_analyzer(),
            TextAnalysis::Standard => TextAnalyzer::from(EsTokenizer::new(analysis.analyzer())),
        }
    }
}

/// The token stream of [`EsTokenizer`].
pub struct EsTokenStream<'a> {
    toks: std::slice::Iter<'a, Token>,
    token: TvToken,
}

impl TvTokenizer for EsTokenizer {
    type TokenStream<'a> = EsTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> EsTokenStream<'a> {
        self.buf.clear();
        self.analyzer.analyze_into(text, &mut self.buf);
        EsTokenStream {
            toks: self.buf.iter(),
            token: TvToken::default(),
        }
    }
}

impl TokenStream for EsTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let Some(t) = self.toks.next() else {
            return false;
        };
        self.token.text.clear();
        self.token.text.push_str(&t.text);
        self.token.offset_from = t.from;
        self.token.offset_to = t.to;
        self.token.position = t.position;
        self.token.position_length = 1;
        true
    }

    fn token(&self) -> &TvToken {
        &self.token
    }

    fn token_mut(&mut self) -> &mut TvToken {
        &mut self.token
    }
}
