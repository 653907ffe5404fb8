//! The Painless expressions that pipeline aggregations run: `bucket_script`'s arithmetic,
//! `bucket_selector`'s conditions and `moving_fn`'s `MovingFunctions` calls.
//!
//! This is a subset of Painless, evaluated as Painless does: `params.NAME` (or
//! `params['NAME']`) reads a variable, `values` is `moving_fn`'s window; numbers keep Java's
//! `int`/`long` against `double` arithmetic (integer division truncates); `+ - * / %`,
//! comparisons, `&& || !`, `?:`, parentheses, an optional `return` and `;`, `Math.abs`,
//! `Math.max`, `Math.min`, `Math.pow`, `Math.sqrt`, `Math.log`, `Math.log10`, `Math.exp`,
//! `Math.floor`, `Math.ceil`, `Math.round` and `MovingFunctions.*`. Anything else is refused
//! by name when the request is parsed.

use serde_json::{Map, Value as Json};

use crate::error::{Error, Result};

/// Deepest nesting of an expression.
const MAX_DEPTH: usize = 64;
/// Longest script source.
const MAX_LEN: usize = 16 * 1024;

/// A value while evaluating.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    /// Java `int`/`long`
    Int(i64),
    /// Java `double`
    Num(f64),
    /// `boolean`
    Bool(bool),
    /// `null` (a variable without a value)
    Null,
    /// `moving_fn`'s `values`
    Array(Vec<f64>),
}

