"""common.decode: request bodies as msgspec Structs, with the dialects' old answers to bad ones;
and the OpenAPI document generated from those Structs, with no api -> openapi import."""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated, Literal

import msgspec
import pytest

from otp_flow.web.api import _ciam as ciam
from otp_flow.web.api import _ciam_account as ciam_account
from otp_flow.web.api import _ciam_token as ciam_token
from otp_flow.web.api import _onlyid as onlyid
from otp_flow.web.api import _yunpian as yunpian
from otp_flow.web.api._common import BadInput, RequiredText, decode
from otp_flow.web.openapi import openapi_document


class Body(msgspec.Struct, kw_only=True):
    first: RequiredText
    choice: Literal["zeta", "alpha"] = "zeta"
    count: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    other: str | None = None


def problem(data: dict[str, object], field: str) -> tuple[str, str, str]:
    body = decode(data, Body)
    with pytest.raises(BadInput) as caught:
        getattr(body, field)
    return caught.value.problem, caught.value.field, str(caught.value)


def test_a_good_body_is_the_struct_with_null_read_as_absent() -> None:
    body = decode({"first": "x", "choice": None, "count": 2, "stranger": 1}, Body)
    assert body == Body(first="x", choice="zeta", count=2)
    assert type(body) is Body


def test_each_problem_is_raised_when_its_field_is_read_and_names_it() -> None:
    # A later field's fault does not pre-empt an earlier field (or a rule the handler checks
    # between them): it is only raised when the handler reads that field.
    data: dict[str, object] = {"first": "x", "count": 9}
    body = decode(data, Body)
    assert body.first == "x"
    assert problem(data, "count") == (
        "range",
        "count",
        "count must be an integer between 1 and 5",
    )
    assert problem({"count": True}, "count")[0] == "range"  # a bool is no integer
    assert problem({"first": "  "}, "first")[:2] == ("missing", "first")
    assert problem({"first": None}, "first")[:2] == ("missing", "first")
    assert problem({"first": 1}, "first")[:2] == ("type", "first")


def test_a_field_the_handler_never_reads_is_never_a_problem() -> None:
    body = decode({"first": "x", "other": 5}, Body)
    assert body.first == "x"
    assert body.choice == "zeta"


def test_choices_are_named_in_their_declared_order() -> None:
    assert problem({"first": "x", "choice": "beta"}, "choice")[2] == (
        "choice must be one of zeta, alpha"
    )


def test_lone_surrogates_are_a_text_problem_of_their_field() -> None:
    assert problem({"first": "\ud800"}, "first")[:2] == ("text", "first")
    assert problem({"first": "x", "choice": "\ud800"}, "choice")[:2] == ("text", "choice")


def test_a_closed_model_names_the_first_unknown_field_before_anything_else() -> None:
    with pytest.raises(BadInput, match="unknown attribute apple"):
        decode({"zebra": 1, "apple": 1, "nickname": 5}, ciam_account.CiamUserinfoUpdate)


def test_the_document_s_request_bodies_are_the_structs_schemas() -> None:
    document = openapi_document(dev=True)
    structs = {
        name: value
        for module in (ciam, ciam_token, ciam_account, yunpian, onlyid)
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, msgspec.Struct)
    }
    bodies = {
        content["schema"]["$ref"].rsplit("/", 1)[1]
        for item in document["paths"].values()
        for operation in item.values()
        for content in operation.get("requestBody", {}).get("content", {}).values()
    }
    assert len(bodies) == 11
    for name in bodies:
        _, generated = msgspec.json.schema_components(
            [structs[name]], ref_template="#/components/schemas/{name}"
        )
        assert document["components"]["schemas"][name] == generated[name]


def test_the_api_app_serves_its_document_without_importing_the_openapi_package() -> None:
    # A fresh interpreter: the suite has long imported both packages.
    code = """
import sys
from otp_flow import OTPEngine
from otp_flow.senders import OutboxSender
from otp_flow.stores.memory import MemoryStore
from otp_flow.web.api import create_api_app
store = MemoryStore()
app = create_api_app(OTPEngine(secret_keys=["k" * 32], store=store, sender=OutboxSender(store)))
assert "/openapi.json" in {route.path for route in app.routes}
assert "otp_flow.web.openapi" not in sys.modules, "api imports openapi"
"""
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
