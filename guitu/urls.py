from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path

from core import account_views
from core import views as core_views
from guitu.api import api

urlpatterns = [
    path("accounts/login/", core_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", core_views.PasswordChangeView.as_view(), name="password_change"),
    path("favicon.ico", lambda request: redirect(static("favicon.svg"), permanent=True)),
    path("accounts/otp/", account_views.otp_verify, name="otp_verify"),
    path("accounts/otp/setup/", account_views.otp_setup, name="otp_setup"),
    path("accounts/otp/recovery/", account_views.otp_recovery, name="otp_recovery"),
    path("", core_views.home, name="home"),
    path("help/", core_views.help_index, name="help_index"),
    path("help/<slug:slug>/", core_views.help_page, name="help_page"),
    path("manage/", include("core.urls")),
    path("people/", include("people.urls")),
    path("intake/", include("intake.urls")),
    path("stay/", include("stay.urls")),
    path("leaving/", include("leaving.urls")),
    path("incidents/", include("incidents.urls")),
    path("staff/", include("staff.urls")),
    path("tracing/", include("tracing.urls")),
    path("announcements/", include("announcements.urls")),
    path("matching/", include("matching.urls")),
    path("aftercare/", include("aftercare.urls")),
    path("outreach/", include("outreach.urls")),
    path("network/", include("network.urls")),
    path("baogao/", include("outreach.public_urls")),
    path("deadlines/", include("deadlines.urls")),
    path("oversight/", include("oversight.urls")),
    path("settlement/", include("settlement.urls")),
    path("outsidecare/", include("outsidecare.urls")),
    path("regional/", include("regional.urls")),
    path("campaign/", include("campaign.urls")),
    path("figures/", include("figures.urls")),
    path("dailycare/", include("dailycare.urls")),
    path("xunqin/", include("announcements.public_urls")),
    path("api/", api.urls),
]

handler403 = "core.views.error_403"
handler404 = "core.views.error_404"