impl V {
    fn num(&self) -> Option<f64> {
        match self {
            V::Int(i) => Some(*i as f64),
            V::Num(x) => Some(*x),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self {
            V::Int(i) => i.to_string(),
            V::Num(x) => x.to_string(),
            V::Bool(b) => b.to_string(),
            V::Null => "null".into(),
            V::Array(_) => "double[]".into(),
        }
    }
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// a literal
    Lit(V),
    /// `params.NAME`
    Param(String),
    /// `values`
    Values,
    /// a unary operator
    Unary(char, Box<Expr>),
    /// a binary operator
    Binary(&'static str, Box<Expr>, Box<Expr>),
    /// `c ? a : b`
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `Math.f(..)` / `MovingFunctions.f(..)`
    Call(&'static str, Vec<Expr>),
}

const FUNCTIONS: &[(&str, usize)] = &[
    ("Math.abs", 1),
    ("Math.max", 2),
    ("Math.min", 2),
    ("Math.pow", 2),
    ("Math.sqrt", 1),
    ("Math.log", 1),
    ("Math.log10", 1),
    ("Math.exp", 1),
    ("Math.floor", 1),
    ("Math.ceil", 1),
    ("Math.round", 1),
    ("MovingFunctions.max", 1),
    ("MovingFunctions.min", 1),
    ("MovingFunctions.sum", 1),
    ("MovingFunctions.unweightedAvg", 1),
    ("MovingFunctions.stdDev", 2),
    ("MovingFunctions.linearWeightedAvg", 1),
    ("MovingFunctions.ewma", 2),
    ("MovingFunctions.holt", 3),
];

/// A script of a pipeline aggregation: its expression and `params`.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// the source as written
    pub source: String,
    /// the parsed expression
    pub expr: Expr,
    /// `params` given with the script
    pub params: Map<String, Json>,
}

fn compile_error(source: &str, reason: impl Into<String>) -> Error {
    Error::es(400, "script_exception", "compile error")
        .with("script", source)
        .with("lang", "painless")
        .caused_by(Error::illegal_argument(reason))
}

/// Reads a `script` member: a string, or `{"source", "lang", "params"}`.
pub fn parse(v: &Json, agg: &str) -> Result<Script> {
    let (source, params) = match v {
        Json::String(s) => (s.clone(), Map::new()),
        Json::Object(o) => {
            let mut source = None;
            let mut params = Map::new();
            for (k, v) in o {
                match (k.as_str(), v) {
                    ("source", Json::String(s)) => source = Some(s.clone()),
                    ("lang", Json::String(l)) if l == "painless" => {}
                    ("lang", other) => {
                        return Err(Error::illegal_argument(format!(
                            "script lang [{}] of [{agg}] is not supported by sluice-store (only painless)",
                            other.as_str().unwrap_or_default()
                        )));
                    }
                    ("params", Json::Object(p)) => params = p.clone(),
                    ("id", _) => {
                        return Err(Error::illegal_argument(format!(
                            "stored scripts ([id] of the script of [{agg}]) are not supported by sluice-store"
                        )));
                    }
                    (other, _) => {
                        return Err(Error::es(
                            400,
                            "x_content_parse_exception",
                            format!("[script] unknown field [{other}]"),
                        ));
                    }
                }
            }
            let source = source.ok_or_else(|| {
                Error::parsing(format!(
                    "must specify <source> for an inline script of [{agg}]"
                ))
            })?;
            (source, params)
        }
        other => {
            return Err(Error::es(
                400,
                "x_content_parse_exception",
                format!(
                    "[{agg}] script doesn't support values of type: {}",
                    crate::search::token_name(other)
                ),
            ));
        }
    };
    if source.len() > MAX_LEN {
        return Err(compile_error(
            &source,
            format!("script is longer than {MAX_LEN} bytes"),
        ));
    }
    let mut p = Parser {
        src: source.as_bytes(),
        at: 0,
        depth: 0,
    };
    p.skip_ws();
    if p.eat_word("return") {
        p.skip_ws();
    }
    let expr = p.expr().map_err(|e| compile_error(&source, e))?;
    p.skip_ws();
    while p.eat(";") {
        p.skip_ws();
    }
    if p.at < p.src.len() {
        return Err(compile_error(
            &source,
            format!(
                "unexpected [{}] at offset {}; sluice-store evaluates Painless expressions only",
                String::from_utf8_lossy(&p.src[p.at..])
                    .chars()
                    .take(20)
                    .collect::<String>(),
                p.at
            ),
        ));
    }
    Ok(Script {
        source,
        expr,
        params,
    })
}

struct Parser<'a> {
    src: &'a [u8],
    at: usize,
    depth: usize,
}

type PResult<T> = std::result::Result<T, String>;

impl Parser<'_> {
    fn skip_ws(&mut self) {
        while self.src.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn eat(&mut self, tok: &str) -> bool {
        self.skip_ws();
        if self.src[self.at..].starts_with(tok.as_bytes()) {
            self.at += tok.len();
            true
        } else {
            false
        }
    }

    fn eat_word(&mut self, w: &str) -> bool {
        self.skip_ws();
        let rest = &self.src[self.at..];
        if rest.starts_with(w.as_bytes())
            && !rest
                .get(w.len())
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            self.at += w.len();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> PResult<String> {
        self.skip_ws();
        let start = self.at;
        while self
            .src
            .get(self.at)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            self.at += 1;
        }
        if start == self.at {
            return Err(format!("expected a name at offset {start}"));
        }
        Ok(String::from_utf8_lossy(&self.src[start..self.at]).into_owned())
    }

    fn nest<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("expression nested deeper than {MAX_DEPTH}"));
        }
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn expr(&mut self) -> PResult<Expr> {
        self.nest(|p| {
            let c = p.or()?;
            if p.eat("?") {
                let a = p.expr()?;
                if !p.eat(":") {
                    return Err(format!("expected [:] at offset {}", p.at));
                }
                let b = p.expr()?;
                return Ok(Expr::Cond(Box::new(c), Box::new(a), Box::new(b)));
            }
            Ok(c)
        })
    }

    fn binary(
        &mut self,
        ops: &[&'static str],
        next: fn(&mut Self) -> PResult<Expr>,
    ) -> PResult<Expr> {
        let mut left = next(self)?;
        'outer: loop {
            for op in ops {
                // `<` must not take the first byte of `<=`, nor `=` of `==` an assignment
                if self.eat(op) {
                    let right = next(self)?;
                    left = Expr::Binary(op, Box::new(left), Box::new(right));
                    continue 'outer;
                }
            }
            return Ok(left);
        }
    }

    fn or(&mut self) -> PResult<Expr> {
        self.binary(&["||"], Self::and)
    }

    fn and(&mut self) -> PResult<Expr> {
        self.binary(&["&&"], Self::cmp)
    }

    fn cmp(&mut self) -> PResult<Expr> {
        self.binary(&["<=", ">=", "==", "!=", "<", ">"], Self::add)
    }

    fn add(&mut self) -> PResult<Expr> {
        self.binary(&["+", "-"], Self::mul)
    }

    fn mul(&mut self) -> PResult<Expr> {
        self.binary(&["*", "/", "%"], Self::unary)
    }

    fn unary(&mut self) -> PResult<Expr> {
        self.nest(|p| {
            if p.eat("-") {
                return Ok(Expr::Unary('-', Box::new(p.unary()?)));
            }
            if p.eat("!") {
                return Ok(Expr::Unary('!', Box::new(p.unary()?)));
            }
            p.primary()
        })
    }

    fn primary(&mut self) -> PResult<Expr> {
        self.skip_ws();
        let Some(&c) = self.src.get(self.at) else {
            return Err("unexpected end of script".into());
        };
        if c == b'(' {
            self.at += 1;
            let e = self.expr()?;
            if !self.eat(")") {
                return Err(format!("expected [)] at offset {}", self.at));
            }
            return Ok(e);
        }
        if c.is_ascii_digit() || c == b'.' {
            return self.number();
        }
        let start = self.at;
        let name = self.ident()?;
        match name.as_str() {
            "true" => Ok(Expr::Lit(V::Bool(true))),
            "false" => Ok(Expr::Lit(V::Bool(false))),
            "null" => Ok(Expr::Lit(V::Null)),
            "values" => Ok(Expr::Values),
            "params" => {
                if self.eat(".") {
                    return Ok(Expr::Param(self.ident()?));
                }
                if self.eat("[") {
                    self.skip_ws();
                    let q = self.src.get(self.at).copied();
                    if !matches!(q, Some(b'\'' | b'"')) {
                        return Err(format!("expected a quoted name at offset {}", self.at));
                    }
                    self.at += 1;
                    let s = self.at;
                    while self.src.get(self.at).is_some_and(|&b| Some(b) != q) {
                        self.at += 1;
                    }
                    let key = String::from_utf8_lossy(&self.src[s..self.at]).into_owned();
                    self.at += 1;
                    if !self.eat("]") {
                        return Err(format!("expected []] at offset {}", self.at));
                    }
                    return Ok(Expr::Param(key));
                }
                Err(format!("expected [.] after [params] at offset {}", self.at))
            }
            "Math" | "MovingFunctions" => {
                if !self.eat(".") {
                    return Err(format!("expected [.] after [{name}]"));
                }
                let f = format!("{name}.{}", self.ident()?);
                let Some(&(known, arity)) = FUNCTIONS.iter().find(|(n, _)| *n == f) else {
                    return Err(format!(
                        "[{f}] is not one of the functions sluice-store evaluates"
                    ));
                };
                if !self.eat("(") {
                    return Err(format!("expected [(] after [{f}]"));
                }
                let mut args = Vec::new();
                if !self.eat(")") {
                    loop {
                        args.push(self.expr()?);
                        if self.eat(")") {
                            break;
                        }
                        if !self.eat(",") {
                            return Err(format!("expected [,] or [)] at offset {}", self.at));
                        }
                    }
                }
                if args.len() != arity {
                    return Err(format!(
                        "[{f}] takes {arity} argument(s), not {}",
                        args.len()
                    ));
                }
                Ok(Expr::Call(known, args))
            }
            _ => Err(format!(
                "[{name}] at offset {start} is not a variable (use params.NAME) or a function sluice-store evaluates"
            )),
        }
    }

    fn number(&mut self) -> PResult<Expr> {
        let start = self.at;
        let mut float = false;
        while let Some(&c) = self.src.get(self.at) {
            match c {
                b'0'..=b'9' => {}
                b'.' | b'e' | b'E' => float = true,
                b'+' | b'-' if matches!(self.src[self.at - 1], b'e' | b'E') => {}
                _ => break,
            }
            self.at += 1;
        }
        let text = String::from_utf8_lossy(&self.src[start..self.at]).into_owned();
        // Java's suffixes: `d`/`f` double, `L` long
        let suffix = self.src.get(self.at).copied();
        match suffix {
            Some(b'd' | b'D' | b'f' | b'F') => {
                self.at += 1;
                float = true;
            }
            Some(b'l' | b'L') => self.at += 1,
            _ => {}
        }
        if float {
            text.parse()
                .map(|x| Expr::Lit(V::Num(x)))
                .map_err(|_| format!("invalid number [{text}]"))
        } else {
            text.parse()
                .map(|x| Expr::Lit(V::Int(x)))
                .map_err(|_| format!("invalid number [{text}]"))
        }
    }
}

