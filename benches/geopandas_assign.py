#!/usr/bin/env python3
"""The assignment an analyst would script: pandas `read_csv`, geopandas
`sjoin(predicate="within")`, `to_csv` -- the reference `turfmap assign
--accounts … --territories …` is measured against.

    python3 benches/geopandas_assign.py ACCOUNTS.csv TERRITORIES.geojson NAME_PROP OUT.csv

ACCOUNTS.csv needs `Id`, `Lat` and `Lon` columns (as written by
benches/random_points.py). OUT.csv is `account_id,territory` in input order,
the territory empty for accounts in none, as turfmap writes it. A point in
two overlapping polygons takes the first. Prints the seconds spent after
the imports and the peak memory (maxrss) on standard error.
"""
import resource
import sys
import time

import geopandas as gpd
import pandas as pd


def main():
    accounts_csv, territories, name_prop, out = sys.argv[1:5]
    t0 = time.perf_counter()
    df = pd.read_csv(accounts_csv, dtype={"Id": str})
    points = gpd.GeoDataFrame(
        df[["Id"]], geometry=gpd.points_from_xy(df["Lon"], df["Lat"]), crs="EPSG:4326"
    )
    polys = gpd.read_file(territories)[[name_prop, "geometry"]].to_crs("EPSG:4326")
    joined = gpd.sjoin(points, polys, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    result = pd.DataFrame({"account_id": joined["Id"], "territory": joined[name_prop]})
    result.to_csv(out, index=False)
    seconds = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"geopandas: {seconds:.2f} s after imports, peak {peak_mb:.0f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
