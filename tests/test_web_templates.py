"""Template overrides: an application's folder wins, and can extend the packaged original."""

from __future__ import annotations

from pathlib import Path

import pytest

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


# ------------------------------------------------------------------- the template contract

DOCS = Path(__file__).parent.parent / "docs" / "templates.md"
TEMPLATES = Path(__file__).parent.parent / "templates"


def test_docs_list_every_template_block_macro_class_and_variable(clock: FakeClock) -> None:
    import re

    from starlette.requests import Request

    from tests.web_helpers import build_app

    docs = DOCS.read_text(encoding="utf-8")
    pages = sorted(p.name for p in TEMPLATES.iterdir() if p.is_file())
    sources = {name: (TEMPLATES / name).read_text(encoding="utf-8") for name in pages}
    for name in pages:
        assert f"`{name}`" in docs, name
    for source in sources.values():
        for block in re.findall(r"{% block (\w+) %}", source):
            assert f"`{block}`" in docs, block
    for macro in re.findall(r"{% macro (\w+)\(", sources["_macros.html"]):
        assert f"`m.{macro}(" in docs, macro
    used = {
        css
        for source in sources.values()
        for attribute in re.findall(r'class="([^"{]*)', source)
        for css in attribute.split()
    } | set(re.findall(r"\.([a-z][a-z-]*)", sources["_styles.css"]))
    assert len(used) > 20
    for css in sorted(used):
        assert f"| `{css}` |" in docs, css
    # Every variable a page gets before its own context.
    _, auth, *_ = build_app(MemoryStore(), clock, template_globals={})
    scope = {"type": "http", "headers": [], "path": "/", "query_string": b"", "app": None}
    context = auth.state.otp_flow.pages.context(Request(scope))
    jinja_defaults = {"range", "dict", "lipsum", "cycler", "joiner", "namespace"}
    names = set(context) - jinja_defaults | {"csrf_token", "notice", "form_error", "errors"}
    assert {"_", "url", "user", "passwords", "site_name"} <= names
    for name in sorted(names | {"values", "next"}):
        assert re.search(rf"\| `{name}[`(]", docs), name


async def test_a_base_html_of_your_own_keeps_the_styles(tmp_path: Path, clock: FakeClock) -> None:
    (tmp_path / "base.html").write_text(
        '<!doctype html><html lang="{{ lang }}"><head>{% include "_head.html" %}'
        "<title>{% block title %}{% endblock %} - ACME</title></head>"
        '<body><nav class="acme">ACME</nav>{% block content %}{% endblock %}</body></html>'
    )
    async with open_site(MemoryStore(), clock, template_dirs=[tmp_path]) as site:
        page = await site.client.get("/auth/login")
        assert page.status_code == 200
        assert '<nav class="acme">ACME</nav>' in page.text
        assert "--accent:" in page.text  # otp_flow's styles, without any styles block
        assert 'name="identifier"' in page.text


async def test_an_extending_base_html_keeps_the_styles_unless_dropped_on_purpose(
    tmp_path: Path, clock: FakeClock
) -> None:
    kept, dropped = tmp_path / "kept", tmp_path / "dropped"
    kept.mkdir()
    dropped.mkdir()
    (kept / "base.html").write_text(
        '{% extends "@otp_flow/base.html" %}'
        "{% block header %}<b>ACME</b>{% endblock %}"
        "{% block head %}<style>:root { --accent: #0a7d5a; }</style>{% endblock %}"
    )
    (dropped / "base.html").write_text(
        '{% extends "@otp_flow/base.html" %}{% block otp_flow_head %}{% endblock %}'
    )
    async with open_site(MemoryStore(), clock, template_dirs=[kept]) as site:
        page = (await site.client.get("/auth/login")).text
        assert "<b>ACME</b>" in page and "#0a7d5a" in page and "--accent: #2455d6" in page
    async with open_site(MemoryStore(), clock, template_dirs=[dropped]) as site:
        page = (await site.client.get("/auth/login")).text
        assert "--accent" not in page and 'name="identifier"' in page


async def test_auth_pages_render_the_applications_own_pages(
    tmp_path: Path, clock: FakeClock
) -> None:
    import httpx
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Mount, Route
    from starlette.templating import Jinja2Templates

    from otp_flow.web import OTPAuthMiddleware, auth_pages
    from tests.live_server import serve
    from tests.web_helpers import build_app

    (tmp_path / "home.html").write_text(
        '{% extends "base.html" %}{% block title %}{{ _("Home") }}{% endblock %}'
        '{% block content %}<a id=in href="{{ url("login", next="/") }}">{{ _("Sign in") }}</a>'
        "<i>{{ user.display_name if user else '-' }}</i>{% endblock %}"
    )
    own = tmp_path / "own"
    own.mkdir()
    (own / "elsewhere.html").write_text(
        '<html lang="{{ lang }}"><a href="{{ url("signup") }}">{{ _("Create account") }}</a></html>'
    )
    _, auth, *_ = build_app(
        MemoryStore(), clock, template_dirs=[tmp_path], translations={"zh-CN": {"Home": "首页"}}
    )
    pages = auth_pages(auth)
    templates = Jinja2Templates(directory=own)

    async def home(request: Request) -> Response:
        return pages.render(request, "home.html")

    async def elsewhere(request: Request) -> Response:
        return templates.TemplateResponse(request, "elsewhere.html", pages.context(request))

    app = Starlette(
        routes=[Route("/", home), Route("/x", elsewhere), Mount("/people", app=auth)],
        middleware=[Middleware(OTPAuthMiddleware, auth=auth)],
    )
    async with serve(app) as url, httpx.AsyncClient(base_url=url) as client:
        english = await client.get("/")
        assert '<a id=in href="/people/login?next=%2F">Sign in</a><i>-</i>' in english.text
        assert "<title>Home · otp_flow</title>" in english.text
        assert "--accent" in english.text  # the same look as otp_flow's pages
        chinese = await client.get("/", headers={"Accept-Language": "zh-CN"})
        assert "<title>首页 · otp_flow</title>" in chinese.text and "登录" in chinese.text
        other = await client.get("/x", headers={"Accept-Language": "zh-CN"})
        assert other.text == '<html lang="zh-CN"><a href="/people/signup">注册</a></html>'
    with pytest.raises(ValueError, match="create_auth_app"):
        auth_pages(app)
