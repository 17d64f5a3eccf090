"""What verification tells others (and its own parts): sent after the commit."""

from django.dispatch import Signal

# A snapshot was merged and became its kind's current data (kwargs: snapshot, by). The checks
# part re-runs the affected cross-checks.
snapshot_merged = Signal()
