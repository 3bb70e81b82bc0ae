//! Attribute assignment rules, like Salesforce's account assignment rules.
//!
//! A territory may carry one [`Rule`]: a condition tree of AND / OR / NOT
//! groups whose leaves ([`Test`]) compare one account field — any text
//! attribute, any measure, or the built-in `Name` and `Id` — with values,
//! optionally limited to accounts inside the territory's own boundary
//! ([`Rule::within_geometry`]). In the engine a rule beats geometry and a
//! manual override beats a rule; when several rules of one territory type
//! match, the territory with the higher priority wins, then the lower id.
//!
//! Values are kept as the user typed them and read according to the
//! field's kind, so one rule means the same thing in the editor, in the
//! project file and in `turfmap explain`. [`Rule::validate`] lists every
//! problem (unknown field, a number operator on a text field, a value that
//! is not a number…) as a message for the rule editor and the CLI; a rule
//! with problems is refused by the edit that would set it and, if one comes
//! from a hand-edited file, matches nothing. Evaluation never panics.
//!
//! Text comparisons ignore case and surrounding spaces, as Salesforce's do.
//! Empty values: an empty text is the value `""` (so `= "x"` is false and
//! `!= "x"` true for it); a missing number (empty cell) satisfies only
//! `is empty` and `!=` — every comparison with it is false.
//!
//! Rules have a text form, shown everywhere and accepted by the CLI and
//! the editor ([`Rule::parse`] reads what [`Rule::render`] writes):
//! `Industry = "Healthcare" AND (State in ("CA", "OR") OR NOT Revenue < 1000)`;
//! operators: `=`, `!=`, `contains`, `starts with`, `in (…)`, `<`, `<=`,
//! `>`, `>=`, `between A and B`, `is empty` (also `≤ ≥ ≠`).

use serde::{Deserialize, Serialize};

use super::model::Accounts;

/// A territory's assignment rule. See the module docs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Which accounts match.
    pub condition: Condition,
    /// Only accounts inside the territory's boundary match.
    #[serde(default)]
    pub within_geometry: bool,
}

/// A node of the condition tree.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Condition {
    /// Every child holds.
    All(Vec<Condition>),
    /// At least one child holds.
    Any(Vec<Condition>),
    /// The child does not hold.
    Not(Box<Condition>),
    /// A field comparison.
    Test(Test),
}

/// A comparison of one account field with values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Test {
    /// Attribute or measure name (case-insensitive), or `Name` / `Id`.
    pub field: String,
    /// The operator.
    pub op: Operator,
    /// Values as typed: one for most operators, several for `in`, two for
    /// `between`, none for `is empty`.
    pub values: Vec<String>,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operator {
    /// Equal (text ignoring case, or number).
    Equals,
    /// Not equal.
    NotEquals,
    /// Text contains (text fields only).
    Contains,
    /// Text starts with (text fields only).
    StartsWith,
    /// Equal to one of the values.
    InList,
    /// Less than (numbers only).
    Lt,
    /// Less than or equal (numbers only).
    Le,
    /// Greater than (numbers only).
    Gt,
    /// Greater than or equal (numbers only).
    Ge,
    /// Between two values, both included (numbers only).
    Between,
    /// Empty text or missing number.
    IsEmpty,
}

impl Operator {
    /// Every operator, in the order the rule editor lists them.
    pub const ALL: [Operator; 11] = [
        Operator::Equals,
        Operator::NotEquals,
        Operator::Contains,
        Operator::StartsWith,
        Operator::InList,
        Operator::Lt,
        Operator::Le,
        Operator::Gt,
        Operator::Ge,
        Operator::Between,
        Operator::IsEmpty,
    ];

