"""What the poverty register tells the layer above (transitions) without importing it.

Each signal is sent by a poverty service inside its own transaction, after the change is saved:
a receiver that writes (opens a hand-off, notifies) does so in the same transaction, so either
both happen or neither. Receivers must not swallow errors.
"""

from django.dispatch import Signal

# A household's exit from poverty was confirmed by the government. kwargs: record, by.
exit_confirmed = Signal()
# A registered household fell back into poverty and was re-registered. kwargs: record, by.
returned_to_poverty = Signal()
# The poverty office reports that a household cannot leave poverty through industry or
# employment support (a candidate for safety-net dibao). kwargs: record, reason, by.
cannot_exit_reported = Signal()
# Households whose classification (key target / safety net) changed. kwargs: changes (a list of
# poverty.classification.Change: household_id, old, new), by (None for the nightly job).
classification_changed = Signal()
