"""The public family-search board at /xunqin/ (no login; see announcements/public_views.py)."""

from django.urls import path

from announcements import public_views

app_name = "xunqin"
urlpatterns = [
    path("", public_views.board, name="board"),
    path("photo/<uuid:uuid>/", public_views.photo, name="photo"),
    path("<uuid:uuid>/", public_views.detail, name="detail"),
    path("<uuid:uuid>/poster/", public_views.poster, name="poster"),
    path("<uuid:uuid>/clue/", public_views.clue, name="clue"),
]
