import logging

from core.audit import reset_request_ip, set_request_ip
from core.clientip import client_ip

logger = logging.getLogger(__name__)


class AuditContextMiddleware:
    """Makes the client address available to audit entries written by services.

    The address comes from :func:`core.clientip.client_ip` (trusted proxies only, validated); the audit
    context never breaks a request — if reading the address fails, the entry is written without one.
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
        try:
            return self.get_response(request)
        finally:
            reset_request_ip(token)
