"""The e-certificate library (电子证照库): the public check of a certificate, and a holder's
certificates for hall staff (each listing is recorded in the applications' access ledgers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from services.intake import handlers
from services.intake.adapters import library
from services.intake.adapters.data_access import record_reads
from services.intake.domain.views import CertificateCheck, ECertificateList
from services.intake.entrypoints.clerks import CurrentClerk
from services.intake.entrypoints.errors import ERROR_RESPONSES
from services.intake.entrypoints.guard import ClientRoute, Pool, PublicRoute, bearer

Number = Annotated[str, Query(min_length=1, max_length=200, description="The certificate's number")]
Hash = Annotated[
    str,
    Query(
        alias="hash",
        pattern="^[0-9a-f]{64}$",
        description="Its verification hash (验证码) as the one result printed it",
    ),
]
HolderKey = Annotated[
    str,
    Query(
        min_length=1, max_length=64, description="Resident ID number or unified social credit code"
    ),
]


def certificate_routes(rules: handlers.Rules) -> list[APIRouter]:
    public = APIRouter(
        prefix="/v1/certificates",
        tags=["certificates"],
        route_class=PublicRoute,
        responses={400: ERROR_RESPONSES[400]},
    )

    @public.get(
        "/verify",
        summary="Is this certificate genuine and valid (public)",
        operation_id="VerifyCertificate",
    )
    async def verify(number: Number, digest: Hash, pool: Pool) -> CertificateCheck:
        return await library.check(pool, number, digest, rules.calendar.zone)

    clerks = APIRouter(
        prefix="/v1/certificates",
        tags=["certificates"],
        route_class=ClientRoute,
        dependencies=[Depends(bearer)],
        responses=ERROR_RESPONSES,
    )

    @clerks.get("", summary="A holder's e-certificates (clerks)", operation_id="ListCertificates")
    async def of_holder(holder: HolderKey, clerk: CurrentClerk, pool: Pool) -> ECertificateList:
        found = await library.of_holder(pool, holder)
        applications = list(dict.fromkeys(c.application_id for c in found))
        await record_reads(
            pool, applications, rules.clock.now(), "clerk", clerk.client_id, "e-certificates",
            "GET /v1/certificates?holder=…",
        )  # fmt: skip
        return ECertificateList(holder=holder, items=found)

    return [public, clerks]
