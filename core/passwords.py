"""Password policy (等保 2.0 三级 身份鉴别): complexity, history, expiry, change at first login.

The validators plug into Django's ``AUTH_PASSWORD_VALIDATORS``, so every path that sets a password
through ``validate_password`` — the user's own change, an administrator's reset (core.services.user_save)
— applies them. ``PasswordHistoryValidator.password_changed`` is Django's hook after a password is
saved: it stamps ``User.password_changed_at`` and keeps the last hashes for the history rule.
"""

import datetime

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone


class ComplexityValidator:
    """At least ``min_classes`` of: lower-case letters, upper-case letters, digits, other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    @staticmethod
    def classes(password: str) -> int:
        return sum(
            (
                any(c.islower() for c in password),
                any(c.isupper() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            )
        )

    def validate(self, password, user=None):
        if self.classes(password) < self.min_classes:
            raise ValidationError(
                f"密码须包含小写字母、大写字母、数字、符号中的至少 {self.min_classes} 类。",
                code="password_too_simple",
            )

    def get_help_text(self):
        return f"至少包含小写字母、大写字母、数字、符号中的 {self.min_classes} 类。"


class PasswordHistoryValidator:
    """A new password may not repeat any of the user's last ``count`` passwords."""

    def __init__(self, count: int = 5):
        self.count = count

    def validate(self, password, user=None):
        if user is None or not getattr(user, "pk", None):
            return
        from core.models import PasswordHistory

        hashes = PasswordHistory.objects.filter(user_id=user.pk).order_by("-created_at", "-id")
        for old in hashes.values_list("password", flat=True)[: self.count]:
            if check_password(password, old):
                raise ValidationError(
                    f"新密码不能与最近 {self.count} 次使用过的密码相同。", code="password_reused"
                )

    def password_changed(self, password, user=None):
        if user is None or not getattr(user, "pk", None):
            return
        from core.models import PasswordHistory, User

        now = timezone.now()
        PasswordHistory.objects.create(user_id=user.pk, password=user.password)
        keep = (
            PasswordHistory.objects.filter(user_id=user.pk)
            .order_by("-created_at", "-id")
            .values_list("id", flat=True)[: self.count]
        )
        PasswordHistory.objects.filter(user_id=user.pk).exclude(id__in=list(keep)).delete()
        User.objects.filter(pk=user.pk).update(password_changed_at=now)
        user.password_changed_at = now

    def get_help_text(self):
        return f"不能与最近 {self.count} 次使用过的密码相同。"


def password_expired(user) -> bool:
    """True when the user's password is older than ``GUITU_PASSWORD_MAX_AGE_DAYS`` (0 turns expiry off)."""
    days = settings.GUITU_PASSWORD_MAX_AGE_DAYS
    # Accounts from before the policy count from when they joined: the first login after an upgrade asks for a change.
    changed = getattr(user, "password_changed_at", None) or getattr(user, "date_joined", None)
    if not days or changed is None:
        return False
    return timezone.now() - changed > datetime.timedelta(days=days)


def must_change_password(user) -> str:
    """Why ``user`` must change their password before doing anything else ('' when they need not)."""
    if getattr(user, "is_demo_exempt", False):
        return ""
    if getattr(user, "must_change_password", False):
        return "首次登录或密码被管理员重置后，请先设置您自己的新密码。"
    if password_expired(user):
        return f"您的密码已使用超过 {settings.GUITU_PASSWORD_MAX_AGE_DAYS} 天，请设置新密码。"
    return ""
