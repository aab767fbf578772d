from django.urls import path

from core import views

app_name = "core"
urlpatterns = [
    path("organisations/", views.org_list, name="org_list"),
    path("organisations/new/", views.org_edit, name="org_new"),
    path("organisations/<uuid:uuid>/", views.org_edit, name="org_edit"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_edit, name="user_new"),
    path("users/<uuid:uuid>/", views.user_edit, name="user_edit"),
    path("divisions/", views.division_list, name="division_list"),
    path("divisions/new/", views.division_add, name="division_new"),
    path("divisions/children/", views.division_children, name="division_children"),
    path("audit/", views.audit_list, name="audit_list"),
    path("profile/", views.profile, name="profile"),
]
