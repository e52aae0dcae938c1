"""ASGI entry point (uvicorn): needed for the long-lived live-update stream."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minewatch.settings")
application = get_asgi_application()
