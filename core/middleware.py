import logging

from core.audit import (
    begin_request_read,
    end_request_read,
    read_state,
    record_request,
    reset_request_ip,
    set_request_ip,
)
from core.clientip import client_ip

logger = logging.getLogger(__name__)


class AuditContextMiddleware:
    """Audit context of a request: the client address for entries written by services, and once the answer is
    sent the request's one ``read`` entry (personal data shown) or ``denied`` entry (401/403/404).

    The address comes from :func:`core.clientip.client_ip` (trusted proxies only, validated); the audit
    context never breaks a request — if reading the address or writing the read entry fails, the
    request is answered all the same and the failure is logged.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            ip = client_ip(request)
        except Exception:  # noqa: BLE001 — the audit context must never turn a request into a 500
            logger.exception("could not read the client address")
            ip = None
        request.client_ip = ip
        token = set_request_ip(ip)
        read_token = begin_request_read()
        try:
            response = self.get_response(request)
            state = read_state()
        finally:
            end_request_read(read_token)
            reset_request_ip(token)
        if getattr(response, "streaming", False):
            # a download (photo, scan, export): on record before its first byte, even if the client goes away
            _record_after(request, response, state, ip)
        else:
            # A page or an API answer: its read/denied entry is written once the answer has been sent — the server
            # closes the response after its last byte (the test client before it returns), and the closers run
            # before the request's database connection is released — so the client never waits for the audit
            # chain's lock (issue 9).
            response._resource_closers.append(lambda: _record_after(request, response, state, ip))
        return response


def _record_after(request, response, state, ip) -> None:
    token = set_request_ip(ip)
    try:
        record_request(request, response, state)
    finally:
        reset_request_ip(token)
