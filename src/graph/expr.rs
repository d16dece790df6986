//! A small, safe expression language covering the Perl snippets used in AfterGlow property files.
//!
//! AfterGlow 1.6.6 `eval`s every property value as Perl. We never run Perl: instead this module parses the
//! subset that real property files use into an AST and interprets it. Anything outside the subset is a
//! parse error (never a panic), so a property file either loads completely or names the offending line.
//!
//! Supported: statements separated by `;` with `if`/`unless` modifiers (value of the last statement, and a
//! false modifier yields a false value as in Perl), string literals (`"..."` with `$fields[N]`/`$var`
//! interpolation, `'...'`), numbers, barewords (Perl without `strict` treats them as strings), `$fields[N]`,
//! `$_`, scalar/array variables defined by `variable=`, `$sourceCount{$sourceName}` style counters,
//! `qw(...)`, lists, `. + - * / % x`, numeric and string comparisons, `<=> cmp`, `~~` (membership),
//! `&& || ! and or not`, ternary, `=~ /re/flags`, `!~`, `m{..}`, `$fields[N] =~ s/re/repl/flags`,
//! `grep(/re/, LIST)`, `grep(EXPR, LIST)`, and the AfterGlow functions `subnet`, `field`, `match`,
//! `regex_replace`, `any_regex`, `get_severity`, plus `substr lc uc length int abs defined scalar join`.

use std::cell::RefCell;
use std::collections::HashMap;

use regex::Regex;

/// A runtime value. Perl scalars are strings or numbers; lists appear for arrays, `qw()` and `grep`.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Undef,
    Str(String),
    Num(f64),
    List(Vec<Value>),
}

impl Value {
    /// Perl truthiness: undef, "", "0" and 0 are false; a list is true when non-empty.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Undef => false,
            Value::Str(s) => !(s.is_empty() || s == "0"),
            Value::Num(n) => *n != 0.0,
            Value::List(l) => !l.is_empty(),
        }
    }

    /// String form as Perl would print it (lists in scalar context give their last element).
    pub fn to_str(&self) -> String {
        match self {
            Value::Undef => String::new(),
            Value::Str(s) => s.clone(),
            Value::Num(n) => fmt_num(*n),
            Value::List(l) => l.last().map(Value::to_str).unwrap_or_default(),
        }
    }

    /// Numeric form as Perl would convert it (leading numeric prefix of a string, else 0).
    pub fn to_num(&self) -> f64 {
        match self {
            Value::Undef => 0.0,
            Value::Str(s) => perl_num(s),
            Value::Num(n) => *n,
            // A list in numeric scalar context: `grep` returns its count, which is what configs rely on.
            Value::List(l) => l.len() as f64,
        }
    }

    fn into_list(self) -> Vec<Value> {
        match self {
            Value::List(l) => l,
            Value::Undef => Vec::new(),
            v => vec![v],
        }
    }
}

/// Formats a number like Perl's default stringification (integers without a fraction).
pub fn fmt_num(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// Perl's string-to-number conversion: optional whitespace, sign, digits, fraction, exponent; else 0.
pub fn perl_num(s: &str) -> f64 {
    let t = s.trim_start();
    let b = t.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i == digits_start || (i == digits_start + 1 && b.get(digits_start) == Some(&b'.')) {
        return 0.0;
    }
    let mut end = i;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            end = j;
        }
    }
    t[..end].parse().unwrap_or(0.0)
}

/// Which node (or edge) a property is being evaluated for; decides what `field()` returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Source,
    Event,
    Target,
    SourceTarget,
    Edge,
}

/// Variables defined by `variable=` lines.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    pub scalars: HashMap<String, Value>,
    pub arrays: HashMap<String, Vec<Value>>,
}

/// Everything an expression can look at while being evaluated for one record.
pub struct EvalCtx<'a> {
    /// `@fields` (after clustering); `s///` statements modify this copy only.
    pub fields: Vec<String>,
    pub role: Role,
    pub two_node: bool,
    /// AfterGlow's `$globalField`: the value `match()` and `regex_replace()` look at.
    pub global_field: String,
    pub vars: &'a Variables,
    /// `$sourceCount{$sourceName}` etc.: (counter map, name) -> running count.
    pub counts: &'a dyn Fn(CountMap, CountMap) -> f64,
    /// Dynamic (interpolated) regexes compiled during this build; `None` = did not compile.
    pub regex_cache: &'a RefCell<HashMap<String, Option<Regex>>>,
    topic: Option<Value>,
}

/// The node kinds of AfterGlow's `%sourceCount`, `%eventCount`, `%targetCount` hashes and `$...Name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountMap {
    Source,
    Event,
    Target,
}

impl<'a> EvalCtx<'a> {
    pub fn new(
        fields: Vec<String>,
        role: Role,
        two_node: bool,
        global_field: String,
        vars: &'a Variables,
        counts: &'a dyn Fn(CountMap, CountMap) -> f64,
        regex_cache: &'a RefCell<HashMap<String, Option<Regex>>>,
    ) -> Self {
        EvalCtx { fields, role, two_node, global_field, vars, counts, regex_cache, topic: None }
    }

    /// AfterGlow's `field()`: the column of the node type being evaluated (see `sub field`).
    fn field_value(&self) -> Value {
        let idx = match self.role {
            Role::Source | Role::SourceTarget => Some(0),
            _ if self.two_node => Some(1),
            Role::Event => Some(1),
            Role::Target => Some(2),
            Role::Edge => None,
        };
        idx.and_then(|i| self.fields.get(i)).map(|s| Value::Str(s.clone())).unwrap_or(Value::Undef)
    }
}

// ---------------------------------------------------------------------------------------------------------
// AST

#[derive(Debug, Clone)]
enum Part {
    Lit(String),
    Field(usize),
    Scalar(String),
    Topic,
}

#[derive(Debug, Clone)]
struct RegexLit {
    parts: Vec<Part>,
    flags: String,
    /// Compiled at parse time when the pattern has no interpolation.
    compiled: Option<Regex>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Concat,
    Repeat,
    NumLt,
    NumGt,
    NumLe,
    NumGe,
    NumEq,
    NumNe,
    NumCmp,
    StrLt,
    StrGt,
    StrLe,
    StrGe,
    StrEq,
    StrNe,
    StrCmp,
    SmartMatch,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Func {
    Subnet,
    Field,
    Match,
    RegexReplace,
    AnyRegex,
    GetSeverity,
    Substr,
    Lc,
    Uc,
    Length,
    Int,
    Abs,
    Defined,
    Scalar,
    Join,
}

#[derive(Debug, Clone)]
enum Expr {
    Lit(Value),
    Interp(Vec<Part>),
    Field(Box<Expr>),
    Topic,
    Scalar(String),
    Array(String),
    ArrayElem(String, Box<Expr>),
    FieldsArray,
    Count(CountMap, CountMap),
    List(Vec<Expr>),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Match { target: Option<Box<Expr>>, re: RegexLit, negate: bool },
    Subst { field: usize, re: RegexLit, repl: String, global: bool },
    Grep(Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
}

#[derive(Debug, Clone)]
enum Stmt {
    Expr { expr: Expr, modifier: Option<(bool, Expr)> },
    AssignScalar(String, Expr),
    AssignArray(String, Expr),
}

/// A parsed property value (one or more Perl-like statements).
#[derive(Debug, Clone)]
pub struct Program {
    stmts: Vec<Stmt>,
}

/// Parse error with the byte column where it was detected.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprError {
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ExprError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "column {}: {}", self.column + 1, self.message)
    }
}

