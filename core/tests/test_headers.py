"""Issue 8, hole 9: CSP without inline script, HSTS behind TLS, Referrer-Policy, Swagger UI from our own files."""

import re
from pathlib import Path

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_hole9_every_page_sends_a_csp_that_allows_only_our_own_scripts(cast, client_for):
    response = client_for(cast.reception).get("/")
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)
    assert (
        "'self'" in script_src and "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    )
    assert "object-src 'none'" in csp and "frame-ancestors 'self'" in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_hole9_the_public_board_sends_the_csp_too(client):
    response = client.get("/xunqin/")
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_hole9_no_template_has_inline_script_or_event_handlers():
    offenders = []
    for path in ROOT.glob("**/templates/**/*.html"):
        if ".venv" in path.parts or "node_modules" in path.parts:  # installed packages' files, not ours, not served
            continue
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", text):
            offenders.append(f"{path}: {match.group(0)}")
        for match in re.finditer(r"\son[a-z]+=\"", text):
            offenders.append(f"{path}: {match.group(0)}")
        if "javascript:" in text:
            offenders.append(f"{path}: javascript:")
    assert offenders == []


def test_hole9_api_docs_load_swagger_from_our_own_static_files(cast, client_for):
    body = client_for(cast.reception).get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in body and "/static/ninja/swagger-ui.css" in body
    assert "cdn" not in body.lower() and "https://" not in body


@override_settings(SECURE_HSTS_SECONDS=31536000)
def test_hole9_hsts_is_sent_over_tls(client):
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/accounts/login/")


def test_hole9_production_sends_hsts_and_secure_cookies_by_default():
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "guitu.settings",
        "GUITU_VAR_DIR": "/tmp/guitu-hsts",
    }
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        " print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.split() == ["31536000", "True", "True"], out.stderr
