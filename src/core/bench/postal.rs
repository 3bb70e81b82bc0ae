//! `turfmap bench-postal`: what country-aware postal geocoding adds to an
//! accounts import. A seeded CSV of accounts without coordinates, with
//! postal codes of 13 covered countries (real codes of the bundled tables,
//! written as CRM users write them: `SW1A 1AA`, `100-0001`, `01310-123`)
//! plus Swiss rows and unknown codes, is imported twice: once with its
//! postal code and country columns detected, once with them renamed so that
//! they are plain text columns. The difference is the geocoding's cost.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::core::geocode::{Country, Gazetteer, PostalLookup, PostalTable, covered_countries};
use crate::core::import::{AccountImportOptions, import_accounts_from_reader, zips};
use crate::core::progress::Progress;
use crate::core::{Error, Result};

/// Share of rows per country, in per mille (the rest: Switzerland, which
/// has no table).
const MIX: [(Country, u32); 13] = [
    (Country::US, 400),
    (Country::CA, 80),
    (Country::GB, 80),
    (Country::DE, 80),
    (Country::FR, 60),
    (Country::AU, 40),
    (Country::NL, 30),
    (Country::ES, 40),
    (Country::IT, 40),
    (Country::MX, 40),
    (Country::BR, 30),
    (Country::JP, 30),
    (Country::IN, 40),
];

/// Codes of one country as users write them.
fn sample_codes(country: Country, dir: &Path) -> Result<Vec<String>> {
    if country == Country::US {
        return Ok(zips::zip_table().iter().map(|e| e.zip.to_owned()).collect());
    }
    let file = match country {
        Country::GB => "gb_sector".to_owned(),
        c => c.code().to_ascii_lowercase(),
    };
    let table = PostalTable::load(&dir.join(format!("{file}.csv.gz"))).map_err(Error::invalid)?;
    Ok(table
        .keys()
        .iter()
        .map(|k| {
            let k = k.to_string();
            match country {
                Country::CA => format!("{k} 1A1"),
                Country::GB => format!("{} {}AA", &k[..k.len() - 1], &k[k.len() - 1..]),
                Country::NL => format!("{k} AB"),
                Country::JP => format!("{}-{}", &k[..3], &k[3..]),
                Country::BR => format!("{}-1{}", &k[..5], &k[6..]),
                _ => k,
            }
        })
        .collect())
}