/// The variables of one evaluation.
pub struct Vars<'a> {
    /// `params`: the script's own and the resolved `buckets_path` values
    pub params: &'a Map<String, Json>,
    /// resolved `buckets_path` values (by variable name), looked up before `params`
    pub paths: &'a [(String, f64)],
    /// `moving_fn`'s window
    pub values: &'a [f64],
}

fn runtime(source: &str, reason: impl Into<String>) -> Error {
    Error::es(400, "script_exception", "runtime error")
        .with("script", source)
        .with("lang", "painless")
        .caused_by(Error::illegal_argument(reason))
}

impl Script {
    /// Evaluates the script.
    pub fn eval(&self, vars: &Vars<'_>) -> Result<V> {
        eval(&self.expr, vars).map_err(|e| runtime(&self.source, e))
    }
}

fn param(name: &str, vars: &Vars<'_>) -> V {
    if let Some((_, x)) = vars.paths.iter().find(|(n, _)| n == name) {
        return V::Num(*x);
    }
    match vars.params.get(name) {
        Some(Json::Number(n)) => n
            .as_i64()
            .map_or_else(|| V::Num(n.as_f64().unwrap_or(f64::NAN)), V::Int),
        Some(Json::Bool(b)) => V::Bool(*b),
        _ => V::Null,
    }
}

