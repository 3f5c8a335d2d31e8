"""Cloudflare Turnstile, hCaptcha and Google reCAPTCHA: one siteverify call each (httpx).

All three speak the same contract: POST a form of ``secret``, ``response`` (the token) and
``remoteip`` (optional) to the provider's siteverify URL; the JSON answer has ``success`` (bool),
``error-codes`` (list), ``hostname`` (where the widget was solved) and, for Turnstile and
reCAPTCHA v3, ``action``; reCAPTCHA v3 adds ``score`` (0.0 bot … 1.0 human). hCaptcha also takes
``sitekey`` so a token solved for another of the account's sites is refused.

Verdicts (see the package docstring): True only on ``success: true`` plus the optional
hostname, action and score checks; False for a token that is empty, oversized, refused or
solved elsewhere; ``ChallengeUnavailable`` when the provider cannot be asked, answers a non-2xx
or something that is not the documented JSON, or rejects our own secret (a misconfiguration
must not look like a bot: it shows as 503s, not as every person failing the challenge).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal

import httpx

from otp_flow import defaults
from otp_flow._checks import check_text, check_timeout
from otp_flow.challenges._base import ChallengeUnavailable, CSPSources, Widget

__all__ = [
    "HCaptchaChallenge",
    "RecaptchaChallenge",
    "SiteverifyChallenge",
    "TurnstileChallenge",
]

log = logging.getLogger("otp_flow.challenges")

#: Turnstile documents 2048 characters; the others are shorter. Longer is not a real token,
#: and is not worth a call to the provider.
MAX_TOKEN_LENGTH = 4096
#: Error codes that blame our request or the provider, not the person solving the widget.
_NOT_THE_PERSONS_FAULT = frozenset(
    {
        "missing-input-secret",
        "invalid-input-secret",
        "sitekey-secret-mismatch",
        "bad-request",
        "internal-error",
    }
)


class SiteverifyChallenge:
    """The siteverify contract shared by the three providers; subclasses name the provider.

    ``verify_url``: the provider's siteverify endpoint (default: the public one; point it at a
    stand-in in tests or at a proxy). ``hostnames``: when given, a token solved on any other
    hostname is refused (a site key can be shared by several sites). ``timeout``: seconds for
    the whole call; a timeout is ``ChallengeUnavailable``. ``http``: an ``httpx.AsyncClient``
    to use (and leave open); by default the challenge keeps its own and ``aclose`` closes it.
    """

    provider: ClassVar[str]
    default_verify_url: ClassVar[str]
    script_url_base: ClassVar[str]
    element_class: ClassVar[str]
    form_field: ClassVar[str]
    csp_origins: ClassVar[CSPSources]
    #: Whether the provider reports the widget's ``action`` (checked when ``verify`` gets one).
    reports_action: ClassVar[bool] = False

    def __init__(
        self,
        *,
        site_key: str,
        secret_key: str,
        verify_url: str | None = None,
        hostnames: Iterable[str] = (),
        timeout: float = defaults.CHALLENGE_TIMEOUT_SECONDS,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.site_key = check_text("site_key", site_key)
        self._secret_key = check_text("secret_key", secret_key)
        url = verify_url if verify_url is not None else self.default_verify_url
        parsed = httpx.URL(url) if isinstance(url, str) else None
        if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
            raise ValueError(f"verify_url must be an http:// or https:// URL, got {url!r}")
        self.verify_url = url
        self.hostnames = frozenset(check_text("hostnames", h).lower() for h in hostnames)
        self.timeout = check_timeout(timeout)
        self._own_http = http is None
        self._http = http

    def __repr__(self) -> str:  # never the secret
        return f"{type(self).__name__}(site_key={self.site_key!r}, verify_url={self.verify_url!r})"

    @property
    def field_name(self) -> str:
        return self.form_field

    @property
    def csp(self) -> CSPSources:
        return self.csp_origins

    @property
    def widget(self) -> Widget:
        return Widget(
            provider=self.provider,
            site_key=self.site_key,
            script_url=self.script_url_base,
            element_class=self.element_class,
            field_name=self.form_field,
        )

    async def verify(self, token: str, *, remote_ip: str | None, action: str | None = None) -> bool:
        """True when the provider vouches for ``token``; see the module docstring."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            return False
        form = {"secret": self._secret_key, "response": token, **self._extra_fields()}
        if remote_ip:
            form["remoteip"] = remote_ip
        answer = await self._ask(form)
        codes = answer.get("error-codes") or []
        codes = [c for c in codes if isinstance(c, str)] if isinstance(codes, list) else []
        blamed = sorted(_NOT_THE_PERSONS_FAULT.intersection(codes))
        if blamed:
            raise ChallengeUnavailable(f"{self.provider} refused our request: {', '.join(blamed)}")
        if answer["success"] is not True:
            log.info("%s challenge not passed: %s", self.provider, ", ".join(codes) or "no reason")
            return False
        hostname = answer.get("hostname")
        if self.hostnames and (
            not isinstance(hostname, str) or hostname.lower() not in self.hostnames
        ):
            log.warning("%s token solved on another hostname: %r", self.provider, hostname)
            return False
        if action is not None and self.reports_action and answer.get("action") != action:
            log.warning("%s token for another action: %r", self.provider, answer.get("action"))
            return False
        return self._passes(answer)

    def _extra_fields(self) -> Mapping[str, str]:
        return {}

    def _passes(self, answer: Mapping[str, Any]) -> bool:
        """Provider-specific checks on a successful answer (reCAPTCHA v3's score)."""
        return True

    async def _ask(self, form: Mapping[str, str]) -> dict[str, Any]:
        if self._http is None:
            self._http = httpx.AsyncClient(follow_redirects=False)
        try:
            response = await self._http.post(self.verify_url, data=form, timeout=self.timeout)
        except httpx.TimeoutException as exc:
            raise ChallengeUnavailable(f"{self.provider} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise ChallengeUnavailable(f"{self.provider}: {type(exc).__name__}") from exc
        if not response.is_success:
            raise ChallengeUnavailable(f"{self.provider} answered HTTP {response.status_code}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise ChallengeUnavailable(f"{self.provider} answered something not JSON") from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("success"), bool):
            raise ChallengeUnavailable(f"{self.provider} answered JSON without a success flag")
        return answer

    async def aclose(self) -> None:
        if self._own_http and self._http is not None:
            await self._http.aclose()
            self._http = None


class TurnstileChallenge(SiteverifyChallenge):
    """Cloudflare Turnstile. ``verify(..., action=...)`` checks the widget's ``data-action``."""

    provider = "turnstile"
    default_verify_url = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    script_url_base = "https://challenges.cloudflare.com/turnstile/v0/api.js"
    element_class = "cf-turnstile"
    form_field = "cf-turnstile-response"
    csp_origins = CSPSources(
        script_src=("https://challenges.cloudflare.com",),
        frame_src=("https://challenges.cloudflare.com",),
    )
    reports_action = True


class HCaptchaChallenge(SiteverifyChallenge):
    """hCaptcha. Sends ``sitekey`` too, so a token for another of the account's sites fails."""

    provider = "hcaptcha"
    default_verify_url = "https://api.hcaptcha.com/siteverify"
    script_url_base = "https://js.hcaptcha.com/1/api.js"
    element_class = "h-captcha"
    form_field = "h-captcha-response"
    _origins = ("https://hcaptcha.com", "https://*.hcaptcha.com")
    csp_origins = CSPSources(
        script_src=_origins, frame_src=_origins, connect_src=_origins, style_src=_origins
    )

    def _extra_fields(self) -> Mapping[str, str]:
        return {"sitekey": self.site_key}


class RecaptchaChallenge(SiteverifyChallenge):
    """Google reCAPTCHA v2 (the checkbox) or v3 (invisible, scored).

    ``version=3``: an answer without a score, or with a score below ``min_score`` (default 0.5,
    Google's suggested start), is refused; ``verify(..., action=...)`` checks the action the
    page executed. v2 answers carry neither.
    """

    provider = "recaptcha"
    default_verify_url = "https://www.google.com/recaptcha/api/siteverify"
    script_url_base = "https://www.google.com/recaptcha/api.js"
    element_class = "g-recaptcha"
    form_field = "g-recaptcha-response"
    csp_origins = CSPSources(
        script_src=("https://www.google.com/recaptcha/", "https://www.gstatic.com/recaptcha/"),
        frame_src=("https://www.google.com/recaptcha/", "https://recaptcha.google.com/recaptcha/"),
    )

    def __init__(
        self,
        *,
        site_key: str,
        secret_key: str,
        version: Literal[2, 3] = 2,
        min_score: float = defaults.CHALLENGE_MIN_SCORE,
        **options: Any,
    ) -> None:
        super().__init__(site_key=site_key, secret_key=secret_key, **options)
        if version not in (2, 3):
            raise ValueError("version must be 2 or 3")
        number = isinstance(min_score, int | float) and not isinstance(min_score, bool)
        if not (number and 0 <= min_score <= 1):  # NaN fails the comparison: refused
            raise ValueError("min_score must be a number between 0 and 1")
        self.version = version
        self.min_score = float(min_score)

    @property
    def reports_action(self) -> bool:  # type: ignore[override]
        return self.version == 3

    @property
    def widget(self) -> Widget:
        if self.version == 2:
            return super().widget
        return Widget(
            provider=self.provider,
            site_key=self.site_key,
            script_url=str(httpx.URL(self.script_url_base, params={"render": self.site_key})),
            element_class=self.element_class,
            field_name=self.form_field,
            invisible=True,
        )

    def _passes(self, answer: Mapping[str, Any]) -> bool:
        if self.version == 2:
            return True
        score = answer.get("score")
        if isinstance(score, bool) or not isinstance(score, int | float):
            log.warning("recaptcha v3 answer without a score: refused")
            return False
        if score < self.min_score:
            log.info("recaptcha v3 score %.2f below %.2f: refused", score, self.min_score)
            return False
        return True