impl Program {
    /// Parses a property value. `allow_assign` permits `$x = ...` / `@x = (...)` (only for `variable=`).
    pub fn parse(src: &str, allow_assign: bool) -> Result<Program, ExprError> {
        let mut p = Parser { s: src.as_bytes(), src, pos: 0, allow_assign, depth: 0 };
        let stmts = p.program()?;
        Ok(Program { stmts })
    }

    /// Evaluates all statements; the value of the last one is the result (Perl `eval` semantics).
    pub fn eval(&self, ctx: &mut EvalCtx) -> Value {
        let mut last = Value::Undef;
        for st in &self.stmts {
            last = match st {
                Stmt::Expr { expr, modifier: None } => eval(expr, ctx),
                Stmt::Expr { expr, modifier: Some((unless, cond)) } => {
                    let c = eval(cond, ctx);
                    if c.truthy() != *unless {
                        eval(expr, ctx)
                    } else if *unless {
                        Value::Undef
                    } else {
                        // Perl returns the (false) value of the condition for a failed `if` modifier.
                        c
                    }
                }
                // Assignments are only executed by `run_assignments`; during record evaluation they are inert.
                Stmt::AssignScalar(..) | Stmt::AssignArray(..) => Value::Undef,
            };
        }
        last
    }

    /// Executes `variable=` assignments into `vars` (evaluated once, with no record fields).
    pub fn run_assignments(&self, vars: &mut Variables) {
        for st in &self.stmts {
            let counts = |_: CountMap, _: CountMap| 0.0;
            let cache = RefCell::new(HashMap::new());
            let snapshot = vars.clone();
            let mut ctx =
                EvalCtx::new(Vec::new(), Role::Source, false, String::new(), &snapshot, &counts, &cache);
            match st {
                Stmt::AssignScalar(name, e) => {
                    let v = eval(e, &mut ctx);
                    vars.scalars.insert(name.clone(), v);
                }
                Stmt::AssignArray(name, e) => {
                    let v = eval(e, &mut ctx).into_list();
                    vars.arrays.insert(name.clone(), v);
                }
                Stmt::Expr { .. } => {}
            }
        }
    }

    /// True when the program consists of assignments only (a well-formed `variable=` value).
    pub fn is_assignments_only(&self) -> bool {
        self.stmts.iter().all(|s| !matches!(s, Stmt::Expr { .. }))
    }
}

// ---------------------------------------------------------------------------------------------------------
// Parser

struct Parser<'s> {
    s: &'s [u8],
    src: &'s str,
    pos: usize,
    allow_assign: bool,
    depth: usize,
}

const MAX_DEPTH: usize = 64;

type PResult<T> = Result<T, ExprError>;

