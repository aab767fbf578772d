from django.urls import path

from campaign import views

app_name = "campaign"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_new, name="new"),
    path("<uuid:uuid>/", views.campaign_detail, name="detail"),
    path("<uuid:uuid>/edit/", views.campaign_edit, name="edit"),
    path("<uuid:uuid>/table/", views.table, name="table"),
    path("<uuid:uuid>/table/print/", views.table_print, name="table_print"),
    path("<uuid:uuid>/declarations/new/", views.declaration_new, name="declaration_new"),
    path("<uuid:uuid>/submit/", views.submit, name="submit"),
    path("declarations/<uuid:uuid>/", views.declaration_detail, name="declaration"),
    path("declarations/<uuid:uuid>/document/", views.declaration_document, name="declaration_document"),
    path("submissions/<uuid:uuid>/", views.submission_detail, name="submission"),
]
