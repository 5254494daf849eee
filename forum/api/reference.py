"""The API reference in ``docs/integrations-api.md``, generated from the OpenAPI
document (``forum api docs``; ``tests/api/test_reference.py`` checks it is current).
Only the part between the two markers is generated; the rest of the file is prose."""

from __future__ import annotations

import json
from pathlib import Path

BEGIN = "<!-- BEGIN GENERATED API REFERENCE (forum api docs) -->"
END = "<!-- END GENERATED API REFERENCE -->"
DOC = Path(__file__).resolve().parent.parent.parent / "docs" / "integrations-api.md"


def _ref_name(schema: dict) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {_ref_name(schema.get('items', {}))}"
    return schema.get("type", "object")


def _type(prop: dict) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#schema-{name.lower()})"
    if "allOf" in prop:
        return " ".join(_type(p) for p in prop["allOf"])
    kind = prop.get("type", "object")
    if kind == "array":
        kind = f"array of {_type(prop.get('items', {}))}"
    if prop.get("format"):
        kind += f" ({prop['format']})"
    if prop.get("enum"):
        kind += ": " + " / ".join(f"`{v}`" for v in prop["enum"])
    if prop.get("nullable"):
        kind += ", or null"
    return kind


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def render(spec: dict) -> str:
    """The reference as Markdown: every operation, then every schema."""
    lines = [BEGIN, "", f"OpenAPI {spec['openapi']}, {spec['info']['title']} version {spec['info']['version']}.",
             "Served at `/api/v1/openapi.json`.", ""]
    lines += ["### Operations", ""]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            lines.append(f"#### `{method.upper()} {path}`")
            lines.append("")
            if op.get("summary"):
                lines.append(_cell(op["summary"]))
                lines.append("")
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            if params:
                lines += ["| parameter | in | type | required |", "|---|---|---|---|"]
                for p in params:
                    lines.append(f"| `{p['name']}` | {p['in']} | {_cell(_type(p.get('schema', {})))} | "
                                 f"{'yes' if p.get('required') else 'no'} |")
                lines.append("")
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            if body:
                lines += [f"Body: {_type(body)}", ""]
            responses = []
            for status, response in op.get("responses", {}).items():
                if "$ref" in response:
                    response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                responses.append(f"`{status}` {_type(schema) if schema else ''}".strip())
            lines += ["Answers: " + "; ".join(responses), ""]
    lines += ["### Schemas", ""]
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        lines += [f'<a id="schema-{name.lower()}"></a>', f"#### {name}", ""]
        required = set(schema.get("required", []))
        lines += ["| field | type | required | description |", "|---|---|---|---|"]
        for field, prop in schema.get("properties", {}).items():
            lines.append(f"| `{field}` | {_cell(_type(prop))} | {'yes' if field in required else 'no'} | "
                         f"{_cell(prop.get('description', ''))} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def spec_dict(app) -> dict:
    """The OpenAPI document as the app serves it (a JSON round trip, as clients read it)."""
    with app.test_request_context():
        api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
        return json.loads(json.dumps(api.spec.to_dict()))


def updated(text: str, reference: str) -> str:
    """``text`` with the generated part replaced (appended when the markers are missing)."""
    if BEGIN in text and END in text:
        head, _, rest = text.partition(BEGIN)
        _, _, tail = rest.partition(END)
        return head + reference + tail
    return text.rstrip("\n") + "\n\n" + reference + "\n"
