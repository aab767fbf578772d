"""Session rules applied to every request after authentication (等保 2.0 三级 身份鉴别):

1. idle timeout — a session unused for ``GUITU_IDLE_TIMEOUT_MINUTES`` (30) is logged out;
2. second factor — a user who must use one (core.twofactor.otp_required) reaches nothing but the
   second-factor pages until the session is verified;
3. password change — at first login, after an administrator's reset, or when the password expired,
   nothing but the password page until it is changed.

The API's bearer tokens are issued from a verified session and are not affected; a session that has not
passed these steps gets 401 from the API.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect

from core.passwords import must_change_password
from core.twofactor import otp_required

LAST_SEEN_KEY = "guitu_last_seen"
_ALWAYS_OPEN = ("/accounts/login/", "/accounts/logout/", "/static/", "/xunqin/", "/favicon")


def _blocked(request, url: str, message: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "unauthenticated", "message": message, "fields": {}}, status=401)
    if getattr(request, "htmx", False):
        response = JsonResponse({"message": message}, status=401)
        response["HX-Redirect"] = url
        return response
    messages.info(request, message)
    return redirect(url)


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(_ALWAYS_OPEN):
            return self.get_response(request)
        timeout = settings.GUITU_IDLE_TIMEOUT_MINUTES * 60
        now = int(time.time())
        last_seen = request.session.get(LAST_SEEN_KEY)
        if timeout and last_seen is not None and now - last_seen > timeout:
            from core.audit import audit
            from core.models import AuditAction

            audit(
                actor=user,
                action=AuditAction.LOGIN,
                obj=user,
                organisation=user.organisation,
                summary=f"超过 {settings.GUITU_IDLE_TIMEOUT_MINUTES} 分钟未操作，自动退出 {user.username}",
            )
            logout(request)
            return _blocked(
                request,
                f"{settings.LOGIN_URL}?next={request.path}",
                f"超过 {settings.GUITU_IDLE_TIMEOUT_MINUTES} 分钟未操作，已自动退出，请重新登录。",
            )
        # Written at most once a minute so an idle session is not kept alive by its own bookkeeping.
        if last_seen is None or now - last_seen >= 60:
            request.session[LAST_SEEN_KEY] = now
        if settings.GUITU_OTP_ENFORCED and otp_required(user) and not user.is_verified():
            if not request.path.startswith("/accounts/otp/"):
                return _blocked(request, "/accounts/otp/", "请完成二次验证（手机验证器动态码）后继续。")
            return self.get_response(request)
        reason = must_change_password(user)
        if reason and not request.path.startswith(("/accounts/password/", "/accounts/otp/")):
            return _blocked(request, "/accounts/password/", reason)
        return self.get_response(request)