fn eval(e: &Expr, vars: &Vars<'_>) -> std::result::Result<V, String> {
    Ok(match e {
        Expr::Lit(v) => v.clone(),
        Expr::Param(n) => param(n, vars),
        Expr::Values => V::Array(vars.values.to_vec()),
        Expr::Unary('-', x) => match eval(x, vars)? {
            V::Int(i) => V::Int(i.wrapping_neg()),
            V::Num(f) => V::Num(-f),
            other => return Err(format!("cannot negate [{}]", other.describe())),
        },
        Expr::Unary(_, x) => match eval(x, vars)? {
            V::Bool(b) => V::Bool(!b),
            other => return Err(format!("cannot apply [!] to [{}]", other.describe())),
        },
        Expr::Cond(c, a, b) => match eval(c, vars)? {
            V::Bool(true) => eval(a, vars)?,
            V::Bool(false) => eval(b, vars)?,
            other => return Err(format!("[{}] is not a boolean", other.describe())),
        },
        Expr::Binary(op @ ("&&" | "||"), a, b) => {
            let left = match eval(a, vars)? {
                V::Bool(x) => x,
                other => return Err(format!("[{}] is not a boolean", other.describe())),
            };
            if (*op == "&&" && !left) || (*op == "||" && left) {
                return Ok(V::Bool(left));
            }
            match eval(b, vars)? {
                V::Bool(x) => V::Bool(x),
                other => return Err(format!("[{}] is not a boolean", other.describe())),
            }
        }
        Expr::Binary(op, a, b) => binary(op, &eval(a, vars)?, &eval(b, vars)?)?,
        Expr::Call(f, args) => {
            let args = args
                .iter()
                .map(|a| eval(a, vars))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            call(f, &args)?
        }
    })
}

