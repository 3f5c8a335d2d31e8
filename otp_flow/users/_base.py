"""The user record, the small store protocol an application implements, and what the shipped
stores share."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from typing import Protocol, runtime_checkable

from otp_flow.errors import IdentifierTaken
from otp_flow.types import USER_FIELDS, IdentifierField
from otp_flow.users._changes import CLEAR, Clear, require_identifier

__all__ = [
    "IDENTIFIER_FIELDS",
    "IdentifierField",
    "IdentifierTaken",
    "PasswordUserStore",
    "User",
    "UserStore",
    "changed_user",
    "check_user_store",
    "new_user_id",
]


@dataclass(frozen=True, slots=True)
class User:
    id: str
    display_name: str = ""
    phone_number: str | None = None  # E.164
    email: str | None = None  # normalised (lower-case)
    has_password: bool = False
    extra: dict[str, str] = field(default_factory=dict)


IDENTIFIER_FIELDS: tuple[IdentifierField, ...] = tuple(USER_FIELDS.values())


@runtime_checkable
class UserStore(Protocol):
    """What every page needs of an application's user store (passwordless pages need no more).

    Ids are strings; phone numbers are E.164 and emails lower-cased (as ``IdentifierParser``
    gives them); ``create`` and ``update`` raise ``IdentifierTaken`` on a duplicate.
    """

    async def get(self, user_id: str) -> User | None: ...

    async def find_by_phone(self, phone_number: str) -> User | None: ...

    async def find_by_email(self, email: str) -> User | None: ...

    async def create(
        self,
        *,
        display_name: str,
        phone_number: str | None = None,
        email: str | None = None,
    ) -> User:
        """Raise ``IdentifierTaken`` when the phone or email already belongs to a user."""
        ...

    async def update(
        self,
        user_id: str,
        *,
        display_name: str | None = None,
        phone_number: str | Clear | None = None,
        email: str | Clear | None = None,
    ) -> User:
        """Change the given fields (None = leave as is, ``CLEAR`` = remove the identifier).

        ``IdentifierTaken`` as in ``create``; ``IdentifierRequired`` when neither a phone number
        nor an email would be left.
        """
        ...


@runtime_checkable
class PasswordUserStore(UserStore, Protocol):
    """A store that also keeps (hashed) passwords: what password sign-in and reset need."""

    async def create(
        self,
        *,
        display_name: str,
        phone_number: str | None = None,
        email: str | None = None,
        password: str | None = None,
    ) -> User:
        """As ``UserStore.create``; ``password`` (already checked against the rules) is hashed."""
        ...

    async def set_password(self, user_id: str, password: str) -> None: ...

    async def check_password(self, user_id: str, password: str) -> bool:
        """Constant work whether or not the user exists or has a password (no timing oracle)."""
        ...


#: The methods each kind of store must have, and what needs them (for start-up messages).
_STORE_METHODS = ("get", "find_by_phone", "find_by_email", "create", "update")
_PASSWORD_METHODS = ("set_password", "check_password")


def check_user_store(store: object, *, passwords: bool) -> None:
    """Raise ``ValueError`` naming every method ``store`` lacks for the pages switched on.

    Called by ``create_auth_app`` at start-up, so a missing method is a clear message then, not
    a 500 the first time someone uses the page that needs it.
    """
    name = type(store).__name__
    problems = [
        f"the user store {name} has no method {method}, which every page needs"
        for method in _STORE_METHODS
        if not callable(getattr(store, method, None))
    ]
    if passwords:
        problems += [
            f"the user store {name} has no method {method}, which password sign-in needs; "
            "pass passwords=False to create_auth_app for passwordless pages"
            for method in _PASSWORD_METHODS
            if not callable(getattr(store, method, None))
        ]
    if problems:
        raise ValueError("; ".join(problems))


def new_user_id() -> str:
    return secrets.token_urlsafe(12)


def changed_user(
    user: User,
    display_name: str | None,
    phone_number: str | Clear | None,
    email: str | Clear | None,
) -> User:
    """``user`` with the given fields changed (None = leave as is, ``CLEAR`` = remove).

    Raises ``IdentifierRequired`` when neither a phone number nor an email would be left.
    """
    new = replace(
        user,
        display_name=user.display_name if display_name is None else display_name,
        phone_number=_changed(user.phone_number, phone_number),
        email=_changed(user.email, email),
    )
    require_identifier(new.phone_number, new.email)
    return new


def _changed(old: str | None, change: str | Clear | None) -> str | None:
    if change is CLEAR:
        return None
    return old if change is None else change
