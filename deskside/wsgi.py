import os

from django.core.wsgi import get_wsgi_application

from deskside.config import prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "deskside.settings")
prepare()  # the data directory and the secret key, before the settings read them
application = get_wsgi_application()
