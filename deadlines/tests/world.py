"""Deadline objects for the every-URL scoping test: one scan over the world's station, so its overdue
items and notifications (with the people's names in them) exist."""

from deadlines import services


def extend_world(cast, ctx) -> dict:
    services.snapshot_take()
    return {"secrets": [ctx.staying.number]}
