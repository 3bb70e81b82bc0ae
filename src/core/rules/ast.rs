//! The rule tree: a [`Rule`] is a condition tree of AND / OR / NOT groups
//! whose leaves ([`Test`]) compare one account field with values as typed.
//! Plain data, serialised in the project file; reading it against a plan's
//! columns is [`Rule::compile`], its text form [`Rule::parse`] and
//! [`Rule::render`].

use serde::{Deserialize, Serialize};

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

impl Test {
    /// A test of `field` with operator `op` and `values`.
    pub fn new(field: impl Into<String>, op: Operator, values: &[&str]) -> Self {
        Self {
            field: field.into(),
            op,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }
}

impl Condition {
    /// Levels of AND / OR / NOT groups above the deepest test (a lone test
    /// is 0). Iterative, so that no tree is too deep to measure.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(self, 0usize)];
        while let Some((c, d)) = stack.pop() {
            deepest = deepest.max(d);
            match c {
                Condition::All(v) | Condition::Any(v) => stack.extend(v.iter().map(|c| (c, d + 1))),
                Condition::Not(c) => stack.push((c, d + 1)),
                Condition::Test(_) => {}
            }
        }
        deepest
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
    /// The most levels of AND / OR / NOT groups a rule may nest — far more
    /// than any real rule needs. One limit for everything: the text form
    /// refuses deeper text (before its parser could run out of stack), the
    /// edits that set a rule refuse deeper rules, and the project file is
    /// read and written with room for it (and for deeper rules that older
    /// versions let through, which keep working).
    pub const MAX_DEPTH: usize = 16;

    /// Refuses a rule nested deeper than [`Rule::MAX_DEPTH`].
    pub fn check_depth(&self) -> Result<(), String> {
        let depth = self.condition.depth();
        if depth > Self::MAX_DEPTH {
            return Err(too_deep(depth));
        }
        Ok(())
    }

    /// A rule over `condition`, not limited to the boundary.
    pub fn new(condition: Condition) -> Self {
        Self {
            condition,
            within_geometry: false,
        }
    }
}

/// The message for a rule nested `depth` levels deep (`None`: deeper than
/// the text form reads).
pub(super) fn too_deep(depth: usize) -> String {
    format!(
        "the rule nests AND / OR / NOT groups {depth} levels deep; at most {} are allowed \
         (write it flatter: A AND B AND C needs one level, not two)",
        Rule::MAX_DEPTH
    )
}

/// A value typed as a number: `1,000`, `1_000` and `1e3` all read 1000.
pub(super) fn parse_num(s: &str) -> Option<f64> {
    let t = s.trim().replace([',', '_'], "");
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}