    /// The operator as written in the text form.
    pub fn symbol(self) -> &'static str {
        match self {
            Operator::Equals => "=",
            Operator::NotEquals => "!=",
            Operator::Contains => "contains",
            Operator::StartsWith => "starts with",
            Operator::InList => "in",
            Operator::Lt => "<",
            Operator::Le => "<=",
            Operator::Gt => ">",
            Operator::Ge => ">=",
            Operator::Between => "between",
            Operator::IsEmpty => "is empty",
        }
    }

    /// True for operators that only make sense on numbers.
    pub fn numeric_only(self) -> bool {
        matches!(
            self,
            Operator::Lt | Operator::Le | Operator::Gt | Operator::Ge | Operator::Between
        )
    }

    /// True for operators that only make sense on text.
    pub fn text_only(self) -> bool {
        matches!(self, Operator::Contains | Operator::StartsWith)
    }

    /// How many values the operator takes (`None` = one or more).
    pub fn arity(self) -> Option<usize> {
        match self {
            Operator::IsEmpty => Some(0),
            Operator::Between => Some(2),
            Operator::InList => None,
            _ => Some(1),
        }
    }
}

/// One validation problem of a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleProblem {
    /// Where in the tree: child positions from the root (empty = root).
    pub path: Vec<usize>,
    /// What is wrong, for people.
    pub message: String,
}

impl std::fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Which column a test reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldRef {
    /// A text attribute column.
    Attribute(usize),
    /// A measure column.
    Measure(usize),
    /// The account name.
    Name,
    /// The CRM account id.
    Id,
}

impl FieldRef {
    /// Resolves a field name: columns first, then `Name` / `Id`.
    pub fn resolve(accounts: &Accounts, field: &str) -> Option<FieldRef> {
        let f = field.trim();
        if let Some(c) = accounts.attribute_index(f) {
            Some(FieldRef::Attribute(c))
        } else if let Some(m) = accounts.measure_index(f) {
            Some(FieldRef::Measure(m))
        } else if f.eq_ignore_ascii_case("name") {
            Some(FieldRef::Name)
        } else if f.eq_ignore_ascii_case("id") {
            Some(FieldRef::Id)
        } else {
            None
        }
    }

    /// True for number fields.
    pub fn is_numeric(self) -> bool {
        matches!(self, FieldRef::Measure(_))
    }
}

/// Names of every field a rule can test, text fields first.
pub fn field_names(accounts: &Accounts) -> Vec<String> {
    let mut v: Vec<String> = accounts.attributes.iter().map(|a| a.name.clone()).collect();
    v.extend(accounts.measures.iter().map(|m| m.name.clone()));
    for builtin in ["Name", "Id"] {
        if !v.iter().any(|n| n.eq_ignore_ascii_case(builtin)) {
            v.push(builtin.into());
        }
    }
    v
}

