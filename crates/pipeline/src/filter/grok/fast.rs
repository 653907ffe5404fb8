//! A grok pattern on the `regex` crate's automata, with its look-arounds and atomic groups
//! checked after the match.
//!
//! Logstash's library puts look-arounds in some of its most used patterns (`IPV4` is
//! `(?<![0-9])...(?![0-9])`, `BASE10NUM` under `NUMBER` is a look-behind and an atomic group),
//! which sends the whole pattern to fancy-regex's backtracking VM. Here the pattern is
//! rewritten without them: each look-around becomes an empty marker group, each atomic group a
//! marker group around its body, and the result runs on `regex-automata`'s meta engine
//! (leftmost-first, so it finds the match a backtracking engine finds first when nothing
//! is pruned). The match is then checked:
//!
//! - at each look-around marker on the match's path, the assertion itself;
//! - for each atomic group on the path, that the body's own first match at that position (an
//!   anchored search of the body alone, checked the same way) ends where the group ends.
//!
//! If every check holds, the match is the backtracking engine's answer: every path it would
//! prefer is not a match even without the constraints, and the constraints only remove paths.
//! If one fails, the answer is "unknown" and the caller asks fancy-regex. A marker inside a
//! repetition records only its last iteration, so a pattern with a look-around or atomic group
//! under `*`, `+` or `{n,m}` (m > 1) gets no fast form; neither does one with back-references,
//! conditionals or `\K`. An atomic group whose body has a fixed length is a plain group (it has
//! only one end wherever it matches, so there is nothing to give back).
//!
//! Counted repetitions of one character class (`[0-9A-Za-z-]{0,62}` in `HOSTNAME`, nested in
//! `EMAILLOCALPART`) are printed as `*`/`+`, which keeps the automaton small enough for the
//! bounded backtracker (thousands of states instead of tens of thousands); the check is that
//! no run of that class inside the outermost repetition around it is longer than the bound, so
//! no iteration was. Relaxing a bound only adds paths, so the same argument holds.

use std::collections::HashMap;

use std::panic::{RefUnwindSafe, UnwindSafe};

use fancy_regex::{Assertion, Expr, LookAround};
use regex_automata::nfa::thompson::backtrack::{self, BoundedBacktracker};
use regex_automata::util::captures::Captures;
use regex_automata::util::pool::Pool;
use regex_automata::{Anchored, Input, PatternID, meta};

/// The pattern on the automata, with the checks its markers need.
#[derive(Debug)]
pub(super) struct Fast {
    re: meta::Regex,
    checks: Vec<(usize, Check)>,
    /// The same pattern on the bounded backtracker alone, tried anchored at the start first.
    anchored: Option<Anchored0>,
    /// Large leading alternatives a text can rule out before the backtracker runs.
    prune: Option<Prune>,
    /// Capture buffers of `re`, reused across searches.
    caps: Pool<Captures, CapsFn>,
}

type CapsFn = Box<dyn Fn() -> Captures + Send + Sync + UnwindSafe + RefUnwindSafe>;
type BacktrackFn =
    Box<dyn Fn() -> (backtrack::Cache, Captures) + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// The backtracker for a search anchored at the start of the text, with its scratch space.
///
/// A match that starts at 0 is the leftmost one, and the backtracker's first match there is
/// the leftmost-first one, so it is the answer the meta engine gives; the meta engine finds it
/// with a forward and a reverse scan of the lazy DFA before it runs the backtracker over the
/// match, work a line that matches from its start (the usual log line) does not need. A text
/// with no match at 0 goes on to the meta engine.
#[derive(Debug)]
struct Anchored0 {
    bt: BoundedBacktracker,
    scratch: Pool<(backtrack::Cache, Captures), BacktrackFn>,
}

impl Anchored0 {
    /// `None` when the backtracker would number the groups differently from `re`.
    fn new(pattern: &str, re: &meta::Regex) -> Option<Self> {
        let bt = BoundedBacktracker::new(pattern).ok()?;
        let (ours, theirs) = (bt.get_nfa().group_info(), re.group_info());
        let same = ours.all_group_len() == theirs.all_group_len()
            && theirs
                .all_names()
                .all(|(pid, ix, name)| name.is_none_or(|n| ours.to_index(pid, n) == Some(ix)));
        if !same {
            return None;
        }
        let make = bt.clone();
        let scratch: Pool<_, BacktrackFn> = Pool::new(Box::new(move || {
            (make.create_cache(), make.create_captures())
        }));
        Some(Self { bt, scratch })
    }
}

