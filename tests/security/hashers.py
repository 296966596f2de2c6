"""A real PBKDF2 hasher at a tenth of Django's cost, for the timing tests.

The suite otherwise hashes with MD5 (tests/conftest.py), which would hide a path that skips the
hash: a test that compares timings must pay for a real one."""

from __future__ import annotations

from django.contrib.auth.hashers import PBKDF2PasswordHasher


class TimingHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_timing"
    iterations = 500_000
