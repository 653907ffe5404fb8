use proptest::prelude::*;
use serde_json::{Value, json};
use unicode_segmentation::UnicodeSegmentation;

use super::*;
use crate::mapping::Mapping;

fn terms(a: &Analyzer, text: &str) -> Vec<String> {
    a.terms(text)
}

#[track_caller]
fn check(a: &Analyzer, text: &str, expected: &[&str]) {
    assert_eq!(terms(a, text), expected, "analysing {text:?}");
}

#[test]
fn standard_as_elasticsearch_documents_it() {
    let a = Analyzer::standard();
    // the example of ES's standard analyzer page
    check(
        &a,
        "The 2 QUICK Brown-Foxes jumped over the lazy dog's bone.",
        &[
            "the", "2", "quick", "brown", "foxes", "jumped", "over", "the", "lazy", "dog's", "bone",
        ],
    );
    // `_` joins letters (UAX #29 ExtendNumLet): Logstash's failure tags stay whole
    check(&a, "_jsonparsefailure", &["_jsonparsefailure"]);
    check(
        &a,
        "tags: _grokparsefailure,_dateparsefailure",
        &["tags", "_grokparsefailure", "_dateparsefailure"],
    );
    check(
        &a,
        "took 1.5s at 10.0.0.1",
        &["took", "1.5s", "at", "10.0.0.1"],
    );
    check(
        &a,
        "user1@example.com GET /api/v1",
        &["user1", "example.com", "get", "api", "v1"],
    );
    check(&a, "__ -- !!", &[]);
    check(&a, "", &[]);
    // ideographs one by one, Katakana runs together, Hangul words
    check(&a, "東京タワー 서울", &["東", "京", "タワー", "서울"]);
    // Java's simple case mapping: no final sigma, dotted capital I to i
    check(&a, "ΟΔΟΣ İstanbul", &["οδοσ", "istanbul"]);
}

#[test]
fn standard_token_types_and_offsets() {
    let toks = Analyzer::standard().analyze("Foo 42 東 タ 😀");
    let got: Vec<(&str, usize, usize, usize, &str)> = toks
        .iter()
        .map(|t| (t.text.as_str(), t.from, t.to, t.position, t.kind))
        .collect();
    assert_eq!(
        got,
        vec![
            ("foo", 0, 3, 0, "<ALPHANUM>"),
            ("42", 4, 6, 1, "<NUM>"),
            ("東", 7, 10, 2, "<IDEOGRAPHIC>"),
            ("タ", 11, 14, 3, "<KATAKANA>"),
            ("😀", 15, 19, 4, "<EMOJI>"),
        ]
    );
}

#[test]
fn long_tokens_split_at_max_token_length() {
    let long = "a".repeat(600);
    let toks = Analyzer::standard().analyze(&long);
    let lens: Vec<usize> = toks.iter().map(|t| t.text.len()).collect();
    assert_eq!(lens, vec![255, 255, 90]);
    assert_eq!(toks[1].from, 255);
    assert_eq!(toks[2].position, 2);
    let a = Analyzer {
        tokenizer: Tokenizer::Standard {
            max_token_length: 5,
        },
        filters: vec![],
    };
    check(&a, "abcdefghij k", &["abcde", "fghij", "k"]);
    // a char outside the BMP counts two UTF-16 units and is never cut
    let a = Analyzer {
        tokenizer: Tokenizer::Whitespace {
            max_token_length: 3,
        },
        filters: vec![],
    };
    check(&a, "ab𝐀c", &["ab", "𝐀c"]);
}

#[test]
fn the_other_builtin_analyzers() {
    let text = "The QUICK brown-fox's e-mail: x1@y.z";
    check(
        &Analyzer::simple(),
        text,
        &[
            "the", "quick", "brown", "fox", "s", "e", "mail", "x", "y", "z",
        ],
    );
    check(
        &Analyzer::whitespace(),
        text,
        &["The", "QUICK", "brown-fox's", "e-mail:", "x1@y.z"],
    );
    check(&Analyzer::keyword(), text, &[text]);
    check(
        &Analyzer::stop(),
        text,
        &["quick", "brown", "fox", "s", "e", "mail", "x", "y", "z"],
    );
    check(&Analyzer::lowercase_normalizer(), "Ab CD", &["ab cd"]);
    // no-break spaces are not whitespace to Java
    check(&Analyzer::whitespace(), "a\u{a0}b c", &["a\u{a0}b", "c"]);
}

