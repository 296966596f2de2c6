"""Database leases: exactly one holder per name across processes and machines."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone


class Lease(models.Model):
    """A named lock in the database, held for a while and renewed, so that exactly one process
    (the scheduler, the poller of one mailbox) runs across any number of machines."""

    name = models.CharField(max_length=200, unique=True)
    holder = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    class Meta:
        # The table and its migrations stay with the runtime app; the model lives here, beside
        # db.py, so that every layer (the mail poller, the scheduler) can hold a lease.
        app_label = "runtime"

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder}"


def holder_id() -> str:
    """Unique per process, readable in the admin: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(name: str, holder: str, ttl: timedelta) -> bool:
    """Take or renew the lease; True while `holder` has it. One UPDATE decides, so two
    processes can never both succeed."""
    now = timezone.now()
    taken = Lease.objects.filter(Q(holder=holder) | Q(expires_at__lt=now), name=name).update(
        holder=holder, expires_at=now + ttl
    )
    if taken:
        return True
    try:
        with transaction.atomic():
            Lease.objects.create(name=name, holder=holder, expires_at=now + ttl)
    except IntegrityError:
        return False  # someone else holds it
    return True


def release(name: str, holder: str) -> None:
    Lease.objects.filter(name=name, holder=holder).delete()
