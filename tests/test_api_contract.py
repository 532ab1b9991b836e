"""The API keeps the contract it publishes.

Schemathesis reads the schema the running server serves at /api/schema/ and
drives every operation in it (new endpoints are picked up as soon as they are
routed) with generated valid and invalid requests, as a read-write key of an
organization that has a survey, answers and survey requests. No answer may be a
5xx, use an undocumented status or content type, or have a body the schema
does not describe.
"""

import re
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import requests
import schemathesis
from django.core.cache import cache
from django.utils import timezone
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from outreach.services import Recipient, request_schedule
from responses.models import Channel
from responses.services import Identity, answer_record, respondent_identify
from surveys.models import Survey
from tenants.api_docs import EXAMPLE_SURVEY_KEY
from tenants.context import tenant_context
from tenants.models import Organization
from tenants.services import api_key_create

pytestmark = pytest.mark.django_db(transaction=True)

# Bounded and repeatable: the same cases on every run, a few seconds per operation.
EXAMPLES_PER_OPERATION = 8
SEED = 20240606


def seed_organization(org: Organization, survey: Any) -> None:
    """Enough rows that lists and details have something to return."""
    now = timezone.now()
    with tenant_context(org):
        # The key the API's examples use: requests built from them reach this survey.
        Survey.objects.filter(pk=survey.pk).update(public_key=EXAMPLE_SURVEY_KEY)
        survey.refresh_from_db()
        for n, score in enumerate([10, 9, 8, 7, 3, 0]):
            person = respondent_identify(
                organization=org,
                identity=Identity(user_id=f"user-{n}", email=f"person{n}@example.com"),
            )
            answer_record(
                survey=survey,
                respondent=person,
                client_id=f"contract-{n}",
                score=score,
                comment="Great" if score > 8 else "Could be better",
                channel=Channel.API,
                properties={"plan": "pro"},
                created_at=now - timedelta(days=n),
            )
        request_schedule(
            survey=survey,
            recipient=Recipient(email="later@example.com", name="Later"),
            delay=3600,
        )


@pytest.fixture
def api_key_of_seeded_org(settings: Any, org: Organization, survey: Any) -> str:
    settings.API_RATE_LIMIT = "1000000/minute"
    cache.clear()
    seed_organization(org, survey)
    return api_key_create(organization=org, name="contract test")[1]


def contract_config(*, base_url: str, key: str) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": base_url,
            "headers": {"Authorization": f"Bearer {key}"},
            "generation": {
                "max-examples": EXAMPLES_PER_OPERATION,
                "database": "none",
                "deterministic": True,
            },
            "phases": {"stateful": {"enabled": False}},
            # Every operation is tried, and all of its failures are reported at once.
            "continue-on-failure": True,
            "checks": {
                # DRF reads input leniently, as documented: `{"name": 0}` is the name "0"
                # and an unreadable `per_page` falls back to the default page size.
                "negative_data_rejection": {"enabled": False},
                # Rules across fields cannot be written in OpenAPI ("from" needs "to",
                # the survey must exist): such requests are valid there, and 422 here.
                "positive_data_acceptance": {"enabled": False},
            },
        }
    )


def live_schema(live_server: Any, key: str) -> Any:
    config = contract_config(base_url=live_server.url, key=key)
    return schemathesis.openapi.from_url(
        f"{live_server.url}/api/schema/?format=json", config=config
    )


@pytest.fixture
def api_schema(live_server: Any, api_key_of_seeded_org: str) -> Any:
    return live_schema(live_server, api_key_of_seeded_org)


class ExistingIds:
    """Random ids find nothing: on every other case, an operation with ids in its
    path gets those of objects that exist (the first of the list at the path up
    to each id), so its successful answers are checked too, not only its 404s.
    Deletions keep their generated ids, so the seeded rows stay for the others."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"
        self.found: dict[str, Any] = {}
        self.turns: Counter[str] = Counter()

    def use_on(self, case: Any) -> None:
        if case.method.upper() == "DELETE" or not case.path_parameters:
            return
        self.turns[case.operation.label] += 1
        if self.turns[case.operation.label] % 2:
            return
        for name in re.findall(r"{(\w+)}", case.path):
            collection = case.path.split("{" + name + "}")[0].rstrip("/")
            value = self._first(collection.format(**case.path_parameters), name)
            if value is None:
                return
            case.path_parameters[name] = value

    def _first(self, collection: str, name: str) -> Any:
        if collection not in self.found:
            self.found[collection] = None
            answer = self.session.get(self.base_url + collection, timeout=10)
            body = answer.json() if answer.status_code == 200 else None
            rows = body.get("results") if isinstance(body, dict) else body
            if isinstance(rows, list) and rows and isinstance(rows[0], dict):
                self.found[collection] = rows[0]
        row = self.found[collection]
        for field in (name, "id"):
            if row is not None and field in row:
                return row[field]
        return None


@pytest.fixture
def existing_ids(live_server: Any, api_key_of_seeded_org: str) -> ExistingIds:
    return ExistingIds(live_server.url, api_key_of_seeded_org)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    # Schemathesis 4.32 renames the test after each operation through the
    # `_nodeid` attribute pytest had before 9.0; give it one to write to.
    request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.mark.timeout(600)  # one test for every operation: it grows with the API
@schema.parametrize()
def test_every_operation_answers_as_its_schema_says(case: Any, existing_ids: ExistingIds) -> None:
    existing_ids.use_on(case)
    case.call_and_validate()


def test_the_contract_run_catches_an_answer_its_schema_does_not_describe(
    live_server: Any, settings: Any, api_key_of_seeded_org: str
) -> None:
    settings.ROOT_URLCONF = "tests.broken_api_urls"
    operation = live_schema(live_server, api_key_of_seeded_org)["/api/v1/broken"]["GET"]
    with pytest.raises(FailureGroup, match="Response violates schema"):
        operation.Case().call_and_validate(
            headers={"Authorization": f"Bearer {api_key_of_seeded_org}"}
        )
