"""docs/integrations-api.md carries the API reference generated from the OpenAPI
document: it must be what ``forum api docs`` writes now."""

from forum.api import reference


def test_committed_reference_is_current(app):
    text = reference.DOC.read_text()
    assert text == reference.updated(text, reference.render(reference.spec_dict(app))), \
        "docs/integrations-api.md is out of date: run `forum api docs`"


def test_cli_check(runner):
    result = runner.invoke(args=["api", "docs", "--check"])
    assert result.exit_code == 0, result.output


def test_every_operation_is_in_the_reference(app):
    spec = reference.spec_dict(app)
    text = reference.DOC.read_text()
    for path, item in spec["paths"].items():
        for method in (m for m in item if m in ("get", "post", "put", "patch", "delete")):
            assert f"`{method.upper()} {path}`" in text