fn binary(op: &str, a: &V, b: &V) -> std::result::Result<V, String> {
    if matches!(op, "==" | "!=") {
        let eq = match (a, b) {
            (V::Bool(x), V::Bool(y)) => x == y,
            (V::Null, V::Null) => true,
            (V::Null, _) | (_, V::Null) => false,
            _ => match (a.num(), b.num()) {
                (Some(x), Some(y)) => x == y,
                _ => {
                    return Err(format!(
                        "cannot compare [{}] and [{}]",
                        a.describe(),
                        b.describe()
                    ));
                }
            },
        };
        return Ok(V::Bool(eq == (op == "==")));
    }
    if let (V::Int(x), V::Int(y)) = (a, b) {
        let (x, y) = (*x, *y);
        return Ok(match op {
            "+" => V::Int(x.wrapping_add(y)),
            "-" => V::Int(x.wrapping_sub(y)),
            "*" => V::Int(x.wrapping_mul(y)),
            "/" | "%" if y == 0 => return Err("/ by zero".into()),
            "/" => V::Int(x.wrapping_div(y)),
            "%" => V::Int(x.wrapping_rem(y)),
            "<" => V::Bool(x < y),
            "<=" => V::Bool(x <= y),
            ">" => V::Bool(x > y),
            _ => V::Bool(x >= y),
        });
    }
    let (Some(x), Some(y)) = (a.num(), b.num()) else {
        return Err(format!(
            "cannot apply [{op}] to [{}] and [{}]",
            a.describe(),
            b.describe()
        ));
    };
    Ok(match op {
        "+" => V::Num(x + y),
        "-" => V::Num(x - y),
        "*" => V::Num(x * y),
        "/" => V::Num(x / y),
        "%" => V::Num(x % y),
        "<" => V::Bool(x < y),
        "<=" => V::Bool(x <= y),
        ">" => V::Bool(x > y),
        _ => V::Bool(x >= y),
    })
}

fn call(f: &str, args: &[V]) -> std::result::Result<V, String> {
    let num = |i: usize| {
        args[i]
            .num()
            .ok_or_else(|| format!("[{f}] needs a number, not [{}]", args[i].describe()))
    };
    let arr = |i: usize| match &args[i] {
        V::Array(a) => Ok(a.as_slice()),
        other => Err(format!("[{f}] needs values, not [{}]", other.describe())),
    };
    Ok(match f {
        "Math.abs" => match args[0] {
            V::Int(i) => V::Int(i.wrapping_abs()),
            _ => V::Num(num(0)?.abs()),
        },
        "Math.max" | "Math.min" => match (&args[0], &args[1]) {
            (V::Int(x), V::Int(y)) => V::Int(if f == "Math.max" {
                *x.max(y)
            } else {
                *x.min(y)
            }),
            _ => {
                let (x, y) = (num(0)?, num(1)?);
                // Java's Math.max/min: NaN wins
                V::Num(if x.is_nan() || y.is_nan() {
                    f64::NAN
                } else if f == "Math.max" {
                    x.max(y)
                } else {
                    x.min(y)
                })
            }
        },
        "Math.pow" => V::Num(num(0)?.powf(num(1)?)),
        "Math.sqrt" => V::Num(num(0)?.sqrt()),
        "Math.log" => V::Num(num(0)?.ln()),
        "Math.log10" => V::Num(num(0)?.log10()),
        "Math.exp" => V::Num(num(0)?.exp()),
        "Math.floor" => V::Num(num(0)?.floor()),
        "Math.ceil" => V::Num(num(0)?.ceil()),
        // Java's Math.round(double): floor(x + 0.5) as a long
        "Math.round" => V::Int((num(0)? + 0.5).floor() as i64),
        "MovingFunctions.max" => V::Num(moving::max(arr(0)?)),
        "MovingFunctions.min" => V::Num(moving::min(arr(0)?)),
        "MovingFunctions.sum" => V::Num(moving::sum(arr(0)?)),
        "MovingFunctions.unweightedAvg" => V::Num(moving::unweighted_avg(arr(0)?)),
        "MovingFunctions.stdDev" => V::Num(moving::std_dev(arr(0)?, num(1)?)),
        "MovingFunctions.linearWeightedAvg" => V::Num(moving::linear_weighted_avg(arr(0)?)),
        "MovingFunctions.ewma" => V::Num(moving::ewma(arr(0)?, num(1)?)),
        "MovingFunctions.holt" => V::Num(moving::holt(arr(0)?, num(1)?, num(2)?)),
        other => return Err(format!("[{other}] is not evaluated")),
    })
}

