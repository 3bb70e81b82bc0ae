#!/usr/bin/env python3
"""Compares two `account_id,territory` files row by row.

    python3 benches/compare_assignments.py A.csv B.csv

Prints how many accounts agree and the first few that do not; exits 1 when
the files list different accounts.
"""
import csv
import sys


def read(path):
    with open(path, newline="") as f:
        rows = csv.reader(f)
        next(rows)
        return {r[0]: (r[1] if len(r) > 1 else "") for r in rows}


def main():
    a, b = read(sys.argv[1]), read(sys.argv[2])
    if a.keys() != b.keys():
        print(f"different accounts: {len(a)} vs {len(b)}")
        sys.exit(1)
    differ = [k for k in a if a[k] != b[k]]
    print(f"agree on {len(a) - len(differ)} of {len(a)} accounts; differ on {len(differ)}")
    for k in differ[:5]:
        print(f"  {k}: {a[k]!r} vs {b[k]!r}")


if __name__ == "__main__":
    main()