#[test]
fn stop_words_leave_position_gaps() {
    let toks = Analyzer::stop().analyze("the fox and the dog");
    let got: Vec<(&str, usize)> = toks.iter().map(|t| (t.text.as_str(), t.position)).collect();
    assert_eq!(got, vec![("fox", 1), ("dog", 4)]);
}

#[test]
fn legacy_indices_keep_their_analysis() {
    let a = TextAnalysis::Legacy.analyzer();
    check(
        &a,
        "_jsonparsefailure dog's",
        &["jsonparsefailure", "dog", "s"],
    );
    assert_eq!(
        TextAnalysis::from_tokenizer_name("es_standard"),
        Some(TextAnalysis::Legacy)
    );
    assert_eq!(
        TextAnalysis::from_tokenizer_name(TextAnalysis::Standard.tokenizer_name()),
        Some(TextAnalysis::Standard)
    );
    assert_eq!(TextAnalysis::from_tokenizer_name("raw"), None);
}

#[test]
fn tantivy_adapter_yields_the_same_tokens() {
    use tantivy::tokenizer::TokenStream as _;
    let text = "The 2 QUICK Brown-Foxes _jsonparsefailure 東京";
    let mut tv = EsTokenizer::text_analyzer(TextAnalysis::Standard);
    let mut s = tv.token_stream(text);
    let mut got = Vec::new();
    while s.advance() {
        let t = s.token();
        got.push((t.text.clone(), t.offset_from, t.offset_to, t.position));
    }
    let want: Vec<(String, usize, usize, usize)> = Analyzer::standard()
        .analyze(text)
        .into_iter()
        .map(|t| (t.text, t.from, t.to, t.position))
        .collect();
    assert_eq!(got, want);
}

fn req(body: &Value) -> Value {
    analyze_request(body, None).unwrap_or_else(|e| e.to_es_body())
}

#[test]
fn analyze_request_shape() {
    assert_eq!(
        req(&json!({"analyzer": "standard", "text": "Hi there"})),
        json!({"tokens": [
            {"token": "hi", "start_offset": 0, "end_offset": 2, "type": "<ALPHANUM>", "position": 0},
            {"token": "there", "start_offset": 3, "end_offset": 8, "type": "<ALPHANUM>", "position": 1},
        ]})
    );
    // arrays continue offsets (gap 1) and positions
    let v = req(&json!({"tokenizer": "whitespace", "text": ["a b", "c"]}));
    assert_eq!(v["tokens"][2]["token"], "c");
    assert_eq!(v["tokens"][2]["start_offset"], 4);
    assert_eq!(v["tokens"][2]["position"], 2);
    assert_eq!(v["tokens"][2]["type"], "word");
    // UTF-16 offsets, as Java reports them
    let v = req(&json!({"text": "😀 x"}));
    assert_eq!(v["tokens"][1]["start_offset"], 3);
    // a custom chain
    let v = req(&json!({"tokenizer": "keyword", "filter": ["lowercase"], "text": "Ab C"}));
    assert_eq!(v["tokens"][0]["token"], "ab c");
    let v = req(&json!({
        "tokenizer": {"type": "standard", "max_token_length": 2},
        "filter": [{"type": "stop", "stopwords": ["ab"]}, "uppercase"],
        "text": "abcd"
    }));
    assert_eq!(
        v["tokens"],
        json!([{"token": "CD", "start_offset": 2, "end_offset": 4, "type": "<ALPHANUM>", "position": 1}])
    );
}

