#!/usr/bin/env python3
"""Random accounts in the box of the lower 48 US states (some fall in the
sea, Canada or Mexico, and so in no county), as a CRM export would give them.

    python3 benches/random_points.py N OUT.csv [SEED]

writes `Id,Lat,Lon` rows; the same SEED (default 7) gives the same file.
"""
import random
import sys


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    with open(out, "w") as f:
        f.write("Id,Lat,Lon\n")
        for i in range(n):
            lat = rng.uniform(24.5, 49.4)
            lon = rng.uniform(-124.8, -66.9)
            f.write(f"a{i},{lat:.6f},{lon:.6f}\n")


if __name__ == "__main__":
    main()