/// A seeded accounts CSV of `n` rows; `detected` names the postal code and
/// country columns so that the import finds them.
fn accounts_csv(n: usize, codes: &[(Country, Vec<String>)], detected: bool) -> Vec<u8> {
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let mut out = Vec::with_capacity(n * 48);
    let header = if detected {
        "Id,Name,BillingPostalCode,BillingCountry,AnnualRevenue\n"
    } else {
        // Empty coordinate columns: the import needs a location column,
        // and these make every row unlocated without any postal lookup.
        "Id,Name,Code,Land,AnnualRevenue,Latitude,Longitude\n"
    };
    let tail = if detected { "\n" } else { ",,\n" };
    out.extend_from_slice(header.as_bytes());
    for i in 0..n {
        let mut pick = rng.random_range(0..1000u32);
        let mut row = None;
        for ((c, share), (_, list)) in MIX.iter().zip(codes) {
            if pick < *share {
                // One code in a hundred does not exist.
                let code = if rng.random_range(0..100) == 0 {
                    "00000".to_owned()
                } else {
                    list[rng.random_range(0..list.len())].clone()
                };
                row = Some((*c, code));
                break;
            }
            pick -= share;
        }
        let (country, code) = row.unwrap_or((Country::CH, "8001".to_owned()));
        let country_text = match i % 3 {
            0 => country.code(),
            1 => country.name(),
            _ => country.iso3(),
        };
        let revenue = rng.random_range(1..500) * 1000;
        let line = format!("A{i},Account {i},{code},{country_text},{revenue}{tail}");
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// One import of `csv`; its time and summary.
fn import_once(csv: &[u8]) -> Result<(Duration, String)> {
    let t = Instant::now();
    let (_, report) = import_accounts_from_reader(
        csv,
        Path::new("bench.csv"),
        &AccountImportOptions::default(),
        &Progress::new(),
    )?;
    Ok((t.elapsed(), report.summary()))
}

/// The lookups alone, on one thread: every row's country and code of
/// `csv` through one [`PostalLookup`], after a warm-up pass (tables read);
/// the best of three passes.
fn lookups_alone(csv: &[u8]) -> Result<(Duration, usize)> {
    let mut rdr = csv::Reader::from_reader(csv);
    let rows: Vec<(String, String)> = rdr
        .records()
        .map(|r| {
            let r = r.map_err(|e| Error::invalid(e.to_string()))?;
            Ok((r[3].to_owned(), r[2].to_owned()))
        })
        .collect::<Result<_>>()?;
    let mut lookup = PostalLookup::new(Gazetteer::bundled(), Country::US);
    let mut run = || {
        rows.iter()
            .filter(|(c, z)| lookup.locate(Some(c), z).is_ok())
            .count()
    };
    let mut hits = run();
    let mut best = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        hits = run();
        best = best.min(t.elapsed());
    }
    Ok((best, hits))
}

/// Runs the benchmark on `n` accounts and prints its figures to `out`.
pub fn run(n: usize, out: &mut dyn Write) -> Result<()> {
    let io = |e| Error::io("<stdout>", e);
    let dir = Gazetteer::bundled().dir().to_path_buf();
    let codes: Vec<(Country, Vec<String>)> = MIX
        .iter()
        .map(|(c, _)| Ok((*c, sample_codes(*c, &dir)?)))
        .collect::<Result<_>>()?;
    let plain = accounts_csv(n, &codes, false);
    let postal = accounts_csv(n, &codes, true);
    writeln!(
        out,
        "turfmap bench-postal: {n} accounts without coordinates, 14 countries, {} threads{}",
        rayon::current_num_threads(),
        if cfg!(debug_assertions) {
            " (DEBUG BUILD: use --release)"
        } else {
            ""
        }
    )
    .map_err(io)?;
    // Reading every table once, on its own (the first import does it).
    let t = Instant::now();
    let fresh = Gazetteer::new(&dir);
    fresh.preload(&covered_countries().collect::<Vec<_>>());
    let load = t.elapsed();
    let base = import_once(&plain)?.0;
    let (first, summary) = import_once(&postal)?;
    let mut best_plain = base;
    let mut best_postal = first;
    for _ in 0..5 {
        best_plain = best_plain.min(import_once(&plain)?.0);
        best_postal = best_postal.min(import_once(&postal)?.0);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (alone, hits) = lookups_alone(&postal)?;
    let lines = [
        format!(
            "  all 12 postal tables read (in parallel): {:.0} ms",
            ms(load)
        ),
        format!(
            "  import, postal columns not used: first {:.0} ms, best of 6 {:.0} ms",
            ms(base),
            ms(best_plain)
        ),
        // First against first: both pay for a process's first big import
        // (fresh memory), the second also reads the tables it needs.
        format!(
            "  import with geocoding, first (tables read): {:.0} ms (+{:.0} ms over the first without)",
            ms(first),
            ms(first) - ms(base)
        ),
        format!(
            "  import with geocoding (best of 6): {:.0} ms (+{:.0} ms)",
            ms(best_postal),
            ms(best_postal) - ms(best_plain)
        ),
        format!(
            "  the lookups alone, one thread, best of 3: {:.0} ms ({:.0} ns per row, {hits} found)",
            ms(alone),
            alone.as_secs_f64() * 1e9 / n.max(1) as f64
        ),
        format!("  {}", summary.replace('\n', "\n  ")),
    ];
    for l in lines {
        writeln!(out, "{l}").map_err(io)?;
    }
    Ok(())
}