fn parse_num(s: &str) -> Option<f64> {
    let t = s.trim().replace([',', '_'], "");
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

impl Test {
    /// A test of `field` with operator `op` and `values`.
    pub fn new(field: impl Into<String>, op: Operator, values: &[&str]) -> Self {
        Self {
            field: field.into(),
            op,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    fn validate(&self, accounts: &Accounts, path: &[usize], out: &mut Vec<RuleProblem>) {
        let mut problem = |message: String| {
            out.push(RuleProblem {
                path: path.to_vec(),
                message,
            })
        };
        let Some(field) = FieldRef::resolve(accounts, &self.field) else {
            let known = field_names(accounts).join(", ");
            problem(if self.field.trim().is_empty() {
                "choose a field to test".into()
            } else {
                format!("no field called '{}'; fields: {known}", self.field.trim())
            });
            return;
        };
        let name = self.field.trim();
        match self.op.arity() {
            Some(n) if self.values.len() != n => problem(match n {
                0 => format!("'{name} is empty' takes no value"),
                2 => format!("'{name} between' needs two values (from and to)"),
                _ => format!("'{name} {}' needs exactly one value", self.op.symbol()),
            }),
            None if self.values.is_empty() => {
                problem(format!("'{name} in' needs at least one value"))
            }
            _ => {}
        }
        if field.is_numeric() {
            if self.op.text_only() {
                problem(format!(
                    "'{name}' is a number field; '{}' works on text fields",
                    self.op.symbol()
                ));
            } else if self.op != Operator::IsEmpty {
                for v in &self.values {
                    if parse_num(v).is_none() {
                        problem(format!(
                            "'{name}' is a number field, but '{v}' is not a number"
                        ));
                    }
                }
            }
            if let (Operator::Between, [a, b]) = (self.op, self.values.as_slice())
                && let (Some(a), Some(b)) = (parse_num(a), parse_num(b))
                && a > b
            {
                problem(format!(
                    "'{name} between {a} and {b}': the first value must not be larger than the second"
                ));
            }
        } else if self.op.numeric_only() {
            let what = if self.values.iter().all(|v| parse_num(v).is_some()) {
                ""
            } else {
                " and compares numbers"
            };
            problem(format!(
                "'{name}' is a text field; '{}' needs a number field{what}",
                self.op.symbol()
            ));
        }
    }

    fn render(&self) -> String {
        let field = quote_field(&self.field);
        let val = |v: &String| render_value(v);
        match self.op {
            Operator::IsEmpty => format!("{field} is empty"),
            Operator::InList => format!(
                "{field} in ({})",
                self.values.iter().map(val).collect::<Vec<_>>().join(", ")
            ),
            Operator::Between => format!(
                "{field} between {} and {}",
                self.values.first().map(val).unwrap_or_default(),
                self.values.get(1).map(val).unwrap_or_default()
            ),
            op => format!(
                "{field} {} {}",
                op.symbol(),
                self.values.first().map(val).unwrap_or_default()
            ),
        }
    }
}

fn quote_field(f: &str) -> String {
    let f = f.trim();
    let plain =
        !f.is_empty() && f.chars().all(|c| c.is_alphanumeric() || c == '_') && !is_keyword(f);
    if plain {
        f.to_owned()
    } else {
        format!("`{}`", f.replace('`', "'"))
    }
}

fn render_value(v: &str) -> String {
    if parse_num(v).is_some() && v.trim() == v && !v.contains(',') {
        v.to_owned()
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn is_keyword(w: &str) -> bool {
    [
        "and", "or", "not", "in", "is", "between", "contains", "starts",
    ]
    .iter()
    .any(|k| k.eq_ignore_ascii_case(w))
}

impl Condition {
    /// Renders the condition in the text form (see the module docs).
    pub fn render(&self) -> String {
        self.render_in(false)
    }

    fn render_in(&self, nested: bool) -> String {
        let group = |children: &[Condition], sep: &str, empty: &str| {
            if children.is_empty() {
                return empty.to_owned();
            }
            if children.len() == 1 {
                return children[0].render_in(nested);
            }
            let s = children
                .iter()
                .map(|c| c.render_in(true))
                .collect::<Vec<_>>()
                .join(sep);
            if nested { format!("({s})") } else { s }
        };
        match self {
            Condition::All(c) => group(c, " AND ", "(all)"),
            Condition::Any(c) => group(c, " OR ", "(none)"),
            Condition::Not(c) => format!("NOT {}", c.render_in(true)),
            Condition::Test(t) => t.render(),
        }
    }

    fn validate(&self, accounts: &Accounts, path: &mut Vec<usize>, out: &mut Vec<RuleProblem>) {
        match self {
            Condition::All(c) | Condition::Any(c) => {
                if c.is_empty() {
                    out.push(RuleProblem {
                        path: path.clone(),
                        message: "an empty group: add a condition or remove the group".into(),
                    });
                }
                for (k, child) in c.iter().enumerate() {
                    path.push(k);
                    child.validate(accounts, path, out);
                    path.pop();
                }
            }
            Condition::Not(c) => {
                path.push(0);
                c.validate(accounts, path, out);
                path.pop();
            }
            Condition::Test(t) => t.validate(accounts, path, out),
        }
    }

    /// True when some test reads the account name or id (the only fields
    /// that are not columns of codes or numbers).
    pub fn reads_name_or_id(&self, accounts: &Accounts) -> bool {
        match self {
            Condition::All(c) | Condition::Any(c) => c.iter().any(|c| c.reads_name_or_id(accounts)),
            Condition::Not(c) => c.reads_name_or_id(accounts),
            Condition::Test(t) => matches!(
                FieldRef::resolve(accounts, &t.field),
                Some(FieldRef::Name | FieldRef::Id)
            ),
        }
    }

    /// Number of tests in the tree.
    pub fn test_count(&self) -> usize {
        match self {
            Condition::All(c) | Condition::Any(c) => c.iter().map(Condition::test_count).sum(),
            Condition::Not(c) => c.test_count(),
            Condition::Test(_) => 1,
        }
    }
}

impl Rule {
    /// A rule over `condition`, not limited to the boundary.
    pub fn new(condition: Condition) -> Self {
        Self {
            condition,
            within_geometry: false,
        }
    }

    /// Every problem of the rule against the plan's columns; empty when
    /// the rule is valid.
    pub fn validate(&self, accounts: &Accounts) -> Vec<RuleProblem> {
        let mut out = Vec::new();
        self.condition.validate(accounts, &mut Vec::new(), &mut out);
        out
    }

    /// The text form, e.g. `Industry = "Healthcare" AND Revenue >= 1000`,
    /// with `, inside the boundary` when limited to the geometry.
    pub fn render(&self) -> String {
        let mut s = self.condition.render();
        if self.within_geometry {
            s.push_str(" WITHIN BOUNDARY");
        }
        s
    }

    /// Reads the text form (see the module docs). The result may still
    /// have validation problems (fields are not checked here).
    pub fn parse(text: &str) -> Result<Rule, String> {
        let mut toks = tokenize(text)?;
        let mut within = false;
        let n = toks.len();
        if n >= 2
            && matches!(&toks[n - 2], Tok::Word(w) if w.eq_ignore_ascii_case("within"))
            && matches!(&toks[n - 1], Tok::Word(w) if w.eq_ignore_ascii_case("boundary"))
        {
            within = true;
            toks.truncate(n - 2);
        }
        if toks.is_empty() {
            return Err("the rule is empty".into());
        }
        let mut p = Parser { toks, pos: 0 };
        let condition = p.or()?;
        if p.pos < p.toks.len() {
            return Err(format!(
                "unexpected '{}' after the end of the rule",
                p.toks[p.pos]
            ));
        }
        Ok(Rule {
            condition,
            within_geometry: within,
        })
    }

    /// Compiles the rule for fast evaluation over `accounts`; `Err` holds
    /// the validation problems.
    pub fn compile(&self, accounts: &Accounts) -> Result<CompiledRule, Vec<RuleProblem>> {
        let problems = self.validate(accounts);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(CompiledRule {
            node: compile(&self.condition, accounts),
            within_geometry: self.within_geometry,
        })
    }

    /// True when account `i` satisfies the condition (ignoring
    /// [`Rule::within_geometry`]); false for an invalid rule.
    pub fn matches(&self, accounts: &Accounts, i: usize) -> bool {
        self.compile(accounts)
            .is_ok_and(|c| c.matches_attributes(accounts, i))
    }
}

// ------------------------------------------------------------ evaluation

#[derive(Clone, Debug)]
enum TextTest {
    Eq(String),
    Ne(String),
    Contains(String),
    Starts(String),
    In(std::collections::HashSet<String>),
    Empty,
}

impl TextTest {
    fn new(t: &Test) -> Self {
        let norm = |v: &String| v.trim().to_lowercase();
        let first = t.values.first().map(norm).unwrap_or_default();
        match t.op {
            Operator::Equals => TextTest::Eq(first),
            Operator::NotEquals => TextTest::Ne(first),
            Operator::Contains => TextTest::Contains(first),
            Operator::StartsWith => TextTest::Starts(first),
            Operator::InList => TextTest::In(t.values.iter().map(norm).collect()),
            // Number operators never reach here (validation refuses them).
            _ => TextTest::Empty,
        }
    }

    fn matches(&self, v: &str) -> bool {
        let v = v.trim();
        // Most values are ASCII: compare without allocating.
        let eq = |w: &str| {
            if v.is_ascii() {
                v.eq_ignore_ascii_case(w)
            } else {
                v.to_lowercase() == w
            }
        };
        match self {
            TextTest::Eq(w) => eq(w),
            TextTest::Ne(w) => !eq(w),
            TextTest::Contains(w) => v.to_lowercase().contains(w.as_str()),
            TextTest::Starts(w) => v.to_lowercase().starts_with(w.as_str()),
            TextTest::In(ws) => ws.contains(&v.to_lowercase()),
            TextTest::Empty => v.is_empty(),
        }
    }
}

#[derive(Clone, Debug)]
enum NumTest {
    Eq(f64),
    Ne(f64),
    In(Vec<f64>),
    Lt(f64),
    Le(f64),
    Gt(f64),
    Ge(f64),
    Between(f64, f64),
    Empty,
}

impl NumTest {
    fn new(t: &Test) -> Self {
        let n: Vec<f64> = t.values.iter().filter_map(|v| parse_num(v)).collect();
        let a = n.first().copied().unwrap_or(f64::NAN);
        match t.op {
            Operator::Equals => NumTest::Eq(a),
            Operator::NotEquals => NumTest::Ne(a),
            Operator::InList => NumTest::In(n),
            Operator::Lt => NumTest::Lt(a),
            Operator::Le => NumTest::Le(a),
            Operator::Gt => NumTest::Gt(a),
            Operator::Ge => NumTest::Ge(a),
            Operator::Between => NumTest::Between(a, n.get(1).copied().unwrap_or(f64::NAN)),
            _ => NumTest::Empty,
        }
    }

    fn matches(&self, v: f64) -> bool {
        if !v.is_finite() {
            // Missing: only "is empty" and "not equals" hold.
            return matches!(self, NumTest::Empty | NumTest::Ne(_));
        }
        match *self {
            NumTest::Eq(a) => v == a,
            NumTest::Ne(a) => v != a,
            NumTest::In(ref l) => l.contains(&v),
            NumTest::Lt(a) => v < a,
            NumTest::Le(a) => v <= a,
            NumTest::Gt(a) => v > a,
            NumTest::Ge(a) => v >= a,
            NumTest::Between(a, b) => v >= a && v <= b,
            NumTest::Empty => false,
        }
    }
}

#[derive(Clone, Debug)]
enum Node {
    All(Vec<Node>),
    Any(Vec<Node>),
    Not(Box<Node>),
    /// `table[code]` = does dictionary value `code` match; codes added
    /// after compiling fall back to `test`.
    Attr {
        col: usize,
        table: Vec<bool>,
        test: TextTest,
    },
    Measure {
        col: usize,
        test: NumTest,
    },
    Name(TextTest),
    Id(TextTest),
}

fn compile(c: &Condition, a: &Accounts) -> Node {
    match c {
        Condition::All(v) => Node::All(v.iter().map(|c| compile(c, a)).collect()),
        Condition::Any(v) => Node::Any(v.iter().map(|c| compile(c, a)).collect()),
        Condition::Not(c) => Node::Not(Box::new(compile(c, a))),
        Condition::Test(t) => {
            let text = || {
                let mut tt = TextTest::new(t);
                if t.op == Operator::IsEmpty {
                    tt = TextTest::Empty;
                }
                tt
            };
            match FieldRef::resolve(a, &t.field) {
                Some(FieldRef::Attribute(col)) => {
                    let test = text();
                    let table = a.attributes[col]
                        .dict
                        .iter()
                        .map(|v| test.matches(v))
                        .collect();
                    Node::Attr { col, table, test }
                }
                Some(FieldRef::Measure(col)) => Node::Measure {
                    col,
                    test: NumTest::new(t),
                },
                Some(FieldRef::Name) => Node::Name(text()),
                Some(FieldRef::Id) => Node::Id(text()),
                // Validation refused unknown fields; match nothing anyway.
                None => Node::Any(Vec::new()),
            }
        }
    }
}

impl Node {
    fn eval(&self, a: &Accounts, i: usize) -> bool {
        match self {
            Node::All(v) => v.iter().all(|n| n.eval(a, i)),
            Node::Any(v) => v.iter().any(|n| n.eval(a, i)),
            Node::Not(n) => !n.eval(a, i),
            Node::Attr { col, table, test } => {
                let Some(column) = a.attributes.get(*col) else {
                    return false;
                };
                let Some(&code) = column.codes.get(i) else {
                    return false;
                };
                match table.get(code as usize) {
                    Some(&m) => m,
                    None => test.matches(column.dict.get(code as usize).map_or("", |s| s)),
                }
            }
            Node::Measure { col, test } => a
                .measures
                .get(*col)
                .and_then(|m| m.values.get(i))
                .is_some_and(|&v| test.matches(v)),
            Node::Name(t) => a.names.get(i).is_some_and(|v| t.matches(v)),
            Node::Id(t) => a.ids.get(i).is_some_and(|v| t.matches(v)),
        }
    }
}

/// A validated rule ready for evaluating a million accounts quickly.
#[derive(Clone, Debug)]
pub struct CompiledRule {
    node: Node,
    /// Only accounts inside the territory's boundary match.
    pub within_geometry: bool,
}

impl CompiledRule {
    /// True when account `i` satisfies the condition (the boundary, if the
    /// rule is limited to it, is checked by the caller).
    pub fn matches_attributes(&self, accounts: &Accounts, i: usize) -> bool {
        self.node.eval(accounts, i)
    }
}

// --------------------------------------------------------------- parsing

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Field(String),
    Sym(&'static str),
}

impl std::fmt::Display for Tok {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tok::Word(w) => f.write_str(w),
            Tok::Str(s) => write!(f, "\"{s}\""),
            Tok::Field(s) => write!(f, "`{s}`"),
            Tok::Sym(s) => f.write_str(s),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let cs: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = cs[i..(i + 2).min(cs.len())].iter().collect();
        let sym = match two.as_str() {
            "<=" => Some(("<=", 2)),
            ">=" => Some((">=", 2)),
            "!=" => Some(("!=", 2)),
            "<>" => Some(("!=", 2)),
            "==" => Some(("=", 2)),
            _ => match c {
                '=' => Some(("=", 1)),
                '<' => Some(("<", 1)),
                '>' => Some((">", 1)),
                '≤' => Some(("<=", 1)),
                '≥' => Some((">=", 1)),
                '≠' => Some(("!=", 1)),
                '(' => Some(("(", 1)),
                ')' => Some((")", 1)),
                ',' => Some((",", 1)),
                _ => None,
            },
        };
        if let Some((s, n)) = sym {
            out.push(Tok::Sym(s));
            i += n;
            continue;
        }
        if c == '"' || c == '\'' || c == '`' {
            let quote = c;
            let mut s = String::new();
            i += 1;
            loop {
                match cs.get(i) {
                    None => return Err(format!("a {quote} quote is not closed")),
                    Some('\\') if quote != '`' => {
                        if let Some(&n) = cs.get(i + 1) {
                            s.push(n);
                        }
                        i += 2;
                    }
                    Some(&ch) if ch == quote => {
                        i += 1;
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            out.push(if quote == '`' {
                Tok::Field(s)
            } else {
                Tok::Str(s)
            });
            continue;
        }
        let start = i;
        while i < cs.len() && !cs[i].is_whitespace() && !"=<>!(),\"'`≤≥≠".contains(cs[i]) {
            i += 1;
        }
        if i == start {
            return Err(format!("unexpected '{c}'"));
        }
        out.push(Tok::Word(cs[start..i].iter().collect()));
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek_word(&self, w: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    fn eat_word(&mut self, w: &str) -> bool {
        let y = self.peek_word(w);
        if y {
            self.pos += 1;
        }
        y
    }

    fn eat_sym(&mut self, s: &str) -> bool {
        let y = matches!(self.toks.get(self.pos), Some(Tok::Sym(x)) if *x == s);
        if y {
            self.pos += 1;
        }
        y
    }

    fn or(&mut self) -> Result<Condition, String> {
        let mut v = vec![self.and()?];
        while self.eat_word("or") {
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 {
            v.pop().expect("one")
        } else {
            Condition::Any(v)
        })
    }

    fn and(&mut self) -> Result<Condition, String> {
        let mut v = vec![self.unary()?];
        while self.eat_word("and") {
            v.push(self.unary()?);
        }
        Ok(if v.len() == 1 {
            v.pop().expect("one")
        } else {
            Condition::All(v)
        })
    }

    fn unary(&mut self) -> Result<Condition, String> {
        if self.eat_word("not") {
            return Ok(Condition::Not(Box::new(self.unary()?)));
        }
        if self.eat_sym("(") {
            if self.eat_sym(")") {
                return Err("empty parentheses".into());
            }
            let c = self.or()?;
            if !self.eat_sym(")") {
                return Err("a '(' is not closed".into());
            }
            return Ok(c);
        }
        self.test()
    }

    fn value(&mut self) -> Result<String, String> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Ok(s)
            }
            Some(Tok::Word(w)) => {
                self.pos += 1;
                Ok(w)
            }
            Some(t) => Err(format!("expected a value, found '{t}'")),
            None => Err("a value is missing at the end".into()),
        }
    }

    fn test(&mut self) -> Result<Condition, String> {
        let field = match self.toks.get(self.pos).cloned() {
            Some(Tok::Word(w)) | Some(Tok::Field(w)) | Some(Tok::Str(w)) => {
                self.pos += 1;
                w
            }
            Some(t) => return Err(format!("expected a field name, found '{t}'")),
            None => return Err("a condition is missing at the end".into()),
        };
        let (op, values) = if self.eat_word("is") {
            let negated = self.eat_word("not");
            if !self.eat_word("empty") {
                return Err(format!("'{field} is' must be followed by 'empty'"));
            }
            let t = Condition::Test(Test {
                field,
                op: Operator::IsEmpty,
                values: vec![],
            });
            return Ok(if negated {
                Condition::Not(Box::new(t))
            } else {
                t
            });
        } else if self.eat_word("contains") {
            (Operator::Contains, vec![self.value()?])
        } else if self.eat_word("starts") {
            self.eat_word("with");
            (Operator::StartsWith, vec![self.value()?])
        } else if self.eat_word("in") {
            if !self.eat_sym("(") {
                return Err(format!("'{field} in' needs a list in parentheses"));
            }
            let mut v = vec![self.value()?];
            while self.eat_sym(",") {
                v.push(self.value()?);
            }
            if !self.eat_sym(")") {
                return Err(format!("the list after '{field} in' is not closed"));
            }
            (Operator::InList, v)
        } else if self.eat_word("between") {
            let a = self.value()?;
            if !self.eat_word("and") {
                return Err(format!(
                    "'{field} between {a}' needs 'and' and a second value"
                ));
            }
            (Operator::Between, vec![a, self.value()?])
        } else {
            let op = [
                ("=", Operator::Equals),
                ("!=", Operator::NotEquals),
                ("<=", Operator::Le),
                (">=", Operator::Ge),
                ("<", Operator::Lt),
                (">", Operator::Gt),
            ]
            .into_iter()
            .find(|(s, _)| self.eat_sym(s))
            .map(|(_, o)| o);
            let Some(op) = op else {
                return Err(match self.toks.get(self.pos) {
                    Some(t) => format!("expected an operator after '{field}', found '{t}'"),
                    None => format!("an operator is missing after '{field}'"),
                });
            };
            (op, vec![self.value()?])
        };
        Ok(Condition::Test(Test { field, op, values }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::{AccountRow, LocationSource};

    fn accounts() -> Accounts {
        let mut a =
            Accounts::with_schema(&["Revenue".into()], &["Industry".into(), "State".into()]);
        let rows = [
            ("A0", "Acme Health", 1500.0, "Healthcare", "CA"),
            ("A1", "Bolt Corp", 200.0, "Manufacturing", "OR"),
            ("A2", "Care Plus", f64::NAN, "healthcare ", ""),
            ("A3", "Delta", 1000.0, "", "WA"),
        ];
        for (id, name, rev, ind, st) in rows {
            a.push(&AccountRow {
                id: id.into(),
                name: name.into(),
                location: Some((0.0, 0.0)),
                source: LocationSource::Coordinates,
                measures: vec![rev],
                attributes: vec![ind.into(), st.into()],
                pins: Vec::new(),
            });
        }
        a
    }

    fn which(rule: &str) -> Vec<usize> {
        let a = accounts();
        let r = Rule::parse(rule).unwrap();
        assert!(r.validate(&a).is_empty(), "{:?}", r.validate(&a));
        let c = r.compile(&a).unwrap();
        (0..a.len())
            .filter(|&i| c.matches_attributes(&a, i))
            .collect()
    }

    #[test]
    fn each_operator() {
        assert_eq!(which("Industry = healthcare"), vec![0, 2]);
        assert_eq!(which("Industry != \"Healthcare\""), vec![1, 3]);
        assert_eq!(which("Name contains \"CORP\""), vec![1]);
        assert_eq!(which("Name starts with \"c\""), vec![2]);
        assert_eq!(which("State in (CA, \"or\")"), vec![0, 1]);
        assert_eq!(which("Revenue < 1000"), vec![1]);
        assert_eq!(which("Revenue <= 1000"), vec![1, 3]);
        assert_eq!(which("Revenue > 1000"), vec![0]);
        assert_eq!(which("Revenue >= 1000"), vec![0, 3]);
        assert_eq!(which("Revenue between 200 and 1000"), vec![1, 3]);
        assert_eq!(which("Revenue = 200"), vec![1]);
        assert_eq!(which("Revenue in (200, 1500)"), vec![0, 1]);
        assert_eq!(which("State is empty"), vec![2]);
        assert_eq!(which("Id = a3"), vec![3]);
        assert_eq!(which("Revenue ≥ 1000"), vec![0, 3]);
    }

    #[test]
    fn empty_values() {
        // Missing revenue (A2): only "is empty" and "!=" hold.
        assert_eq!(which("Revenue is empty"), vec![2]);
        assert_eq!(which("Revenue != 5"), vec![0, 1, 2, 3]);
        assert!(!which("Revenue < 1000000").contains(&2));
        assert!(!which("NOT Revenue is empty").contains(&2));
        // Empty industry (A3) is the empty text.
        assert_eq!(which("Industry is empty"), vec![3]);
        assert!(which("Industry != Healthcare").contains(&3));
        assert!(!which("Industry contains h").contains(&3));
        assert_eq!(which("Industry is not empty"), vec![0, 1, 2]);
    }

    #[test]
    fn nesting_and_not() {
        assert_eq!(
            which("Industry = Healthcare AND (State = CA OR Revenue is empty)"),
            vec![0, 2]
        );
        assert_eq!(which("NOT (Industry = Healthcare OR State = WA)"), vec![1]);
        assert_eq!(which("Revenue > 100 AND NOT State = OR"), vec![0, 3]);
        assert_eq!(
            which("(State = CA OR State = OR) AND (Revenue < 300 OR Name contains acme)"),
            vec![0, 1]
        );
    }

    #[test]
    fn type_mismatches_are_messages_not_panics() {
        let a = accounts();
        let msgs = |s: &str| -> Vec<String> {
            Rule::parse(s)
                .unwrap()
                .validate(&a)
                .into_iter()
                .map(|p| p.message)
                .collect()
        };
        let m = msgs("Industry > 5");
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(m[0].contains("'Industry' is a text field"), "{m:?}");
        let m = msgs("Revenue = lots");
        assert!(m[0].contains("'lots' is not a number"), "{m:?}");
        let m = msgs("Revenue contains 5");
        assert!(m[0].contains("number field"), "{m:?}");
        let m = msgs("Colour = red");
        assert!(m[0].contains("no field called 'Colour'"), "{m:?}");
        let m = msgs("Revenue between 9 and 1");
        assert!(m[0].contains("must not be larger"), "{m:?}");
        // Invalid rules compile to errors and match nothing.
        let r = Rule::parse("Industry < 5").unwrap();
        assert!(r.compile(&a).is_err());
        assert!(!(0..a.len()).any(|i| r.matches(&a, i)));
        // An empty group is a problem too, with its path.
        let r = Rule::new(Condition::All(vec![
            Condition::Test(Test::new("State", Operator::Equals, &["CA"])),
            Condition::Any(vec![]),
        ]));
        let p = r.validate(&a);
        assert_eq!(p[0].path, vec![1]);
    }

    #[test]
    fn render_parse_round_trip() {
        for text in [
            "Industry = \"Healthcare\" AND (State in (\"CA\", \"OR\") OR NOT Revenue < 1000)",
            "Revenue between 10 and 20.5 WITHIN BOUNDARY",
            "`Account Type` starts with \"Cust\\\"omer\" OR State is empty",
            "NOT (State = \"CA\" AND Revenue >= 5)",
        ] {
            let r = Rule::parse(text).unwrap();
            assert_eq!(r.render(), text);
            assert_eq!(Rule::parse(&r.render()).unwrap(), r);
        }
        assert!(
            Rule::parse("State =")
                .unwrap_err()
                .contains("value is missing")
        );
        assert!(
            Rule::parse("(State = CA")
                .unwrap_err()
                .contains("not closed")
        );
        assert!(Rule::parse("State ~ CA").unwrap_err().contains("operator"));
        assert!(Rule::parse("").unwrap_err().contains("empty"));
    }
}
