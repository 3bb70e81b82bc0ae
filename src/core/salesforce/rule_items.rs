//! Turfmap rules as Territory2Rule items and back.
//!
//! A Territory2Rule (Metadata API reference, "Territory2Rule") holds up to
//! [`MAX_RULE_ITEMS`] `ruleItems` (`field`, `operation`, `value`) on
//! `objectType` Account, combined by a `booleanFilter` such as
//! `(1 AND 2) OR 3` (numbering from 1, contiguous). `operation` is a
//! FilterOperation: `equals`, `notEqual`, `lessThan`, `greaterThan`,
//! `lessOrEqual`, `greaterOrEqual`, `contains`, `notContain`, `startsWith`,
//! `includes`, `excludes`, `within` (distance only). A comma-separated
//! `value` means "any of these".
//!
//! What maps exactly: `=`, `!=`, `in`, `contains`, `starts with`, `<`,
//! `<=`, `>`, `>=`, `between` (two items), AND / OR groups, and NOT over a
//! single `=`, `!=`, `in` or `contains` test (the negated operation). What
//! does not, with the reason [`to_etm`] gives: NOT over a group or over a
//! number comparison or `starts with`, `is empty`, a text value containing
//! a comma, a column name that is not a field API name, rules on the
//! account Id, rules limited to the territory's boundary, more than ten
//! items.

use crate::core::model::Accounts;
use crate::core::rules::{Condition, FieldRef, Operator, Rule, Test};

/// Most rule items ETM allows in one rule (Metadata API reference,
/// Territory2Rule usage notes).
pub const MAX_RULE_ITEMS: usize = 10;

/// One `ruleItems` element.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleItem {
    /// `Account.<FieldApiName>`.
    pub field: String,
    /// A FilterOperation value, e.g. `equals`.
    pub operation: String,
    /// The value, comma-separated for several.
    pub value: String,
}

/// A rule in ETM's form: items and the filter over their numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtmRule {
    /// The rule items, numbered from 1 in this order.
    pub items: Vec<RuleItem>,
    /// `booleanFilter`, e.g. `1 AND (2 OR 3)`; `None` for one item.
    pub boolean_filter: Option<String>,
}

/// The filter tree over item numbers (0-based here).
#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Item(usize),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
}

/// `rule` as ETM rule items, or why ETM cannot express it.
pub fn to_etm(rule: &Rule, accounts: &Accounts) -> Result<EtmRule, String> {
    if rule.within_geometry {
        return Err(
            "it is limited to the territory's boundary, which Salesforce territories do not have"
                .into(),
        );
    }
    let problems = rule.validate(accounts);
    if !problems.is_empty() {
        let msgs: Vec<String> = problems.into_iter().map(|p| p.message).collect();
        return Err(format!("the rule has problems: {}", msgs.join("; ")));
    }
    let mut items = Vec::new();
    let expr = walk(&rule.condition, accounts, &mut items)?;
    if items.len() > MAX_RULE_ITEMS {
        return Err(format!(
            "it needs {} rule items; ETM allows at most {MAX_RULE_ITEMS}",
            items.len()
        ));
    }
    let boolean_filter = (items.len() > 1).then(|| render(&expr, false));
    Ok(EtmRule {
        items,
        boolean_filter,
    })
}

fn walk(c: &Condition, accounts: &Accounts, items: &mut Vec<RuleItem>) -> Result<Expr, String> {
    match c {
        Condition::All(v) | Condition::Any(v) if v.is_empty() => {
            Err("it has an empty group".into())
        }
        Condition::All(v) | Condition::Any(v) if v.len() == 1 => walk(&v[0], accounts, items),
        Condition::All(v) => Ok(Expr::And(
            v.iter()
                .map(|c| walk(c, accounts, items))
                .collect::<Result<_, _>>()?,
        )),
        Condition::Any(v) => Ok(Expr::Or(
            v.iter()
                .map(|c| walk(c, accounts, items))
                .collect::<Result<_, _>>()?,
        )),
        Condition::Not(inner) => match inner.as_ref() {
            Condition::Test(t) => test(t, true, accounts, items),
            Condition::Not(x) => walk(x, accounts, items),
            Condition::All(v) | Condition::Any(v) if v.len() == 1 => {
                walk(&Condition::Not(Box::new(v[0].clone())), accounts, items)
            }
            g => Err(format!("NOT over a group ({}) has no ETM form", g.render())),
        },
        Condition::Test(t) => test(t, false, accounts, items),
    }
}

