//! Rules against a plan's columns: validation (every problem as a message
//! for the editor and the CLI) and compiling a valid rule into a tree that
//! evaluates a million accounts quickly (text tests are decided once per
//! dictionary code, not per account).

use super::ast::{Condition, Operator, Rule, Test, parse_num};

/// The account columns a rule reads, by column index. The plan's
/// [`Accounts`](crate::core::model::Accounts) implements it; the rule
/// language sits below the plan (a territory holds its rule), so it names
/// no plan type itself.
pub trait RuleData {
    /// Index of the text column called `name` (case-insensitive).
    fn attribute_index(&self, name: &str) -> Option<usize>;
    /// Index of the number column called `name` (case-insensitive).
    fn measure_index(&self, name: &str) -> Option<usize>;
    /// Names of the text columns, then of the number columns.
    fn column_names(&self) -> Vec<String>;
    /// The distinct values of text column `col` (a code indexes them).
    fn attribute_dict(&self, col: usize) -> &[String];
    /// The code of account `i` in text column `col`.
    fn attribute_code(&self, col: usize, i: usize) -> Option<u32>;
    /// The value of account `i` in number column `col`.
    fn measure_value(&self, col: usize, i: usize) -> Option<f64>;
    /// The name of account `i`.
    fn account_name(&self, i: usize) -> Option<&str>;
    /// The CRM id of account `i`.
    fn account_id(&self, i: usize) -> Option<&str>;
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
    pub fn resolve(accounts: &impl RuleData, field: &str) -> Option<FieldRef> {
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
pub fn field_names(accounts: &impl RuleData) -> Vec<String> {
    let mut v = accounts.column_names();
    for builtin in ["Name", "Id"] {
        if !v.iter().any(|n| n.eq_ignore_ascii_case(builtin)) {
            v.push(builtin.into());
        }
    }
    v
}

impl Test {
    fn validate(&self, accounts: &impl RuleData, path: &[usize], out: &mut Vec<RuleProblem>) {
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
}

impl Condition {
    fn validate(
        &self,
        accounts: &impl RuleData,
        path: &mut Vec<usize>,
        out: &mut Vec<RuleProblem>,
    ) {
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
    pub fn reads_name_or_id(&self, accounts: &impl RuleData) -> bool {
        match self {
            Condition::All(c) | Condition::Any(c) => c.iter().any(|c| c.reads_name_or_id(accounts)),
            Condition::Not(c) => c.reads_name_or_id(accounts),
            Condition::Test(t) => matches!(
                FieldRef::resolve(accounts, &t.field),
                Some(FieldRef::Name | FieldRef::Id)
            ),
        }
    }
}

impl Rule {
    /// Every problem of the rule against the plan's columns; empty when
    /// the rule is valid.
    pub fn validate(&self, accounts: &impl RuleData) -> Vec<RuleProblem> {
        let mut out = Vec::new();
        self.condition.validate(accounts, &mut Vec::new(), &mut out);
        out
    }

    /// Compiles the rule for fast evaluation over `accounts`; `Err` holds
    /// the validation problems.
    pub fn compile(&self, accounts: &impl RuleData) -> Result<CompiledRule, Vec<RuleProblem>> {
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
    pub fn matches(&self, accounts: &impl RuleData, i: usize) -> bool {
        self.compile(accounts)
            .is_ok_and(|c| c.matches_attributes(accounts, i))
    }
}

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

fn compile(c: &Condition, a: &impl RuleData) -> Node {
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
                    let table = a
                        .attribute_dict(col)
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
    fn eval(&self, a: &impl RuleData, i: usize) -> bool {
        match self {
            Node::All(v) => v.iter().all(|n| n.eval(a, i)),
            Node::Any(v) => v.iter().any(|n| n.eval(a, i)),
            Node::Not(n) => !n.eval(a, i),
            Node::Attr { col, table, test } => {
                let Some(code) = a.attribute_code(*col, i) else {
                    return false;
                };
                match table.get(code as usize) {
                    Some(&m) => m,
                    None => {
                        test.matches(a.attribute_dict(*col).get(code as usize).map_or("", |s| s))
                    }
                }
            }
            Node::Measure { col, test } => {
                a.measure_value(*col, i).is_some_and(|v| test.matches(v))
            }
            Node::Name(t) => a.account_name(i).is_some_and(|v| t.matches(v)),
            Node::Id(t) => a.account_id(i).is_some_and(|v| t.matches(v)),
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
    pub fn matches_attributes(&self, accounts: &impl RuleData, i: usize) -> bool {
        self.node.eval(accounts, i)
    }
}
