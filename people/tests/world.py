"""People's additions to the every-URL test world (tests/world.py)."""


def extend_world(cast, ctx):
    # The share-request form opens only for a file OUTSIDE the user's scope that the user's own duplicate
    # query returned (issue 8 hole 2); the station owner of the world has no such file. Its refusals for
    # everyone else are proven in people/tests/test_share_requests.py.
    return {"routes_without_fixture": {"/people/<uuid:uuid>/share-request/"}}
