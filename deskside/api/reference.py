"""The API's reference page: the OpenAPI schema rendered on the server, no script at all, so
that it is served under the site's CSP as it stands (Swagger's page would need its bundle)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from deskside.api.api import api
from deskside.api.problems import CODES


def reference(request: HttpRequest) -> HttpResponse:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    context = {
        "info": schema["info"],
        "operations": operations(schema),
        "schemas": models(schema),
        "codes": [(code, title, words) for code, (title, words) in sorted(CODES.items())],
    }
    return render(request, "api/reference.html", context)


def operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Each path and method, with its parameters, body and answers, in the schema's order."""
    found = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            found.append(
                {
                    "id": op.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": op.get("parameters", []),
                    "body": _ref_name(body.get("schema", {})),
                    "responses": [
                        (status, _ref_name(_json(answer)), answer.get("description", ""))
                        for status, answer in op.get("responses", {}).items()
                    ],
                }
            )
    return found


def models(schema: dict[str, Any]) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Each model with its fields: name, type, description. Made here, not in the template,
    where `properties.items` would read a field named "items" instead of the dict's items."""
    found = []
    for name, model in sorted(schema.get("components", {}).get("schemas", {}).items()):
        fields = [
            (field, _type_of(spec), str(spec.get("description", "")))
            for field, spec in model.get("properties", {}).items()
        ]
        found.append((name, fields))
    return found


def _type_of(spec: dict[str, Any]) -> str:
    if "$ref" in spec:
        return _ref_name(spec)
    if "anyOf" in spec:
        return " or ".join(_type_of(option) for option in spec["anyOf"])
    if spec.get("type") == "array":
        return f"array of {_type_of(spec.get('items', {}))}"
    return str(spec.get("type", "any"))


def _json(answer: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = answer.get("content", {})
    for media in content.values():
        schema: dict[str, Any] = media.get("schema", {})
        return schema
    return {}


def _ref_name(schema: dict[str, Any]) -> str:
    ref = str(schema.get("$ref", ""))
    return ref.rsplit("/", 1)[-1]
