//! The standard library itself: every pattern compiles in both sets.

use std::collections::HashMap;

use super::{compile, standard};

#[test]
fn every_standard_pattern_compiles() {
    let none = HashMap::new();
    for ecs in [false, true] {
        let lib = standard(ecs);
        assert!(lib.len() > 250, "library has {} patterns", lib.len());
        let mut failed = Vec::new();
        for name in lib.keys() {
            if let Err(e) = compile(&format!("%{{{name}}}"), &none, lib, true) {
                failed.push(format!("{name}: {e}"));
            }
        }
        assert!(failed.is_empty(), "ecs={ecs}: {failed:#?}");
    }
}

#[test]
fn self_reference_is_an_error_not_a_stack_overflow() {
    let mut user = HashMap::new();
    user.insert("LOOP".to_owned(), "a%{LOOP}".to_owned());
    let err = compile("%{LOOP}", &user, standard(true), true).unwrap_err();
    assert!(err.contains("nesting deeper"), "{err}");
}
