"""Write a synthetic copy of the package: the real schemas, N rows, optionally K injected errors.

The rows are spread over the tables in realistic proportions (daily official
exchange rates are most of them), foreign keys are consistent, and the rows
keep the semantic rules too (parties include a commission's countries,
periods run forwards, conversions agree with the official rates). The
reference tables (countries, currencies) are copied from the real package.

With ``--errors K``, K errors are injected, cycling through every kind the
Table Schema layer reports; where each one is goes to ``errors.json``
(table, line, field, rule), so that a test can check that it is found.

Example::

    python scripts/synth.py --rows 1000000 --out /tmp/synth-1m
    python scripts/synth.py --rows 10000 --out /tmp/synth --errors 24 --seed 7
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "datapackage"

#: Share of the generated rows per table; exchange rates take the rest.
PROPORTIONS = {
    "sources": 0.02,
    "organisations": 0.005,
    "people": 0.01,
    "person_roles": 0.015,
    "commissions": 0.0005,
    "commission_sessions": 0.005,
    "events": 0.02,
    "event_participants": 0.03,
    "agreements": 0.015,
    "agreement_parties": 0.03,
    "contracts": 0.02,
    "projects": 0.01,
    "figures": 0.05,
    "currency_conversions": 0.01,
    "corroborations": 0.005,
}

#: Each injected kind: (table, field, rule reported).
ERROR_KINDS = [
    ("exchange_rates", "rate", "type-error"),
    ("exchange_rates", "issuer_organisation_id", "constraint-required"),
    ("sources", "language_code", "constraint-pattern"),
    ("events", "kind", "constraint-enum"),
    ("exchange_rates", "units", "constraint-minimum"),
    ("contracts", "contract_id", "constraint-length"),
    ("countries", "alpha_2_code", "unique-error"),
    ("exchange_rates", "rate_id", "primary-key"),
    ("exchange_rates", "source_id", "foreign-key"),
    ("exchange_rates", None, "blank-row"),
    ("exchange_rates", None, "extra-cell"),
    ("exchange_rates", None, "missing-cell"),
    ("exchange_rates", "valid_from", "unique-error"),
]

CITIES = ["Baku", "Astana", "Almaty", "Ganja", "Aktau", "Shymkent", "Sumgait"]
WORDS = ["trade", "transit", "energy", "culture", "education", "transport", "investment", "customs", "health"]
START = date(1995, 1, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, required=True, help="rows over all tables (at least 1000)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write the package into")
    parser.add_argument("--errors", type=int, default=0, help="errors to inject")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    if args.rows < 1000:
        parser.error("--rows must be at least 1000")
    errors = write(args.rows, args.out, errors=args.errors, seed=args.seed)
    print(f"wrote {args.out}: {args.rows} rows, {len(errors)} injected errors")
    return 0


def write(rows: int, out: Path, *, errors: int = 0, seed: int = 0) -> list[dict]:
    """Write the synthetic package into ``out``; return the injected errors (also in ``errors.json``)."""
    rng = random.Random(seed)
    tables = generate(rows, rng)
    injected = inject(tables, errors, rng)
    if out.exists():
        shutil.rmtree(out)
    (out / "datapackage" / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "schemas", out / "schemas")
    (out / "datapackage" / "schemas").symlink_to("../schemas")
    shutil.copy(REAL / "datapackage.json", out / "datapackage" / "datapackage.json")
    for resource in json.loads((REAL / "datapackage.json").read_text(encoding="utf-8"))["resources"]:
        tables.setdefault(resource["name"], [_header(resource["name"])])  # a table added later: header only
    for name, records in tables.items():
        with open(out / "datapackage" / "data" / f"{name}.csv", "w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file, lineterminator="\n")
            for record in records:
                if record:
                    writer.writerow(record)
                else:
                    file.write("\n")
    (out / "errors.json").write_text(json.dumps(injected, indent=1) + "\n", encoding="utf-8")
    return injected


def _real(name: str) -> list[list[str]]:
    with open(REAL / "data" / f"{name}.csv", encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def _header(name: str) -> list[str]:
    return [f["name"] for f in json.loads((ROOT / "schemas" / f"{name}.json").read_text(encoding="utf-8"))["fields"]]


def _day(offset: int) -> str:
    return (START + timedelta(days=offset)).isoformat()


def generate(total: int, rng: random.Random) -> dict[str, list[list[str]]]:
    """Every table as records (header first), ``total`` rows in all."""
    countries = _real("countries")
    currencies = _real("currencies")
    fixed = len(countries) + len(currencies) - 2
    budget = max(total - fixed, 0)
    n = {name: max(int(budget * share), 2) for name, share in PROPORTIONS.items()}
    n["commissions"] = max(n["commissions"], 2)
    n["agreement_parties"] = 2 * n["agreements"]
    n["exchange_rates"] = max(total - fixed - sum(n.values()), 10)
    codes = [row[0] for row in countries[1:]]
    money = [row[0] for row in currencies[1:] if row[0] not in ("XXX", "XTS")]
    t: dict[str, list[list[str]]] = {"countries": countries, "currencies": currencies}

    sources = [f"src-{i}" for i in range(n["sources"])]
    t["sources"] = [_header("sources")] + [
        [s, rng.choice(["Trend", "Azernews", "The Astana Times"]), "", f"Report {i}, on {rng.choice(WORDS)}",
         f"https://example.org/{s}", _day(11000 + i % 300), "en"]
        for i, s in enumerate(sources)
    ]  # fmt: skip
    organisations = [f"org-{i}" for i in range(n["organisations"])]
    banks = organisations[: max(2, min(20, len(organisations) // 4))]
    t["organisations"] = [_header("organisations")] + [
        [o, f"Organisation {i}, {rng.choice(WORDS)}", "central_bank" if o in banks else "ministry",
         rng.choice(codes), rng.choice(sources)]
        for i, o in enumerate(organisations)
    ]  # fmt: skip
    people = [f"person-{i}" for i in range(n["people"])]
    t["people"] = [_header("people")] + [
        [p, f"Person {i}", rng.choice(codes), rng.choice(sources)] for i, p in enumerate(people)
    ]
    t["person_roles"] = [_header("person_roles")] + [
        [f"role-{i}", rng.choice(people), "Minister", rng.choice(["", *organisations[:50]]), _day(i % 10000),
         rng.choice(sources)]
        for i in range(n["person_roles"])
    ]  # fmt: skip

    commissions = [(f"igc-{i}", *rng.sample(codes, 2)) for i in range(n["commissions"])]
    t["commissions"] = [_header("commissions")] + [
        [c, f"Intergovernmental commission {i}", a, b, rng.choice(sources)] for i, (c, a, b) in enumerate(commissions)
    ]
    sessions = []
    per = max(n["commission_sessions"] // len(commissions), 1)
    for c, a, b in commissions:
        for k in range(per):
            sessions.append((f"{c}-{k + 1}", c, k + 1, _day(k * 7 % 10000 + k), a, b))
    t["commission_sessions"] = [_header("commission_sessions")] + [
        [s, c, str(k), held, rng.choice(CITIES), a, rng.choice(sources)] for s, c, k, held, a, _ in sessions
    ]
    members = {s: (a, b) for s, _, _, _, a, b in sessions}

    events = [f"event-{i}" for i in range(n["events"])]
    t["events"] = [_header("events")] + [
        [e, rng.choice(["state_visit", "official_visit", "summit", "trade_mission"]), f"Visit {i}, {rng.choice(WORDS)}",
         _day(i % 10000), _day(i % 10000 + 2), rng.choice(CITIES), rng.choice(codes),
         rng.choice(["", sessions[i % len(sessions)][0]]), rng.choice(sources)]
        for i, e in enumerate(events)
    ]  # fmt: skip
    pairs = {(rng.choice(events), rng.choice(people)) for _ in range(n["event_participants"])}
    t["event_participants"] = [_header("event_participants")] + [
        [e, p, rng.choice(["visitor", "host", "participant"]), rng.choice(sources)] for e, p in sorted(pairs)
    ]

    agreements, parties = [_header("agreements")], [_header("agreement_parties")]
    for i in range(n["agreements"]):
        a = f"agreement-{i}"
        session = sessions[i % len(sessions)][0] if i % 3 == 0 else ""
        countries_ = members[session] if session else tuple(rng.sample(codes, 2))
        year = 1996 + i % 28
        agreements.append(
            [a, f"Agreement on {rng.choice(WORDS)}, {rng.choice(WORDS)} and {rng.choice(WORDS)}",
             rng.choice(["treaty", "agreement", "programme", "memorandum"]), f"{year}-{1 + i % 12:02d}",
             rng.choice(CITIES), rng.choice(codes), str(year), str(year + 4), session, rng.choice(["", *events[:100]]),
             rng.choice(sources)]
        )  # fmt: skip
        parties += [[a, str(k + 1), country, "", rng.choice(sources)] for k, country in enumerate(countries_)]
    t["agreements"], t["agreement_parties"] = agreements, parties

    t["contracts"] = [_header("contracts")] + [
        _contract(i, rng, money, codes, events, people, sources) for i in range(n["contracts"])
    ]
    t["projects"] = [_header("projects")] + [
        [f"project-{i}", f"Project {i}", rng.choice(["transport_route", "joint_venture", "initiative"]),
         rng.choice(["proposed", "agreed", "operating"]), f"project-{rng.randrange(i)}" if i and i % 4 == 0 else "",
         _day(i % 10000), rng.choice(["", *people[:50]]), rng.choice(sources)]
        for i in range(n["projects"])
    ]  # fmt: skip

    rates, series = _exchange_rates(n["exchange_rates"], banks, money, sources, rng)
    t["exchange_rates"] = rates
    figures, conversions = _figures(n["figures"], n["currency_conversions"], series, codes, sources, rng)
    t["figures"], t["currency_conversions"] = figures, conversions
    t["corroborations"] = [_header("corroborations")]
    for i in range(n["corroborations"]):
        table = rng.choice(["events", "figures", "exchange_rates"])
        record = t[table][1 + i % (len(t[table]) - 1)]
        other = sources[(sources.index(record[-1]) + 1) % len(sources)]
        t["corroborations"].append([table, record[0], other, "reports it too"])
    return t


def _contract(i: int, rng: random.Random, money, codes, events, people, sources) -> list[str]:
    qualifier = rng.choice(["exact", "approximate", "lower_bound", "range", "not_stated"])
    low = high = currency = ""
    if qualifier != "not_stated":
        low = str(rng.randrange(1, 10_000) * 1000)
        currency = rng.choice(money)
    if qualifier == "range":
        high = str(int(low) * 2)
    return [
        f"contract-{i}", f"supply of {rng.choice(WORDS)} goods", str(rng.randrange(1, 9)), low, high, qualifier,
        currency, _day(i % 10000)[:7], rng.choice(CITIES), rng.choice(codes), rng.choice(events),
        rng.choice(["", *people[:20]]), rng.choice(sources),
    ]  # fmt: skip


def _exchange_rates(count: int, banks: list[str], money: list[str], sources: list[str], rng: random.Random):
    """Daily official rates: a run of days per (issuer, currency) series; and each series' rates by day."""
    quotes = {bank: money[i % len(money)] for i, bank in enumerate(banks)}
    pairs = [(bank, base) for bank in banks for base in money if base != quotes[bank]]
    rng.shuffle(pairs)
    days = -(-count // len(pairs))
    records = [_header("exchange_rates")]
    series: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
    for bank, base in pairs:
        quote = quotes[bank]
        level = rng.uniform(0.01, 500)
        units = "100" if level < 1 else "1"
        first = rng.randrange(0, 8000)
        for day in range(first, first + days):
            if len(records) > count:
                break
            level *= 1 + rng.uniform(-0.004, 0.004)
            rate = f"{level * (100 if units == '100' else 1):.4f}"
            on = _day(day)
            records.append([f"{bank}-{base.lower()}-{on}", bank, base, quote, units, rate, on, on, rng.choice(sources)])
            series.setdefault((bank, base, quote), []).append((day, f"{float(rate) / int(units)!r}"))
    return records, series


def _figures(count: int, conversions: int, series, codes, sources, rng: random.Random):
    """Figures (some of money in a currency with official rates) and conversions that agree with those rates."""
    from decimal import Decimal

    keys = sorted(series)
    figures, converted = [_header("figures")], [_header("currency_conversions")]
    for i in range(count):
        bank, base, quote = keys[i % len(keys)]
        measure = rng.choice(["trade_turnover", "exports", "imports", "investment", "trade_target"])
        country, partner = rng.sample(codes, 2)
        year = str(1996 + i % 28)
        low = str(rng.randrange(1, 100_000) * 1000)
        figures.append(
            [f"figure-{i}", measure, country, partner, year, year, low, "", "exact", base, "", "false",
             "", "", "", "", "", rng.choice(sources)]
        )  # fmt: skip
        if len(converted) <= conversions:
            day, price = rng.choice(series[(bank, base, quote)])
            exact = Decimal(low) * Decimal(price)
            shown = format(Decimal(f"{exact:.3g}").normalize(), "f")
            converted.append(
                [f"conversion-{i}", f"figure-{i}", "value", low, base, shown, quote, "3", "true", _day(day),
                 rng.choice(sources)]
            )  # fmt: skip
    return figures, converted


def inject(tables: dict[str, list[list[str]]], count: int, rng: random.Random) -> list[dict]:
    """Inject ``count`` errors, cycling through :data:`ERROR_KINDS`, each on a row of its own."""
    used: set[tuple[str, int]] = set()
    injected = []
    for k in range(count):
        table, field, rule = ERROR_KINDS[k % len(ERROR_KINDS)]
        records = tables[table]
        header = records[0]
        while True:
            row = rng.randrange(2, len(records))
            if (table, row) in used or (table, row - 1) in used or (table, row + 1) in used:
                continue
            if field == "valid_from" and records[row][1:4] != records[row - 1][1:4]:
                continue
            break
        used.add((table, row))
        record = records[row]
        column = header.index(field) if field else None
        value = {
            "type-error": "1,7",
            "constraint-required": "",
            "constraint-pattern": "EN",
            "constraint-enum": "party",
            "constraint-minimum": "0",
            "constraint-length": f"{'c' * 81}-{k}",
        }.get(rule)
        if value is not None:
            record[column] = value
        elif rule == "unique-error" or rule == "primary-key":
            record[column] = records[row - 1][column]
            if field == "valid_from":
                record[column + 1] = records[row - 1][column + 1]
        elif rule == "foreign-key":
            record[column] = "no-such-source"
        elif rule == "blank-row":
            records[row] = [""] * len(header)
        elif rule == "extra-cell":
            record.append("surplus")
        elif rule == "missing-cell":
            record.pop()
        injected.append({"table": table, "line": row + 1, "field": field, "rule": rule})
    return injected


if __name__ == "__main__":
    sys.exit(main())
