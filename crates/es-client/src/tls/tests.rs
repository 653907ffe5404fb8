use super::*;

#[test]
fn fingerprints() {
    let check = |input: &str, ok: bool| {
        assert_eq!(parse_fingerprint(input).is_ok(), ok, "{input}");
    };
    let hex = "a7decf13be1c3d87856a1599ee7f3797e0cfd4c9d80ab94bd45b938da3d35ef0";
    check(hex, true);
    check(&hex.to_uppercase(), true);
    let colons: Vec<String> = hex
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    check(&colons.join(":"), true);
    check(&hex[..62], false);
    check(&format!("{hex}00"), false);
    check(&hex.replace('a', "g"), false);
    check("", false);
    assert_eq!(parse_fingerprint(hex).expect("ok")[0], 0xa7);
}
