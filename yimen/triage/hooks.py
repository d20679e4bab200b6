"""What the engine tells the apps that use it, without importing them (the cases app depends on the
engine, never the reverse; `cases/codes.py` is the one shared module).

`categories_created` is sent inside the transaction that created the engine's category profiles,
so that a receiver's rows (the matters' own category tree, `cases.Category`) commit or roll back
with them. `categories` is a list of (code, label, domain) tuples.
"""

from django.dispatch import Signal

categories_created = Signal()
