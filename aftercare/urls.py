from django.urls import path

from aftercare import views

app_name = "aftercare"
urlpatterns = [
    path("", views.home, name="home"),
    path("rates/", views.rates, name="rates"),
    path("cases/<uuid:uuid>/", views.case_detail, name="case"),
    path("cases/<uuid:uuid>/family/", views.family_report, name="family_report"),
    path("cases/<uuid:uuid>/visit/", views.followup_new, name="followup_new"),
    path("cases/<uuid:uuid>/referral/", views.referral_new, name="referral_new"),
    path("cases/<uuid:uuid>/route/", views.case_route, name="case_route"),
    path("cases/<uuid:uuid>/wandering/", views.case_wandering, name="case_wandering"),
    path("cases/<uuid:uuid>/register/", views.registration_from_case, name="registration_from_case"),
    path("referrals/<uuid:uuid>/decide/", views.referral_decide, name="referral_decide"),
    path("registry/", views.registry, name="registry"),
    path("registry/new/", views.registration_new, name="registration_new"),
    path("registry/<uuid:uuid>/", views.registration_detail, name="registration"),
    path("registry/<uuid:uuid>/visit/", views.registration_visit, name="registration_visit"),
    path("registry/<uuid:uuid>/end/", views.registration_end, name="registration_end"),
    path("registry/<uuid:uuid>/wandering/", views.registration_wandering, name="registration_wandering"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<uuid:uuid>/", views.alert_detail, name="alert"),
    path("alerts/<uuid:uuid>/ack/", views.alert_ack, name="alert_ack"),
    path("export/ledger.xlsx", views.export_ledger, name="export_ledger"),
    path("export/visits.xlsx", views.export_visits, name="export_visits"),
    path("export/registry.xlsx", views.export_registry, name="export_registry"),
]
# data sharing (rule A4)
urlpatterns += [
    path("shared/", views.shared_attention, name="shared"),
    path("shared/lists/", views.shared_lists, name="shared_lists"),
    path("shared/lists/new/", views.shared_import, name="shared_import"),
    path("shared/lists/<uuid:uuid>/", views.shared_list_detail, name="shared_list"),
    path("shared/senders/", views.senders, name="senders"),
    path("shared/senders/new/", views.sender_new, name="sender_new"),
    path("shared/senders/<uuid:uuid>/", views.sender_edit, name="sender_edit"),
    path("shared/attention/<uuid:uuid>/", views.attention_detail, name="attention"),
    path("shared/attention/<uuid:uuid>/decide/", views.attention_decide, name="attention_decide"),
    path("shared/attention/<uuid:uuid>/register/", views.attention_register, name="attention_register"),
]
