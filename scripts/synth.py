"""Write a synthetic copy of the package: the real schemas, N rows, optionally K injected errors.

The rows are spread over the tables in realistic proportions (daily official
exchange rates are most of them), foreign keys are consistent, and the rows
keep the semantic rules too (parties include a body's countries,
periods run forwards, conversions agree with the official rates). The
reference tables (:data:`REFERENCE`) are copied from the real package. Rows
are written by field name and laid out in each schema's field order, so the
tables follow the schemas.

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

#: Reference tables, copied from the real package: what the generated rows may name.
REFERENCE = ("countries", "currencies", "units", "measures", "body_kinds")

#: Share of the generated rows per table; exchange rates take the rest.
PROPORTIONS = {
    "sources": 0.02,
    "organisations": 0.005,
    "people": 0.01,
    "person_roles": 0.015,
    "bodies": 0.0005,
    "body_names": 0.0005,
    "sessions": 0.005,
    "session_participants": 0.005,
    "events": 0.02,
    "event_participants": 0.03,
    "agreements": 0.015,
    "agreement_parties": 0.03,
    "contracts": 0.02,
    "projects": 0.01,
    "status_observations": 0.01,
    "figures": 0.05,
    "currency_conversions": 0.01,
    "corroborations": 0.005,
}

#: Each injected kind: (table, field, rule reported).
ERROR_KINDS = [
    ("exchange_rates", "rate", "type-error"),
    ("exchange_rates", "rate_type", "constraint-required"),
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


def _table(name: str, rows: list[dict[str, str]]) -> list[list[str]]:
    """The records of ``name`` (header first), in its schema's field order; a field a row leaves out is blank.

    Rows are written by field name, so a field added to a schema, or moved, needs no change here.
    """
    header = _header(name)
    return [header] + [[row.get(field, "") for field in header] for row in rows]


def _day(offset: int) -> str:
    return (START + timedelta(days=offset)).isoformat()


def generate(total: int, rng: random.Random) -> dict[str, list[list[str]]]:
    """Every table as records (header first), ``total`` rows in all."""
    reference = {name: _real(name) for name in REFERENCE}
    countries, currencies = reference["countries"], reference["currencies"]
    fixed = sum(len(rows) - 1 for rows in reference.values())
    budget = max(total - fixed, 0)
    n = {name: max(int(budget * share), 2) for name, share in PROPORTIONS.items()}
    n["agreement_parties"] = 2 * n["agreements"]
    n["exchange_rates"] = max(total - fixed - sum(n.values()), 10)
    codes = [row[0] for row in countries[1:]]
    money = [row[0] for row in currencies[1:] if row[0] not in ("XXX", "XTS")]
    kinds = [row[0] for row in reference["body_kinds"][1:]]
    t: dict[str, list[list[str]]] = dict(reference)

    sources = [f"src-{i}" for i in range(n["sources"])]
    t["sources"] = _table("sources", [
        dict(source_id=s, publisher=rng.choice(["Trend", "Azernews", "The Astana Times"]), outlet_kind="news_site",
             title=f"Report {i}, on {rng.choice(WORDS)}", url=f"https://example.org/{s}",
             published_on=_day(11000 + i % 300), published_on_basis="page", language_code="en")
        for i, s in enumerate(sources)
    ])  # fmt: skip
    organisations = [f"org-{i}" for i in range(n["organisations"])]
    banks = organisations[: max(2, min(20, len(organisations) // 4))]
    t["organisations"] = _table("organisations", [
        dict(organisation_id=o, name=f"Organisation {i}, {rng.choice(WORDS)}",
             kind="central_bank" if o in banks else "ministry", country_code=rng.choice(codes),
             source_id=rng.choice(sources))
        for i, o in enumerate(organisations)
    ])  # fmt: skip
    people = [f"person-{i}" for i in range(n["people"])]
    t["people"] = _table("people", [
        dict(person_id=p, full_name=f"Person {i}", country_code=rng.choice(codes), source_id=rng.choice(sources))
        for i, p in enumerate(people)
    ])  # fmt: skip
    t["person_roles"] = _table("person_roles", [
        dict(role_id=f"role-{i}", person_id=rng.choice(people), role_title="Minister",
             organisation_id=rng.choice(["", *organisations[:50]]), held_on=_day(i % 10000),
             source_id=rng.choice(sources))
        for i in range(n["person_roles"])
    ])  # fmt: skip

    bodies = [(f"igc-{i}", *rng.sample(codes, 2)) for i in range(n["bodies"])]
    t["bodies"] = _table("bodies", [
        dict(body_id=c, name=f"Intergovernmental body {i}", kind=rng.choice(kinds), first_country_code=a,
             second_country_code=b, source_id=rng.choice(sources))
        for i, (c, a, b) in enumerate(bodies)
    ])  # fmt: skip
    sessions = []
    per = max(n["sessions"] // len(bodies), 1)
    for c, a, b in bodies:
        for k in range(per):
            sessions.append((f"{c}-{k + 1}", c, k + 1, _day(k * 7 % 10000 + k), a, b))
    t["sessions"] = _table("sessions", [
        dict(session_id=s, body_id=c, ordinal=str(k), status="held", held_on=held, city=rng.choice(CITIES),
             host_country_code=a, source_id=rng.choice(sources))
        for s, c, k, held, a, _ in sessions
    ])  # fmt: skip
    members = {s: (a, b) for s, _, _, _, a, b in sessions}
    chairs = {(s, p) for s, *_ in sessions[: n["session_participants"]] for p in rng.sample(people, 1)}
    t["session_participants"] = _table("session_participants", [
        dict(session_id=s, person_id=p, capacity="co_chair", side_country_code=members[s][0], office="Minister",
             source_id=rng.choice(sources))
        for s, p in sorted(chairs)
    ])  # fmt: skip

    events = [f"event-{i}" for i in range(n["events"])]
    t["events"] = _table("events", [
        dict(event_id=e, kind=rng.choice(["state_visit", "official_visit", "summit", "trade_mission"]),
             title=f"Visit {i}, {rng.choice(WORDS)}", started_on=_day(i % 10000), ended_on=_day(i % 10000 + 2),
             city=rng.choice(CITIES), country_code=rng.choice(codes),
             session_id=rng.choice(["", sessions[i % len(sessions)][0]]), source_id=rng.choice(sources))
        for i, e in enumerate(events)
    ])  # fmt: skip
    pairs = {(rng.choice(events), rng.choice(people)) for _ in range(n["event_participants"])}
    t["event_participants"] = _table("event_participants", [
        dict(event_id=e, person_id=p, participation=rng.choice(["visitor", "host", "participant"]),
             source_id=rng.choice(sources))
        for e, p in sorted(pairs)
    ])  # fmt: skip

    agreements, parties = [], []
    for i in range(n["agreements"]):
        a = f"agreement-{i}"
        session = sessions[i % len(sessions)][0] if i % 3 == 0 else ""
        countries_ = members[session] if session else tuple(rng.sample(codes, 2))
        year = 1996 + i % 28
        agreements.append(
            dict(agreement_id=a,
                 title=f"Agreement on {rng.choice(WORDS)}, {rng.choice(WORDS)} and {rng.choice(WORDS)}",
                 kind=rng.choice(["treaty", "agreement", "programme", "memorandum"]),
                 signed_on=f"{year}-{1 + i % 12:02d}",
                 signed_city=rng.choice(CITIES), signed_country_code=rng.choice(codes), valid_from=str(year),
                 valid_until=str(year + 4), session_id=session, event_id=rng.choice(["", *events[:100]]),
                 source_id=rng.choice(sources))
        )  # fmt: skip
        parties += [
            dict(agreement_id=a, party_number=str(k + 1), country_code=country, source_id=rng.choice(sources))
            for k, country in enumerate(countries_)
        ]
    t["agreements"], t["agreement_parties"] = _table("agreements", agreements), _table("agreement_parties", parties)

    t["contracts"] = _table(
        "contracts", [_contract(i, rng, money, codes, events, people, sources) for i in range(n["contracts"])]
    )
    t["projects"] = _table("projects", [
        dict(project_id=f"project-{i}", name=f"Project {i}", kind=rng.choice(["transport_route", "joint_venture",
             "initiative"]), parent_project_id=f"project-{rng.randrange(i)}" if i and i % 4 == 0 else "",
             proposed_by_person_id=rng.choice(["", *people[:50]]), source_id=rng.choice(sources))
        for i in range(n["projects"])
    ])  # fmt: skip
    t["status_observations"] = _table("status_observations", [
        dict(table_name="projects", record_id=f"project-{i}", status=rng.choice(["proposed", "agreed", "operating"]),
             observed_on=_day(i % 10000), source_id=rng.choice(sources))
        for i in range(min(n["status_observations"], n["projects"]))
    ])  # fmt: skip
    t["body_names"] = _table("body_names", [
        dict(body_id=c, name=f"Commission {i} on {rng.choice(WORDS)}", source_id=rng.choice(sources))
        for i, (c, _, _) in enumerate(bodies[: n["body_names"]])
    ])  # fmt: skip

    rates, series = _exchange_rates(n["exchange_rates"], banks, money, sources, rng)
    t["exchange_rates"] = rates
    figures, conversions = _figures(n["figures"], n["currency_conversions"], series, reference["measures"], codes,
                                    sources, rng)  # fmt: skip
    t["figures"], t["currency_conversions"] = figures, conversions
    corroborations = []
    for i in range(n["corroborations"]):
        table = rng.choice(["events", "figures", "exchange_rates"])
        header, *rows = t[table]
        record = dict(zip(header, rows[i % len(rows)], strict=True))
        other = sources[(sources.index(record["source_id"]) + 1) % len(sources)]
        corroborations.append(
            dict(table_name=table, record_id=rows[i % len(rows)][0], source_id=other, detail="reports it too")
        )
    t["corroborations"] = _table("corroborations", corroborations)
    return t


def _contract(i: int, rng: random.Random, money, codes, events, people, sources) -> dict[str, str]:
    qualifier = rng.choice(["exact", "approximate", "lower_bound", "range", "not_stated"])
    low = high = currency = ""
    if qualifier != "not_stated":
        low = str(rng.randrange(1, 10_000) * 1000)
        currency = rng.choice(money)
    if qualifier == "range":
        high = str(int(low) * 2)
    return dict(
        contract_id=f"contract-{i}", subject=f"supply of {rng.choice(WORDS)} goods",
        contract_count=str(rng.randrange(1, 9)), value_low=low, value_high=high, value_qualifier=qualifier,
        currency_code=currency, signed_on=_day(i % 10000)[:7], signed_city=rng.choice(CITIES),
        signed_country_code=rng.choice(codes), event_id=rng.choice(events),
        stated_by_person_id=rng.choice(["", *people[:20]]), source_id=rng.choice(sources),
    )  # fmt: skip


def _exchange_rates(count: int, banks: list[str], money: list[str], sources: list[str], rng: random.Random):
    """Daily official rates: a run of days per (issuer, currency) series; and each series' rates by day."""
    quotes = {bank: money[i % len(money)] for i, bank in enumerate(banks)}
    pairs = [(bank, base) for bank in banks for base in money if base != quotes[bank]]
    rng.shuffle(pairs)
    days = -(-count // len(pairs))
    rows: list[dict[str, str]] = []
    series: dict[tuple[str, str, str], list[tuple[int, str]]] = {}
    for bank, base in pairs:
        quote = quotes[bank]
        level = rng.uniform(0.01, 500)
        units = "100" if level < 1 else "1"
        first = rng.randrange(0, 8000)
        for day in range(first, first + days):
            if len(rows) >= count:
                break
            level *= 1 + rng.uniform(-0.004, 0.004)
            rate = f"{level * (100 if units == '100' else 1):.4f}"
            on = _day(day)
            rows.append(
                dict(rate_id=f"{bank}-{base.lower()}-{on}", issuer_organisation_id=bank, rate_type="official",
                     base_currency_code=base, quote_currency_code=quote, units=units, rate=rate, valid_from=on,
                     valid_until=on, source_id=rng.choice(sources))
            )  # fmt: skip
            series.setdefault((bank, base, quote), []).append((day, f"{float(rate) / int(units)!r}"))
    return _table("exchange_rates", rows), series


def _figures(count: int, conversions: int, series, measures: list[list[str]], codes, sources, rng: random.Random):
    """Figures of money between two countries (in a currency with official rates), and conversions that agree
    with those rates. The measures are those of the package's ``measures`` table that fit."""
    from decimal import Decimal

    header, *rows = measures
    fit = [
        m["measure_id"]
        for m in (dict(zip(header, row, strict=True)) for row in rows)
        if m["unit_kind"] == "money" and m["subject"] in ("country_pair", "any") and m["kind"] != "running_total"
    ]
    keys = sorted(series)
    figures, converted = [], []
    for i in range(count):
        bank, base, quote = keys[i % len(keys)]
        country, partner = rng.sample(codes, 2)
        year = str(1996 + i % 28)
        low = str(rng.randrange(1, 100_000) * 1000)
        figures.append(
            dict(figure_id=f"figure-{i}", measure=rng.choice(fit), country_code=country, partner_country_code=partner,
                 period_start=year, period_end=year, value_low=low, value_qualifier="exact", currency_code=base,
                 is_record="false", source_id=rng.choice(sources))
        )  # fmt: skip
        if len(converted) < conversions:
            day, price = rng.choice(series[(bank, base, quote)])
            exact = Decimal(low) * Decimal(price)
            shown = format(Decimal(f"{exact:.3g}").normalize(), "f")
            converted.append(
                dict(conversion_id=f"conversion-{i}", figure_id=f"figure-{i}", converted_bound="value",
                     from_amount=low, from_currency_code=base, to_amount=shown, to_currency_code=quote,
                     to_amount_significant_digits="3", is_approximate="true", applies_on=_day(day),
                     source_id=rng.choice(sources))
            )  # fmt: skip
    return _table("figures", figures), _table("currency_conversions", converted)


def _series(records: list[list[str]], row: int) -> list[str]:
    """The issuer and currencies of an exchange rate record: the uniqueKey it shares with its series."""
    header = records[0]
    return [records[row][header.index(name)] for name in ("issuer_organisation_id", "base_currency_code",
                                                            "quote_currency_code")]  # fmt: skip


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
            if field == "valid_from" and _series(records, row) != _series(records, row - 1):
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
            if field == "valid_from":  # the rest of the unique key: the same series, period end and source
                for name in ("valid_until", "source_id"):
                    record[header.index(name)] = records[row - 1][header.index(name)]
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
