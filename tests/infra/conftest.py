"""The template as CloudFormation sees it: translated by samtranslator in the SAM tool venv (made if missing)."""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def sam_venv() -> Path:
    """The SAM CLI venv `make validate` uses, created the same way (infra/scripts/sam_venv.sh) when missing."""
    made = subprocess.run(["bash", str(REPO / "infra/scripts/sam_venv.sh")], check=True, capture_output=True, text=True)
    return Path(made.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def translated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("translated") / "template.json"
    subprocess.run(
        [
            str(sam_venv() / "bin/python"),
            str(REPO / "infra/scripts/check_template.py"),
            str(REPO / "template.yaml"),
            "--out",
            str(out),
            "--no-lint",
        ],
        check=True,
        capture_output=True,
    )
    template: dict[str, Any] = json.loads(out.read_text())
    return template


class Resolved:
    """Evaluates a translated template's conditions and Fn::If for one set of parameter values."""

    def __init__(self, template: dict[str, Any], overrides: dict[str, str]) -> None:
        self.template = template
        defaults = {k: str(v.get("Default", "")) for k, v in template["Parameters"].items()}
        self.params = defaults | overrides

    def condition(self, name: str) -> bool:
        return bool(self._eval(self.template["Conditions"][name]))

    def _eval(self, node: Any) -> Any:  # noqa: PLR0911 - one branch per intrinsic
        if isinstance(node, dict) and len(node) == 1:
            ((fn, arg),) = node.items()
            if fn == "Ref" and arg in self.params:
                return self.params[arg]
            if fn == "Fn::Equals":
                return self._eval(arg[0]) == self._eval(arg[1])
            if fn == "Fn::Not":
                return not self._eval(arg[0])
            if fn == "Fn::Or":
                return any(self._eval(a) for a in arg)
            if fn == "Fn::And":
                return all(self._eval(a) for a in arg)
            if fn == "Condition":
                return self.condition(arg)
        return node

    def value(self, node: Any) -> Any:
        """`node` with every Fn::If taken and every AWS::NoValue dropped (other intrinsics left as they are)."""
        if isinstance(node, list):
            return [v for v in (self.value(n) for n in node) if v is not _NO_VALUE]
        if isinstance(node, dict):
            if node == {"Ref": "AWS::NoValue"}:
                return _NO_VALUE
            if set(node) == {"Fn::If"}:
                name, yes, no = node["Fn::If"]
                return self.value(yes if self.condition(name) else no)
            resolved = {k: self.value(v) for k, v in node.items()}
            return {k: v for k, v in resolved.items() if v is not _NO_VALUE}
        return node

    def render(self, node: Any) -> Any:
        """`value(node)` with Ref, Fn::FindInMap and Fn::Sub evaluated too (pseudo parameters: us-east-1, account
        123456789012, partition aws); for checking ARNs."""
        node = self.value(node)
        if isinstance(node, list):
            return [self.render(n) for n in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"Ref"} and node["Ref"] in self.params | PSEUDO:
            return (self.params | PSEUDO)[node["Ref"]]
        if set(node) == {"Fn::FindInMap"}:
            table, key, attribute = (self.render(n) for n in node["Fn::FindInMap"])
            return self.render(self.template["Mappings"][table][key][attribute])
        if set(node) == {"Fn::Sub"}:
            text, variables = (node["Fn::Sub"], {}) if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"]
            names = self.params | PSEUDO | {k: self.render(v) for k, v in variables.items()}
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(names[m.group(1)]), text)
        return {k: self.render(v) for k, v in node.items()}

    def resources(self) -> dict[str, Any]:
        """The resources that exist for these parameters, resolved."""
        return {
            name: self.value(resource)
            for name, resource in self.template["Resources"].items()
            if "Condition" not in resource or self.condition(resource["Condition"])
        }


_NO_VALUE = object()
PSEUDO = {"AWS::Partition": "aws", "AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"}
