import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yimen.settings")
application = get_wsgi_application()

# Outside demo mode: no default secret key, no demo password, no SMS code on the page (common/checks.py).
from yimen.common.startup import refuse_unsafe_start  # noqa: E402 - needs the apps loaded above

refuse_unsafe_start()
