"""The semantic rules: each one fails on a small edit of the real package and passes on a near miss.

``FAILING`` holds, for every rule in :data:`intergov.rules.RULES`, at least one
edit that breaks it, with the finding it must give. ``PASSING`` holds, for
every rule, an edit that comes close and is valid; all of them are applied to
one copy, which must validate with no finding at all, even when strict. The
meta-tests fail when a rule has no case in either table.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from conftest import FIXTURE_PACKAGE, ROOT, append_row, copy_package, csv_path, read_rows, set_cell, write_rows
from intergov import schema as ts
from intergov.findings import ERROR, WARNING, Finding, exit_code
from intergov.rules import RULES, conversions, dates, provenance, values
from intergov.validate import Result, validate

Edit = Callable[[Path], object]
SEVERITY = {rule.id: rule.severity for rule in RULES}


class Failing(NamedTuple):
    """An edit that breaks ``rule``, where the finding must point, and what its message must say."""

    rule: str
    edit: Edit
    table: str
    line: int
    field: str
    says: str = ""


class Passing(NamedTuple):
    """An edit that comes close to breaking ``rule`` and does not."""

    rule: str
    edit: Edit


def cell(table: str, key: str, field: str, value: str) -> Edit:
    """An edit setting one cell (the row whose first cell is ``key``)."""
    return lambda descriptor: set_cell(descriptor, table, key, field, value)


def cells(*edits: Edit) -> Edit:
    """Several edits, in order."""

    def apply(descriptor: Path) -> None:
        for edit in edits:
            edit(descriptor)

    return apply


def row(table: str, **values: str) -> Edit:
    """An edit appending a row."""
    return lambda descriptor: append_row(descriptor, table, values)


def replace_party(agreement_id: str, party_number: str, country_code: str | None) -> Edit:
    """Change the country of one party of an agreement (``None``: remove the party)."""

    def apply(descriptor: Path) -> None:
        rows = read_rows(descriptor, "agreement_parties")
        kept = [rows[0]]
        for r in rows[1:]:
            if r[:2] == [agreement_id, party_number]:
                if country_code is None:
                    continue
                r[2] = country_code
            kept.append(r)
        write_rows(descriptor, "agreement_parties", kept)

    return apply


def with_conflicts(*rows: dict[str, str]) -> Edit:
    """An edit adding the ``conflicts`` table (which the fixture package leaves out) with ``rows``."""

    def apply(descriptor: Path) -> None:
        data = json.loads(descriptor.read_text(encoding="utf-8"))
        data["resources"].append(
            {"name": "conflicts", "path": "data/conflicts.csv", "schema": "schemas/conflicts.json"}
        )
        descriptor.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        header = ["table_name", "record_id", "other_table_name", "other_record_id", "about"]
        write_rows(descriptor, "conflicts", [header, *([r.get(h, "") for h in header] for r in rows)])

    return apply


JOINT = "joint-statement-2023-04-10"
PROGRAMME = "comprehensive-programme-2022-2026"
TREATY = "treaty-strategic-partnership-allied-relations-2005"
TRADE_RANGE = "trade-volume-trend-2023-04-07"
EXPORTS = "exports-2022-astana-times-2023-04-11"
AZN_CONVERSION = "trend-2023-04-07-trade-usd"
SESSION_19 = dict(body_id="aze-kaz-igc", status="held", city="Astana", host_country_code="KAZ")
COUNCIL = "aze-kaz-supreme-interstate-council"
OIL = dict(
    figure_id="oil-transit-2023-reportaz-2025-10-14",
    measure="oil_transit",
    country_code="KAZ",
    partner_country_code="AZE",
    period_start="2023",
    period_end="2023",
    value_qualifier="exact",
    value_low="1500000",
    unit_code="TNE",
    per_period="year",
    source_id="reportaz-2025-10-14",
)
TRADE = dict(
    measure="trade_turnover",
    country_code="AZE",
    partner_country_code="KAZ",
    currency_code="USD",
    value_qualifier="exact",
    source_id="reportaz-2025-10-14",
)

FAILING = {
    "number-precision": Failing(
        "number-precision",
        cell("exchange_rates", "cbar-usd-2018", "rate", "1.7000000001"),
        "exchange_rates",
        2,
        "rate",
        "10 decimal places",
    ),
    "number-form-underscores": Failing(
        "number-form",
        cell("figures", "cost-caspian-fibre-optic-line-astana-times-2023-04-11", "value_low", "22_800_000_000"),
        "figures",
        2,
        "value_low",
        "without underscores or spaces",
    ),
    "number-form-integer": Failing(
        "number-form",
        cell("currency_conversions", AZN_CONVERSION, "to_amount_significant_digits", "0_3"),
        "currency_conversions",
        3,
        "to_amount_significant_digits",
        "without underscores or spaces",
    ),
    "number-finite": Failing(
        "number-finite", cell("exchange_rates", "cbar-usd-2018", "rate", "INF"), "exchange_rates", 2, "rate", "finite"
    ),
    "integer-range": Failing(
        "integer-range",
        cell("exchange_rates", "cbar-usd-2018", "units", "9223372036854775808"),
        "exchange_rates",
        2,
        "units",
        "Parquet integers are 64-bit",
    ),
    "date-real-feb-30": Failing(
        "date-real", cell("agreements", JOINT, "signed_on", "2023-02-30"), "agreements", 4, "signed_on"
    ),
    "date-real-partial-period": Failing(
        "date-real", cell("figures", EXPORTS, "period_end", "2022-02-29"), "figures", 4, "period_end"
    ),
    "date-order": Failing(
        "date-order", cell("agreements", PROGRAMME, "valid_until", "2021"), "agreements", 2, "valid_until"
    ),
    "date-order-partial": Failing(
        "date-order",
        cells(cell("figures", EXPORTS, "period_start", "2022-06"), cell("figures", EXPORTS, "period_end", "2022-05")),
        "figures",
        4,
        "period_end",
    ),
    "date-reported": Failing(
        "date-reported", cell("agreements", JOINT, "signed_on", "2023-04-12"), "agreements", 4, "signed_on"
    ),
    "session-order": Failing(
        "session-order",
        row(
            "sessions",
            session_id="aze-kaz-igc-18",
            ordinal="18",
            held_on="2023-05",
            source_id="astana-times-2023-06-22",
            **SESSION_19,
        ),
        "sessions",
        2,
        "held_on",
        "before session 18 on line 3",
    ),
    "value-range": Failing(
        "value-range", cell("figures", TRADE_RANGE, "value_low", "600000000"), "figures", 17, "value_high"
    ),
    "value-qualifier-range": Failing(
        "value-qualifier", cell("figures", TRADE_RANGE, "value_high", ""), "figures", 17, "value_high"
    ),
    "value-qualifier-not-stated": Failing(
        "value-qualifier",
        cell("contracts", "trade-mission-baku-2023-04-contracts", "value_qualifier", "not_stated"),
        "contracts",
        7,
        "value_qualifier",
    ),
    "value-currency-missing": Failing(
        "value-currency", cell("figures", EXPORTS, "currency_code", ""), "figures", 4, "currency_code"
    ),
    "value-currency-count": Failing(
        "value-currency",
        cell("figures", "documents-signed-tokayev-baku-2022-08-today-az-2022-10-26", "currency_code", "USD"),
        "figures",
        3,
        "currency_code",
    ),
    "value-currency-not-money": Failing(
        "value-currency", row("figures", **{**OIL, "currency_code": "USD"}), "figures", 18, "currency_code", "not money"
    ),
    "value-unit-kind": Failing(
        "value-unit", row("figures", **{**OIL, "unit_code": "P1"}), "figures", 18, "unit_code", "of kind mass"
    ),
    "value-unit-missing": Failing(
        "value-unit", row("figures", **{**OIL, "unit_code": ""}), "figures", 18, "unit_code", "give the unit"
    ),
    "value-unit-money": Failing("value-unit", cell("figures", EXPORTS, "unit_code", "C62"), "figures", 4, "unit_code"),
    "figure-subject-as-of": Failing(
        "figure-subject", cell("figures", EXPORTS, "as_of", "2022-12-31"), "figures", 4, "as_of", "running totals"
    ),
    "change-basis-missing": Failing(
        "change-basis", cell("figures", EXPORTS, "change_ratio", "4.2"), "figures", 4, "change_basis"
    ),
    "change-basis-twice": Failing(
        "change-basis",
        cells(
            cell("figures", EXPORTS, "change_ratio", "4.2"),
            cell("figures", EXPORTS, "change_percent", "320"),
            cell("figures", EXPORTS, "change_basis", "year_on_year"),
        ),
        "figures",
        4,
        "change_ratio",
        "given twice",
    ),
    "change-basis-since": Failing(
        "change-basis",
        cells(cell("figures", EXPORTS, "change_ratio", "5"), cell("figures", EXPORTS, "change_basis", "since")),
        "figures",
        4,
        "change_since",
    ),
    "source-locator": Failing("source-locator", cell("sources", "trend-2023-04-07", "url", ""), "sources", 10, "url"),
    "source-locator-basis": Failing(
        "source-locator",
        cell("sources", "trend-2023-04-07", "published_on_basis", ""),
        "sources",
        10,
        "published_on_basis",
    ),
    "record-exists": Failing(
        "record-exists",
        cell("status_observations", "bodies", "record_id", "no-such-body"),
        "status_observations",
        2,
        "record_id",
    ),
    "claims-dispute": Failing(
        "claims-dispute",
        row(
            "sessions",
            session_id="aze-kaz-igc-19-trend",
            ordinal="19",
            held_on="2023-04-07",
            disputes_session_id="aze-kaz-igc-19",
            source_id="reportaz-2025-10-14",
            **{**SESSION_19, "city": "Baku", "host_country_code": "AZE"},
        ),
        "sessions",
        3,
        "disputes_session_id",
        "corroborations instead",
    ),
    "claims-conflict-sessions": Failing(
        "claims-conflict",
        row(
            "sessions",
            session_id="aze-kaz-igc-19-astana",
            ordinal="19",
            held_on="2023-04-07",
            disputes_session_id="aze-kaz-igc-19",
            source_id="reportaz-2025-10-14",
            **SESSION_19,
        ),
        "sessions",
        2,
        "session_id",
        "city Baku, host_country_code AZE (trend-2023-04-07, line 2); ordinal 19, status held, held_on 2023-04-07, "
        "city Astana, host_country_code KAZ (reportaz-2025-10-14, line 3)",
    ),
    "claims-conflict-rates": Failing(
        "claims-conflict",
        row(
            "exchange_rates",
            rate_id="cbar-usd-2018-nbk",
            issuer_organisation_id="cbar",
            rate_type="official",
            base_currency_code="USD",
            quote_currency_code="AZN",
            units="1",
            rate="1.5594",
            valid_from="2018",
            source_id="nationalbank-kz-rates",
        ),
        "exchange_rates",
        2,
        "rate",
        "the official USD/AZN rate of cbar for 2018: 1.7 AZN per 1 USD (cbar-currencies, line 2); 1.5594 AZN per 1 USD "
        "(nationalbank-kz-rates, line 3)",
    ),
    "conversion-no-rate-undated": Failing(
        "conversion-no-rate",
        cell("currency_conversions", AZN_CONVERSION, "applies_on", ""),
        "currency_conversions",
        3,
        "applies_on",
        "no full date",
    ),
    "claims-dispute-figures": Failing(
        "claims-dispute",
        row(
            "figures",
            figure_id="exports-2021-disputing",
            disputes_figure_id=EXPORTS,
            **{**TRADE, "measure": "imports", "period_start": "2021", "period_end": "2021", "value_low": "375300000"},
        ),
        "figures",
        18,
        "disputes_figure_id",
        "measures exports, not imports",
    ),
    "claims-conflict-disputed-figure": Failing(
        "claims-conflict",
        row(
            "figures",
            figure_id="exports-2021-disputing",
            disputes_figure_id=EXPORTS,
            **{
                **TRADE,
                "measure": "exports",
                "country_code": "KAZ",
                "partner_country_code": "AZE",
                "period_start": "2021",
                "period_end": "2021",
                "value_low": "375300000",
            },
        ),
        "figures",
        4,
        "value_low",
        "sources disagree on exports-2022-astana-times-2023-04-11: 375300000 USD for 2022 (astana-times-2023-04-11, "
        "line 4); 375300000 USD for 2021 (reportaz-2025-10-14, line 18)",
    ),
    "claims-conflict-listed": Failing(
        "claims-conflict",
        with_conflicts(
            dict(
                table_name="agreements",
                record_id=JOINT,
                other_table_name="agreements",
                other_record_id=PROGRAMME,
                about="which was signed first",
            )
        ),
        "conflicts",
        2,
        "about",
        f"sources disagree on which was signed first: agreements {JOINT} (astana-times-2023-04-11); agreements "
        f"{PROGRAMME} (trend-2023-04-07)",
    ),
    "record-exists-conflict": Failing(
        "record-exists",
        with_conflicts(
            dict(
                table_name="agreements",
                record_id=JOINT,
                other_table_name="agreements",
                other_record_id="no-such-agreement",
                about="which was signed first",
            )
        ),
        "conflicts",
        2,
        "other_record_id",
        "no record 'no-such-agreement' in agreements",
    ),
    "claims-conflict-figures": Failing(
        "claims-conflict",
        cells(  # without its change, which would also imply a 2021 value
            cell("figures", "trade-2022-astana-times-2023-06-22", "value_low", "420000000"),
            cell("figures", "trade-2022-astana-times-2023-06-22", "change_percent", ""),
            cell("figures", "trade-2022-astana-times-2023-06-22", "change_basis", ""),
        ),
        "figures",
        11,
        "value_low",
        "sources disagree on trade_turnover AZE-KAZ 2022: 461900000 USD (astana-times-2023-04-11, line 11); "
        "420000000 USD (astana-times-2023-06-22, line 12)",
    ),
    "claims-conflict-implied": Failing(
        "claims-conflict",
        cells(
            row(
                "figures",
                figure_id="trade-2023-x",
                period_start="2023",
                period_end="2023",
                value_low="529400000",
                **TRADE,
            ),
            row(
                "figures",
                figure_id="trade-2024-x",
                period_start="2024",
                period_end="2024",
                value_low="470000000",
                change_percent="50",
                change_basis="year_on_year",
                **TRADE,
            ),
        ),
        "figures",
        18,
        "value_low",
        "529400000 USD (reportaz-2025-10-14, line 18); 313333333 USD implied by +50% on 470000000 USD for 2024 "
        "(reportaz-2025-10-14, line 19)",
    ),
    "figure-subject-partner": Failing(
        "figure-subject", cell("figures", EXPORTS, "partner_country_code", ""), "figures", 4, "partner_country_code"
    ),
    "figure-subject-same-country": Failing(
        "figure-subject", cell("figures", EXPORTS, "partner_country_code", "KAZ"), "figures", 4, "partner_country_code"
    ),
    "figure-subject-project": Failing(
        "figure-subject",
        cell("figures", "cost-caspian-fibre-optic-line-astana-times-2023-04-11", "project_id", ""),
        "figures",
        2,
        "project_id",
    ),
    "agreement-parties": Failing("agreement-parties", replace_party(JOINT, "2", None), "agreements", 4, "agreement_id"),
    "agreement-parties-commission": Failing(
        "agreement-parties-commission",
        cells(cell("agreements", JOINT, "session_id", "aze-kaz-igc-19"), replace_party(JOINT, "2", "TUR")),
        "agreements",
        4,
        "session_id",
        "KAZ is not among its parties",
    ),
    "conversion-rate": Failing(
        "conversion-rate",
        cell("currency_conversions", AZN_CONVERSION, "to_amount", "300000000"),
        "currency_conversions",
        3,
        "to_amount",
        "at the official rate (cbar-usd-2018) 500,000,000.00 AZN is 294,117,647.06 USD",
    ),
    "conversion-doubt": Failing(
        "conversion-doubt",
        cells(
            cell("currency_conversions", AZN_CONVERSION, "to_amount", "300000000"),
            cell("currency_conversions", AZN_CONVERSION, "is_source_inconsistent", "true"),
        ),
        "currency_conversions",
        3,
        "to_amount",
        "the source's own conversion is off",
    ),
    "conversion-rate-noted-but-agrees": Failing(
        "conversion-rate",
        cell("currency_conversions", AZN_CONVERSION, "is_source_inconsistent", "true"),
        "currency_conversions",
        3,
        "is_source_inconsistent",
        "marked inconsistent, but it agrees",
    ),
    "conversion-no-rate": Failing(
        "conversion-no-rate",
        cell("currency_conversions", AZN_CONVERSION, "applies_on", "2017-12-31"),
        "currency_conversions",
        3,
        "to_amount",
    ),
    "conversion-figure-bound": Failing(
        "conversion-figure",
        cell("currency_conversions", AZN_CONVERSION, "converted_bound", "value"),
        "currency_conversions",
        3,
        "converted_bound",
    ),
    "conversion-figure-amount": Failing(
        "conversion-figure",
        cell("currency_conversions", AZN_CONVERSION, "from_amount", "400000000"),
        "currency_conversions",
        3,
        "from_amount",
        "from_amount 400000000 is not the figure's value_high (500000000);",
    ),
    "conversion-figure-amount-as-written": Failing(
        "conversion-figure",
        cells(
            cell("figures", "cost-caspian-fibre-optic-line-astana-times-2023-04-11", "value_low", "2.28e10"),
            cell("currency_conversions", "astana-times-2023-04-11-fibre-cost-usd", "from_amount", "22800000001"),
        ),
        "currency_conversions",
        2,
        "from_amount",
        "from_amount 22800000001 is not the figure's value_low (2.28e10);",
    ),
    "conversion-figure-currency": Failing(
        "conversion-figure",
        cell("currency_conversions", AZN_CONVERSION, "from_currency_code", "USD"),
        "currency_conversions",
        3,
        "from_currency_code",
    ),
    "corroboration-record": Failing(
        "corroboration-record",
        cell("corroborations", "agreements", "record_id", "no-such-agreement"),
        "corroborations",
        2,
        "record_id",
    ),
    "corroboration-source": Failing(
        "corroboration-source",
        cell("corroborations", "agreements", "source_id", "trend-2023-04-07"),
        "corroborations",
        2,
        "source_id",
    ),
    "formula-injection": Failing(
        "formula-injection",
        cell("agreements", PROGRAMME, "title", '=HYPERLINK("http://x")'),
        "agreements",
        2,
        "title",
    ),
    "invisible-character": Failing(
        "invisible-character", cell("agreements", JOINT, "title", "Joint\u200bstatement"), "agreements", 4, "title"
    ),
}

PASSING = [
    Passing("number-precision", cell("exchange_rates", "cbar-usd-2018", "rate", "1.700000000")),
    Passing(
        "number-form", cell("figures", "cost-caspian-fibre-optic-line-astana-times-2023-04-11", "value_low", "2.28e10")
    ),
    Passing("number-form", cell("currency_conversions", AZN_CONVERSION, "to_amount_significant_digits", "+3")),
    # an integer of 22 digits whose value fits int64; a number written with an exponent, as 'INF' is not
    Passing("integer-range", cell("contracts", "business-mission-baku-2022-06-salt", "contract_count", "0" * 21 + "1")),
    Passing(
        "number-finite",
        row(
            "exchange_rates",
            rate_id="cbar-eur-2018",
            issuer_organisation_id="cbar",
            base_currency_code="EUR",
            quote_currency_code="AZN",
            units="1",
            rate="1.9E0",
            valid_from="2018",
            rate_type="official",
            source_id="cbar-currencies",
        ),
    ),
    Passing("date-real", cell("agreements", TREATY, "signed_on", "2004-02-29")),
    Passing("date-order", cell("agreements", PROGRAMME, "valid_until", "2022-08")),
    Passing("date-reported", cell("agreements", JOINT, "signed_on", "2023-04-11")),
    Passing(
        "date-reported",
        cells(
            cell("figures", "trade-target-astana-times-2023-06-22", "period_start", "2025"),
            cell("figures", "trade-target-astana-times-2023-06-22", "period_end", "2025"),
        ),
    ),
    Passing(
        "session-order",
        row(
            "sessions",
            session_id="aze-kaz-igc-18",
            ordinal="18",
            held_on="2022",
            source_id="trend-2023-04-07",
            **SESSION_19,
        ),
    ),
    Passing(
        "value-range",
        cells(
            *(
                cell("contracts", "business-mission-baku-2022-06-paint-products", name, value)
                for name, value in [
                    ("value_low", "1000"),
                    ("value_high", "1000"),
                    ("value_qualifier", "range"),
                    ("currency_code", "USD"),
                ]
            )
        ),
    ),
    Passing(
        "value-qualifier",
        cell("contracts", "trade-mission-baku-2023-04-contracts", "value_qualifier", "approximate"),
    ),
    Passing("value-currency", cell("figures", EXPORTS, "currency_code", "EUR")),
    Passing("value-unit", row("figures", **OIL)),  # tonnes of oil, per year
    Passing(
        "value-unit",
        row(
            "figures",
            figure_id="legal-framework-reportaz-2025-10-14",
            measure="legal_framework_documents",
            country_code="AZE",
            partner_country_code="KAZ",
            as_of="2025-03-03",
            value_low="165",
            value_qualifier="exact",
            unit_code="C62",
            source_id="reportaz-2025-10-14",
        ),
    ),
    Passing(
        "change-basis",
        row(
            "figures",
            figure_id="trade-2025-h1-reportaz-2025-10-14",
            period_start="2025-01",
            period_end="2025-06",
            value_low="501000000",
            change_ratio="4.2",
            change_basis="year_on_year",
            **TRADE,
        ),
    ),
    Passing(
        "change-basis",
        cells(
            cell("figures", "trade-2021-azernews-2022-06-07", "change_ratio", "5"),
            cell("figures", "trade-2021-azernews-2022-06-07", "change_basis", "since"),
            cell("figures", "trade-2021-azernews-2022-06-07", "change_since", "2020"),
        ),
    ),
    Passing(
        "claims-conflict",
        row(
            "figures",
            figure_id="trade-2025-h1-azertag",
            period_start="2025-01",
            period_end="2025-06",
            value_low="500000000",
            **TRADE,
        ),
    ),
    Passing(
        "source-locator",
        row(
            "sources",
            source_id="apa-321881",
            publisher="APA",
            outlet_kind="news_agency",
            article_number="321881",
            language_code="en",
        ),
    ),
    Passing(
        "source-locator",
        row(
            "sources",
            source_id="metbuat-2024-08",
            publisher="Metbuat.az",
            outlet_kind="news_site",
            url="https://metbuat.az/news/1506489.html",
            published_on="2024-08",
            published_on_basis="page",
            language_code="az",
        ),
    ),
    Passing(
        "record-exists",
        row(
            "status_observations",
            table_name="bodies",
            record_id=COUNCIL,
            status="active",
            observed_on="2024-03-11",
            source_id="reportaz-2025-10-14",
        ),
    ),
    Passing(
        "claims-dispute",
        cells(
            row(  # a council meeting, with its co-chairs
                "sessions",
                session_id="aze-kaz-sic-1",
                body_id=COUNCIL,
                ordinal="1",
                status="held",
                held_on="2024-03-11",
                city="Baku",
                source_id="reportaz-2025-10-14",
            ),
            row(
                "session_participants",
                session_id="aze-kaz-sic-1",
                person_id="ilham-aliyev",
                capacity="co_chair",
                side_country_code="AZE",
                office="President",
                source_id="reportaz-2025-10-14",
            ),
            row(
                "session_participants",
                session_id="aze-kaz-sic-1",
                person_id="kassym-jomart-tokayev",
                capacity="co_chair",
                side_country_code="KAZ",
                office="President",
                source_id="reportaz-2025-10-14",
            ),
            row(  # a planned session with no ordinal, a year ahead of its source
                "sessions",
                session_id="aze-kaz-igc-2026",
                body_id="aze-kaz-igc",
                status="planned",
                held_on="2026",
                host_country_code="KAZ",
                source_id="reportaz-2025-10-14",
            ),
        ),
    ),
    Passing(
        "figure-subject",
        cells(
            cell("figures", "trade-target-astana-times-2023-06-22", "country_code", ""),
            cell("figures", "trade-target-astana-times-2023-06-22", "partner_country_code", ""),
        ),
    ),
    Passing(
        "agreement-parties",
        row(
            "agreement_parties",
            agreement_id=TREATY,
            party_number="3",
            country_code="TUR",
            source_id="azernews-2022-08-24",
        ),
    ),
    Passing(  # a source that names no parties: none are recorded
        "agreement-parties",
        row(
            "agreements",
            agreement_id="memoranda-tourism-2023-06-22",
            title="Memoranda on tourism",
            kind="memorandum",
            signed_on="2023-06-22",
            source_id="astana-times-2023-06-22",
        ),
    ),
    Passing("agreement-parties-commission", cell("agreements", JOINT, "session_id", "aze-kaz-igc-19")),
    Passing(  # signed at a session, parties not named by the source
        "agreement-parties-commission",
        row(
            "agreements",
            agreement_id="protocol-igc-19",
            title="Protocol of the 19th session",
            kind="protocol",
            signed_on="2023-04-07",
            date_note="7 April",
            session_id="aze-kaz-igc-19",
            source_id="trend-2023-04-07",
        ),
    ),
    Passing(
        "conversion-figure",
        cells(
            cell("currency_conversions", AZN_CONVERSION, "converted_bound", "low"),
            cell("currency_conversions", AZN_CONVERSION, "from_amount", "400000000"),
            cell("currency_conversions", AZN_CONVERSION, "to_amount", "235000000"),
        ),
    ),
    Passing("conversion-rate", cell("currency_conversions", AZN_CONVERSION, "to_amount", "235400000")),
    Passing("conversion-doubt", cell("currency_conversions", AZN_CONVERSION, "is_source_inconsistent", "false")),
    Passing(  # an auction rate is no official rate: it checks no conversion, and claims nothing against one
        "conversion-rate",
        row(
            "exchange_rates",
            rate_id="cbar-usd-2018-auction",
            issuer_organisation_id="cbar",
            rate_type="auction",
            base_currency_code="USD",
            quote_currency_code="AZN",
            units="1",
            rate="1.9",
            valid_from="2018",
            source_id="cbar-currencies",
        ),
    ),
    Passing(
        "conversion-rate",
        row(
            "exchange_rates",
            # a second official rate, from an issuer sorted before cbar, that disagrees: cbar's still agrees
            rate_id="aaa-usd-azn-2018",
            issuer_organisation_id="aze-ministry-energy",
            base_currency_code="USD",
            quote_currency_code="AZN",
            units="1",
            rate="1.8",
            valid_from="2018",
            rate_type="official",
            source_id="nationalbank-kz-rates",
        ),
    ),
    Passing(
        "conversion-no-rate",
        row(
            "exchange_rates",
            rate_id="cbar-kzt-2018",
            issuer_organisation_id="cbar",
            base_currency_code="KZT",
            quote_currency_code="AZN",
            units="100",
            rate="0.38",
            valid_from="2018",
            rate_type="official",
            source_id="cbar-currencies",
        ),
    ),
    Passing(
        "corroboration-record",
        row(
            "corroborations",
            table_name="figures",
            record_id="trade-2022-astana-times-2023-04-11",
            source_id="astana-times-2023-06-22",
        ),
    ),
    Passing(
        "corroboration-source",
        row("corroborations", table_name="agreements", record_id=JOINT, source_id="trend-2023-04-07"),
    ),
    Passing("formula-injection", cell("contracts", "business-mission-baku-2022-06-rice", "subject", "-5")),
    Passing("invisible-character", cell("people", "ilham-aliyev", "full_name", "Ильхам Алиев")),
]


def test_every_rule_has_a_failing_case() -> None:
    assert {case.rule for case in FAILING.values()} == {rule.id for rule in RULES}


def test_every_rule_has_a_passing_case() -> None:
    assert {case.rule for case in PASSING} == {rule.id for rule in RULES}


def test_rule_ids_are_unique_and_severities_known() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    assert set(SEVERITY.values()) <= {ERROR, WARNING}


def _key(finding: Finding) -> tuple:
    """A finding without its folder, to compare findings across package copies."""
    return (Path(finding.path).name, finding.line, finding.column, finding.rule, finding.message)


@pytest.fixture(scope="module")
def baseline() -> set[tuple]:
    """The findings of the real package, unedited."""
    return {_key(f) for f in validate(FIXTURE_PACKAGE).findings}


@pytest.mark.parametrize("case", list(FAILING.values()), ids=list(FAILING))
def test_failing_case(tmp_path: Path, baseline: set[tuple], case: Failing) -> None:
    descriptor = copy_package(tmp_path)
    case.edit(descriptor)
    result = validate(descriptor)
    new = [f for f in result.findings if _key(f) not in baseline and f.rule == case.rule]
    assert len(new) == 1, [f for f in result.findings if _key(f) not in baseline]
    (f,) = new
    assert Path(f.path).resolve() == csv_path(descriptor, case.table).resolve()
    assert (f.line, f.field, f.severity) == (case.line, case.field, SEVERITY[case.rule])
    assert f.column == read_rows(descriptor, case.table)[0].index(case.field) + 1
    assert f.message and case.says in f.message
    assert f.value == read_rows(descriptor, case.table)[case.line - 1][f.column - 1]
    if f.severity == ERROR:
        assert result.exit_code == 1
    else:
        assert result.exit_code == 0, [f for f in result.findings if f.severity == ERROR]
        assert exit_code(result.findings, strict=True) == 1


@pytest.fixture(scope="module")
def near_misses(tmp_path_factory: pytest.TempPathFactory) -> Result:
    """The real package with every passing edit applied, validated strictly."""
    descriptor = copy_package(tmp_path_factory.mktemp("near-misses"))
    for case in PASSING:
        case.edit(descriptor)
    return validate(descriptor, strict=True)


def test_near_misses_validate_with_no_finding_at_all(near_misses: Result) -> None:
    assert near_misses.findings == []
    assert near_misses.exit_code == 0


@pytest.mark.parametrize("case", PASSING, ids=[f"{case.rule}-{n}" for n, case in enumerate(PASSING)])
def test_passing_case(near_misses: Result, case: Passing) -> None:
    assert [f for f in near_misses.findings if f.rule == case.rule] == []


def test_a_rule_is_silent_on_rows_the_table_schema_layer_reported(tmp_path: Path) -> None:
    descriptor = copy_package(tmp_path)
    set_cell(descriptor, "figures", TRADE_RANGE, "value_qualifier", "bogus")
    result = validate(descriptor)
    assert [f.rule for f in result.findings if f.severity == ERROR] == ["constraint-enum"]


def _schema(table: str) -> dict:
    """The Table Schema of ``table`` under ``schemas/``."""
    return json.loads((ROOT / "schemas" / f"{table}.json").read_text(encoding="utf-8"))


def _enum(table: str, field: str) -> list[str]:
    """The ``enum`` of a field in its Table Schema."""
    (found,) = [f for f in _schema(table)["fields"] if f["name"] == field]
    return found["constraints"]["enum"]


#: Each value a rule compares a field with, and the field: a renamed enum value must fail here, not silence a rule.
ENUM_LITERALS = {
    "measure-kinds": ({"running_total"}, "measures", "kind"),
    "measure-subjects": ({"country_pair", "project"}, "measures", "subject"),
    "session-status": ({dates.HELD}, "sessions", "status"),
    "change-basis": ({"year_on_year", "previous_period", "since", "not_stated"}, "figures", "change_basis"),
    "qualifiers-figures": ({*values.SINGLE_VALUE, values.RANGE, values.NOT_STATED}, "figures", "value_qualifier"),
    "qualifiers-contracts": ({*values.SINGLE_VALUE, values.RANGE, values.NOT_STATED}, "contracts", "value_qualifier"),
    "converted-bound": (set(conversions.BOUND_COLUMNS), "currency_conversions", "converted_bound"),
}


@pytest.mark.parametrize("case", list(ENUM_LITERALS.values()), ids=list(ENUM_LITERALS))
def test_every_value_a_rule_looks_for_is_allowed_by_the_schema(case: tuple[set[str], str, str]) -> None:
    literals, table, field = case
    assert set(literals) <= set(_enum(table, field))


def test_the_qualifiers_the_rules_know_are_all_the_schema_allows() -> None:
    known = {*values.SINGLE_VALUE, values.RANGE, values.NOT_STATED}
    assert set(_enum("figures", "value_qualifier")) == set(_enum("contracts", "value_qualifier")) == known


def test_each_converted_bound_names_a_value_column_of_figures() -> None:
    assert set(conversions.BOUND_COLUMNS.values()) <= set(ts.field_names(_schema("figures")))


def test_every_table_a_corroboration_may_name_can_be_looked_up() -> None:
    """provenance finds a record by its one-field primary key and reads its source_id."""
    for table in _enum("corroborations", "table_name"):
        schema = _schema(table)
        assert len(ts.primary_key(schema)) == 1 and "source_id" in ts.field_names(schema), table


def test_the_rate_check_uses_the_documented_tolerance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One tolerance, doctested in conversions: the check calls it rather than working out its own."""
    descriptor = copy_package(tmp_path)
    FAILING["conversion-rate"].edit(descriptor)
    assert any(f.rule == "conversion-rate" for f in validate(descriptor).findings)
    monkeypatch.setattr(conversions, "tolerance", lambda reported, digits: reported)  # anything within 100 % agrees
    assert not any(f.rule == "conversion-rate" for f in validate(descriptor).findings)


