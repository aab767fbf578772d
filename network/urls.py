from django.urls import path

from network import views

app_name = "network"
urlpatterns = [
    path("", views.home, name="home"),
    path("contacts/", views.contacts, name="contacts"),
    path("contacts/new/", views.contact_edit, name="contact_new"),
    path("contacts/<uuid:uuid>/", views.contact_edit, name="contact_edit"),
    path("points/", views.points, name="points"),
    path("points/new/", views.point_edit, name="point_new"),
    path("points/<uuid:uuid>/", views.point_edit, name="point_edit"),
    path("map/", views.map_page, name="map"),
    path("geo/<str:province>/<str:city>.js", views.geo_file, name="geo"),
]