#[test]
fn analyze_request_errors() {
    let cases = [
        (
            json!({"analyzer": "standard"}),
            "action_request_validation_exception",
            "Validation Failed: 1: text is missing;",
        ),
        (
            json!({"analyzer": "nope", "text": "x"}),
            "illegal_argument_exception",
            "failed to find global analyzer [nope]",
        ),
        (
            json!({"tokenizer": "nope", "text": "x"}),
            "illegal_argument_exception",
            "failed to find global tokenizer under [nope]",
        ),
        (
            json!({"tokenizer": "standard", "filter": ["nope"], "text": "x"}),
            "illegal_argument_exception",
            "failed to find global filter under [nope]",
        ),
        (
            json!({"analyzer": "standard", "tokenizer": "keyword", "text": "x"}),
            "action_request_validation_exception",
            "Validation Failed: 1: cannot define extra components on a named analyzer;",
        ),
        (
            json!({"normalizer": "lowercase", "text": "x"}),
            "action_request_validation_exception",
            "Validation Failed: 1: index is required if normalizer is specified;",
        ),
        (
            json!({"tokenizer": "standard", "filter": ["asciifolding"], "text": "x"}),
            "illegal_argument_exception",
            "sluice-store does not support the [asciifolding] token filter",
        ),
        (
            json!({"text": "x", "explain": "yes"}),
            "parsing_exception",
            "Unknown parameter [explain] in request body or parameter is of the wrong type[VALUE_STRING] ",
        ),
    ];
    for (body, ty, reason) in cases {
        let e = analyze_request(&body, None).expect_err("an error");
        assert_eq!(e.es_type(), ty, "{body}");
        assert_eq!(e.reason(), reason, "{body}");
    }
}

#[test]
fn analyze_request_with_an_index() {
    let m =
        Mapping::parse(&json!({"properties": {"k": {"type": "keyword"}, "t": {"type": "text"}}}))
            .expect("mapping");
    let ix = IndexContext {
        text: TextAnalysis::Standard,
        mapping: &m,
        max_token_count: crate::analysis::MAX_TOKEN_COUNT,
    };
    let run = |b: Value| analyze_request(&b, Some(ix)).expect("analyzed");
    assert_eq!(
        run(json!({"field": "k", "text": "A B"}))["tokens"][0]["token"],
        "A B"
    );
    let v = run(json!({"field": "t", "text": ["A B", "C"]}));
    // text fields put position_increment_gap (100) between values
    assert_eq!(v["tokens"][2]["position"], 102);
    assert_eq!(
        run(json!({"normalizer": "lowercase", "text": "A B"}))["tokens"][0]["token"],
        "a b"
    );
    let e = analyze_request(&json!({"analyzer": "x", "text": "a"}), Some(ix)).expect_err("err");
    assert_eq!(e.reason(), "failed to find analyzer [x]");
}

#[test]
fn the_token_budget_is_enforced() {
    let text = "a ".repeat(MAX_TOKEN_COUNT + 1);
    let e = analyze_request(&json!({"text": text}), None).expect_err("over budget");
    // ES 8's type (7.x said `illegal_state_exception`)
    assert_eq!(e.es_type(), "status_exception");
}