#[derive(Debug)]
enum Check {
    /// `(?=x)` / `(?!x)`: an anchored match of `x` at the marker.
    Ahead { negate: bool, body: meta::Regex },
    /// `(?<=x)` / `(?<!x)`, `x` of `chars` characters: an anchored match ending at the marker.
    Behind {
        negate: bool,
        chars: usize,
        body: meta::Regex,
    },
    /// A look-around whose body is one character class (`(?![0-9])` in `IPV4`): the
    /// character after (`ahead`) or before the marker, tested by the class's table.
    Char {
        ahead: bool,
        negate: bool,
        class: OneChar,
    },
    /// `(?>x)`: `x`'s own first match at the group's start ends at the group's end.
    Atomic(Box<Fast>),
    /// `c{0,n}` / `c{1,n}` of one character class, printed as `c*` / `c+`: no run of
    /// characters of `c` in the group is longer than `n` (so no iteration was).
    Runs(Vec<(OneChar, usize)>),
}

/// One character class, tested by a table for ASCII and by the automata beyond.
#[derive(Debug)]
struct OneChar {
    ascii: [bool; 128],
    re: meta::Regex,
}

impl OneChar {
    fn new(pattern: &str) -> Option<Self> {
        let re = meta::Regex::new(&format!("^(?:{pattern})$")).ok()?;
        let mut ascii = [false; 128];
        for (b, slot) in ascii.iter_mut().enumerate() {
            *slot = re.is_match(&*char::from(u8::try_from(b).ok()?).encode_utf8(&mut [0; 4]));
        }
        Some(Self { ascii, re })
    }

    fn matches(&self, c: char) -> bool {
        match self.ascii.get(c as usize) {
            Some(hit) => *hit,
            None => self.re.is_match(&*c.encode_utf8(&mut [0; 4])),
        }
    }
}

/// Counted repetitions of one class from this bound up are printed unbounded and checked.
const RELAX_FROM: usize = 8;

/// The leading alternatives of a pattern that cost the backtracker the most (`IPV6` in
/// `IPORHOST`, which starts most web server patterns: over half of `COMBINEDAPACHELOG`'s
/// states), each with an anchored test, and the anchored backtracker without each subset of
/// them.
///
/// An alternative that comes first in the pattern (nothing before it consumes a character) is
/// only ever tried at the start of the match. When it cannot match any prefix of the text
/// there, no path through it is a match, so the backtracker of the pattern with that
/// alternative replaced by one that never matches finds the same first match — and, with
/// fewer states, clears a smaller visited set and tries fewer branches.
#[derive(Debug)]
struct Prune {
    tests: Vec<meta::Regex>,
    /// By the bit set of ruled-out alternatives (entry 0 unused).
    without: Vec<Option<Anchored0>>,
}

/// Leading alternatives of at least this many NFA states are worth ruling out.
const PRUNE_FROM: usize = 128;
/// At most this many, so at most 2^n backtrackers.
const PRUNE_MAX: usize = 2;

impl Fast {
    /// The fast form of a pattern in fancy-regex's syntax; `None` where there is none.
    pub(super) fn new(pattern: &str) -> Option<Self> {
        let tree = Expr::parse_tree(pattern).ok()?;
        let names: HashMap<usize, String> = tree
            .named_groups
            .iter()
            .map(|(name, ix)| (*ix, name.clone()))
            .collect();
        Self::from_expr(&tree.expr, Some(&names))
    }

