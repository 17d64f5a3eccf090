"""Schema-driven fuzzing of /api/v1/ (schemathesis): no request may get a 5xx answer.

Every operation of the OpenAPI schema (GET and POST/PATCH alike), as a city data administrator
and as a township caseworker (token auth), with schema-valid and schema-invalid input; path ids
point at seeded rows (a household, its persons, a dibao case, a policy row…) so the detail
endpoints and actions do real work. 4xx answers are fine; a 5xx fails the test, listing every
operation that gave one with the request that did it.

Bounded: FUZZ_EXAMPLES examples per operation, mode and user (default 4: about 1,000 requests,
well under a minute). Marked `fuzz`: `make test` runs it; deselect locally with `-m "not fuzz"`.
Everything runs in the test's transaction and is rolled back.
"""

import contextlib
import datetime as dt
import os
import time
from collections import Counter
from typing import Any

import pytest
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token

from assistance.models import (
    CategorySupplement,
    DibaoCase,
    DibaoStandard,
    Payroll,
    PolicyParameter,
)
from assistance.programmes import outreach
from assistance.programmes import services as programmes
from core.models import Region
from core.roles import Role
from households.models import Household, Person

from ..assistance.conftest import S, build_case, poor_household
from ..factories import UserFactory, household_with_members, region

schemathesis = pytest.importorskip("schemathesis")
from schemathesis import GenerationMode  # noqa: E402

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
# A hard stop, well above the usual run (about a minute on a quiet machine).
BUDGET_SECONDS = int(os.environ.get("FUZZ_BUDGET_SECONDS", "240"))


def _seed(village_a: Region) -> dict[str, int]:
    """One row behind every `{id}` of the schema, keyed by the path's first segment."""
    maker = UserFactory(username="fuzz_maker", role=Role.CASEWORKER, region=region("440703002"))
    second = UserFactory(username="fuzz_second", role=Role.CASEWORKER, region=region("440703002"))
    household = household_with_members(village_a, members=3)
    case = build_case(poor_household(village_a), to=S.INVESTIGATING, maker=maker, second=second)
    programme_case = programmes.programme_apply(
        programme="education", household=household, by=maker, applied_on=dt.date(2026, 11, 2)
    )
    report = outreach.outreach_report(
        village=village_a, subject_name="陈某", description="独居老人，无收入", by=maker
    )
    payroll = Payroll.objects.create(
        county=region("440703"), month=dt.date(2026, 11, 1), status=Payroll.Status.DRAFT
    )
    ids = {
        "households": household.pk,
        "persons": Person.objects.filter(memberships__household=household).first().pk,  # type: ignore[union-attr]
        "regions": village_a.pk,
        "dibao-cases": case.pk,
        "standards": DibaoStandard.objects.first().pk,  # type: ignore[union-attr]
        "policy-parameters": PolicyParameter.objects.first().pk,  # type: ignore[union-attr]
        "category-supplements": CategorySupplement.objects.first().pk,  # type: ignore[union-attr]
        "programme-cases": programme_case.pk,
        "outreach-reports": report.pk,
        "payrolls": payroll.pk,
    }
    assert Household.objects.exists() and DibaoCase.objects.exists()
    return ids


@pytest.fixture
def keep_test_connection():  # type: ignore[no-untyped-def]
    """Requests go straight to the WSGI handler, whose request signals would close the test's
    connection (and its transaction); Django's test client unhooks them the same way."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _schema() -> Any:
    raw = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = WSGIHandler()
    return schema


def _has_input(operation: Any, fixed: dict[str, int] | None) -> bool:
    """Anything a negative example could make invalid (else Hypothesis searches in vain)."""
    path_free = len(list(operation.path_parameters)) > len(fixed or {})
    return path_free or bool(list(operation.query)) or bool(list(operation.body))


def _server_errors(
    operation: Any, tokens: dict[str, str], ids: dict[str, int], seen: Counter[int]
) -> list[str]:
    found: list[str] = []
    segment = operation.path.removeprefix("/api/v1/").split("/")[0]
    fixed = {"id": ids[segment]} if "{id}" in operation.path and segment in ids else None
    modes = [GenerationMode.POSITIVE]
    if _has_input(operation, fixed):
        modes.append(GenerationMode.NEGATIVE)
    for mode in modes:

        @settings(
            max_examples=EXAMPLES * len(tokens),
            deadline=None,
            database=None,
            derandomize=True,  # the same requests every run: a failure is reproducible
            phases=[Phase.explicit, Phase.generate],  # no shrinking: report, don't minimise
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=operation.as_strategy(generation_mode=mode, path_parameters=fixed),
            user=st.sampled_from(sorted(tokens)),
        )
        def run(case: Any, user: str) -> None:
            response = case.call(headers={"Authorization": f"Token {tokens[user]}"})
            seen[response.status_code] += 1
            if response.status_code >= 500 and len(found) < 3:
                found.append(
                    f"[{user}] {response.status_code} {case.method} {case.formatted_path} "
                    f"query={case.query!r} body={case.body!r}"
                )

        with contextlib.suppress(Unsatisfiable):  # nothing left to make invalid
            run()
    return found


@time_machine.travel(dt.datetime(2026, 11, 16, 10, 0, tzinfo=dt.UTC), tick=True)
def test_no_api_request_gets_a_server_error(
    settings, tmp_path, village_a, keep_test_connection
) -> None:  # type: ignore[no-untyped-def]
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    settings.MEDIA_ROOT = tmp_path  # uploaded attachments
    ids = _seed(village_a)
    users = {
        "data_admin": UserFactory(
            username="fuzz_admin", role=Role.DATA_ADMIN, region=region("440700")
        ),
        "caseworker": UserFactory(
            username="fuzz_cw", role=Role.CASEWORKER, region=region("440703002")
        ),
    }
    tokens = {name: Token.objects.create(user=u).key for name, u in users.items()}
    schema = _schema()
    failures: list[str] = []
    started = time.monotonic()
    # Not the token endpoints: revoking the run's own tokens (or locking its users out with
    # wrong passwords) would turn every later request into a 401; tests/core/test_security.py
    # covers them.
    operations = [
        op
        for op in (result.ok() for result in schema.get_all_operations())
        if not op.path.startswith("/api/v1/auth/")
    ]
    assert len(operations) > 50  # the whole API, not an empty schema
    seen: Counter[int] = Counter()
    for operation in operations:
        failures += _server_errors(operation, tokens, ids, seen)
        assert time.monotonic() - started < BUDGET_SECONDS, "fuzz run over its time budget"
    assert seen[200] > 50, seen  # the run got past authentication and into the data
    assert not failures, "5xx answers:\n" + "\n".join(failures)
