"""A front end as intake sees it: an API key, and the applications it submits and reads."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from uuid6 import uuid7

from contracts.catalog import EXAMPLES_DIR, load_catalog
from services.intake.adapters.api_keys import issue_api_key


@dataclass
class Applicant:
    """A front end talking to intake with its API key."""

    base_url: str
    key: str

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url, headers={"Authorization": f"Bearer {self.key}"}, timeout=10
        )

    async def submit(self, body: dict[str, Any], key: str | None = None) -> httpx.Response:
        async with self.client() as http:
            return await http.post(
                "/v1/applications", json=body, headers={"Idempotency-Key": key or str(uuid7())}
            )

    async def application(self, application_id: str) -> dict[str, Any]:
        async with self.client() as http:
            response = await http.get(f"/v1/applications/{application_id}")
            response.raise_for_status()
            found: dict[str, Any] = response.json()
            return found


def application_body(matter: str, delivery: dict[str, str]) -> dict[str, Any]:
    """The example application of `matter`, with every material the applicant brings."""
    example = json.loads((EXAMPLES_DIR / f"{matter}.json").read_text(encoding="utf-8"))
    brings = load_catalog().matter(matter).materials_the_applicant_brings()
    return {**example, "materials": [m.code for m in brings], "delivery": delivery}


async def issue_keys(database_url: str, clients: dict[str, str]) -> dict[str, str]:
    """A fresh API key per client id (kind by value); the keys are stored hashed."""
    conn = await asyncpg.connect(database_url, server_settings={"search_path": "intake"})
    try:
        return {
            client_id: await issue_api_key(conn, f"{client_id}-{uuid7().hex[-6:]}", kind)
            for client_id, kind in clients.items()
        }
    finally:
        await conn.close()