    /// `names`: the capture groups' names, or `None` to print every group non-capturing
    /// (an atomic group's body, searched alone).
    fn from_expr(expr: &Expr, names: Option<&HashMap<usize, String>>) -> Option<Self> {
        let mut p = Printer::new(names, Vec::new());
        p.print(expr, 0, false)?;
        let re = meta::Regex::new(&p.out).ok()?;
        let mut checks = Vec::with_capacity(p.pending.len());
        for (name, check) in p.pending {
            let ix = re.group_info().to_index(PatternID::ZERO, &name)?;
            checks.push((ix, check));
        }
        let anchored = Anchored0::new(&p.out, &re);
        let prune = if anchored.is_some() && names.is_some() {
            Prune::new(expr, names, &re)
        } else {
            None
        };
        let make = re.clone();
        let caps: Pool<_, CapsFn> = Pool::new(Box::new(move || make.create_captures()));
        Some(Self {
            re,
            checks,
            anchored,
            prune,
            caps,
        })
    }

    /// How many leading alternatives a text can rule out (see [`Prune`]).
    #[cfg(test)]
    pub(super) fn prunable_alternatives(&self) -> usize {
        self.prune.as_ref().map_or(0, |p| p.tests.len())
    }

    /// The group index of a named capture.
    pub(super) fn group(&self, name: &str) -> Option<usize> {
        self.re.group_info().to_index(PatternID::ZERO, name)
    }

    /// Searches `text`: `Some(None)` no match, `Some(Some(read(match)))` a checked match,
    /// `None` unknown.
    pub(super) fn search<R>(
        &self,
        text: &str,
        read: impl FnOnce(&Captures) -> R,
    ) -> Option<Option<R>> {
        let anchored = match &self.prune {
            Some(p) => p.pick(text).or(self.anchored.as_ref()),
            None => self.anchored.as_ref(),
        };
        if let Some(a) = anchored
            && text.len() <= a.bt.max_haystack_len()
        {
            let mut scratch = a.scratch.get();
            let (cache, caps) = &mut *scratch;
            let input = Input::new(text).anchored(Anchored::Yes);
            if a.bt.try_search(cache, &input, caps).is_ok() && caps.is_match() {
                return self.verified(text, caps).then(|| Some(read(caps)));
            }
        }
        let mut caps = self.caps.get();
        self.re.search_captures(&Input::new(text), &mut caps);
        if !caps.is_match() {
            return Some(None);
        }
        self.verified(text, &caps).then(|| Some(read(&caps)))
    }

    /// Every check of a marker that took part in the match holds.
    fn verified(&self, text: &str, caps: &Captures) -> bool {
        self.checks
            .iter()
            .all(|(ix, check)| match caps.get_group(*ix) {
                None => true,
                Some(span) => check.holds(text, span.start, span.end),
            })
    }
}

impl Check {
    fn holds(&self, text: &str, start: usize, end: usize) -> bool {
        match self {
            Check::Ahead { negate, body } => {
                let found = body
                    .search_half(&Input::new(text).range(start..).anchored(Anchored::Yes))
                    .is_some();
                found != *negate
            }
            Check::Behind {
                negate,
                chars,
                body,
            } => {
                let Some(from) = back(text, start, *chars) else {
                    return *negate;
                };
                let found = body
                    .search_half(&Input::new(text).range(from..start).anchored(Anchored::Yes))
                    .is_some_and(|m| m.offset() == start);
                found != *negate
            }
            Check::Char {
                ahead,
                negate,
                class,
            } => {
                let c = if *ahead {
                    text[start..].chars().next()
                } else {
                    text[..start].chars().next_back()
                };
                c.is_some_and(|c| class.matches(c)) != *negate
            }
            Check::Runs(runs) => runs.iter().all(|(class, max)| {
                let mut run = 0;
                text[start..end].chars().all(|c| {
                    run = if class.matches(c) { run + 1 } else { 0 };
                    run <= *max
                })
            }),
            Check::Atomic(body) => {
                let input = Input::new(text).range(start..).anchored(Anchored::Yes);
                // without checks of its own, the end of the body's first match is enough
                if body.checks.is_empty() {
                    return body
                        .re
                        .search_half(&input)
                        .is_some_and(|m| m.offset() == end);
                }
                let mut caps = body.caps.get();
                body.re.search_captures(&input, &mut caps);
                caps.get_match().is_some_and(|m| m.end() == end) && body.verified(text, &caps)
            }
        }
    }
}

