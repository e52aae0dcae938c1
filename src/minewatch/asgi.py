"""ASGI entry point (uvicorn): needed for the long-lived live-update stream.

Bodies over the configured limit are refused here, before Django buffers them
(:mod:`minewatch.core.bodylimit`).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minewatch.settings")
django_application = get_asgi_application()

from minewatch.core.bodylimit import BodyLimit, web_limit  # noqa: E402 - needs Django set up
from minewatch.core.heap import freeze_startup_heap  # noqa: E402

application = BodyLimit(django_application, web_limit)
freeze_startup_heap()  # each serving process, once its app is built (core/heap.py)
