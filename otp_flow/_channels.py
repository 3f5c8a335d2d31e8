"""The delivery channels (re-exported by ``otp_flow.types``), in a module of their own so the
usage registry (``otp_flow._usages``, which ``types`` imports) can name them too."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["CHANNELS", "Channel"]

Channel = Literal["sms", "email"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)