/// The byte offset `chars` characters before `at`, if there are that many.
fn back(text: &str, at: usize, chars: usize) -> Option<usize> {
    let mut it = text[..at].char_indices().rev();
    let mut from = at;
    for _ in 0..chars {
        from = it.next()?.0;
    }
    Some(from)
}

impl Prune {
    fn new(expr: &Expr, names: Option<&HashMap<usize, String>>, re: &meta::Regex) -> Option<Self> {
        let mut leaves = Vec::new();
        leading_alternatives(expr, &mut leaves);
        // the largest plain ones, in pattern order
        let mut sized: Vec<(usize, &Expr, String)> = leaves
            .into_iter()
            .filter(|e| prunable(e))
            .filter_map(|e| {
                let mut text = String::new();
                plain(e, &mut text)?;
                let states = regex_automata::nfa::thompson::NFA::new(&text)
                    .ok()?
                    .states()
                    .len();
                (states >= PRUNE_FROM).then_some((states, e, text))
            })
            .collect();
        sized.sort_by_key(|(states, ..)| std::cmp::Reverse(*states));
        sized.truncate(PRUNE_MAX);
        if sized.is_empty() {
            return None;
        }
        let mut tests = Vec::with_capacity(sized.len());
        for (_, _, text) in &sized {
            tests.push(meta::Regex::new(text).ok()?);
        }
        let mut without = vec![None];
        for mask in 1..1usize << sized.len() {
            let gone: Vec<&Expr> = sized
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, (_, e, _))| *e)
                .collect();
            let mut p = Printer::new(names, gone);
            p.print(expr, 0, false)?;
            without.push(Some(Anchored0::new(&p.out, re)?));
        }
        Some(Self { tests, without })
    }

    /// The backtracker without the alternatives `text` rules out; `None` when it rules out
    /// none.
    fn pick(&self, text: &str) -> Option<&Anchored0> {
        let input = Input::new(text).anchored(Anchored::Yes);
        let mask = self
            .tests
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.is_match(input.clone()))
            .fold(0, |m, (i, _)| m | 1 << i);
        self.without.get(mask)?.as_ref()
    }
}

/// The alternatives (flattened through nested alternations) of the pattern's first consuming
/// part, where that part is an alternation reached through concatenations and groups only.
fn leading_alternatives<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Concat(items) => {
            // zero-width items before it do not move the start
            if let Some(first) = items
                .iter()
                .find(|i| !matches!(i, Expr::Empty | Expr::Assertion(_) | Expr::LookAround(..)))
            {
                leading_alternatives(first, out);
            }
        }
        Expr::Group(body) => leading_alternatives(body, out),
        Expr::Alt(branches) => {
            for b in branches {
                flatten_alt(b, out);
            }
        }
        _ => {}
    }
}

fn flatten_alt<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Alt(branches) => branches.iter().for_each(|b| flatten_alt(b, out)),
        other => out.push(other),
    }
}

/// An alternative that can be printed as "never matches" without renumbering what follows:
/// no look-around, atomic group or relaxed repetition inside (those print markers numbered in
/// order); its groups must be unnamed, which [`Printer::print`] checks as it numbers them.
fn prunable(e: &Expr) -> bool {
    match e {
        Expr::LookAround(..) | Expr::AtomicGroup(_) => false,
        Expr::Repeat { child, lo, hi, .. } => {
            !(one_char(child).is_some() && *lo <= 1 && *hi >= RELAX_FROM && *hi != usize::MAX)
                && prunable(child)
        }
        Expr::Group(b) => prunable(b),
        Expr::Concat(items) | Expr::Alt(items) => items.iter().all(prunable),
        _ => true,
    }
}

/// The number of groups in `e`.
fn groups_in(e: &Expr) -> usize {
    match e {
        Expr::Group(b) => 1 + groups_in(b),
        Expr::Concat(items) | Expr::Alt(items) => items.iter().map(groups_in).sum(),
        Expr::Repeat { child, .. } | Expr::LookAround(child, _) | Expr::AtomicGroup(child) => {
            groups_in(child)
        }
        _ => 0,
    }
}

