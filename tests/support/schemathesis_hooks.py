"""Schemathesis hooks for the contract test (loaded through SCHEMATHESIS_HOOKS).

JSON Schema cannot compare two fields, so the one cross-field rule of the API, "year_from is not
after year_to" (documented on the Filter schema and answered with 422), is kept out of the requests
Schemathesis sends: generated (fuzzing) cases with a reversed range are dropped, and the coverage
phase's, which no filter reaches, get their two years put in order before they are sent. Nothing
else is changed.
"""

from __future__ import annotations

import schemathesis


def _year(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():  # JSON 2078.0 is an integer too (and the API takes it)
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _reversed_years(fields) -> bool:
    if not isinstance(fields, dict):
        return False
    start, end = _year(fields.get("year_from")), _year(fields.get("year_to"))
    return start is not None and end is not None and start > end


@schemathesis.hook
def filter_body(ctx, body):
    return not (_reversed_years(body) or (isinstance(body, dict) and _reversed_years(body.get("filter"))))


@schemathesis.hook
def filter_query(ctx, query):
    return not _reversed_years(query)


def _order_years(fields) -> None:
    if _reversed_years(fields):
        fields["year_from"], fields["year_to"] = fields["year_to"], fields["year_from"]


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    for fields in (case.query, case.body, case.body.get("filter") if isinstance(case.body, dict) else None):
        _order_years(fields)
