"""intake's e-certificate library and access ledger against a started intake (real
PostgreSQL and broker): the public check (genuine, replaced, unknown), a holder's certificates
for clerks only, the ledger of lookups, library uses and clerk reads of one application only
and for whom may see it, and a rebuild that keeps what intake recorded itself."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import httpx

from contracts.certificates import verification_hash
from contracts.envelope import Envelope, Event
from contracts.events import (
    Certificate,
    DatasetAnswer,
    Delivery,
    EvidenceChecked,
    FetchedRecord,
    Holder,
    MaterialObtained,
    OutcomeDecided,
    RegisterLookupAnswered,
)
from runtime.service import Service
from services.intake.adapters.projection import apply
from services.intake.adapters.rebuild import rebuild_read_model
from tests.integration.applications import example, filed
from tests.integration.in_process import Keyed

COMPANY = Holder(id="91330106MA2H3K7P1E", name="杭州一窗科技有限公司")


async def says(intake: Service, application_id: UUID, event: Event, producer: str) -> Envelope:
    envelope = Envelope.new(event, application_id=application_id, producer=producer)
    async with intake.pool.acquire() as conn, conn.transaction():
        assert await apply(conn, envelope)
    return envelope


def licence(number: str, issued: datetime, subtask: str = "amr-licence") -> Certificate:
    return Certificate(
        subtask=subtask, department="amr", title="营业执照", number=number, issued_at=issued,
        kind="business-licence", holders=(COMPANY,), replaces=True,
    )  # fmt: skip


async def approved(intake: Service, application_id: UUID, *certificates: Certificate) -> None:
    await says(intake, application_id, OutcomeDecided(
        matter="business-startup", matter_name="企业开办", receipt_number=f"YC-{application_id}",
        applicant_name="陈思远", delivery=Delivery(channel="email", address="c@example.cn"),
        decision="approved", certificates=certificates,
    ), "router")  # fmt: skip


async def verify(http: httpx.AsyncClient, number: str, digest: str) -> dict[str, object]:
    answer = await http.get("/v1/certificates/verify", params={"number": number, "hash": digest})
    assert answer.status_code == 200, answer.text
    found: dict[str, object] = answer.json()
    return found


async def test_the_library_tells_genuine_replaced_and_unknown(
    intake: Service, http: httpx.AsyncClient, keyed: Keyed
) -> None:
    web, clerk = await keyed("web"), await keyed("clerk")
    _, first = await filed(http, web, example())
    _, second = await filed(http, web, example())
    old = licence("330106000111111", datetime(2026, 3, 2, 2, tzinfo=UTC))
    new = licence("330106000222222", datetime(2026, 3, 9, 2, tzinfo=UTC), "amr-change")
    await approved(intake, first, old)
    old_hash = verification_hash(first, f"YC-{first}", old)
    assert (await verify(http, old.number, old_hash))["verdict"] == "genuine"
    await approved(intake, second, new)
    new_hash = verification_hash(second, f"YC-{second}", new)

    replaced = await verify(http, old.number, old_hash)
    assert (replaced["verdict"], replaced["status"], replaced["issued_on"]) == (
        "replaced", "replaced", "2026-03-02",
    )  # fmt: skip
    genuine = await verify(http, new.number, new_hash)
    assert (genuine["verdict"], genuine["kind"], genuine["issuer"], genuine["issuer_name"]) == (
        "genuine", "business-licence", "amr", "市场监督管理局",
    )  # fmt: skip
    assert genuine["holder_name"] == "杭*******公司"
    assert (await verify(http, new.number, old_hash))["verdict"] == "unknown"
    malformed = await http.get(
        "/v1/certificates/verify", params={"number": new.number, "hash": "not-hex"}
    )
    assert malformed.status_code == 400

    listed = await http.get("/v1/certificates", params={"holder": COMPANY.id}, headers=clerk)
    assert listed.status_code == 200, listed.text
    statuses = [(c["number"], c["status"]) for c in listed.json()["items"]]
    assert statuses == [(new.number, "valid"), (old.number, "replaced")]
    refused = await http.get("/v1/certificates", params={"holder": COMPANY.id}, headers=web)
    assert refused.status_code == 403
    ledger = (await http.get(f"/v1/applications/{first}/data-access", headers=web)).json()
    assert [e["what"] for e in ledger["entries"] if e["source"] == "clerk"] == ["e-certificates"]


async def test_the_ledger_lists_the_applications_own_accesses_to_whom_may_see_it(
    intake: Service, http: httpx.AsyncClient, keyed: Keyed
) -> None:
    web, clerk, other = await keyed("web"), await keyed("clerk"), await keyed("mobile")
    _, mine = await filed(http, web, example())
    _, theirs = await filed(http, web, example())
    await says(intake, mine, RegisterLookupAnswered(
        lookup_key=f"{mine}:lookup:1", matter="business-startup",
        answers=(
            DatasetAnswer(
                dataset="population", purpose="*intake",
                materials=("id-legal-person", "id-tax-officer"),
                subtasks=("amr-licence", "tax-invoice"), available=True, attempts=1,
                records=(
                    FetchedRecord(key="330106199003071236", found=True,
                                  record={"name": "陈思远", "birth_date": "1990-03-07"}),
                    FetchedRecord(key="330127199502110668", found=False),
                ),
            ),
            DatasetAnswer(
                dataset="tax-filings", purpose="tax-invoice", materials=("x",),
                subtasks=("tax-invoice",), available=False, attempts=3,
                error="platform answered 503",
            ),
        ),
    ), "dept_adapter")  # fmt: skip
    await says(intake, mine, EvidenceChecked(materials=(
        MaterialObtained(material="business-licence", via="e-certificate",
                         certificate="330106000111111", holder=COMPANY.id,
                         subtasks=("amr-change",)),
        MaterialObtained(material="id-legal-person", via="register", dataset="population",
                         subtasks=("amr-licence",)),
    )), "router")  # fmt: skip
    assert (await http.get(f"/v1/applications/{mine}", headers=clerk)).status_code == 200
    assert (await http.get(f"/v1/applications/{theirs}", headers=clerk)).status_code == 200
    assert (await http.get(f"/v1/applications/{mine}", headers=web)).status_code == 200

    answer = await http.get(f"/v1/applications/{mine}/data-access", headers=web)
    assert answer.status_code == 200, answer.text
    entries = answer.json()["entries"]
    assert [(e["source"], e["what"]) for e in entries] == [
        ("register", "population"),
        ("register", "tax-filings"),
        ("e-certificate", "business-licence"),
        ("clerk", "application"),
    ]
    population, down, library, read = entries
    assert population["fields"] == ["birth_date", "name"]
    assert population["records"] == ["330106********1236", "330127********0668"]
    assert "found 1 of 2" in population["outcome"] and "amr-licence" in population["why"]
    assert "unavailable" in down["outcome"] and down["fields"] == []
    assert library["records"] == ["913301********7P1E"]
    assert "330106000111111" in library["outcome"]
    assert read["why"] == "GET /v1/applications/{id}" and read["who"].startswith("clerk-")
    assert "陈思远" not in answer.text and "1990-03-07" not in answer.text  # no register values
    assert (await http.get(f"/v1/applications/{mine}/data-access", headers=clerk)).json() == (
        answer.json()
    )
    mobile = await http.get(f"/v1/applications/{mine}/data-access", headers=other)
    assert mobile.status_code == 404

    async with intake.pool.acquire() as conn:
        await rebuild_read_model(conn, [intake.schema])
    rebuilt = await http.get(f"/v1/applications/{mine}/data-access", headers=web)
    # intake's own log holds the submission only: the register and library lines come back
    # with the other services' logs; the clerk's read, intake's own record, stays
    assert [e["source"] for e in rebuilt.json()["entries"]] == ["clerk"]
