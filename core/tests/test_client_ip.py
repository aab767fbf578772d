"""Hole 4 (issue 8): the client address is read only through trusted proxies and never breaks a request."""

import pytest

from core.clientip import client_ip, valid_ip
from core.models import AuditAction, AuditEntry
from people.services import person_create

GARBAGE = [
    "garbage",
    "1.2.3.4, not-an-ip",
    "999.1.1.1",
    "fe80::1%eth0",
    "1.2.3.4\x00",
    "' OR 1=1 --",
    "x" * 5000,
    ",,,",
    "unknown",
]


class _Req:
    def __init__(self, remote="10.0.0.1", forwarded=None):
        self.META = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            self.META["HTTP_X_FORWARDED_FOR"] = forwarded


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.2.3.4", "1.2.3.4"),
        (" 2001:db8::1 ", "2001:db8::1"),
        ("1.2.3.4:5678", "1.2.3.4"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("::ffff:1.2.3.4", "1.2.3.4"),
        ("fe80::1%eth0", None),
        ("garbage", None),
        ("", None),
        (None, None),
        ("1.2.3", None),
    ],
)
def test_only_plain_ip_addresses_are_valid(value, expected):
    assert valid_ip(value) == expected


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings):
    settings.GUITU_TRUSTED_PROXIES = 0
    assert client_ip(_Req("10.0.0.1", "6.6.6.6")) == "10.0.0.1"


def test_with_one_trusted_proxy_the_last_hop_is_the_client_and_earlier_claims_are_ignored(settings):
    settings.GUITU_TRUSTED_PROXIES = 1
    # The client claims 6.6.6.6; nginx appended the real peer 203.0.113.7.
    assert client_ip(_Req("127.0.0.1", "6.6.6.6, 203.0.113.7")) == "203.0.113.7"


def test_with_two_trusted_proxies_the_second_hop_from_the_right_is_the_client(settings):
    settings.GUITU_TRUSTED_PROXIES = 2
    assert client_ip(_Req("127.0.0.1", "6.6.6.6, 203.0.113.7, 10.1.1.1")) == "203.0.113.7"
    # Fewer hops than proxies: only the socket is believed.
    assert client_ip(_Req("127.0.0.1", "203.0.113.7")) == "127.0.0.1"


@pytest.mark.parametrize("forwarded", GARBAGE)
def test_a_garbage_x_forwarded_for_falls_back_to_the_proxy_address(settings, forwarded):
    settings.GUITU_TRUSTED_PROXIES = 1
    assert client_ip(_Req("127.0.0.1", forwarded)) == "127.0.0.1"


def test_a_garbage_remote_addr_gives_no_address():
    assert client_ip(_Req("unix:/run/gunicorn.sock")) is None


def _audited_ip(cast, client, *, forwarded, remote="192.0.2.10"):
    person = person_create(by=cast.reception, station=cast.station, data={"name": "张三", "sex": "女"})
    response = client.get(f"/people/{person.uuid}/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    assert response.status_code == 200
    return AuditEntry.objects.filter(action=AuditAction.VIEW, object_id=str(person.uuid)).latest("id").ip


@pytest.mark.django_db
@pytest.mark.parametrize("proxies", [0, 1])
@pytest.mark.parametrize("forwarded", GARBAGE)
def test_a_garbage_x_forwarded_for_neither_breaks_an_audited_request_nor_forges_its_ip(
    cast, client_for, settings, tmp_path, proxies, forwarded
):
    # On PostgreSQL the audit IP is an inet column: an unvalidated header used to turn this into a 500.
    settings.MEDIA_ROOT = tmp_path
    settings.GUITU_TRUSTED_PROXIES = proxies
    assert _audited_ip(cast, client_for(cast.reception), forwarded=forwarded) == "192.0.2.10"


@pytest.mark.django_db
def test_a_client_cannot_forge_its_audit_ip_without_a_trusted_proxy(cast, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.GUITU_TRUSTED_PROXIES = 0
    assert _audited_ip(cast, client_for(cast.reception), forwarded="8.8.8.8") == "192.0.2.10"


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_audit_ip_is_the_real_client(cast, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.GUITU_TRUSTED_PROXIES = 1
    ip = _audited_ip(cast, client_for(cast.reception), forwarded="8.8.8.8, 203.0.113.7", remote="127.0.0.1")
    assert ip == "203.0.113.7"
