"""Login lockout and per-address throttling on django-axes (issue 8, hole 3; 等保 身份鉴别).

django-axes records every failed login (``AccessAttempt``, one row per username, address and
browser) and refuses logins while a request is locked. It has one failure limit, so this handler
applies two limits to axes' own records:

- an account is locked after ``AXES_FAILURE_LIMIT`` failures (5) within ``AXES_COOLOFF_TIME`` (15 min);
- an address is refused after ``GUITU_LOGIN_IP_FAILURE_LIMIT`` failures (30) within the same window,
  whatever usernames it tries — higher than the account limit because a station's staff share one
  address, and a family's mistakes must not lock out the whole station.

Both are written to the audit log (``login_failed`` entries saying which limit was hit) and to the
``guitu.security`` logger. The API's bearer tokens count their failures against the address too.
"""

import logging

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import render

logger = logging.getLogger("guitu.security")


def _failures(queryset) -> int:
    return queryset.aggregate(n=Sum("failures_since_start"))["n"] or 0


def address_failures(request) -> int:
    """Failed logins from the request's address within the cool-off window (any username)."""
    ip = getattr(request, "axes_ip_address", None)
    if not ip:
        return 0
    return _failures(
        AccessAttempt.objects.filter(ip_address=ip, attempt_time__gte=get_cool_off_threshold(request))
    )


def account_failures(request, credentials) -> int:
    username = get_client_username(request, credentials)
    if not username:
        return 0
    return _failures(
        AccessAttempt.objects.filter(username=username, attempt_time__gte=get_cool_off_threshold(request))
    )


def address_throttled(request) -> bool:
    return address_failures(request) >= settings.GUITU_LOGIN_IP_FAILURE_LIMIT


class LoginThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with an account limit and a separate, higher address limit."""

    def get_failures(self, request, credentials=None) -> int:
        if address_throttled(request):
            request.guitu_address_throttled = True
            return max(account_failures(request, credentials), get_failure_limit(request, credentials))
        return account_failures(request, credentials)


def lockout_response(request, original_response=None, credentials=None):
    """The page (HTTP 429) shown while an account or an address is locked, saying how long to wait."""
    minutes = int(get_cool_off(request).total_seconds() // 60) if get_cool_off(request) else 0
    by_address = getattr(request, "guitu_address_throttled", False) or address_throttled(request)
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "locked", "fields": {}, "message": f"登录失败次数过多，请 {minutes} 分钟后再试。"},
            status=429,
        )
    return render(
        request,
        "registration/locked_out.html",
        {
            "minutes": minutes,
            "by_address": by_address,
            "username": get_client_username(request, credentials) or "",
        },
        status=429,
    )


@receiver(user_locked_out)
def audit_lockout(sender, request, username, ip_address, **kwargs):
    """Every lockout leaves an audit entry and a log line (who, from where, which limit)."""
    from core.audit import audit
    from core.models import AuditAction

    by_address = getattr(request, "guitu_address_throttled", False)
    reason = "同一地址登录失败次数过多，该地址暂停登录" if by_address else "连续登录失败，账号已锁定"
    logger.warning(
        "login locked: %s username=%r ip=%s", "address" if by_address else "account", username, ip_address
    )
    audit(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        object_type="core.User",
        object_id=(username or "")[:64],
        summary=f"{reason}：{username or '（未填用户名）'}，{ip_address or '未知地址'}",
    )

