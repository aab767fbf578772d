from django.urls import path

from people import views

app_name = "people"
urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_new, name="new"),
    path("divisions/", views.division_search, name="division_search"),
    path("share-requests/", views.share_requests, name="share_requests"),
    path("share-requests/<uuid:uuid>/decide/", views.share_request_decide, name="share_request_decide"),
    path("<uuid:uuid>/share-request/", views.share_request_new, name="share_request_new"),
    path("<uuid:uuid>/", views.person_detail, name="detail"),
    path("<uuid:uuid>/edit/", views.person_edit, name="edit"),
    path("<uuid:uuid>/reveal-id/", views.reveal_id, name="reveal_id"),
    path("<uuid:uuid>/photos/add/", views.photo_add, name="photo_add"),
    path("<uuid:uuid>/contacts/add/", views.contact_add, name="contact_add"),
    path("<uuid:uuid>/print/", views.print_file, name="print_file"),
    path("photos/<uuid:uuid>/", views.photo, name="photo"),
    path("contacts/<uuid:uuid>/", views.contact_edit, name="contact_edit"),
    path("episodes/<uuid:uuid>/", views.episode_detail, name="episode"),
]
