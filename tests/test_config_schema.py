"""The JSON Schema of the configuration file: generated from the models, committed, and true to
what the reader accepts."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import jsonschema
import pytest

from otp_flow._cli import main
from otp_flow.config.schema import FILE_NAME, schema_text
from tests.test_config import EXAMPLE, example

ROOT = Path(__file__).resolve().parent.parent


def test_the_committed_schema_is_the_one_the_command_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "schema.json"
    assert main(["config-schema", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == schema_text()
    assert (ROOT / FILE_NAME).read_text(encoding="utf-8") == schema_text(), (
        "otp-flow.schema.json is stale: run `otp-flow config-schema`"
    )


def test_the_schema_accepts_the_example_and_refuses_what_the_reader_refuses() -> None:
    schema = json.loads(schema_text())
    jsonschema.validate(tomllib.loads(EXAMPLE), schema)
    # The demo's own table is another component's: kept, not refused.
    jsonschema.validate(example(pages={"site_name": "Demo"}), schema)
    for bad in (
        example(limits__app_per_day=-1),
        example(limits__per_day=3),
        example(secret_keys=None),
        example(api__onlyid_language="fr"),
        example(auth_sources__0__ttl_seconds=30),
        example(users__url=5),
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_the_schema_knows_each_senders_options() -> None:
    schema = json.loads(schema_text())
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    examples = re.findall(r"```toml\n(.*?)```", page, re.S)
    for written in examples:  # http and smtp senders with their options
        jsonschema.validate(tomllib.loads(written), schema)
    smtp = {"type": "smtp", "host": "h", "from_address": "a@b.c"}
    jsonschema.validate(example(senders={"email": smtp}), schema)
    for bad in ({**smtp, "hots": "h"}, {"type": "smtp", "host": "h"}, {**smtp, "type": "http"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(example(senders={"email": bad}), schema)


def test_every_key_has_a_description_and_every_default_is_shown() -> None:
    schema = json.loads(schema_text())
    limits = schema["properties"]["limits"]["properties"]
    assert limits["app_per_day"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 1000000000,
        "default": 1000,
        "description": "Codes one client may send per calendar day (in `timezone`).",
    }
    assert schema["properties"]["api"]["properties"]["onlyid_expire_minutes"]["default"] == 10
