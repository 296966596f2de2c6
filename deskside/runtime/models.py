# The Lease model lives beside db.py (deskside/leases.py) so that any layer can hold a lease; it
# belongs to this app (its table and migrations), and Django finds it here.
from deskside.leases import Lease

__all__ = ["Lease"]