/// Elasticsearch's `MovingFunctions`: each skips NaN values.
pub mod moving {
    fn finite(values: &[f64]) -> impl Iterator<Item = f64> + '_ {
        values.iter().copied().filter(|v| !v.is_nan())
    }

    /// The largest value, NaN for none.
    pub fn max(values: &[f64]) -> f64 {
        finite(values).reduce(f64::max).unwrap_or(f64::NAN)
    }

    /// The smallest value, NaN for none.
    pub fn min(values: &[f64]) -> f64 {
        finite(values).reduce(f64::min).unwrap_or(f64::NAN)
    }

    /// The sum, 0 for none.
    pub fn sum(values: &[f64]) -> f64 {
        finite(values).sum()
    }

    /// The mean, NaN for none.
    pub fn unweighted_avg(values: &[f64]) -> f64 {
        let n = finite(values).count();
        if n == 0 {
            f64::NAN
        } else {
            sum(values) / n as f64
        }
    }

    /// The standard deviation around `avg`, NaN for none.
    pub fn std_dev(values: &[f64], avg: f64) -> f64 {
        if avg.is_nan() {
            return f64::NAN;
        }
        let (mut n, mut var) = (0usize, 0.0);
        for v in finite(values) {
            n += 1;
            var += (v - avg).powi(2);
        }
        if n == 0 {
            f64::NAN
        } else {
            (var / n as f64).sqrt()
        }
    }

    /// Weighted by position (the newest weighs most), NaN for none. As Elasticsearch's, the
    /// weights' sum it divides by starts at 1, not 0.
    pub fn linear_weighted_avg(values: &[f64]) -> f64 {
        let (mut avg, mut total, mut current) = (0.0, 1.0, 1.0);
        for v in finite(values) {
            avg += v * current;
            total += current;
            current += 1.0;
        }
        if total == 1.0 { f64::NAN } else { avg / total }
    }

    /// Exponentially weighted, NaN for none.
    pub fn ewma(values: &[f64], alpha: f64) -> f64 {
        let mut avg = f64::NAN;
        for v in finite(values) {
            avg = if avg.is_nan() {
                v
            } else {
                v * alpha + avg * (1.0 - alpha)
            };
        }
        avg
    }

    /// Double exponential smoothing: the smoothed level after the last value (Elasticsearch's
    /// forecast of step 0, which leaves the trend out), NaN for none.
    pub fn holt(values: &[f64], alpha: f64, beta: f64) -> f64 {
        let (mut s, mut last_s, mut last_b) = (f64::NAN, 0.0, 0.0);
        for (i, v) in finite(values).enumerate() {
            let b;
            if i == 0 {
                s = v;
                b = 0.0;
            } else {
                s = alpha * v + (1.0 - alpha) * (last_s + last_b);
                b = beta * (s - last_s) + (1.0 - beta) * last_b;
            }
            last_s = s;
            last_b = b;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(src: &str, paths: &[(&str, f64)], values: &[f64]) -> Result<V> {
        let s = parse(
            &json!({"source": src, "params": {"k": 3, "half": 0.5}}),
            "t",
        )?;
        let paths: Vec<(String, f64)> = paths.iter().map(|(n, x)| ((*n).to_owned(), *x)).collect();
        s.eval(&Vars {
            params: &s.params,
            paths: &paths,
            values,
        })
    }

    #[test]
    fn arithmetic_as_painless() {
        let p = [("a", 10.0), ("b", 4.0)];
        assert_eq!(run("params.a / params.b", &p, &[]).unwrap(), V::Num(2.5));
        assert_eq!(
            run("return params.a * 100 / params.b;", &p, &[]).unwrap(),
            V::Num(250.0)
        );
        // int literals and int params keep Java's integer division
        assert_eq!(run("7 / 2", &[], &[]).unwrap(), V::Int(3));
        assert_eq!(run("params.k / 2", &[], &[]).unwrap(), V::Int(1));
        assert_eq!(
            run("params.k * params.half", &[], &[]).unwrap(),
            V::Num(1.5)
        );
        assert_eq!(run("-(1 + 2) * 3 % 4", &[], &[]).unwrap(), V::Int(-1));
        assert_eq!(run("params['a'] - 1.5", &p, &[]).unwrap(), V::Num(8.5));
        assert_eq!(
            run("Math.max(params.a, 12)", &p, &[]).unwrap(),
            V::Num(12.0)
        );
        assert_eq!(
            run("params.a > params.b && !(params.b == 4)", &p, &[]).unwrap(),
            V::Bool(false)
        );
        assert_eq!(run("params.a >= 10 ? 1 : 2", &p, &[]).unwrap(), V::Int(1));
        assert!(run("1 / 0", &[], &[]).is_err());
        assert_eq!(run("1.0 / 0", &[], &[]).unwrap(), V::Num(f64::INFINITY));
    }

    #[test]
    fn moving_functions() {
        let w = [1.0, f64::NAN, 3.0, 5.0];
        assert_eq!(
            run("MovingFunctions.unweightedAvg(values)", &[], &w).unwrap(),
            V::Num(3.0)
        );
        assert_eq!(
            run(
                "MovingFunctions.max(values) - MovingFunctions.min(values)",
                &[],
                &w
            )
            .unwrap(),
            V::Num(4.0)
        );
        assert_eq!(
            run("MovingFunctions.sum(values)", &[], &[]).unwrap(),
            V::Num(0.0)
        );
        assert!(
            matches!(run("MovingFunctions.unweightedAvg(values)", &[], &[]).unwrap(), V::Num(x) if x.is_nan())
        );
        // weights 1, 2, 3 over 1, 3, 5, divided by 1 + 1 + 2 + 3 as Elasticsearch does
        assert_eq!(
            run("MovingFunctions.linearWeightedAvg(values)", &[], &w).unwrap(),
            V::Num(22.0 / 7.0)
        );
        // level 1; then 0.5·3 + 0.5·1 = 2 (trend 0.5·1 = 0.5); then 0.5·5 + 0.5·2.5 = 3.75
        assert_eq!(
            run("MovingFunctions.holt(values, 0.5, 0.5)", &[], &w).unwrap(),
            V::Num(3.75)
        );
        assert_eq!(
            run("MovingFunctions.ewma(values, 0.5)", &[], &w).unwrap(),
            V::Num(3.5)
        );
        let sd = run(
            "MovingFunctions.stdDev(values, MovingFunctions.unweightedAvg(values))",
            &[],
            &w,
        )
        .unwrap();
        assert_eq!(sd, V::Num((8.0f64 / 3.0).sqrt()));
    }

    #[test]
    fn what_is_not_evaluated_is_refused_by_name() {
        for (src, says) in [
            ("doc['x'].value", "[doc]"),
            ("Math.random()", "[Math.random]"),
            ("params.a; params.b", "unexpected"),
            (
                "MovingFunctions.holtWinters(values, 1, 1, 1, 1, true)",
                "[MovingFunctions.holtWinters]",
            ),
            ("(((1)", "expected [)]"),
        ] {
            let err = run(src, &[], &[]).unwrap_err().to_es_body().to_string();
            assert!(err.contains(says), "{src}: {err}");
        }
        let deep = format!("{}1{}", "(".repeat(200), ")".repeat(200));
        let err = run(&deep, &[], &[]).unwrap_err().to_es_body().to_string();
        assert!(err.contains("nested deeper"), "{err}");
        let err = run("params.nope + 1", &[], &[])
            .unwrap_err()
            .to_es_body()
            .to_string();
        assert!(err.contains("cannot apply [+] to [null]"), "{err}");
    }
}
