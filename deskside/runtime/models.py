from django.db import models


class Lease(models.Model):
    """A named lock in the database, held for a while and renewed, so that exactly one process
    (the scheduler, the poller of one mailbox) runs across any number of machines."""

    name = models.CharField(max_length=200, unique=True)
    holder = models.CharField(max_length=200)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder}"
