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

pub mod ast;
mod eval;
mod parse;

pub use ast::{Condition, Operator, Rule, Test};
pub use eval::{CompiledRule, FieldRef, RuleData, RuleProblem, field_names};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::model::Accounts;
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