def test_a_check_two_rules_share_runs_once_per_table(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    for module, name in [(conversions, "official_results"), (provenance, "_records")]:
        original = getattr(module, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    result = validate(FIXTURE_PACKAGE)
    assert sorted(calls) == ["_records", "_records", "official_results"]  # corroborations, status_observations
    assert [f.rule for f in result.findings] == ["conversion-no-rate"]


#: Mistakes in the new kinds of record (a council's meeting, a planned session, a co-chair, tonnes, a source
#: with a partial date): each is one finding of the Table Schema layer, at the appended row's line.
MODEL_MISTAKES = {
    "council-meeting-of-no-body": (
        "sessions",
        dict(session_id="sic-1", body_id="no-such-council", ordinal="1", status="held", source_id="trend-2023-04-07"),
        "foreign-key",
        "body_id",
    ),
    "planned-session-misspelt": (
        "sessions",
        dict(session_id="igc-22", body_id="aze-kaz-igc", status="planed", source_id="trend-2023-04-07"),
        "constraint-enum",
        "status",
    ),
    "co-chair-of-no-session": (
        "session_participants",
        dict(session_id="no-such-session", person_id="ilham-aliyev", capacity="co_chair", source_id="trend-2023-04-07"),
        "foreign-key",
        "session_id",
    ),
    "tonnes-in-no-unit": (
        "figures",
        {**OIL, "unit_code": "TNX"},
        "foreign-key",
        "unit_code",
    ),
    "source-month-13": (
        "sources",
        dict(
            source_id="aaa-1",
            publisher="A",
            outlet_kind="news_site",
            url="https://example.org/1",
            published_on="2024-13",
            published_on_basis="page",
            language_code="en",
        ),
        "constraint-pattern",
        "published_on",
    ),
}


@pytest.mark.parametrize("case", list(MODEL_MISTAKES.values()), ids=list(MODEL_MISTAKES))
def test_a_mistake_in_a_new_kind_of_record_is_one_finding_at_its_line(
    tmp_path: Path, baseline: set[tuple], case: tuple[str, dict[str, str], str, str]
) -> None:
    table, values, rule, field = case
    descriptor = copy_package(tmp_path)
    line = append_row(descriptor, table, values)
    new = [f for f in validate(descriptor).findings if _key(f) not in baseline]
    assert [(Path(f.path).name, f.line, f.rule, f.field) for f in new] == [(f"{table}.csv", line, rule, field)]