/// The item(s) for one test, `negate`d when under a NOT.
fn test(
    t: &Test,
    negate: bool,
    accounts: &Accounts,
    items: &mut Vec<RuleItem>,
) -> Result<Expr, String> {
    let (field, numeric) = api_field(&t.field, accounts)?;
    let shown = || {
        let s = Condition::Test(t.clone()).render();
        if negate { format!("NOT {s}") } else { s }
    };
    let vals = |vs: &[String]| -> Result<String, String> {
        vs.iter()
            .map(|v| value(v, numeric))
            .collect::<Result<Vec<_>, _>>()
            .map(|v| v.join(","))
    };
    let op = match (t.op, negate) {
        (Operator::Equals | Operator::InList, false) | (Operator::NotEquals, true) => "equals",
        (Operator::NotEquals, false) | (Operator::Equals | Operator::InList, true) => "notEqual",
        (Operator::Contains, false) => "contains",
        (Operator::Contains, true) => "notContain",
        (Operator::StartsWith, false) => "startsWith",
        (Operator::Lt, false) => "lessThan",
        (Operator::Le, false) => "lessOrEqual",
        (Operator::Gt, false) => "greaterThan",
        (Operator::Ge, false) => "greaterOrEqual",
        (Operator::Between, false) => {
            let [a, b] = t.values.as_slice() else {
                return Err(format!("'{}' needs two values", shown()));
            };
            let first = push(items, &field, "greaterOrEqual", value(a, numeric)?);
            let second = push(items, &field, "lessOrEqual", value(b, numeric)?);
            return Ok(Expr::And(vec![first, second]));
        }
        (Operator::IsEmpty, _) => {
            return Err(format!(
                "'{}': ETM rule items have no 'is empty' operation",
                shown()
            ));
        }
        (Operator::StartsWith, true) => {
            return Err(format!(
                "'{}': ETM has no 'does not start with' operation",
                shown()
            ));
        }
        (_, true) => {
            return Err(format!(
                "'{}': NOT over a number comparison would treat accounts without a value differently in ETM",
                shown()
            ));
        }
    };
    Ok(push(items, &field, op, vals(&t.values)?))
}

fn push(items: &mut Vec<RuleItem>, field: &str, op: &str, value: String) -> Expr {
    items.push(RuleItem {
        field: field.to_owned(),
        operation: op.to_owned(),
        value,
    });
    Expr::Item(items.len() - 1)
}

/// `Account.<name>` for a test's field and whether it is numeric.
fn api_field(field: &str, accounts: &Accounts) -> Result<(String, bool), String> {
    let f = FieldRef::resolve(accounts, field)
        .ok_or_else(|| format!("no column '{}' in the plan", field.trim()))?;
    let name = match f {
        FieldRef::Attribute(k) => accounts.attributes[k].name.clone(),
        FieldRef::Measure(k) => accounts.measures[k].name.clone(),
        FieldRef::Name => "Name".to_owned(),
        FieldRef::Id => return Err("rules on the account Id are not ETM rule criteria".into()),
    };
    let api = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !api {
        return Err(format!(
            "column '{name}' is not a Salesforce field API name (letters, digits and underscores, e.g. AnnualRevenue)"
        ));
    }
    Ok((format!("Account.{name}"), f.is_numeric()))
}

/// A value as ETM reads it: numbers without thousands separators; text
/// without commas (ETM splits values at commas).
fn value(v: &str, numeric: bool) -> Result<String, String> {
    if numeric {
        let t = v.trim().replace([',', '_'], "");
        return t
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(|x| x.to_string())
            .ok_or_else(|| format!("'{v}' is not a number"));
    }
    if v.contains(',') {
        return Err(format!(
            "the value '{v}' contains a comma, which ETM reads as a list separator"
        ));
    }
    Ok(v.trim().to_owned())
}

fn render(e: &Expr, nested: bool) -> String {
    let group = |v: &[Expr], sep: &str| {
        let s = v
            .iter()
            .map(|x| render(x, true))
            .collect::<Vec<_>>()
            .join(sep);
        if nested { format!("({s})") } else { s }
    };
    match e {
        Expr::Item(k) => (k + 1).to_string(),
        Expr::And(v) => group(v, " AND "),
        Expr::Or(v) => group(v, " OR "),
        Expr::Not(x) => format!("NOT {}", render(x, true)),
    }
}

/// Rebuilds a Turfmap rule from ETM rule items and filter, with fields
/// matched to the plan's columns; `Err` says why it cannot be.
pub fn from_etm(
    items: &[RuleItem],
    boolean_filter: Option<&str>,
    accounts: &Accounts,
) -> Result<Rule, String> {
    if items.is_empty() {
        return Err("the rule has no rule items".into());
    }
    let conds = items
        .iter()
        .map(|i| item_condition(i, accounts))
        .collect::<Result<Vec<_>, _>>()?;
    let expr = match boolean_filter.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => parse_filter(f, items.len())?,
        None => Expr::And((0..items.len()).map(Expr::Item).collect()),
    };
    let rule = Rule::new(to_condition(&expr, &conds));
    let problems = rule.validate(accounts);
    if let Some(p) = problems.first() {
        return Err(p.message.clone());
    }
    Ok(rule)
}

