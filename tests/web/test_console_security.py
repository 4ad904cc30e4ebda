"""Attacks on the console's sessions and forms (issue 8 §7 and acceptance): session fixation,
CSRF (missing, forged, another visitor's token, cross-origin), clickjacking, reflected XSS,
open redirects, cookie flags, sign-out revocation and password guessing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.world import PASSWORD, World, build_world
from tests.web.console import Console, console_for, csrf_from


@pytest.fixture
def world(app: Any) -> World:
    return build_world(app)


def _cookies(response: Any) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


def test_session_fixation_a_planted_session_id_is_never_adopted(app: Any, world: World) -> None:
    victim = console_for(app)
    planted = "elxr_attacker-chosen-value-0000000000000000000000"
    victim.client.set_cookie("elx_session", planted)
    victim.client.set_cookie("elx_pre", "A" * 43)
    response = victim.sign_in(world["buyer"].email)
    issued = _cookies(response)["elx_session"].split(";")[0].split("=", 1)[1]
    assert issued != planted and issued.startswith("elxr_")
    assert "elx_pre" in _cookies(response)  # the pre-session nonce is dropped
    attacker = Console(app.test_client())
    attacker.client.set_cookie("elx_session", planted)
    assert attacker.get("/console").status_code == 302  # the planted id authenticates nobody


def test_session_cookie_flags(app: Any, world: World) -> None:
    response = console_for(app).sign_in(world["buyer"].email)
    cookie = _cookies(response)["elx_session"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP in tests ('auto')


def test_secure_cookies_behind_tls(app_factory: Any) -> None:
    app = app_factory(WEB_COOKIE_SECURE="always")
    world = build_world(app)
    response = console_for(app).sign_in(world["buyer"].email)
    assert "Secure" in _cookies(response)["elx_session"]
    over_tls = app.test_client().get("/login", base_url="https://elx.example")
    assert "Secure" in over_tls.headers["Set-Cookie"]


def test_sign_out_revokes_the_session_server_side(app: Any, world: World) -> None:
    console = console_for(app, world["buyer"].email)
    stolen = console.client.get_cookie("elx_session").value
    assert console.get("/console").status_code == 200
    assert console.post("/logout", page="/console").status_code == 303
    replay = Console(app.test_client())
    replay.client.set_cookie("elx_session", stolen)
    assert replay.get("/console").status_code == 302


def test_csrf_token_of_another_visitor_or_session_is_refused(app: Any, world: World) -> None:
    alice = console_for(app, world["buyer"].email)
    mallory = console_for(app, world["outsider"].email)
    foreign = mallory.token("/console")
    response = alice.client.post("/logout", data={"csrf_token": foreign})
    assert response.status_code == 403
    assert alice.get("/console").status_code == 200  # still signed in
    # a token from before sign-in is bound to the pre-session nonce, not to the session
    anonymous = console_for(app)
    early = anonymous.token()
    anonymous.sign_in(world["buyer"].email)
    assert anonymous.client.post("/logout", data={"csrf_token": early}).status_code == 403


def test_csrf_cross_origin_post_is_refused_even_with_a_token(app: Any, world: World) -> None:
    console = console_for(app, world["buyer"].email)
    token = console.token("/console")
    evil = console.client.post("/logout", data={"csrf_token": token},
                               headers={"Origin": "https://evil.example"})
    assert evil.status_code == 403
    same = console.client.post("/logout", data={"csrf_token": token},
                               headers={"Origin": "http://localhost"})
    assert same.status_code == 303


def test_login_form_without_token_is_refused_and_does_not_sign_in(app: Any, world: World) -> None:
    client = app.test_client()
    response = client.post("/login", data={"email": world["buyer"].email, "password": PASSWORD})
    assert response.status_code == 403
    assert client.get_cookie("elx_session") is None


@pytest.mark.parametrize("path", ["/", "/login", "/console", "/nope-not-a-page"])
def test_pages_refuse_framing_and_inline_script(app: Any, path: str) -> None:
    response = app.test_client().get(path)
    assert response.headers["X-Frame-Options"] == "DENY"
    if response.mimetype == "text/html":
        csp = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp


def test_reflected_input_is_escaped(app: Any) -> None:
    payload = '"><script>alert(1)</script>'
    html = app.test_client().get("/login", query_string={"next": "/x" + payload}) \
        .get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html or "%3Cscript%3E" in html
    console = console_for(app)
    failed = console.post("/login", {"email": payload + "@x.org", "password": "nope"})
    assert failed.status_code == 401
    assert "<script>alert(1)</script>" not in failed.get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_no_open_redirect_after_sign_in_or_language_switch(app: Any, world: World,
                                                           target: str) -> None:
    console = console_for(app)
    response = console.post("/login", {"email": world["buyer"].email, "password": PASSWORD,
                                       "next": target})
    assert response.headers["Location"] == "/console"
    switched = app.test_client().get("/lang/en", query_string={"next": target})
    assert switched.headers["Location"] == "/"


def test_password_guessing_is_throttled_in_the_console_too(app: Any, world: World) -> None:
    console = console_for(app)
    statuses = [console.post("/login", {"email": world["buyer"].email, "password": "guess"})
                .status_code for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1)]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {401}
    right = console.post("/login", {"email": world["buyer"].email, "password": PASSWORD})
    assert right.status_code == 429  # even the right password waits out the window


def test_anonymous_visitor_is_sent_to_sign_in_and_back(app: Any, world: World) -> None:
    console = console_for(app)
    response = console.get("/console?tab=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fconsole%3Ftab%3D1"
    page = console.get(response.headers["Location"]).get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "email": world["buyer"].email, "password": PASSWORD,
            "next": "/console?tab=1"}
    assert console.client.post("/login", data=form).headers["Location"] == "/console?tab=1"


def test_oversize_form_upload_is_refused_before_it_is_spooled(app: Any, world: World) -> None:
    console = console_for(app, world["merchant"].email)
    token = console.token("/console")
    big = b"a,b\n" * ((app.config["MAX_UPLOAD_BYTES"] + (2 << 20)) // 4)
    import io

    response = console.client.post("/logout", data={"csrf_token": token,
                                                     "file": (io.BytesIO(big), "big.csv")},
                                    content_type="multipart/form-data")
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert console.get("/console").status_code == 200  # the form did not act: still signed in
