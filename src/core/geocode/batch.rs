//! Geocoding a whole import: the country column, a cache of the country
//! texts it holds, and the tallies the import summary prints
//! (`1,204 by postal code: 812 CA FSA, 392 GB sector`;
//! `37 unlocated: 30 country not covered (CH), 7 unknown code (DE)`).

use std::collections::{BTreeMap, HashMap};

use super::{Country, Gazetteer, PostalHit, PostalMatch, PostalMiss};
use crate::core::numfmt::count;

/// Country headers, normalised (lower-case, no spaces, `_` or `-`), best
/// first.
const COUNTRY_HEADERS: [&str; 9] = [
    "country",
    "countrycode",
    "billingcountry",
    "billingcountrycode",
    "shippingcountry",
    "shippingcountrycode",
    "mailingcountry",
    "mailingcountrycode",
    "accountcountry",
];

/// The country column among `normed` headers (normalised as above). When
/// the postal code column is a billing, shipping or mailing one, the
/// country of the same address wins (`BillingPostalCode` goes with
/// `BillingCountry`, not `ShippingCountry`).
pub fn country_column(normed: &[String], postal_header: Option<&str>) -> Option<usize> {
    let find = |h: &str| normed.iter().position(|n| n == h);
    let prefix = postal_header.and_then(|p| {
        ["billing", "shipping", "mailing"]
            .into_iter()
            .find(|pre| p.starts_with(pre))
    });
    if let Some(pre) = prefix {
        for h in COUNTRY_HEADERS.iter().filter(|h| h.starts_with(pre)) {
            if let Some(i) = find(h) {
                return Some(i);
            }
        }
    }
    COUNTRY_HEADERS.iter().find_map(|h| find(h))
}

/// What a country cell says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cell {
    Known(Country),
    Unknown,
}

/// Places accounts by postal code and country cell, caching what each
/// distinct country text means (CRM exports repeat a handful of them a
/// million times).
#[derive(Debug)]
pub struct PostalLookup<'g> {
    gazetteer: &'g Gazetteer,
    default: Country,
    cells: HashMap<String, Cell>,
}

impl<'g> PostalLookup<'g> {
    /// Looks codes up in `gazetteer`; rows without a country are in
    /// `default`.
    pub fn new(gazetteer: &'g Gazetteer, default: Country) -> Self {
        PostalLookup {
            gazetteer,
            default,
            cells: HashMap::new(),
        }
    }

    /// The country a row's country cell names: the plan's default when
    /// the cell is empty or missing, [`PostalMiss::UnknownCountry`] when the
    /// text names no country.
    pub fn country(&mut self, cell: Option<&str>) -> Result<Country, PostalMiss> {
        let text = cell.map_or("", str::trim);
        if text.is_empty() {
            return Ok(self.default);
        }
        let c = match self.cells.get(text) {
            Some(c) => *c,
            None => {
                let c = Country::parse(text).map_or(Cell::Unknown, Cell::Known);
                self.cells.insert(text.to_owned(), c);
                c
            }
        };
        match c {
            Cell::Known(c) => Ok(c),
            Cell::Unknown => Err(PostalMiss::UnknownCountry),
        }
    }

    /// Places `code` in the country of `country_cell`. A miss carries the
    /// country it was looked up in (`None` when the country is unknown).
    pub fn locate(
        &mut self,
        country_cell: Option<&str>,
        code: &str,
    ) -> Result<PostalHit<'g>, (PostalMiss, Option<Country>)> {
        let gazetteer = self.gazetteer;
        let country = self.country(country_cell).map_err(|m| (m, None))?;
        gazetteer
            .locate(country, code)
            .map_err(|m| (m, Some(country)))
    }

    /// The tables this lookup failed to read, with why (for the summary).
    pub fn load_errors(&self) -> Vec<String> {
        let mut seen: Vec<Country> = self
            .cells
            .values()
            .filter_map(|c| match c {
                Cell::Known(c) => Some(*c),
                Cell::Unknown => None,
            })
            .chain([self.default])
            .collect();
        seen.sort_unstable();
        seen.dedup();
        seen.into_iter()
            .filter_map(|c| self.gazetteer.load_error(c).map(str::to_owned))
            .collect()
    }
}

