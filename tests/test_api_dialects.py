"""The one registry of dialects (``_dialects.DIALECTS``) and what the document makes of it."""

from __future__ import annotations

from typing import ClassVar

from starlette.routing import BaseRoute

from otp_flow.web.api._context import ApiContext
from otp_flow.web.api._dialects import DIALECTS
from otp_flow.web.api._document import describe
from otp_flow.web.api._schema import Fragment
from otp_flow.web.openapi import openapi_document

#: The description as it was written by hand before it was generated.
SEED_DESCRIPTION = (
    "One-time passcodes by SMS and email in three dialects: CIAM "
    "(/otp/*, /oauth2/*, /signup, /reset_user_password, /userinfo), Yunpian "
    "(/api/sms/*) and OnlyID (/api/open/*). POST /otp/verify is otp_flow's extension."
)


class ToyApi:
    """A fourth dialect, as docs/extending.md shows it: one class, one entry in DIALECTS."""

    dialect: ClassVar[str] = "Toy"
    paths: ClassVar[str] = "/api/toy/*"
    note: ClassVar[str] = ""

    def __init__(self, context: ApiContext) -> None:
        self.context = context

    def routes(self) -> list[BaseRoute]:
        return []

    @staticmethod
    def openapi() -> Fragment:
        return Fragment({})


def test_the_description_is_generated_from_the_registry() -> None:
    assert describe(DIALECTS) == SEED_DESCRIPTION
    assert openapi_document()["info"]["description"] == SEED_DESCRIPTION


def test_a_fourth_dialect_is_named_in_the_description() -> None:
    assert describe((*DIALECTS, ToyApi)) == (
        "One-time passcodes by SMS and email in four dialects: CIAM "
        "(/otp/*, /oauth2/*, /signup, /reset_user_password, /userinfo), Yunpian "
        "(/api/sms/*), OnlyID (/api/open/*) and Toy (/api/toy/*). "
        "POST /otp/verify is otp_flow's extension."
    )


def test_every_dialect_tags_its_operations_with_its_name() -> None:
    for dialect in DIALECTS:
        for item in dialect.openapi().paths.values():
            assert {op["tags"][0] for op in item.values()} == {dialect.dialect}, dialect
