use super::line_pieces;

fn check(body: &str, max: usize, expected: &[&str]) {
    let got: Vec<&str> = line_pieces(body.as_bytes(), max)
        .map(|p| std::str::from_utf8(p).expect("utf-8"))
        .collect();
    assert_eq!(got, expected, "{body:?} in pieces of {max}");
    assert_eq!(got.concat(), body, "every byte in exactly one piece");
}

#[test]
fn pieces_end_at_line_ends() {
    check("", 4, &[]);
    check("ab\ncd\nef\n", 6, &["ab\ncd\n", "ef\n"]);
    check("ab\ncd\nef", 4, &["ab\n", "cd\n", "ef"]);
    check("abcdefgh\nij\n", 4, &["abcdefgh\n", "ij\n"]);
    check("abcdefgh", 4, &["abcdefgh"]);
    check("a\nb", 100, &["a\nb"]);
}