/// How many distinct unknown country texts a summary quotes.
const MAX_UNKNOWN_TEXTS: usize = 3;

/// Postal-code placements and misses of an import, per country.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PostalSummary {
    /// Accounts placed by postal code, by country table and precision.
    pub hits: BTreeMap<PostalMatch, usize>,
    /// Accounts left unlocated, by reason and the country looked up in.
    pub misses: BTreeMap<(PostalMiss, Option<Country>), usize>,
    /// The first few country texts that named no country.
    pub unknown_countries: Vec<String>,
}

impl PostalSummary {
    /// Counts an account placed by postal code.
    pub fn hit(&mut self, m: PostalMatch) {
        *self.hits.entry(m).or_default() += 1;
    }

    /// Adds the counts of `other` (a later part of the same file): the
    /// unknown country texts keep their order of first appearance.
    pub fn absorb(&mut self, other: &PostalSummary) {
        for (m, n) in &other.hits {
            *self.hits.entry(*m).or_default() += n;
        }
        for (k, n) in &other.misses {
            *self.misses.entry(*k).or_default() += n;
        }
        for text in &other.unknown_countries {
            self.quote_unknown(text);
        }
    }

    /// Keeps `text` among the first few country texts that named no country.
    fn quote_unknown(&mut self, text: &str) {
        if self.unknown_countries.len() < MAX_UNKNOWN_TEXTS
            && !self.unknown_countries.iter().any(|t| t == text)
        {
            self.unknown_countries.push(text.to_owned());
        }
    }

    /// Counts an account left unlocated; `country_text` is its country cell
    /// (quoted in the summary when it named no country).
    pub fn miss(&mut self, miss: PostalMiss, country: Option<Country>, country_text: &str) {
        *self.misses.entry((miss, country)).or_default() += 1;
        if miss == PostalMiss::UnknownCountry {
            self.quote_unknown(country_text.trim());
        }
    }

    /// Accounts placed by postal code.
    pub fn placed(&self) -> usize {
        self.hits.values().sum()
    }

    /// Accounts counted unlocated.
    pub fn unplaced(&self) -> usize {
        self.misses.values().sum()
    }

    /// `1,204 by postal code: 812 CA FSA, 392 GB sector`, biggest first.
    pub fn placed_text(&self) -> String {
        let mut parts: Vec<(usize, String)> = self
            .hits
            .iter()
            .map(|(m, n)| {
                (
                    *n,
                    format!("{} {} {}", count(*n as u64), m.country, m.precision.short()),
                )
            })
            .collect();
        parts.sort_by_key(|p| std::cmp::Reverse(p.0));
        let list: Vec<String> = parts.into_iter().map(|(_, s)| s).collect();
        format!(
            "{} by postal code: {}",
            count(self.placed() as u64),
            list.join(", ")
        )
    }

    /// `37 unlocated: 30 country not covered (CH), 7 unknown code (DE)`,
    /// biggest reason first; several countries get their own counts
    /// (`country not covered (CH 20, AT 10)`).
    pub fn unplaced_text(&self) -> String {
        let mut by_reason: BTreeMap<PostalMiss, Vec<(Option<Country>, usize)>> = BTreeMap::new();
        for ((miss, c), n) in &self.misses {
            by_reason.entry(*miss).or_default().push((*c, *n));
        }
        let mut parts: Vec<(usize, String)> = by_reason
            .into_iter()
            .map(|(miss, mut per)| {
                let total: usize = per.iter().map(|(_, n)| n).sum();
                per.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                (
                    total,
                    format!(
                        "{} {}{}",
                        count(total as u64),
                        miss.label(),
                        self.detail(miss, &per)
                    ),
                )
            })
            .collect();
        parts.sort_by_key(|p| std::cmp::Reverse(p.0));
        let list: Vec<String> = parts.into_iter().map(|(_, s)| s).collect();
        format!(
            "{} unlocated: {}",
            count(self.unplaced() as u64),
            list.join(", ")
        )
    }