/// Random text mixing scripts, digits, punctuation, joiners, emoji and long runs.
fn unicode_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9_]{1,12}",
        "[ .,'\\-:@/_]{1,3}",
        "[\\p{L}\\p{N}\\p{M}\\p{P}\\p{S}\\p{Z}\\p{Cf}]{1,8}",
        "[\u{3040}-\u{30ff}\u{4e00}-\u{4e20}\u{ac00}-\u{ac20}\u{0e01}-\u{0e30}]{1,6}",
        "[\u{1f600}-\u{1f64f}\u{200d}\u{fe0f}]{1,3}",
        "a{250,300}",
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    /// The standard tokenizer against the reference segmentation: UAX #29 words that hold a
    /// letter or digit (`unicode_words`), lowercased. Where they differ it is only by the
    /// documented additions: emoji tokens, South-East Asian runs joined, long words split.
    #[test]
    fn standard_matches_the_uax29_reference(text in unicode_text()) {
        let toks = Analyzer::standard().analyze(&text);
        // offsets: increasing, on char boundaries, each token is its lowercased slice
        let mut last_end = 0;
        for (i, t) in toks.iter().enumerate() {
            prop_assert!(t.from >= last_end && t.from < t.to);
            prop_assert!(text.is_char_boundary(t.from) && text.is_char_boundary(t.to));
            prop_assert_eq!(&t.text, &lowercase(&text[t.from..t.to]));
            prop_assert!(text[t.from..t.to].encode_utf16().count() <= DEFAULT_MAX_TOKEN_LENGTH);
            prop_assert_eq!(t.position, i);
            last_end = t.to;
        }
        // with no length limit, the words are the reference's, less what it has no notion of
        let unbounded = Analyzer {
            tokenizer: Tokenizer::Standard { max_token_length: 1 << 20 },
            filters: vec![TokenFilter::Lowercase],
        };
        let whole = unbounded.analyze(&text);
        let ours: Vec<(usize, usize)> = whole
            .iter()
            .filter(|t| t.kind != "<EMOJI>" && t.kind != "<SOUTHEAST_ASIAN>")
            .map(|t| (t.from, t.to))
            .collect();
        let sea = |s: &str| segment_kind(s) == Some("<SOUTHEAST_ASIAN>");
        let reference: Vec<(usize, usize)> = text
            .split_word_bound_indices()
            .filter(|(_, w)| w.chars().any(char::is_alphanumeric) && !sea(w))
            .map(|(i, w)| (i, i + w.len()))
            .collect();
        prop_assert_eq!(ours, reference);
        // the length limit only cuts words: the same bytes are covered
        let covered = |ts: &[Token]| ts.iter().flat_map(|t| t.from..t.to).collect::<Vec<_>>();
        prop_assert_eq!(covered(&toks), covered(&whole));
    }

    /// Every analyzer keeps tokens within their input and never panics.
    #[test]
    fn every_analyzer_yields_slices_of_its_input(text in unicode_text()) {
        for name in ["standard", "simple", "whitespace", "keyword", "stop"] {
            let a = Analyzer::builtin(name).expect("builtin");
            for t in a.analyze(&text) {
                prop_assert!(t.from <= t.to && t.to <= text.len());
                prop_assert_eq!(lowercase(&t.text), lowercase(&text[t.from..t.to]));
            }
        }
    }
}

#[test]
fn explain_shows_each_stage_and_the_token_limit_holds() {
    let named = analyze_request(
        &json!({"text": "This is troubled", "analyzer": "standard", "explain": true}),
        None,
    )
    .expect("analyzed");
    assert_eq!(named["detail"]["custom_analyzer"], false);
    assert_eq!(named["detail"]["analyzer"]["name"], "standard");
    let tokens = named["detail"]["analyzer"]["tokens"]
        .as_array()
        .expect("tokens");
    assert_eq!(tokens.len(), 3);
    assert_eq!(tokens[0]["token"], "this");
    assert_eq!(tokens[0]["bytes"], "[74 68 69 73]");
    let chain = analyze_request(
        &json!({"text": "foo bar buzz", "tokenizer": "standard", "explain": true,
            "filter": ["lowercase", {"type": "stop", "stopwords": ["foo", "buzz"]}]}),
        None,
    )
    .expect("analyzed");
    let d = &chain["detail"];
    assert_eq!(d["custom_analyzer"], true);
    assert_eq!(d["tokenizer"]["name"], "standard");
    assert_eq!(d["tokenizer"]["tokens"].as_array().map(Vec::len), Some(3));
    assert_eq!(d["tokenfilters"][0]["name"], "lowercase");
    assert_eq!(d["tokenfilters"][1]["name"], "__anonymous__stop");
    assert_eq!(d["tokenfilters"][1]["tokens"][0]["token"], "bar");
    assert_eq!(
        d["tokenfilters"][1]["tokens"].as_array().map(Vec::len),
        Some(1)
    );
    let m = Mapping::parse(&json!({})).expect("mapping");
    let ix = IndexContext {
        text: TextAnalysis::Standard,
        mapping: &m,
        max_token_count: 3,
    };
    assert!(analyze_request(&json!({"text": "one two three"}), Some(ix)).is_ok());
    for explain in [false, true] {
        let e = analyze_request(
            &json!({"text": "one two three four", "explain": explain}),
            Some(ix),
        )
        .expect_err("over the limit");
        assert_eq!(
            e.reason(),
            "The number of tokens produced by calling _analyze has exceeded the allowed maximum of [3]. This limit can be set by changing the [index.analyze.max_token_count] index level setting."
        );
    }
}
