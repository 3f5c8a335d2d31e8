"""otp_flow: one-time-passcode sign-in by SMS and email for any ASGI application.

The engine (``OTPEngine``) works without any web framework; ``otp_flow.web`` adapts it to
Starlette (pages, middleware, JSON APIs).
"""

from otp_flow._clients import Client
from otp_flow.engine import OTPEngine
from otp_flow.errors import (
    AttemptsExceeded,
    BlockedEmail,
    ChallengeUnavailable,
    CodeExpired,
    ConfigError,
    DeliveryFailed,
    IdentifierError,
    IdentifierRequired,
    IdentifierTaken,
    InvalidRequest,
    InvalidToken,
    MalformedEmail,
    MalformedPhoneNumber,
    NoChallenge,
    OTPError,
    PhoneRegionNotAllowed,
    QuotaExhausted,
    RateLimited,
    RefreshRejected,
    Refused,
    SendRefused,
    ServiceUnavailable,
    StoreUnavailable,
    TokenRejected,
    TooManyChecks,
    VerificationFailed,
    WrongCode,
)
from otp_flow.identifiers import IdentifierParser
from otp_flow.policy import CodePolicy, Limits, RequesterLimits
from otp_flow.senders._base import Message, Sender
from otp_flow.stores.base import OTPStore
from otp_flow.stores.memory import MemoryStore
from otp_flow.types import (
    Channel,
    Recipient,
    RequesterStats,
    SendResult,
    Usage,
    VerifyResult,
    WindowCount,
    WindowCounts,
)

__version__ = "0.1.0"

__all__ = [
    "AttemptsExceeded",
    "BlockedEmail",
    "ChallengeUnavailable",
    "Channel",
    "Client",
    "CodeExpired",
    "CodePolicy",
    "ConfigError",
    "DeliveryFailed",
    "IdentifierError",
    "IdentifierParser",
    "IdentifierRequired",
    "IdentifierTaken",
    "InvalidRequest",
    "InvalidToken",
    "Limits",
    "MalformedEmail",
    "MalformedPhoneNumber",
    "MemoryStore",
    "Message",
    "NoChallenge",
    "OTPEngine",
    "OTPError",
    "OTPStore",
    "PhoneRegionNotAllowed",
    "QuotaExhausted",
    "RateLimited",
    "Recipient",
    "RefreshRejected",
    "Refused",
    "RequesterLimits",
    "RequesterStats",
    "SendRefused",
    "SendResult",
    "Sender",
    "ServiceUnavailable",
    "StoreUnavailable",
    "TokenRejected",
    "TooManyChecks",
    "Usage",
    "VerificationFailed",
    "VerifyResult",
    "WindowCount",
    "WindowCounts",
    "WrongCode",
    "__version__",
]