struct Printer<'a> {
    names: Option<&'a HashMap<usize, String>>,
    /// The bytes what follows the expression being printed must start with, where that is
    /// known and it cannot be empty.
    follow: Option<ByteSet>,
    /// Alternatives printed as "never matches" (see [`Prune`]).
    gone: Vec<&'a Expr>,
    /// Relaxed runs under the repetition being printed, checked around its outermost level.
    runs: Vec<(OneChar, usize)>,
    /// Capture groups seen so far, in the order of their opening parentheses.
    group: usize,
    out: String,
    pending: Vec<(String, Check)>,
}

impl<'a> Printer<'a> {
    fn new(names: Option<&'a HashMap<usize, String>>, gone: Vec<&'a Expr>) -> Self {
        Printer {
            names,
            follow: None,
            gone,
            runs: Vec::new(),
            group: 0,
            out: String::new(),
            pending: Vec::new(),
        }
    }

    /// Prints `e` in the `regex` crate's syntax; `None` where it has no fast form.
    fn print(&mut self, e: &Expr, prec: u8, repeated: bool) -> Option<()> {
        if self.gone.iter().any(|g| std::ptr::eq(*g, e)) {
            // its groups are numbered as if it were there; a named one cannot go
            let count = groups_in(e);
            if (self.group + 1..=self.group + count)
                .any(|g| self.names.is_some_and(|n| n.contains_key(&g)))
            {
                return None;
            }
            self.group += count;
            self.out.push_str(r"[^\s\S]");
            return Some(());
        }
        match e {
            Expr::Empty
            | Expr::Any { .. }
            | Expr::Literal { .. }
            | Expr::Delegate { .. }
            | Expr::Assertion(
                Assertion::StartText
                | Assertion::EndText
                | Assertion::StartLine { .. }
                | Assertion::EndLine { .. },
            ) => e.to_str(&mut self.out, prec),
            Expr::Assertion(Assertion::WordBoundary) => self.out.push_str(r"\b"),
            Expr::Assertion(Assertion::NotWordBoundary) => self.out.push_str(r"\B"),
            Expr::Assertion(Assertion::LeftWordBoundary) => self.out.push_str(r"\b{start}"),
            Expr::Assertion(Assertion::RightWordBoundary) => self.out.push_str(r"\b{end}"),
            Expr::Concat(children) => {
                if prec > 1 {
                    self.out.push_str("(?:");
                }
                let outer = self.follow;
                // what follows each child: the children after it, then what follows them all
                let mut follows = vec![outer; children.len()];
                let mut after = outer;
                for (i, c) in children.iter().enumerate().rev() {
                    follows[i] = after;
                    after = then(first_of(c), after);
                }
                for (c, f) in children.iter().zip(follows) {
                    self.follow = f;
                    self.print(c, 2, repeated)?;
                }
                self.follow = outer;
                if prec > 1 {
                    self.out.push(')');
                }
            }
            Expr::Alt(children) => {
                if prec > 0 {
                    self.out.push_str("(?:");
                }
                for (i, c) in children.iter().enumerate() {
                    if i > 0 {
                        self.out.push('|');
                    }
                    self.print(c, 1, repeated)?;
                }
                if prec > 0 {
                    self.out.push(')');
                }
            }
            Expr::Group(child) => {
                self.group += 1;
                // grok reads named groups only; unnamed ones cost capture slots for nothing
                match self.names.and_then(|n| n.get(&self.group)) {
                    None => self.out.push_str("(?:"),
                    Some(name) => {
                        self.out.push_str("(?<");
                        self.out.push_str(name);
                        self.out.push('>');
                    }
                }
                self.print(child, 0, repeated)?;
                self.out.push(')');
            }
            // `.*?` before a character `c`: only the ends where `c` comes next can be followed,
            // in increasing order; `[^c\n]*(?:c[^c\n]*)*?` offers the same ends in the same
            // order without a state per byte for the `c` that does not come
            Expr::Repeat {
                child,
                lo: 0,
                hi: usize::MAX,
                greedy: false,
            } if matches!(**child, Expr::Any { .. })
                && self.follow.and_then(|f| f.single()).is_some() =>
            {
                let c = self.follow.and_then(|f| f.single()).unwrap_or(b'"');
                let newline = if matches!(**child, Expr::Any { newline: true }) {
                    ""
                } else {
                    r"\n"
                };
                self.out.push_str(&format!(
                    r"(?:[^\x{c:02X}{newline}]*(?:\x{c:02X}[^\x{c:02X}{newline}]*)*?)"
                ));
            }
            Expr::Repeat {
                child,
                lo,
                hi,
                greedy,
            } => {
                let outer_follow = self.follow.take();
                // the outermost repetition carries the check of the runs relaxed inside it
                let outer = !repeated && (*hi > 1);
                let start = self.out.len();
                let runs_before = self.runs.len();
                if prec > 2 {
                    self.out.push_str("(?:");
                }
                let relaxed = one_char(child).filter(|_| *lo <= 1 && *hi >= RELAX_FROM);
                match (relaxed, *hi) {
                    (Some(class), hi) if hi != usize::MAX => {
                        self.print(child, 3, true)?;
                        self.out.push(if *lo == 0 { '*' } else { '+' });
                        self.runs.push((class, hi));
                    }
                    _ => {
                        self.print(child, 3, repeated || *hi > 1)?;
                        match (*lo, *hi) {
                            (0, 1) => self.out.push('?'),
                            (0, usize::MAX) => self.out.push('*'),
                            (1, usize::MAX) => self.out.push('+'),
                            (lo, hi) if lo == hi => self.out.push_str(&format!("{{{lo}}}")),
                            (lo, usize::MAX) => self.out.push_str(&format!("{{{lo},}}")),
                            (lo, hi) => self.out.push_str(&format!("{{{lo},{hi}}}")),
                        }
                    }
                }
                if !greedy {
                    self.out.push('?');
                }
                if prec > 2 {
                    self.out.push(')');
                }
                if outer && self.runs.len() > runs_before {
                    let name = format!("_r{}", self.pending.len());
                    self.out.insert_str(start, &format!("(?<{name}>"));
                    self.out.push(')');
                    let runs = self.runs.split_off(runs_before);
                    self.pending.push((name, Check::Runs(runs)));
                }
                self.follow = outer_follow;
            }
            Expr::LookAround(body, kind) => {
                if repeated {
                    return None;
                }
                let mut text = String::new();
                plain(body, &mut text)?;
                let body_re = meta::Regex::new(&text).ok()?;
                let ahead = matches!(kind, LookAround::LookAhead | LookAround::LookAheadNeg);
                let negate = matches!(kind, LookAround::LookAheadNeg | LookAround::LookBehindNeg);
                let check = match (one_char(body), kind) {
                    (Some(class), _) => Check::Char {
                        ahead,
                        negate,
                        class,
                    },
                    (None, LookAround::LookAhead | LookAround::LookAheadNeg) => Check::Ahead {
                        negate,
                        body: body_re,
                    },
                    (None, LookAround::LookBehind | LookAround::LookBehindNeg) => Check::Behind {
                        negate,
                        chars: chars(body)?,
                        body: body_re,
                    },
                };
                let name = format!("_l{}", self.pending.len());
                self.out.push_str(&format!("(?<{name}>)"));
                self.pending.push((name, check));
            }
            // A body of fixed length has one end wherever it matches, so giving nothing back
            // changes nothing: a plain group (`YEAR` is `(?>\d\d){1,2}`).
            Expr::AtomicGroup(body) if chars(body).is_some() => {
                self.out.push_str("(?:");
                self.print(body, 0, repeated)?;
                self.out.push(')');
            }
            Expr::AtomicGroup(body) => {
                if repeated {
                    return None;
                }
                let alone = Fast::from_expr(body, None)?;
                let name = format!("_a{}", self.pending.len());
                self.out.push_str(&format!("(?<{name}>"));
                // the body's checks are made again by `Check::Atomic` on its own first match
                self.pending.push((name, Check::Atomic(Box::new(alone))));
                // the body's end is the group's end, whatever follows
                let outer = self.follow.take();
                self.print(body, 0, repeated)?;
                self.follow = outer;
                self.out.push(')');
            }
            Expr::Backref(_)
            | Expr::KeepOut
            | Expr::ContinueFromPreviousMatchEnd
            | Expr::BackrefExistsCondition(_)
            | Expr::Conditional { .. } => return None,
        }
        Some(())
    }
}

