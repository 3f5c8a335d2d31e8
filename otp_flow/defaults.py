"""Every default of otp_flow, written once (as Flask-Security's ``_default_config``).

The policy objects, the engine, the configuration tables, ``create_auth_app``,
``create_api_app``, the dialects, the token service, the service and the demo all read their
defaults from here, so a default changed here changes everywhere, and the configuration file's
reference (generated from the models) shows the same number the Python keyword does.

This module imports nothing from otp_flow: anything may import it.
"""

from __future__ import annotations

from typing import Final

_MINUTE, _HOUR, _DAY = 60, 3600, 24 * 3600

# ---------------------------------------------------------------- the code (``CodePolicy``)
#: The seeds': a 6-digit code valid for 60 s, 5 wrong guesses, an otp_token valid for 5 minutes.
CODE_LENGTH: Final = 6
CODE_TTL_SECONDS: Final = 60
MAX_FAILURES: Final = 5
TOKEN_TTL_SECONDS: Final = 5 * _MINUTE

# ------------------------------------------------------------------ sending (``Limits``)
APP_PER_DAY: Final = 1000
RECIPIENT_PER_MINUTE: Final = 10
RECIPIENT_PER_HOUR: Final = 30
RECIPIENT_PER_DAY: Final = 30
RESEND_INTERVAL_SECONDS: Final = 30
RESEND_BACKOFF_MAX_SECONDS: Final = 0
#: The calendar-day windows' time zone (the seeds are Chinese services).
TIMEZONE: Final = "Asia/Shanghai"

# ------------------------------------------------------- one requester (``RequesterLimits``)
REQUESTER_SENDS_PER_WINDOW: Final = 6
REQUESTER_SIGNUP_SENDS_PER_WINDOW: Final = 4
REQUESTER_WINDOW_SECONDS: Final = _HOUR
REQUESTER_SENDS_PER_DAY: Final = 20
REQUESTER_RECIPIENT_PER_DAY: Final = 10
REQUESTER_CHECKS_PER_WINDOW: Final = 30

# ---------------------------------------------------------------------- the whole service
STORE: Final = "memory"
ALLOWED_REGIONS: Final = ("CN",)
#: How long one delivery (an SMTP session, a gateway call) may take before the code is killed.
DELIVERY_TIMEOUT_SECONDS: Final = 10.0
#: How long one sender's own request may take (``HTTPSender``, ``SMTPSender``, Tencent).
SENDER_TIMEOUT_SECONDS: Final = 10.0
#: The language of a message when the caller names none.
MESSAGE_LOCALE: Final = "en"
#: The senders' own defaults (``SMTPSender``, ``TencentSMSSender``, ``OutboxSender``).
SMTP_PORT: Final = 587
TENCENT_REGION: Final = "ap-guangzhou"
TENCENT_ENDPOINT: Final = "https://sms.tencentcloudapi.com"
OUTBOX_MAX_MESSAGES: Final = 100
OUTBOX_MAX_MESSAGES_BOUNDS: Final = (1, 10_000)

# --------------------------------------------------------------------- the JSON dialects
MAX_BODY_BYTES: Final = 64 * 1024
#: How far a signed (Yunpian) request's timestamp may be from the server's clock.
SIGNATURE_WINDOW_SECONDS: Final = 5 * _MINUTE
ONLYID_LANGUAGE: Final = "zh"
#: The OnlyID seed's example answers with a 10-minute code and 10 allowed failures.
ONLYID_EXPIRE_MINUTES: Final = 10
ONLYID_MAX_FAIL_COUNT: Final = 10

# ------------------------------------------------------------------- CIAM's tokens
ACCESS_TOKEN_TTL_SECONDS: Final = _HOUR
ID_TOKEN_TTL_SECONDS: Final = _HOUR
REFRESH_TOKEN_TTL_SECONDS: Final = 30 * _DAY

# ------------------------------------------------ bounds (inclusive) of the keywords above
# Read by both the configuration models (msgspec ``Meta``) and the runtime checks. The code
# policy's and the callers' bounds live beside their checks in ``otp_flow.policy``.
#: Every limit of ``Limits`` and ``RequesterLimits`` (0 = off): Redis's Lua numbers are doubles
#: and its windows count milliseconds, so past a billion a limit would stop being exact there.
LIMIT_BOUNDS: Final = (0, 10**9)
MAX_BODY_BYTES_BOUNDS: Final = (1024, 2**24)
SIGNATURE_WINDOW_BOUNDS: Final = (1, _HOUR)
#: Access and id tokens.
TOKEN_TTL_BOUNDS: Final = (60, _DAY)
REFRESH_TOKEN_TTL_BOUNDS: Final = (60, 400 * _DAY)

# -------------------------------------------------------------------------- the pages
MOUNT_PATH: Final = "/auth"
SITE_NAME: Final = "otp_flow"
SESSION_COOKIE: Final = "otp_session"
SESSION_TTL_SECONDS: Final = 14 * _DAY
#: Password length in characters (``otp_flow.passwords.Passwords``); the upper bound keeps a
#: megabyte "password" from becoming a denial of service.
PASSWORD_MIN_LENGTH: Final = 8
PASSWORD_MAX_LENGTH: Final = 1024
PASSWORD_ATTEMPTS: Final = 10
PASSWORD_WINDOW_SECONDS: Final = 15 * _MINUTE
PASSWORD_REQUESTER_ATTEMPTS: Final = 30

# ---------------------------------------------------------------------- the challenge
CHALLENGE_TIMEOUT_SECONDS: Final = 5.0
CHALLENGE_MIN_SCORE: Final = 0.5
CHALLENGE_AFTER_SENDS_PER_REQUESTER: Final = 3
CHALLENGE_SITE_BUDGET_THRESHOLD: Final = 0.8

# ------------------------------------------------------------------------- operations
#: The ``currency`` label of the spend estimate (``otp_flow.metrics.MessagePrices``).
CURRENCY: Final = "USD"
LOG_FORMAT: Final = "text"
LOG_LEVEL: Final = "INFO"
