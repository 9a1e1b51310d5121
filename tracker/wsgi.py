"""WSGI entry point, for gunicorn: ``gunicorn tracker.wsgi``."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

django_application = get_wsgi_application()

from tracker.caching import StoredPageApplication  # noqa: E402 (needs the settings configured above)

# A stored public page is answered before Django handles the request (tracker/caching.py).
application = StoredPageApplication(django_application)

# What start-up built (Django, the apps, their modules and settings) lives as long as the
# process. Moved out of the cyclic garbage collector's way, a full collection visits only
# what requests built since: after an edit, while the new version's rows are kept, its
# pauses are half as long (docs/performance.md, "Third round").
gc.freeze()
