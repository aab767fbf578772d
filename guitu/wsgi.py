import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guitu.settings")
application = get_wsgi_application()

# Refuse to serve with a missing key or keys that do not match the database (core/keycheck.py): a clear
# message at startup instead of pages that say an ID number was never registered.
from core.keycheck import verify_keys_or_stop  # noqa: E402

verify_keys_or_stop()
