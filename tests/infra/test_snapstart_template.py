"""ApiSnapStart: SnapStart on the api function's published versions, and API Gateway calling the alias (SnapStart
never applies to $LATEST, so an integration on the bare function would never restore from a snapshot)."""

from typing import Any

import pytest

from tests.infra.conftest import Resolved


def _api_function(resources: dict[str, Any]) -> dict[str, Any]:
    [function] = [r for n, r in resources.items() if n == "ApiFunction"]
    return dict(function["Properties"])


@pytest.mark.parametrize(("choice", "snapstart"), [("true", {"ApplyOn": "PublishedVersions"}), ("false", None)])
def test_snapstart_follows_the_parameter(translated: dict[str, Any], choice: str, snapstart: Any) -> None:
    resources = Resolved(translated, {"ApiSnapStart": choice}).resources()
    assert _api_function(resources).get("SnapStart") == snapstart


def test_api_gateway_invokes_the_published_alias(translated: dict[str, Any]) -> None:
    resources = Resolved(translated, {"ApiSnapStart": "true"}).resources()
    aliases = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Alias"]
    assert [a["Properties"]["Name"] for a in aliases] == ["live"]
    permissions = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]
    api_permissions = [p for p in permissions if p.get("Principal") == "apigateway.amazonaws.com"]
    assert api_permissions, "API Gateway needs permission to invoke the function"
    assert all("ApiFunctionAliaslive" in str(p["FunctionName"]) for p in api_permissions)