impl<'s> Parser<'s> {
    fn err<T>(&self, msg: impl Into<String>) -> PResult<T> {
        Err(ExprError { column: self.pos, message: msg.into() })
    }

    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.pos).copied()
    }

    fn starts(&mut self, tok: &str) -> bool {
        self.ws();
        self.src[self.pos..].starts_with(tok)
    }

    fn eat(&mut self, tok: &str) -> bool {
        if self.starts(tok) {
            self.pos += tok.len();
            true
        } else {
            false
        }
    }

    /// Eats a word operator (`eq`, `and`, `if`...) only when it is not a prefix of a longer identifier.
    fn eat_word(&mut self, w: &str) -> bool {
        if self.starts(w) {
            let after = self.s.get(self.pos + w.len()).copied();
            if !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
                self.pos += w.len();
                return true;
            }
        }
        false
    }

    fn expect(&mut self, tok: &str) -> PResult<()> {
        if self.eat(tok) {
            Ok(())
        } else {
            let found = self.src[self.pos..].chars().take(12).collect::<String>();
            self.err(format!("expected `{tok}`, found `{found}`"))
        }
    }

    fn ident(&mut self) -> Option<String> {
        self.ws();
        let start = self.pos;
        while self.pos < self.s.len()
            && (self.s[self.pos].is_ascii_alphanumeric() || self.s[self.pos] == b'_')
        {
            self.pos += 1;
        }
        if self.pos > start && !self.s[start].is_ascii_digit() {
            Some(self.src[start..self.pos].to_string())
        } else {
            self.pos = start;
            None
        }
    }

    fn program(&mut self) -> PResult<Vec<Stmt>> {
        let mut stmts = Vec::new();
        loop {
            while self.eat(";") {}
            if self.peek().is_none() {
                break;
            }
            stmts.push(self.statement()?);
            if self.peek().is_none() {
                break;
            }
            if !self.eat(";") {
                let rest = self.src[self.pos..].chars().take(20).collect::<String>();
                return self.err(format!("unexpected `{rest}`"));
            }
        }
        if stmts.is_empty() {
            return self.err("empty expression");
        }
        Ok(stmts)
    }

    fn statement(&mut self) -> PResult<Stmt> {
        // Assignments (`variable=` lines): `$x = expr`, `@x = (list)`, optionally prefixed with `my`/`our`.
        let save = self.pos;
        let _ = self.eat_word("my") || self.eat_word("our");
        if self.allow_assign {
            for sigil in ["$", "@"] {
                let before = self.pos;
                if self.eat(sigil) {
                    if let Some(name) = self.ident() {
                        if self.eat("=") && !self.starts("=") && !self.starts("~") {
                            let e = self.expr_low()?;
                            return Ok(if sigil == "$" {
                                Stmt::AssignScalar(name, e)
                            } else {
                                Stmt::AssignArray(name, e)
                            });
                        }
                    }
                }
                self.pos = before;
            }
        }
        self.pos = save;
        let expr = self.expr_low()?;
        let modifier = if self.eat_word("if") {
            Some((false, self.expr_low()?))
        } else if self.eat_word("unless") {
            Some((true, self.expr_low()?))
        } else {
            None
        };
        Ok(Stmt::Expr { expr, modifier })
    }

    // Precedence climbing, lowest first: or/xor, and, not, ?:, ||, &&, equality, relational, additive,
    // multiplicative, =~, unary, primary.
    fn expr_low(&mut self) -> PResult<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("expression nested too deeply");
        }
        let mut l = self.expr_and_low()?;
        while self.eat_word("or") {
            let r = self.expr_and_low()?;
            l = Expr::Or(Box::new(l), Box::new(r));
        }
        self.depth -= 1;
        Ok(l)
    }

    fn expr_and_low(&mut self) -> PResult<Expr> {
        let mut l = self.expr_not_low()?;
        while self.eat_word("and") {
            let r = self.expr_not_low()?;
            l = Expr::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn expr_not_low(&mut self) -> PResult<Expr> {
        if self.eat_word("not") {
            let e = self.expr_not_low()?;
            return Ok(Expr::Not(Box::new(e)));
        }
        self.expr_ternary()
    }

    fn expr_ternary(&mut self) -> PResult<Expr> {
        let c = self.expr_oror()?;
        if self.eat("?") {
            let a = self.expr_ternary()?;
            self.expect(":")?;
            let b = self.expr_ternary()?;
            return Ok(Expr::Ternary(Box::new(c), Box::new(a), Box::new(b)));
        }
        Ok(c)
    }

    fn expr_oror(&mut self) -> PResult<Expr> {
        let mut l = self.expr_andand()?;
        while self.eat("||") {
            let r = self.expr_andand()?;
            l = Expr::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn expr_andand(&mut self) -> PResult<Expr> {
        let mut l = self.expr_eq()?;
        while self.eat("&&") {
            let r = self.expr_eq()?;
            l = Expr::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn expr_eq(&mut self) -> PResult<Expr> {
        let mut l = self.expr_rel()?;
        loop {
            let op = if self.eat("==") {
                BinOp::NumEq
            } else if self.eat("!=") {
                BinOp::NumNe
            } else if self.eat("<=>") {
                BinOp::NumCmp
            } else if self.eat("~~") {
                BinOp::SmartMatch
            } else if self.eat_word("eq") {
                BinOp::StrEq
            } else if self.eat_word("ne") {
                BinOp::StrNe
            } else if self.eat_word("cmp") {
                BinOp::StrCmp
            } else {
                break;
            };
            let r = self.expr_rel()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn expr_rel(&mut self) -> PResult<Expr> {
        let mut l = self.expr_add()?;
        loop {
            let op = if self.starts("<=>") {
                break;
            } else if self.eat("<=") {
                BinOp::NumLe
            } else if self.eat(">=") {
                BinOp::NumGe
            } else if self.eat("<") {
                BinOp::NumLt
            } else if self.eat(">") {
                BinOp::NumGt
            } else if self.eat_word("lt") {
                BinOp::StrLt
            } else if self.eat_word("gt") {
                BinOp::StrGt
            } else if self.eat_word("le") {
                BinOp::StrLe
            } else if self.eat_word("ge") {
                BinOp::StrGe
            } else {
                break;
            };
            let r = self.expr_add()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn expr_add(&mut self) -> PResult<Expr> {
        let mut l = self.expr_mul()?;
        loop {
            let op = if self.starts("..") {
                return self.err("range operator `..` is not supported");
            } else if self.eat("+") {
                BinOp::Add
            } else if self.starts("-") && !self.starts("->") {
                self.pos += 1;
                BinOp::Sub
            } else if self.starts(".") && !self.s.get(self.pos + 1).is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
                BinOp::Concat
            } else {
                break;
            };
            let r = self.expr_mul()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn expr_mul(&mut self) -> PResult<Expr> {
        let mut l = self.expr_bind()?;
        loop {
            let op = if self.eat("*") {
                BinOp::Mul
            } else if self.eat("/") {
                BinOp::Div
            } else if self.eat("%") {
                BinOp::Mod
            } else if self.eat_word("x") {
                BinOp::Repeat
            } else {
                break;
            };
            let r = self.expr_bind()?;
            l = Expr::Bin(op, Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn expr_bind(&mut self) -> PResult<Expr> {
        let l = self.expr_unary()?;
        let negate = if self.eat("=~") {
            false
        } else if self.eat("!~") {
            true
        } else {
            return Ok(l);
        };
        self.ws();
        if self.starts("s") && self.s.get(self.pos + 1).is_some_and(|c| is_delim(*c)) {
            let Expr::Field(idx) = &l else {
                return self.err("s/// is only supported on $fields[N]");
            };
            let Expr::Lit(v) = idx.as_ref() else {
                return self.err("s/// needs a constant field index");
            };
            if negate {
                return self.err("`!~ s///` is not supported");
            }
            let field = v.to_num().max(0.0) as usize;
            self.pos += 1;
            let (pat, repl, flags) = self.subst_body()?;
            let global = flags.contains('g');
            let re = self.make_regex(&pat, &flags)?;
            return Ok(Expr::Subst { field, re, repl: perl_repl_to_rust(&repl), global });
        }
        let re = self.regex_literal()?;
        Ok(Expr::Match { target: Some(Box::new(l)), re, negate })
    }

    fn expr_unary(&mut self) -> PResult<Expr> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err("expression nested too deeply");
        }
        let r = if self.eat("!") {
            Expr::Not(Box::new(self.expr_unary()?))
        } else if self.starts("-") && !self.starts("--") {
            self.pos += 1;
            Expr::Neg(Box::new(self.expr_unary()?))
        } else if self.eat("+") {
            self.expr_unary()?
        } else {
            self.primary()?
        };
        self.depth -= 1;
        Ok(r)
    }

    fn primary(&mut self) -> PResult<Expr> {
        let Some(c) = self.peek() else {
            return self.err("unexpected end of expression");
        };
        match c {
            b'(' => {
                self.pos += 1;
                if self.eat(")") {
                    return Ok(Expr::List(Vec::new()));
                }
                let mut items = vec![self.expr_low()?];
                let mut is_list = false;
                while self.eat(",") {
                    is_list = true;
                    if self.starts(")") {
                        break;
                    }
                    items.push(self.expr_low()?);
                }
                self.expect(")")?;
                if is_list {
                    Ok(Expr::List(items))
                } else {
                    Ok(items.pop().unwrap_or(Expr::Lit(Value::Undef)))
                }
            }
            b'"' => {
                self.pos += 1;
                let parts = self.dq_string(b'"')?;
                Ok(parts_expr(parts))
            }
            b'\'' => {
                self.pos += 1;
                let s = self.sq_string()?;
                Ok(Expr::Lit(Value::Str(s)))
            }
            b'/' => Ok(Expr::Match { target: None, re: self.regex_literal()?, negate: false }),
            b'$' => self.scalar_var(),
            b'@' => {
                self.pos += 1;
                let Some(name) = self.ident() else {
                    return self.err("expected array name after `@`");
                };
                if name == "fields" {
                    Ok(Expr::FieldsArray)
                } else {
                    Ok(Expr::Array(name))
                }
            }
            b'0'..=b'9' | b'.' => self.number_or_cidr(),
            _ if c.is_ascii_alphabetic() || c == b'_' => self.word(),
            _ => {
                let found = self.src[self.pos..].chars().next().unwrap_or(' ');
                self.err(format!("unexpected character `{found}`"))
            }
        }
    }

    fn number_or_cidr(&mut self) -> PResult<Expr> {
        let start = self.pos;
        while self.pos < self.s.len() && (self.s[self.pos].is_ascii_digit() || self.s[self.pos] == b'.') {
            // Stop before a concatenation operator like `1 . "x"` (digits never follow it directly).
            if self.s[self.pos] == b'.' && !self.s.get(self.pos + 1).is_some_and(|c| c.is_ascii_digit()) {
                break;
            }
            self.pos += 1;
        }
        let text = &self.src[start..self.pos];
        // Bare dotted addresses and CIDR blocks (`subnet($fields[0],10.0.0.0/8)` in AfterGlow docs).
        if text.matches('.').count() == 3 {
            let mut s = text.to_string();
            if self.s.get(self.pos) == Some(&b'/') {
                let mstart = self.pos + 1;
                let mut e = mstart;
                while e < self.s.len() && self.s[e].is_ascii_digit() {
                    e += 1;
                }
                if e > mstart {
                    s.push_str(&self.src[self.pos..e]);
                    self.pos = e;
                }
            }
            return Ok(Expr::Lit(Value::Str(s)));
        }
        if self.pos < self.s.len() && (self.s[self.pos] == b'e' || self.s[self.pos] == b'E') {
            let save = self.pos;
            self.pos += 1;
            if self.pos < self.s.len() && (self.s[self.pos] == b'+' || self.s[self.pos] == b'-') {
                self.pos += 1;
            }
            let d = self.pos;
            while self.pos < self.s.len() && self.s[self.pos].is_ascii_digit() {
                self.pos += 1;
            }
            if self.pos == d {
                self.pos = save;
            }
        }
        let text = &self.src[start..self.pos];
        match text.parse::<f64>() {
            Ok(n) => Ok(Expr::Lit(Value::Num(n))),
            Err(_) => {
                self.pos = start;
                self.err(format!("bad number `{text}`"))
            }
        }
    }

    fn scalar_var(&mut self) -> PResult<Expr> {
        self.pos += 1; // `$`
        if self.s.get(self.pos) == Some(&b'_')
            && !self.s.get(self.pos + 1).is_some_and(|c| c.is_ascii_alphanumeric())
        {
            self.pos += 1;
            return Ok(Expr::Topic);
        }
        let Some(name) = self.ident() else {
            return self.err("expected variable name after `$`");
        };
        if self.s.get(self.pos) == Some(&b'[') {
            self.pos += 1;
            let idx = self.expr_low()?;
            self.expect("]")?;
            return Ok(if name == "fields" {
                Expr::Field(Box::new(idx))
            } else {
                Expr::ArrayElem(name, Box::new(idx))
            });
        }
        if self.s.get(self.pos) == Some(&b'{') {
            // Only AfterGlow's internal counters are supported: $sourceCount{$sourceName} etc.
            let map = match name.as_str() {
                "sourceCount" => CountMap::Source,
                "eventCount" => CountMap::Event,
                "targetCount" => CountMap::Target,
                _ => return self.err(format!("hash `%{name}` is not supported")),
            };
            self.pos += 1;
            self.expect("$")?;
            let key = self.ident().unwrap_or_default();
            let key_map = match key.as_str() {
                "sourceName" => CountMap::Source,
                "eventName" => CountMap::Event,
                "targetName" => CountMap::Target,
                _ => return self.err(format!("unsupported hash key `${key}`")),
            };
            self.expect("}")?;
            return Ok(Expr::Count(map, key_map));
        }
        if name == "fields" {
            return self.err("`$fields` needs an index, e.g. $fields[0]");
        }
        Ok(Expr::Scalar(name))
    }

    fn word(&mut self) -> PResult<Expr> {
        let start = self.pos;
        let Some(w) = self.ident() else {
            return self.err("expected identifier");
        };
        // Quote-like operators.
        if w == "qw" {
            if let Some(open) = self.peek().filter(|c| is_delim(*c)) {
                self.pos += 1;
                let close = closing(open);
                let body_start = self.pos;
                while self.pos < self.s.len() && self.s[self.pos] != close {
                    self.pos += 1;
                }
                if self.pos >= self.s.len() {
                    return self.err("unterminated qw()");
                }
                let body = &self.src[body_start..self.pos];
                self.pos += 1;
                let items = body.split_whitespace().map(|t| Expr::Lit(Value::Str(t.to_string()))).collect();
                return Ok(Expr::List(items));
            }
        }
        if w == "m" && self.s.get(self.pos).is_some_and(|c| is_delim(*c)) {
            self.pos = start;
            return Ok(Expr::Match { target: None, re: self.regex_literal()?, negate: false });
        }
        if matches!(
            w.as_str(),
            "if" | "unless" | "and" | "or" | "not" | "eq" | "ne" | "lt" | "gt" | "le" | "ge"
        ) {
            self.pos = start;
            return self.err(format!("unexpected keyword `{w}`"));
        }
        if w == "grep" {
            let paren = self.eat("(");
            if !paren && self.starts("{") {
                return self.err("grep { BLOCK } is not supported; use grep(/re/, @list)");
            }
            let test = self.expr_ternary()?;
            self.expect(",")?;
            let mut list = vec![self.expr_ternary()?];
            while self.eat(",") {
                list.push(self.expr_ternary()?);
            }
            if paren {
                self.expect(")")?;
            }
            return Ok(Expr::Grep(Box::new(test), Box::new(Expr::List(list))));
        }
        let func = match w.as_str() {
            "subnet" => Some(Func::Subnet),
            "field" => Some(Func::Field),
            "match" => Some(Func::Match),
            "regex_replace" => Some(Func::RegexReplace),
            "any_regex" => Some(Func::AnyRegex),
            "get_severity" => Some(Func::GetSeverity),
            "substr" => Some(Func::Substr),
            "lc" => Some(Func::Lc),
            "uc" => Some(Func::Uc),
            "length" => Some(Func::Length),
            "int" => Some(Func::Int),
            "abs" => Some(Func::Abs),
            "defined" => Some(Func::Defined),
            "scalar" => Some(Func::Scalar),
            "join" => Some(Func::Join),
            _ => None,
        };
        if let Some(f) = func {
            let mut args = Vec::new();
            if self.eat("(") {
                if !self.eat(")") {
                    args.push(self.expr_ternary()?);
                    while self.eat(",") {
                        args.push(self.expr_ternary()?);
                    }
                    self.expect(")")?;
                }
            } else if f != Func::Field {
                return self.err(format!("`{w}` needs parenthesised arguments"));
            }
            let (min, max) = match f {
                Func::Field => (0, 0),
                Func::Subnet => (2, usize::MAX),
                Func::GetSeverity => (1, 2),
                Func::Substr => (2, 3),
                Func::Join => (1, usize::MAX),
                _ => (1, 1),
            };
            if args.len() < min || args.len() > max {
                return self.err(format!("wrong number of arguments to {w}()"));
            }
            // match/regex_replace/any_regex take a pattern string: check it compiles now when constant.
            if matches!(f, Func::Match | Func::RegexReplace | Func::AnyRegex) {
                if let Some(Expr::Lit(v)) = args.first() {
                    if let Err(e) = Regex::new(&v.to_str()) {
                        return self.err(format!("bad regex in {w}(): {e}"));
                    }
                }
            }
            return Ok(Expr::Call(f, args));
        }
        if self.starts("(") {
            self.pos = start;
            return self.err(format!("unknown function `{w}`"));
        }
        // Perl without `use strict`: a bareword is a string (e.g. `color=blue` after quote stripping).
        Ok(Expr::Lit(Value::Str(w)))
    }

    fn sq_string(&mut self) -> PResult<String> {
        let mut out = String::new();
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                return self.err("unterminated string");
            };
            self.pos += 1;
            match c {
                b'\'' => return Ok(out),
                b'\\' if matches!(self.s.get(self.pos), Some(b'\'') | Some(b'\\')) => {
                    out.push(self.s[self.pos] as char);
                    self.pos += 1;
                }
                _ => {
                    // Re-read the full UTF-8 character.
                    let ch_start = self.pos - 1;
                    let ch = self.src[ch_start..].chars().next().unwrap_or('\u{fffd}');
                    self.pos = ch_start + ch.len_utf8();
                    out.push(ch);
                }
            }
        }
    }

    /// Double-quoted string body with Perl escapes and `$fields[N]` / `$var` / `$_` interpolation.
    fn dq_string(&mut self, close: u8) -> PResult<Vec<Part>> {
        let mut parts = Vec::new();
        let mut cur = String::new();
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                return self.err("unterminated string");
            };
            if c == close {
                self.pos += 1;
                break;
            }
            if c == b'\\' {
                let Some(&n) = self.s.get(self.pos + 1) else {
                    return self.err("unterminated string");
                };
                self.pos += 2;
                match n {
                    b'n' => cur.push('\n'),
                    b't' => cur.push('\t'),
                    b'r' => cur.push('\r'),
                    b'0' => cur.push('\0'),
                    _ if n.is_ascii() => cur.push(n as char),
                    _ => {
                        self.pos -= 1;
                    }
                }
                continue;
            }
            if c == b'$' {
                if let Some(p) = self.interp_var()? {
                    if !cur.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut cur)));
                    }
                    parts.push(p);
                    continue;
                }
            }
            let ch = self.src[self.pos..].chars().next().unwrap_or('\u{fffd}');
            self.pos += ch.len_utf8();
            cur.push(ch);
        }
        if !cur.is_empty() || parts.is_empty() {
            parts.push(Part::Lit(cur));
        }
        Ok(parts)
    }

    /// At a `$` inside a string or regex: parses `$fields[N]`, `$_` or `$name`; None = literal `$`.
    fn interp_var(&mut self) -> PResult<Option<Part>> {
        let rest = &self.src[self.pos + 1..];
        if let Some(after) = rest.strip_prefix("fields[") {
            let digits: String = after.chars().take_while(|c| c.is_ascii_digit()).collect();
            if !digits.is_empty() && after[digits.len()..].starts_with(']') {
                self.pos += 1 + "fields[".len() + digits.len() + 1;
                let idx = digits.parse::<usize>().unwrap_or(usize::MAX);
                return Ok(Some(Part::Field(idx)));
            }
            return self.err("only constant indexes are supported in interpolated $fields[N]");
        }
        if rest.starts_with('_') && !rest[1..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
            self.pos += 2;
            return Ok(Some(Part::Topic));
        }
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            return Ok(None);
        }
        self.pos += 1 + name.len();
        Ok(Some(Part::Scalar(name)))
    }

    fn regex_literal(&mut self) -> PResult<RegexLit> {
        self.ws();
        if self.s.get(self.pos) == Some(&b'm') {
            self.pos += 1;
        }
        let Some(&open) = self.s.get(self.pos) else {
            return self.err("expected a regex");
        };
        if !is_delim(open) {
            return self.err("expected a regex like /.../");
        }
        self.pos += 1;
        let pat = self.regex_body(closing(open))?;
        let flags = self.regex_flags();
        self.make_regex(&pat, &flags)
    }

    fn regex_flags(&mut self) -> String {
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_alphabetic() {
            self.pos += 1;
        }
        self.src[start..self.pos].to_string()
    }

    /// Reads a regex body up to the unescaped closing delimiter; escapes are kept for the regex engine.
    fn regex_body(&mut self, close: u8) -> PResult<Vec<Part>> {
        let mut parts = Vec::new();
        let mut cur = String::new();
        loop {
            let Some(&c) = self.s.get(self.pos) else {
                return self.err("unterminated regex");
            };
            if c == close {
                self.pos += 1;
                break;
            }
            if c == b'\\' {
                if let Some(&n) = self.s.get(self.pos + 1) {
                    if n == close && close == b'/' {
                        cur.push('/');
                    } else {
                        cur.push('\\');
                        let ch = self.src[self.pos + 1..].chars().next().unwrap_or('\\');
                        cur.push(ch);
                        self.pos += ch.len_utf8() - 1;
                    }
                    self.pos += 2;
                    continue;
                }
                return self.err("unterminated regex");
            }
            if c == b'$' {
                // `$` followed by `)`, `|` or the delimiter is an anchor, not a variable.
                if let Some(p) = self.interp_var()? {
                    if !cur.is_empty() {
                        parts.push(Part::Lit(std::mem::take(&mut cur)));
                    }
                    parts.push(p);
                    continue;
                }
            }
            let ch = self.src[self.pos..].chars().next().unwrap_or('\u{fffd}');
            self.pos += ch.len_utf8();
            cur.push(ch);
        }
        if !cur.is_empty() || parts.is_empty() {
            parts.push(Part::Lit(cur));
        }
        Ok(parts)
    }

    fn subst_body(&mut self) -> PResult<(Vec<Part>, String, String)> {
        let Some(&open) = self.s.get(self.pos) else {
            return self.err("expected s/// delimiter");
        };
        self.pos += 1;
        let close = closing(open);
        let pat = self.regex_body(close)?;
        if close != open {
            // s{..}{..}: a second bracketed section follows.
            self.ws();
            if self.s.get(self.pos) != Some(&open) {
                return self.err("expected second part of s{}{}");
            }
            self.pos += 1;
        }
        let start = self.pos;
        while self.pos < self.s.len() && self.s[self.pos] != close {
            if self.s[self.pos] == b'\\' {
                self.pos += 1;
            }
            self.pos += 1;
        }
        if self.pos >= self.s.len() {
            return self.err("unterminated s///");
        }
        let repl = self.src[start..self.pos].to_string();
        self.pos += 1;
        let flags = self.regex_flags();
        Ok((pat, repl, flags))
    }

    fn make_regex(&self, parts: &[Part], flags: &str) -> PResult<RegexLit> {
        let mut prefix = String::new();
        for f in flags.chars() {
            match f {
                'i' | 'x' | 's' | 'm' => prefix.push(f),
                'g' | 'o' => {}
                _ => return self.err(format!("unsupported regex flag `{f}`")),
            }
        }
        let flags = if prefix.is_empty() { String::new() } else { format!("(?{prefix})") };
        let compiled = match parts {
            [Part::Lit(s)] => match Regex::new(&format!("{flags}{s}")) {
                Ok(r) => Some(r),
                Err(e) => return self.err(format!("regex `{s}` not supported: {e}")),
            },
            _ => None,
        };
        Ok(RegexLit { parts: parts.to_vec(), flags, compiled })
    }
}

fn is_delim(c: u8) -> bool {
    matches!(c, b'/' | b'{' | b'(' | b'[' | b'<' | b'|' | b'!' | b'#' | b',')
}

fn closing(open: u8) -> u8 {
    match open {
        b'{' => b'}',
        b'(' => b')',
        b'[' => b']',
        b'<' => b'>',
        c => c,
    }
}

fn parts_expr(mut parts: Vec<Part>) -> Expr {
    if parts.len() == 1 {
        if let Part::Lit(s) = &mut parts[0] {
            return Expr::Lit(Value::Str(std::mem::take(s)));
        }
    }
    Expr::Interp(parts)
}

/// Converts a Perl replacement (`$1`, `\1`, literal `$`) into regex-crate syntax.
fn perl_repl_to_rust(repl: &str) -> String {
    let mut out = String::new();
    let mut it = repl.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '$' | '\\' if it.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let mut n = String::new();
                while let Some(d) = it.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    it.next();
                }
                out.push_str(&format!("${{{n}}}"));
            }
            '\\' => {
                if let Some(n) = it.next() {
                    if n == '$' {
                        out.push_str("$$");
                    } else {
                        out.push(n);
                    }
                }
            }
            '$' => out.push_str("$$"),
            _ => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------------------
// Evaluation

fn part_text(p: &Part, ctx: &EvalCtx) -> String {
    match p {
        Part::Lit(s) => s.clone(),
        Part::Field(i) => ctx.fields.get(*i).cloned().unwrap_or_default(),
        Part::Scalar(n) => ctx.vars.scalars.get(n).map(Value::to_str).unwrap_or_default(),
        Part::Topic => ctx.topic.as_ref().map(Value::to_str).unwrap_or_default(),
    }
}

fn regex_for(re: &RegexLit, ctx: &EvalCtx) -> Option<Regex> {
    if let Some(r) = &re.compiled {
        return Some(r.clone());
    }
    let pat: String = re.parts.iter().map(|p| part_text(p, ctx)).collect();
    dyn_regex(&format!("{}{}", re.flags, pat), ctx)
}

/// Compiles a runtime pattern once per build; patterns that do not compile simply never match.
fn dyn_regex(pat: &str, ctx: &EvalCtx) -> Option<Regex> {
    let mut cache = ctx.regex_cache.borrow_mut();
    if cache.len() > 10_000 {
        cache.clear();
    }
    cache.entry(pat.to_string()).or_insert_with(|| Regex::new(pat).ok()).clone()
}

fn bool_val(b: bool) -> Value {
    // Perl's true is 1 and false is "" (the empty string).
    if b {
        Value::Num(1.0)
    } else {
        Value::Str(String::new())
    }
}

fn eval_list(e: &Expr, ctx: &mut EvalCtx) -> Vec<Value> {
    match e {
        Expr::List(items) => items.iter().flat_map(|i| eval_list(i, ctx)).collect(),
        Expr::Array(_) | Expr::FieldsArray | Expr::Grep(..) => eval(e, ctx).into_list(),
        _ => vec![eval(e, ctx)],
    }
}

fn eval(e: &Expr, ctx: &mut EvalCtx) -> Value {
    match e {
        Expr::Lit(v) => v.clone(),
        Expr::Interp(parts) => Value::Str(parts.iter().map(|p| part_text(p, ctx)).collect()),
        Expr::Field(i) => {
            let i = eval(i, ctx).to_num();
            let idx = if i < 0.0 { ctx.fields.len() as f64 + i } else { i };
            if idx < 0.0 {
                return Value::Undef;
            }
            ctx.fields.get(idx as usize).map(|s| Value::Str(s.clone())).unwrap_or(Value::Undef)
        }
        Expr::Topic => ctx.topic.clone().unwrap_or(Value::Undef),
        Expr::Scalar(n) => ctx.vars.scalars.get(n).cloned().unwrap_or(Value::Undef),
        Expr::Array(n) => Value::List(ctx.vars.arrays.get(n).cloned().unwrap_or_default()),
        Expr::ArrayElem(n, i) => {
            let i = eval(i, ctx).to_num();
            let arr = ctx.vars.arrays.get(n);
            let len = arr.map(|a| a.len()).unwrap_or(0) as f64;
            let idx = if i < 0.0 { len + i } else { i };
            if idx < 0.0 {
                return Value::Undef;
            }
            arr.and_then(|a| a.get(idx as usize)).cloned().unwrap_or(Value::Undef)
        }
        Expr::FieldsArray => Value::List(ctx.fields.iter().map(|s| Value::Str(s.clone())).collect()),
        Expr::Count(m, k) => Value::Num((ctx.counts)(*m, *k)),
        Expr::List(items) => {
            let vals: Vec<Value> = items.iter().flat_map(|i| eval_list(i, ctx)).collect();
            Value::List(vals)
        }
        Expr::Neg(a) => Value::Num(-eval(a, ctx).to_num()),
        Expr::Not(a) => bool_val(!eval(a, ctx).truthy()),
        Expr::And(a, b) => {
            let l = eval(a, ctx);
            if l.truthy() {
                eval(b, ctx)
            } else {
                l
            }
        }
        Expr::Or(a, b) => {
            let l = eval(a, ctx);
            if l.truthy() {
                l
            } else {
                eval(b, ctx)
            }
        }
        Expr::Ternary(c, a, b) => {
            if eval(c, ctx).truthy() {
                eval(a, ctx)
            } else {
                eval(b, ctx)
            }
        }
        Expr::Bin(op, a, b) => {
            if *op == BinOp::SmartMatch {
                let l = eval(a, ctx);
                let list = eval_list(b, ctx);
                let needle = l.to_str();
                return bool_val(list.iter().any(|v| v.to_str() == needle));
            }
            let l = eval(a, ctx);
            let r = eval(b, ctx);
            binop(*op, &l, &r)
        }
        Expr::Match { target, re, negate } => {
            let text = match target {
                Some(t) => eval(t, ctx).to_str(),
                None => ctx.topic.as_ref().map(Value::to_str).unwrap_or_default(),
            };
            let m = regex_for(re, ctx).is_some_and(|r| r.is_match(&text));
            bool_val(m != *negate)
        }
        Expr::Subst { field, re, repl, global } => {
            let Some(r) = regex_for(re, ctx) else {
                return Value::Num(0.0);
            };
            let Some(text) = ctx.fields.get(*field) else {
                return Value::Num(0.0);
            };
            let n = if *global { r.find_iter(text).count() } else { usize::from(r.is_match(text)) };
            if n > 0 {
                let new = if *global {
                    r.replace_all(text, repl.as_str()).into_owned()
                } else {
                    r.replace(text, repl.as_str()).into_owned()
                };
                ctx.fields[*field] = new;
            }
            if n > 0 {
                Value::Num(n as f64)
            } else {
                Value::Str(String::new())
            }
        }
        Expr::Grep(test, list) => {
            let items = eval_list(list, ctx);
            let saved = ctx.topic.take();
            let mut out = Vec::new();
            for it in items {
                ctx.topic = Some(it.clone());
                if eval(test, ctx).truthy() {
                    out.push(it);
                }
            }
            ctx.topic = saved;
            Value::List(out)
        }
        Expr::Call(f, args) => call(*f, args, ctx),
    }
}

fn binop(op: BinOp, l: &Value, r: &Value) -> Value {
    use std::cmp::Ordering;
    let (ln, rn) = (l.to_num(), r.to_num());
    let num_cmp = || ln.partial_cmp(&rn);
    let str_cmp = || l.to_str().cmp(&r.to_str());
    let ord_val = |o: Option<Ordering>| match o {
        Some(Ordering::Less) => Value::Num(-1.0),
        Some(Ordering::Equal) => Value::Num(0.0),
        Some(Ordering::Greater) => Value::Num(1.0),
        None => Value::Undef,
    };
    match op {
        BinOp::Add => Value::Num(ln + rn),
        BinOp::Sub => Value::Num(ln - rn),
        BinOp::Mul => Value::Num(ln * rn),
        // Perl dies on division by zero; we yield undef (false) instead of aborting the build.
        BinOp::Div if rn == 0.0 => Value::Undef,
        BinOp::Div => Value::Num(ln / rn),
        BinOp::Mod => {
            let (a, b) = (ln.trunc() as i64, rn.trunc() as i64);
            if b == 0 {
                Value::Undef
            } else {
                Value::Num(a.rem_euclid(b) as f64)
            }
        }
        BinOp::Concat => Value::Str(l.to_str() + &r.to_str()),
        BinOp::Repeat => {
            let n = rn.clamp(0.0, 10_000.0) as usize;
            Value::Str(l.to_str().repeat(n))
        }
        BinOp::NumLt => bool_val(ln < rn),
        BinOp::NumGt => bool_val(ln > rn),
        BinOp::NumLe => bool_val(ln <= rn),
        BinOp::NumGe => bool_val(ln >= rn),
        BinOp::NumEq => bool_val(ln == rn),
        BinOp::NumNe => bool_val(ln != rn),
        BinOp::NumCmp => ord_val(num_cmp()),
        BinOp::StrLt => bool_val(str_cmp() == Ordering::Less),
        BinOp::StrGt => bool_val(str_cmp() == Ordering::Greater),
        BinOp::StrLe => bool_val(str_cmp() != Ordering::Greater),
        BinOp::StrGe => bool_val(str_cmp() != Ordering::Less),
        BinOp::StrEq => bool_val(l.to_str() == r.to_str()),
        BinOp::StrNe => bool_val(l.to_str() != r.to_str()),
        BinOp::StrCmp => ord_val(Some(str_cmp())),
        BinOp::SmartMatch => bool_val(l.to_str() == r.to_str()),
    }
}

fn call(f: Func, args: &[Expr], ctx: &mut EvalCtx) -> Value {
    let arg = |i: usize, ctx: &mut EvalCtx| args.get(i).map(|a| eval(a, ctx)).unwrap_or(Value::Undef);
    match f {
        Func::Field => ctx.field_value(),
        Func::Subnet => {
            let ip = arg(0, ctx).to_str();
            let nets: Vec<Value> = args[1..].iter().flat_map(|a| eval_list(a, ctx)).collect();
            bool_val(nets.iter().any(|n| subnet(&ip, &n.to_str())))
        }
        Func::Match => {
            let pat = arg(0, ctx).to_str();
            let text = ctx.global_field.clone();
            bool_val(dyn_regex(&pat, ctx).is_some_and(|r| r.is_match(&text)))
        }
        Func::RegexReplace => {
            // AfterGlow: `($globalField =~ /$regex/)[0]` = first capture group (or 1 without groups).
            let pat = arg(0, ctx).to_str();
            let text = ctx.global_field.clone();
            let Some(r) = dyn_regex(&pat, ctx) else {
                return Value::Undef;
            };
            match r.captures(&text) {
                Some(c) if c.len() > 1 => {
                    c.get(1).map(|m| Value::Str(m.as_str().to_string())).unwrap_or(Value::Undef)
                }
                Some(_) => Value::Num(1.0),
                None => Value::Undef,
            }
        }
        Func::AnyRegex => {
            let pat = arg(0, ctx).to_str();
            let Some(r) = dyn_regex(&pat, ctx) else {
                return bool_val(false);
            };
            bool_val(ctx.fields.iter().any(|f| r.is_match(f)))
        }
        Func::GetSeverity => {
            let v = arg(0, ctx).to_num();
            let steps = arg(1, ctx).to_num();
            Value::Str(get_severity(v, steps))
        }
        Func::Substr => {
            let s = arg(0, ctx).to_str();
            let chars: Vec<char> = s.chars().collect();
            let len = chars.len() as i64;
            let off = arg(1, ctx).to_num() as i64;
            let start = if off < 0 { (len + off).max(0) } else { off.min(len) };
            let end = match args.get(2) {
                Some(_) => {
                    let l = arg(2, ctx).to_num() as i64;
                    if l < 0 {
                        (len + l).max(start)
                    } else {
                        (start + l).min(len)
                    }
                }
                None => len,
            };
            Value::Str(chars[start as usize..end.max(start) as usize].iter().collect())
        }
        Func::Lc => Value::Str(arg(0, ctx).to_str().to_lowercase()),
        Func::Uc => Value::Str(arg(0, ctx).to_str().to_uppercase()),
        Func::Length => Value::Num(arg(0, ctx).to_str().chars().count() as f64),
        Func::Int => Value::Num(arg(0, ctx).to_num().trunc()),
        Func::Abs => Value::Num(arg(0, ctx).to_num().abs()),
        Func::Defined => bool_val(arg(0, ctx) != Value::Undef),
        Func::Scalar => {
            let v = args.first().map(|a| eval_list(a, ctx)).unwrap_or_default();
            match args.first() {
                Some(Expr::Array(_) | Expr::FieldsArray | Expr::Grep(..) | Expr::List(_)) => {
                    Value::Num(v.len() as f64)
                }
                _ => v.into_iter().last().unwrap_or(Value::Undef),
            }
        }
        Func::Join => {
            let sep = arg(0, ctx).to_str();
            let items: Vec<String> =
                args[1..].iter().flat_map(|a| eval_list(a, ctx)).map(|v| v.to_str()).collect();
            Value::Str(items.join(&sep))
        }
    }
}

/// AfterGlow's `subnet(value, "net/mask")`: true when `value` is a dotted IPv4 address inside the block.
pub fn subnet(value: &str, cidr: &str) -> bool {
    let parse_ip = |s: &str| -> Option<u32> {
        let parts: Vec<&str> = s.trim().split('.').collect();
        if parts.len() != 4 {
            return None;
        }
        let mut ip = 0u32;
        for p in parts {
            ip = (ip << 8) | u32::from(p.trim().parse::<u8>().ok()?);
        }
        Some(ip)
    };
    let Some(ip) = parse_ip(value) else {
        return false;
    };
    let (net, mask) = match cidr.split_once('/') {
        Some((n, m)) => (n, m.trim().parse::<u32>().unwrap_or(32)),
        None => (cidr, 32),
    };
    let Some(net) = parse_ip(net) else {
        return false;
    };
    let mask_bits = if mask == 0 { 0 } else { u32::MAX << (32 - mask.min(32)) };
    (ip & mask_bits) == (net & mask_bits)
}

/// AfterGlow's `get_severity(value, steps)`: green (#60BB22) to red (#CC0000) in `steps` steps.
pub fn get_severity(value: f64, steps: f64) -> String {
    let steps = if steps == 0.0 || !steps.is_finite() { 10.0 } else { steps };
    // Perl: int($value + .5 * ($value <=> 0)) rounds half away from zero.
    let mut x = (value + 0.5 * value.signum()).trunc();
    if !x.is_finite() {
        x = 0.0;
    }
    if x >= steps {
        x = steps;
    }
    // Negative severities extrapolate past green in Perl; we clamp them to green (documented deviation).
    let x = x.max(0.0);
    let interp = |b: f64, e: f64| {
        if b < e {
            (e - b) * (x / steps) + b
        } else {
            (b - e) * (1.0 - x / steps) + e
        }
    };
    let r = interp(96.0, 204.0) as u32;
    let g = interp(187.0, 0.0) as u32;
    let b = interp(34.0, 0.0) as u32;
    let val = (((r << 8) | g) << 8) | b;
    format!("#{val:06X}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(src: &str, fields: &[&str], role: Role, vars: &Variables) -> Value {
        let p = Program::parse(src, false).unwrap_or_else(|e| panic!("{src}: {e}"));
        let counts = |_: CountMap, _: CountMap| 7.0;
        let cache = RefCell::new(HashMap::new());
        let f: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        let gf = match role {
            Role::Event => f.get(1).cloned().unwrap_or_default(),
            Role::Target => f.get(2).cloned().unwrap_or_default(),
            _ => f.first().cloned().unwrap_or_default(),
        };
        let mut ctx = EvalCtx::new(f, role, false, gf, vars, &counts, &cache);
        p.eval(&mut ctx)
    }

    fn run(src: &str, fields: &[&str]) -> Value {
        run_with(src, fields, Role::Source, &Variables::default())
    }

    #[test]
    fn modifiers_and_regex() {
        let r = r#""yellow" if ($fields[0]=~/^192\.168\..*/)"#;
        assert_eq!(run(r, &["192.168.1.1", "x", "80"]).to_str(), "yellow");
        assert!(!run(r, &["10.0.0.1", "x", "80"]).truthy());
        assert_eq!(run(r#""blue" if ($fields[2]<1024)"#, &["a", "b", "80"]).to_str(), "blue");
        assert!(!run(r#""blue" if ($fields[2]<1024)"#, &["a", "b", "8080"]).truthy());
        assert!(run(r#""x" unless $fields[0] eq "a""#, &["b"]).truthy());
        assert!(run(r#"(($fields[0] !~ /seven.ch/) && ($fields[1]!~/seven.ch/))"#, &["a", "b"]).truthy());
        assert!(!run(r#"$fields[0] =~ /SEVEN/"#, &["seven"]).truthy());
        assert!(run(r#"$fields[0] =~ /SEVEN/i"#, &["seven"]).truthy());
        assert_eq!(run("1", &[]).to_str(), "1");
        assert_eq!(run("blue", &[]).to_str(), "blue");
    }

    #[test]
    fn subst_statement_then_value() {
        let src = r#"$fields[1]=~s/://g; "orange" if ($fields[1]>200);"#;
        assert_eq!(run(src, &["a", "00:03:20"]).to_str(), "orange");
        assert!(!run(src, &["a", "00:01:59"]).truthy());
    }

    #[test]
    fn functions() {
        assert!(run(r#"subnet($fields[0], "10.0.0.0/8")"#, &["10.2.3.4"]).truthy());
        assert!(!run(r#"subnet($fields[0], "10.0.0.0/8")"#, &["11.2.3.4"]).truthy());
        assert!(run(r#"subnet($fields[0], 10.0.0.0/8, "192.168.0.0/16")"#, &["192.168.3.4"]).truthy());
        assert!(!run(r#"subnet($fields[0], "10.0.0.0/8")"#, &["host"]).truthy());
        assert_eq!(run(r#"field()"#, &["a", "b", "c"]).to_str(), "a");
        assert_eq!(run_with("field()", &["a", "b", "c"], Role::Target, &Variables::default()).to_str(), "c");
        assert!(run(r#""red" if (match("^10\."))"#, &["10.1.1.1"]).truthy());
        let rr = r#"regex_replace("(\\d\+\\.\\d+)")."/16" if (!match("^(212\.254\.110|195\.141\.69)"))"#;
        assert_eq!(run(rr, &["10.1.2.3"]).to_str(), "10.1/16");
        assert!(!run(rr, &["212.254.110.9"]).truthy());
        assert_eq!(get_severity(0.0, 10.0), "#60BB22");
        assert_eq!(get_severity(10.0, 10.0), "#CC0000");
        assert_eq!(get_severity(50.0, 0.0), "#CC0000");
        assert_eq!(run("get_severity($fields[0])", &["5"]).to_str(), get_severity(5.0, 10.0));
        assert_eq!(run("substr(field(),0,3)", &["abcdef"]).to_str(), "abc");
        assert!(run(r#"any_regex("^z")"#, &["a", "zz"]).truthy());
        assert_eq!(run("$sourceCount{$sourceName}", &[]).to_num(), 7.0);
        assert_eq!(run(r#"$fields[0] ? "y" : "n""#, &["0"]).to_str(), "n");
        assert_eq!(run(r#""$fields[0]-$fields[1]""#, &["a", "b"]).to_str(), "a-b");
    }

    #[test]
    fn variables_and_membership() {
        let mut vars = Variables::default();
        let p = Program::parse(r#"@violation=("Deny","Drop"); $x="10."; @q=qw(a b c); $n=3;"#, true).unwrap();
        assert!(p.is_assignments_only());
        p.run_assignments(&mut vars);
        assert_eq!(vars.arrays["violation"].len(), 2);
        assert_eq!(vars.scalars["n"], Value::Num(3.0));
        let g = r#""red" if (grep(/^$fields[1]$/, @violation))"#;
        assert!(run_with(g, &["a", "Drop"], Role::Source, &vars).truthy());
        assert!(!run_with(g, &["a", "Accept"], Role::Source, &vars).truthy());
        assert!(run_with(r#"$fields[1] ~~ @violation"#, &["a", "Deny"], Role::Source, &vars).truthy());
        assert!(run_with(r#"$fields[0] =~ /^$x/"#, &["10.1.1.1"], Role::Source, &vars).truthy());
        assert!(run_with(r#"grep($_ eq "b", @q)"#, &[], Role::Source, &vars).truthy());
        assert!(run_with(r#"$fields[0] ~~ qw(a b)"#, &["b"], Role::Source, &vars).truthy());
    }

    #[test]
    fn errors_not_panics() {
        for bad in [
            "system(\"rm -rf /\")",
            "`ls`",
            "\"unterminated",
            "$fields[0] =~ /(?<=x)y/",
            "$fields[0] =~ /unterminated",
            "$h{x}",
            "",
            "1 +",
            "((((",
            "open(F, \"x\")",
            "grep { 1 } @x",
        ] {
            assert!(Program::parse(bad, false).is_err(), "{bad} should fail");
        }
        let deep = "(".repeat(5000);
        assert!(Program::parse(&deep, false).is_err());
        // Garbage must never panic.
        let mut seed = 12345u64;
        for _ in 0..3000 {
            let len = (seed % 40) as usize;
            let mut s = String::new();
            for _ in 0..len {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let alphabet = b"$@fields[0]=~/\\\"'() ;ifsqw{}<>!&|.,+-*%?:eq 1x\xc3";
                s.push(alphabet[(seed >> 33) as usize % alphabet.len()] as char);
            }
            if let Ok(p) = Program::parse(&s, true) {
                let vars = Variables::default();
                let counts = |_: CountMap, _: CountMap| 0.0;
                let cache = RefCell::new(HashMap::new());
                let mut ctx =
                    EvalCtx::new(vec!["a".into()], Role::Edge, true, String::new(), &vars, &counts, &cache);
                let _ = p.eval(&mut ctx);
            }
            seed = seed.wrapping_add(7);
        }
    }

    #[test]
    fn perl_numbers() {
        assert_eq!(perl_num("1024abc"), 1024.0);
        assert_eq!(perl_num("abc"), 0.0);
        assert_eq!(perl_num(" -3.5e2x"), -350.0);
        assert_eq!(perl_num("."), 0.0);
        assert_eq!(fmt_num(3.0), "3");
        assert_eq!(fmt_num(0.5), "0.5");
    }
}
