"""The bench's own tables: the bare view's row, and the marker of the loaded data set."""

from django.db import models


class BareRow(models.Model):
    """What the bare view inserts: the baseline of one Django request that writes one row."""

    title = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField()


class DataMarker(models.Model):
    """Written last by the loader, in the loading transaction: present means the data is whole."""

    name = models.CharField(max_length=40, unique=True)
    value = models.JSONField()
