"""Writes tests/data/world_accounts.csv: a Salesforce-style accounts export
with billing postal codes and countries from 13 locales of the Faker package
(`pip install faker==40.63.0`; run `python3 tests/data/make_world_accounts.py`).

The codes are Faker's, in each locale's own format, so most of them do not
exist: the test checks formats and honest reasons, not positions. Countries
are written as CRM users write them: ISO codes, names, upper or lower case.
"""

import csv
import random
import sys

from faker import Faker

LOCALES = ["en_US", "en_CA", "en_GB", "de_DE", "fr_FR", "en_AU", "nl_NL",
           "es_ES", "it_IT", "es_MX", "pt_BR", "ja_JP", "en_IN", "de_CH"]
ROWS_PER_LOCALE = 40


def main(path):
    rnd = random.Random(7)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["Id", "Name", "BillingCity", "BillingPostalCode", "BillingCountry", "AnnualRevenue"])
        n = 0
        for loc in LOCALES:
            fk = Faker(loc)
            fk.seed_instance(len(loc) * 1000 + n)
            code, name = fk.current_country_code(), fk.current_country()
            for _ in range(ROWS_PER_LOCALE):
                n += 1
                country = rnd.choice([code, code.lower(), name, name.upper()])
                w.writerow([f"W{n:04d}", fk.company(), fk.city(), fk.postcode(), country,
                            rnd.randint(1, 500) * 1000])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/world_accounts.csv")