/// A look-around's body: plain syntax only (no captures, markers or nested look-arounds).
fn plain(e: &Expr, out: &mut String) -> Option<()> {
    let mut p = Printer::new(None, Vec::new());
    p.print(e, 0, false)?;
    if !p.pending.is_empty() {
        return None;
    }
    out.push_str(&p.out);
    Some(())
}

/// The class of a one-character expression (`[a-z]`, `\d`, `x`).
fn one_char(e: &Expr) -> Option<OneChar> {
    match e {
        Expr::Delegate { size: 1, .. } => {}
        Expr::Literal { val, .. } if val.chars().count() == 1 => {}
        _ => return None,
    }
    let mut text = String::new();
    e.to_str(&mut text, 0);
    OneChar::new(&text)
}

/// The fixed length of a look-behind's body in characters.
fn chars(e: &Expr) -> Option<usize> {
    match e {
        Expr::Empty | Expr::Assertion(_) => Some(0),
        Expr::Any { .. } => Some(1),
        Expr::Literal { val, .. } => Some(val.chars().count()),
        Expr::Delegate { size, .. } => Some(*size),
        Expr::Group(c) => chars(c),
        Expr::Concat(cs) => cs.iter().map(chars).sum(),
        Expr::Alt(cs) => {
            let first = chars(cs.first()?)?;
            cs.iter().all(|c| chars(c) == Some(first)).then_some(first)
        }
        Expr::Repeat { child, lo, hi, .. } if lo == hi => Some(chars(child)? * lo),
        _ => None,
    }
}