fn to_condition(e: &Expr, conds: &[Condition]) -> Condition {
    match e {
        Expr::Item(k) => conds[*k].clone(),
        Expr::Or(v) => Condition::Any(v.iter().map(|x| to_condition(x, conds)).collect()),
        Expr::Not(x) => Condition::Not(Box::new(to_condition(x, conds))),
        Expr::And(v) if v.len() == 1 => to_condition(&v[0], conds),
        Expr::And(v) => {
            let mut c = fold_between(v.iter().map(|x| to_condition(x, conds)).collect());
            if c.len() == 1 {
                c.remove(0)
            } else {
                Condition::All(c)
            }
        }
    }
}

/// `f >= a AND f <= b` side by side in one AND group → `f between a and b`
/// (how [`to_etm`] writes `between`).
fn fold_between(v: Vec<Condition>) -> Vec<Condition> {
    let mut out: Vec<Condition> = Vec::with_capacity(v.len());
    for c in v {
        if let (Some(Condition::Test(prev)), Condition::Test(t)) = (out.last(), &c)
            && prev.op == Operator::Ge
            && t.op == Operator::Le
            && prev.field.eq_ignore_ascii_case(&t.field)
            && let ([a], [b]) = (prev.values.as_slice(), t.values.as_slice())
        {
            let between = Test::new(t.field.clone(), Operator::Between, &[a, b]);
            out.pop();
            out.push(Condition::Test(between));
            continue;
        }
        out.push(c);
    }
    out
}

/// One rule item as a condition over the plan's columns.
fn item_condition(item: &RuleItem, accounts: &Accounts) -> Result<Condition, String> {
    let raw = item.field.trim();
    let name = raw
        .get(..8)
        .filter(|p| p.eq_ignore_ascii_case("Account."))
        .map_or(raw, |_| &raw[8..]);
    let field = match FieldRef::resolve(accounts, name) {
        Some(FieldRef::Attribute(k)) => accounts.attributes[k].name.clone(),
        Some(FieldRef::Measure(k)) => accounts.measures[k].name.clone(),
        Some(FieldRef::Name) => "Name".to_owned(),
        Some(FieldRef::Id) => "Id".to_owned(),
        None => return Err(format!("field '{raw}' is not a column of the plan")),
    };
    let values: Vec<&str> = item.value.split(',').map(str::trim).collect();
    let one = |op: Operator| Condition::Test(Test::new(field.clone(), op, &values));
    let each = |op: Operator| {
        let tests: Vec<Condition> = values
            .iter()
            .map(|v| Condition::Test(Test::new(field.clone(), op, &[v])))
            .collect();
        if tests.len() == 1 {
            tests.into_iter().next().unwrap_or(Condition::Any(vec![]))
        } else {
            Condition::Any(tests)
        }
    };
    let op = item.operation.trim();
    let is = |s: &str| op.eq_ignore_ascii_case(s);
    let many = values.len() > 1;
    Ok(if is("equals") {
        one(if many {
            Operator::InList
        } else {
            Operator::Equals
        })
    } else if is("notEqual") {
        if many {
            Condition::Not(Box::new(one(Operator::InList)))
        } else {
            one(Operator::NotEquals)
        }
    } else if is("contains") {
        each(Operator::Contains)
    } else if is("notContain") {
        Condition::Not(Box::new(each(Operator::Contains)))
    } else if is("startsWith") {
        each(Operator::StartsWith)
    } else if let Some(cmp) = comparison(op) {
        if many {
            return Err(format!("'{op}' with several values ('{}')", item.value));
        }
        one(cmp)
    } else {
        return Err(format!(
            "operation '{op}' on {raw} has no Turfmap equivalent"
        ));
    })
}

fn comparison(op: &str) -> Option<Operator> {
    [
        ("lessThan", Operator::Lt),
        ("lessOrEqual", Operator::Le),
        ("greaterThan", Operator::Gt),
        ("greaterOrEqual", Operator::Ge),
    ]
    .into_iter()
    .find(|(n, _)| n.eq_ignore_ascii_case(op))
    .map(|(_, o)| o)
}

/// Parses a `booleanFilter` over items `1..=n`.
fn parse_filter(text: &str, n: usize) -> Result<Expr, String> {
    let toks = tokens(text)?;
    let mut p = FilterParser { toks, pos: 0, n };
    let e = p.or()?;
    if p.pos < p.toks.len() {
        return Err(format!(
            "booleanFilter '{text}': unexpected text after the end"
        ));
    }
    Ok(e)
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(usize),
    And,
    Or,
    Not,
    Open,
    Close,
}

