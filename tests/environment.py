"""Loaded with `-p tests.environment` before pytest-django reads the settings, so that tests
never touch the developer's ./var or support address."""

import os
import tempfile

os.environ.setdefault("DESKSIDE_DATA_DIR", tempfile.mkdtemp(prefix="deskside-test-"))
os.environ.setdefault("DESKSIDE_SUPPORT_ADDRESS", "support@deskside.test")

from deskside.config import prepare

prepare()  # the data directory and its secret key, as every Deskside process does at start