/// A set of bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct ByteSet([u64; 4]);

impl ByteSet {
    const ALL: ByteSet = ByteSet([u64::MAX; 4]);

    fn of(b: u8) -> Self {
        let mut set = ByteSet::default();
        set.0[usize::from(b >> 6)] |= 1 << (b & 63);
        set
    }

    fn union(mut self, other: ByteSet) -> Self {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        self
    }

    /// The one ASCII byte other than `\n` in the set, if that is all it holds.
    fn single(self) -> Option<u8> {
        let ones: u32 = self.0.iter().map(|w| w.count_ones()).sum();
        let b = u8::try_from(
            self.0[0]
                .trailing_zeros()
                .min(self.0[1].trailing_zeros() + 64),
        )
        .ok()?;
        (ones == 1 && b < 0x80 && b != b'\n' && ByteSet::of(b) == self).then_some(b)
    }
}

/// The bytes a match of `e` can start with (a superset), and whether it can be empty.
fn first_of(e: &Expr) -> (ByteSet, bool) {
    match e {
        Expr::Empty | Expr::Assertion(_) | Expr::LookAround(..) => (ByteSet::default(), true),
        Expr::Literal { val, casei: false } => match val.as_bytes().first() {
            Some(b) => (ByteSet::of(*b), false),
            None => (ByteSet::default(), true),
        },
        Expr::Literal { val, .. } => (ByteSet::ALL, val.is_empty()),
        Expr::Any { .. } | Expr::Delegate { .. } => (ByteSet::ALL, false),
        Expr::Concat(items) => {
            let mut set = ByteSet::default();
            for item in items {
                let (s, empty) = first_of(item);
                set = set.union(s);
                if !empty {
                    return (set, false);
                }
            }
            (set, true)
        }
        Expr::Alt(items) => items.iter().fold((ByteSet::default(), false), |acc, i| {
            let (s, empty) = first_of(i);
            (acc.0.union(s), acc.1 || empty)
        }),
        Expr::Group(body) | Expr::AtomicGroup(body) => first_of(body),
        Expr::Repeat { child, lo, .. } => {
            let (s, empty) = first_of(child);
            (s, empty || *lo == 0)
        }
        // anything else: any byte, possibly none
        _ => (ByteSet::ALL, true),
    }
}

/// What follows a part whose own start is `first` and after which comes `after`.
fn then((set, empty): (ByteSet, bool), after: Option<ByteSet>) -> Option<ByteSet> {
    if empty {
        after.map(|a| set.union(a))
    } else {
        Some(set)
    }
}
