//! The text form of a rule: [`Rule::render`] writes it and [`Rule::parse`]
//! reads it back (see the module docs of [`super`] for the grammar).

use super::ast::{Condition, Operator, Rule, Test, parse_num};

impl Test {
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
}

impl Rule {
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
        let mut p = Parser {
            toks,
            pos: 0,
            depth: 0,
        };
        let condition = p.or()?;
        if p.pos < p.toks.len() {
            return Err(format!(
                "unexpected '{}' after the end of the rule",
                p.toks[p.pos]
            ));
        }
        let rule = Rule {
            condition,
            within_geometry: within,
        };
        rule.check_depth()?;
        Ok(rule)
    }
}

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
    /// Open parentheses and NOTs around the current token: bounded, so
    /// that no text can make the parser recurse without end.
    depth: usize,
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
        if self.peek_word("not") || matches!(self.toks.get(self.pos), Some(Tok::Sym("("))) {
            self.depth += 1;
            if self.depth > Rule::MAX_DEPTH {
                // Each level holds at least one group, so the tree would
                // be deeper still.
                return Err(super::ast::too_deep(self.depth));
            }
            let c = self.group();
            self.depth -= 1;
            return c;
        }
        self.test()
    }

    /// `NOT …` or `( … )`.
    fn group(&mut self) -> Result<Condition, String> {
        if self.eat_word("not") {
            return Ok(Condition::Not(Box::new(self.unary()?)));
        }
        self.eat_sym("(");
        if self.eat_sym(")") {
            return Err("empty parentheses".into());
        }
        let c = self.or()?;
        if !self.eat_sym(")") {
            return Err("a '(' is not closed".into());
        }
        Ok(c)
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
