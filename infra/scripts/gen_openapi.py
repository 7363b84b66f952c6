"""Write docs/openapi.json from the API's routes (`make openapi`); tests fail when the committed file drifts."""

from pathlib import Path

from mnemoscope.api.openapi import openapi_json

TARGET = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"

if __name__ == "__main__":
    TARGET.write_text(openapi_json(), encoding="utf-8")
    print(f"wrote {TARGET}")
