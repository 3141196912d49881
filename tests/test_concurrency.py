"""Concurrent registrations over HTTP: distinct, consecutive numbers, and no failures."""
import asyncio

import httpx

from tests.conftest import operation


async def _register_concurrently(server_url: str, count: int, **variables) -> list[dict]:
    async with httpx.AsyncClient(base_url=server_url, timeout=60) as client:
        async def register(i: int) -> dict:
            response = await client.post("/graphql", json={
                "query": operation("create_version"),
                "variables": {"name": "racy", "source": f"s3://models/racy/{i}", **variables}})
            assert response.status_code == 200, response.text
            return response.json()

        return await asyncio.gather(*(register(i) for i in range(count)))


def test_twenty_concurrent_registrations_get_versions_1_to_20(server_url):
    bodies = asyncio.run(_register_concurrently(server_url, 20, createModelIfMissing=True))
    assert all("errors" not in body for body in bodies), bodies
    payloads = [body["data"]["createModelVersion"] for body in bodies]
    assert all(p["userErrors"] == [] for p in payloads), payloads
    assert sorted(p["modelVersion"]["version"] for p in payloads) == list(range(1, 21))


def test_a_retried_registration_with_the_same_key_returns_the_same_version(gql):
    first = gql.play("create_version", name="retried", source="s3://m/1", createModelIfMissing=True,
                     idempotencyKey="ci-build-42")
    retry = gql.play("create_version", name="retried", source="s3://m/1", createModelIfMissing=True,
                     idempotencyKey="ci-build-42")
    assert retry["userErrors"] == []
    assert retry["modelVersion"]["id"] == first["modelVersion"]["id"]
    assert gql.data("{ modelVersions(filter: {name: {eq: \"retried\"}}) { totalCount } }")[
        "modelVersions"]["totalCount"] == 1


def test_concurrent_retries_with_one_key_make_one_version(server_url, gql):
    bodies = asyncio.run(_register_concurrently(server_url, 8, createModelIfMissing=True, idempotencyKey="same",
                                                source="s3://models/racy/same"))
    payloads = [body["data"]["createModelVersion"] for body in bodies]
    assert all(p["userErrors"] == [] for p in payloads), payloads
    assert {p["modelVersion"]["id"] for p in payloads} == {payloads[0]["modelVersion"]["id"]}
    assert gql.data("{ modelVersions { totalCount } }")["modelVersions"]["totalCount"] == 1