fn tokens(text: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' || c == ')' {
            out.push(if c == '(' { Tok::Open } else { Tok::Close });
            chars.next();
        } else if c.is_ascii_alphanumeric() {
            let mut w = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_alphanumeric()) {
                w.push(d);
                chars.next();
            }
            out.push(match w.to_ascii_uppercase().as_str() {
                "AND" => Tok::And,
                "OR" => Tok::Or,
                "NOT" => Tok::Not,
                _ => Tok::Num(
                    w.parse()
                        .map_err(|_| format!("booleanFilter '{text}': unexpected '{w}'"))?,
                ),
            });
        } else {
            return Err(format!("booleanFilter '{text}': unexpected '{c}'"));
        }
    }
    Ok(out)
}

struct FilterParser {
    toks: Vec<Tok>,
    pos: usize,
    n: usize,
}

impl FilterParser {
    fn eat(&mut self, t: &Tok) -> bool {
        let hit = self.toks.get(self.pos) == Some(t);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut v = vec![self.and()?];
        while self.eat(&Tok::Or) {
            v.push(self.and()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::Or(v)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut v = vec![self.unary()?];
        while self.eat(&Tok::And) {
            v.push(self.unary()?);
        }
        Ok(if v.len() == 1 {
            v.remove(0)
        } else {
            Expr::And(v)
        })
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat(&Tok::Not) {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat(&Tok::Open) {
            let e = self.or()?;
            if !self.eat(&Tok::Close) {
                return Err("booleanFilter: a '(' is not closed".into());
            }
            return Ok(e);
        }
        match self.toks.get(self.pos) {
            Some(Tok::Num(k)) if (1..=self.n).contains(k) => {
                self.pos += 1;
                Ok(Expr::Item(k - 1))
            }
            Some(Tok::Num(k)) => Err(format!(
                "booleanFilter refers to item {k}, but the rule has {} item(s)",
                self.n
            )),
            _ => Err("booleanFilter: expected an item number".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::AccountRow;

    fn accounts() -> Accounts {
        let mut a = Accounts::with_schema(&["AnnualRevenue".into()], &["Industry".into()]);
        a.push(&AccountRow {
            id: "001".into(),
            name: "A".into(),
            measures: vec![1.0],
            attributes: vec!["Retail".into()],
            ..AccountRow::default()
        });
        a
    }

    fn etm(text: &str) -> Result<EtmRule, String> {
        to_etm(&Rule::parse(text).expect("parses"), &accounts())
    }

    #[test]
    fn expressible_rules_round_trip() {
        let a = accounts();
        for text in [
            "Industry = \"Healthcare\"",
            "Industry in (\"Retail\", \"Food\") AND AnnualRevenue >= 1000",
            "(Industry = \"A\" OR Industry contains \"B\") AND AnnualRevenue between 1 and 5",
            "NOT Industry contains \"Gov\" AND Name starts with \"Acme\"",
        ] {
            let rule = Rule::parse(text).expect("parses");
            let e = to_etm(&rule, &a).unwrap_or_else(|r| panic!("{text}: {r}"));
            let back = from_etm(&e.items, e.boolean_filter.as_deref(), &a).expect("back");
            assert_eq!(back.render(), rule.render(), "{e:?}");
        }
        let e = etm("Industry = \"A\" OR AnnualRevenue between 1 and 5").expect("ok");
        assert_eq!(e.boolean_filter.as_deref(), Some("1 OR (2 AND 3)"));
        assert_eq!(e.items[1].operation, "greaterOrEqual");
        assert_eq!(e.items[0].field, "Account.Industry");
    }

    #[test]
    fn inexpressible_rules_say_why() {
        for (text, why) in [
            (
                "NOT (Industry = \"A\" OR Industry = \"B\")",
                "NOT over a group",
            ),
            ("Industry is empty", "is empty"),
            ("Industry = \"A, Inc\"", "comma"),
            ("NOT AnnualRevenue < 5", "without a value"),
            ("Industry = \"A\" WITHIN BOUNDARY", "boundary"),
            ("Id = \"001\"", "Id"),
        ] {
            let e = etm(text).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
        let many = (0..11)
            .map(|k| format!("Industry = \"v{k}\""))
            .collect::<Vec<_>>()
            .join(" OR ");
        assert!(etm(&many).unwrap_err().contains("at most 10"));
    }

    #[test]
    fn filters_parse_with_precedence_and_errors() {
        assert_eq!(
            parse_filter("1 OR 2 AND NOT 3", 3),
            Ok(Expr::Or(vec![
                Expr::Item(0),
                Expr::And(vec![Expr::Item(1), Expr::Not(Box::new(Expr::Item(2)))])
            ]))
        );
        assert!(parse_filter("1 AND 4", 3).unwrap_err().contains("item 4"));
        assert!(
            parse_filter("(1 AND 2", 2)
                .unwrap_err()
                .contains("not closed")
        );
    }
}
