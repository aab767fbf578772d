from django.urls import path

from leaving import views

app_name = "leaving"
urlpatterns = [
    path("", views.departure_list, name="list"),
    path("episodes/<uuid:uuid>/new/", views.departure_new, name="new"),
    path("episodes/<uuid:uuid>/print/declaration/", views.print_declaration, name="print_declaration"),
    path("episodes/<uuid:uuid>/print/register/", views.print_register, name="print_register"),
    path("<uuid:uuid>/", views.departure_detail, name="detail"),
    path("<uuid:uuid>/id-copy/", views.id_copy, name="id_copy"),
]