    /// The bracket after a reason: its countries, or the unknown texts.
    fn detail(&self, miss: PostalMiss, per: &[(Option<Country>, usize)]) -> String {
        if miss == PostalMiss::UnknownCountry {
            let quoted: Vec<String> = self
                .unknown_countries
                .iter()
                .map(|t| format!("'{t}'"))
                .collect();
            return format!(" ({})", quoted.join(", "));
        }
        let countries: Vec<(Country, usize)> =
            per.iter().filter_map(|(c, n)| c.map(|c| (c, *n))).collect();
        match countries.as_slice() {
            [] => String::new(),
            [(c, _)] => format!(" ({c})"),
            many => {
                let list: Vec<String> = many
                    .iter()
                    .map(|(c, n)| format!("{c} {}", count(*n as u64)))
                    .collect();
                format!(" ({})", list.join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::geocode::Precision;

    fn normed(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_lowercase()).collect()
    }

    #[test]
    fn country_column_goes_with_the_address() {
        let h = normed(&[
            "Id",
            "ShippingCountry",
            "BillingPostalCode",
            "BillingCountry",
        ]);
        assert_eq!(country_column(&h, Some("billingpostalcode")), Some(3));
        assert_eq!(country_column(&h, Some("shippingpostalcode")), Some(1));
        assert_eq!(country_column(&h, Some("postalcode")), Some(3));
        assert_eq!(
            country_column(&normed(&["Country", "Zip"]), Some("zip")),
            Some(0)
        );
        assert_eq!(country_column(&normed(&["Name", "Zip"]), Some("zip")), None);
    }

    #[test]
    fn rows_use_their_country_or_the_default() {
        let g = Gazetteer::bundled();
        let mut l = PostalLookup::new(g, Country::US);
        assert_eq!(
            l.locate(Some("Germany"), "10115").unwrap().country,
            Country::DE
        );
        assert_eq!(l.locate(Some(""), "10115").unwrap().country, Country::US);
        assert_eq!(l.locate(None, "10115").unwrap().country, Country::US);
        assert_eq!(
            l.locate(Some("Atlantis"), "10115"),
            Err((PostalMiss::UnknownCountry, None))
        );
        let mut fr = PostalLookup::new(g, Country::FR);
        assert_eq!(fr.locate(None, "75001").unwrap().place(), "Paris");
        assert!(l.load_errors().is_empty());
    }

    #[test]
    fn summaries_read_like_the_issue() {
        let mut s = PostalSummary::default();
        let ca = PostalMatch {
            country: Country::CA,
            precision: Precision::Fsa,
        };
        let gb = PostalMatch {
            country: Country::GB,
            precision: Precision::PostalSector,
        };
        let ch = Country::parse("CH");
        for _ in 0..812 {
            s.hit(ca);
        }
        for _ in 0..392 {
            s.hit(gb);
        }
        for _ in 0..30 {
            s.miss(PostalMiss::NotCovered, ch, "Switzerland");
        }
        for _ in 0..7 {
            s.miss(PostalMiss::UnknownCode, Some(Country::DE), "DE");
        }
        assert_eq!(
            s.placed_text(),
            "1,204 by postal code: 812 CA FSA, 392 GB sector"
        );
        assert_eq!(
            s.unplaced_text(),
            "37 unlocated: 30 country not covered (CH), 7 unknown code (DE)"
        );
        s.miss(PostalMiss::NotCovered, Country::parse("AT"), "Austria");
        s.miss(PostalMiss::UnknownCountry, None, "Narnia");
        s.miss(PostalMiss::UnknownCountry, None, "Narnia");
        assert_eq!(
            s.unplaced_text(),
            "40 unlocated: 31 country not covered (CH 30, AT 1), 7 unknown code (DE), \
             2 unknown country ('Narnia')"
        );
    }
}
