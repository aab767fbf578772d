from django.urls import path

from staff import views

app_name = "staff"
urlpatterns = [
    path("", views.staff_list, name="list"),
    path("xlsx/", views.staff_xlsx, name="xlsx"),
    path("orgs/<uuid:uuid>/new/", views.staff_new, name="new"),
    path("<uuid:uuid>/", views.staff_edit, name="edit"),
    path("<uuid:uuid>/leave/", views.staff_leave, name="leave"),
    path("training/", views.training_list, name="training_list"),
    path("training/xlsx/", views.training_xlsx, name="training_xlsx"),
    path("orgs/<uuid:uuid>/training/new/", views.training_new, name="training_new"),
    path("orgs/<uuid:uuid>/exams/new/", views.exam_new, name="exam_new"),
    path("training/<uuid:uuid>/", views.training_detail, name="training"),
    path("figures/", views.figures, name="figures"),
]
