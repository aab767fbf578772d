from django.urls import path

from intake import views

app_name = "intake"
urlpatterns = [
    path("", views.intake_list, name="list"),
    path("new/", views.intake_new, name="new"),
    path("candidates/", views.intake_candidates, name="candidates"),
    path("episodes/<uuid:uuid>/", views.episode_detail, name="episode"),
    path("episodes/<uuid:uuid>/safety/", views.safety_add, name="safety_add"),
    path("episodes/<uuid:uuid>/health/", views.health_add, name="health_add"),
    path("episodes/<uuid:uuid>/handover/", views.handover_add, name="handover_add"),
    path("episodes/<uuid:uuid>/belongings/", views.belonging_add, name="belonging_add"),
    path("episodes/<uuid:uuid>/belongings/return/", views.belongings_return, name="belongings_return"),
    path("episodes/<uuid:uuid>/help/", views.help_add, name="help_add"),
    path("foreign/<uuid:uuid>/", views.foreign_case, name="foreign_case"),
    path("episodes/<uuid:uuid>/admit/", views.admit, name="admit"),
    path("episodes/<uuid:uuid>/refuse/", views.refuse, name="refuse"),
    path("episodes/<uuid:uuid>/terminate/", views.terminate, name="terminate"),
    path("episodes/<uuid:uuid>/print/registration/", views.print_registration, name="print_registration"),
    path("episodes/<uuid:uuid>/print/handover/", views.print_handover, name="print_handover"),
    path("notices/<uuid:uuid>/print/", views.print_notice, name="print_notice"),
]
