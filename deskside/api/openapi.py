"""The schema as the API answers, with what ninja does not write by itself:

- a problem is served as application/problem+json (RFC 9457), not as application/json, and a
  client that checks the content type against the schema (Schemathesis does) must find it there;
- links (OpenAPI 3.1, 4.8.20): the ticket an answer names (its `ref`) is where every operation
  on one ticket may go next, which clients and the stateful tests follow."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from deskside.api.problems import CONTENT_TYPE

PROBLEM_REF = "#/components/schemas/Problem"
# The answers that name tickets, and where in them the reference is.
REFS = {
    "#/components/schemas/TicketDetail": "$response.body#/ref",
    "#/components/schemas/TicketPage": "$response.body#/items/0/ref",
}


class DocumentedApi(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        operations = [op for ops in schema.get("paths", {}).values() for op in ops.values()]
        on_a_ticket = [op["operationId"] for op in operations if _takes_ref(op)]
        for operation in operations:
            for answer in operation.get("responses", {}).values():
                _problem_type(answer)
                _links(answer, on_a_ticket)
        return schema


def _takes_ref(operation: dict[str, Any]) -> bool:
    return any(
        p.get("in") == "path" and p["name"] == "ref" for p in operation.get("parameters", [])
    )


def _links(answer: dict[str, Any], targets: list[str]) -> None:
    body = answer.get("content", {}).get("application/json", {})
    where = REFS.get(body.get("schema", {}).get("$ref", ""))
    if where is not None:
        answer["links"] = {
            target: {"operationId": target, "parameters": {"ref": where}} for target in targets
        }


def _problem_type(answer: dict[str, Any]) -> None:
    content = answer.get("content", {})
    body = content.get("application/json")
    if body is not None and body.get("schema", {}).get("$ref") == PROBLEM_REF:
        content[CONTENT_TYPE] = content.pop("application/json")
