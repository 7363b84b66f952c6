"""Deeper offline template check: translate the SAM template with samtranslator, then cfn-lint the result.

`sam validate --lint` lints the untranslated template and misses errors inside SAM resources (a GetAtt to a
missing queue in an event, a bad runtime, a 5-field cron). Linting the translated CloudFormation catches them.
Runs under the SAM tool venv (.tools/sam), which has samtranslator and cfn-lint; needs no AWS access.

Usage: .tools/sam/bin/python infra/scripts/check_template.py [template.yaml] [--out translated.json] [--no-lint]
Exit status: 0 clean (warnings are printed), 1 translation failed, 2 cfn-lint found errors.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

REPO = Path(__file__).resolve().parents[2]
LOCAL_URI_KEYS = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


class OfflinePolicyLoader:
    """Managed-policy loader that never calls IAM: the template uses policy templates and ARNs only."""

    def load(self) -> dict[str, str]:
        return {}


def with_s3_uris(template: dict[str, Any]) -> dict[str, Any]:
    """Replace local CodeUri/ContentUri paths by S3 URIs, as `sam package` would."""
    for name, resource in template.get("Resources", {}).items():
        key = LOCAL_URI_KEYS.get(resource.get("Type", ""))
        properties = resource.get("Properties", {})
        if key and isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
            properties[key] = f"s3://mnemoscope-offline-check/{name}.zip"
    return template


def translate(template_path: Path) -> dict[str, Any]:
    """The CloudFormation JSON that the SAM transform makes of the template."""
    template = with_s3_uris(yaml_parse(template_path.read_text()))
    translated: dict[str, Any] = transform(template, {}, OfflinePolicyLoader())
    return translated


def main(argv: list[str] | None = None) -> int:
    # The transform only needs a region name for pseudo parameters; nothing may reach AWS.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("template", nargs="?", type=Path, default=REPO / "template.yaml")
    parser.add_argument("--out", type=Path, default=REPO / ".aws-sam" / "translated-template.json")
    parser.add_argument("--no-lint", action="store_true", help="only translate (tests/infra/test_iam.py)")
    args = parser.parse_args(argv)
    try:
        translated = translate(args.template)
    except InvalidDocumentException as error:
        for cause in error.causes:
            print(f"translate: {cause.message}", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(translated, indent=2))
    print(f"translated {len(translated['Resources'])} resources -> {args.out}")
    if args.no_lint:
        return 0
    cfn_lint = Path(sys.executable).with_name("cfn-lint")  # installed beside this interpreter
    lint = subprocess.run([str(cfn_lint), "--", str(args.out)], check=False)
    # cfn-lint's exit code is a bit mask: 2 = error, 4 = warning, 8 = informational (1 = fatal).
    if lint.returncode & 0b11:
        print("cfn-lint: errors in the translated template", file=sys.stderr)
        return 2
    print("cfn-lint: no errors in the translated template" + (" (warnings above)" if lint.returncode else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
