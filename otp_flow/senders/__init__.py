"""Delivering messages: the ``Sender`` protocol and the senders otp_flow ships.

``OutboxSender`` (development: keeps messages in the store), ``ConsoleSender`` (logs a notice),
``SMTPSender`` (email), ``HTTPSender`` (a generic SMS gateway), ``TencentSMSSender`` (Tencent
Cloud SMS) and ``ChannelRouter`` (one sender per channel). Any failure raises; the engine turns
it into ``DeliveryFailed``, kills the code and gives the quota back.
"""

from otp_flow.senders._base import Message, Sender
from otp_flow.senders._console import ConsoleSender
from otp_flow.senders._http import HTTPSender
from otp_flow.senders._outbox import OutboxEntry, OutboxSender
from otp_flow.senders._router import ChannelRouter
from otp_flow.senders._smtp import SMTPSender
from otp_flow.senders._tencent import TencentSMSSender

__all__ = [
    "ChannelRouter",
    "ConsoleSender",
    "HTTPSender",
    "Message",
    "OutboxEntry",
    "OutboxSender",
    "SMTPSender",
    "Sender",
    "TencentSMSSender",
]
