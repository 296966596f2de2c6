from django.db import models

# The Lease model lives beside db.py (deskside/leases.py) so that any layer can hold a lease; it
# belongs to this app (its table and migrations), and Django finds it here.
from deskside.leases import Lease

__all__ = ["Lease", "Tally", "TallyMark"]


class Tally(models.Model):
    """A count that only grows (mails taken in, clock alerts), kept so that /metrics reads a
    few rows instead of counting millions. deskside/runtime/tally.py writes it."""

    name = models.CharField(max_length=100)
    labels = models.CharField(max_length=200, help_text="Label values, joined by commas.")
    value = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "labels"], name="tally_once")]

    def __str__(self) -> str:
        return f"{self.name}{{{self.labels}}} = {self.value}"


class TallyMark(models.Model):
    """How far a tally has counted its table: every row with an id up to `counted_to` is in it.
    `seen_to` is the highest id there was at `seen_at`: it is counted once every transaction
    that could still commit a lower id has had time to end."""

    name = models.CharField(max_length=100, unique=True)
    counted_to = models.BigIntegerField(default=0)
    seen_to = models.BigIntegerField(default=0)
    seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} counted to {self.counted_to}"
