"""Template overrides: an application's folder wins, and can extend the packaged original."""

from __future__ import annotations

from pathlib import Path

from otp_flow.stores.memory import MemoryStore
from tests.conftest import FakeClock
from tests.web_helpers import open_site


async def test_an_override_extends_the_packaged_page(tmp_path: Path, clock: FakeClock) -> None:
    (tmp_path / "login.html").write_text(
        '{% extends "@otp_flow/login.html" %}\n'
        "{% block content %}<p class=banner>{{ _('Hello') }} {{ brand }}</p>{{ super() }}"
        "{% endblock %}"
    )
    (tmp_path / "_styles.css").write_text("body { color: rebeccapurple; }")
    async with open_site(
        MemoryStore(),
        clock,
        template_dirs=[str(tmp_path)],
        translations={"zh-CN": {"Hello": "你好"}},
        template_globals={"brand": "ACME"},
    ) as site:
        page = await site.client.get("/auth/login")
        assert page.status_code == 200
        assert "<p class=banner>Hello ACME</p>" in page.text
        assert 'name="identifier"' in page.text  # the original form is still there
        assert "rebeccapurple" in page.text  # base.html includes the app's stylesheet
        signup = await site.client.get("/auth/signup")
        assert "banner" not in signup.text and "rebeccapurple" in signup.text
        zh = await site.client.get("/auth/login", headers={"Accept-Language": "zh-CN"})
        assert "<p class=banner>你好 ACME</p>" in zh.text


async def test_an_override_can_replace_a_page(tmp_path: Path, clock: FakeClock) -> None:
    (tmp_path / "signup.html").write_text("closed for signups")
    async with open_site(MemoryStore(), clock, template_dirs=[tmp_path]) as site:
        assert (await site.client.get("/auth/signup")).text == "closed for signups"


async def test_pages_mounted_elsewhere_link_to_their_own_mount(clock: FakeClock) -> None:
    import httpx
    from starlette.applications import Starlette
    from starlette.routing import Mount

    async with open_site(MemoryStore(), clock) as site:
        app = Starlette(routes=[Mount("/people/sign", app=site.auth)])
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            page = await client.get("/people/sign/login")
            assert 'action="/people/sign/login"' in page.text
            assert "Path=/people/sign" in page.headers["set-cookie"]
