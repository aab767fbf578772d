from django.urls import path

from matching import views

app_name = "matching"
urlpatterns = [
    path("", views.report_list, name="report_list"),
    path("new/", views.report_new, name="report_new"),
    path("import/", views.report_import, name="report_import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("candidates/", views.candidates, name="candidates"),
    path("candidates/<uuid:uuid>/", views.candidate_detail, name="candidate"),
    path("candidates/<uuid:uuid>/merge/", views.candidate_merge, name="candidate_merge"),
    path("people/<uuid:uuid>/compare/", views.person_compare, name="person_compare"),
    path("people/<uuid:uuid>/unmerge/", views.person_unmerge, name="person_unmerge"),
    path("people/<uuid:uuid>/closest/", views.person_closest, name="person_closest"),
    path("browse/", views.browse, name="browse"),
    path("photos/<uuid:uuid>/", views.report_photo, name="report_photo"),
    path("<uuid:uuid>/", views.report_detail, name="report_detail"),
    path("<uuid:uuid>/edit/", views.report_edit, name="report_edit"),
    path("<uuid:uuid>/close/", views.report_close, name="report_close"),
    path("<uuid:uuid>/photos/add/", views.report_photo_add, name="report_photo_add"),
    path("<uuid:uuid>/compare/", views.report_compare, name="report_compare"),
    path("<uuid:uuid>/print/", views.report_print, name="report_print"),
    path("<uuid:uuid>/closest/", views.report_closest, name="report_closest"),
]
