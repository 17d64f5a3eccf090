"""What assistance tells the layer above (transitions) without importing it.

Sent by assistance services inside their transaction, after the change is saved: a receiver's
writes (a hand-off opened, a phase-out ended) commit or roll back with it.
"""

from django.dispatch import Signal

# A dibao case was confirmed (the household now receives dibao). kwargs: case, by.
dibao_confirmed = Signal()
# A change in a household's circumstances was reported and a review opened. kwargs: case,
# review, by.
change_reported = Signal()
# The investigation of an application started, its data-check authorisation signed (the
# economic cross-check may now run: no authorisation, no check). kwargs: case, by.
investigation_started = Signal()
# A review of a case was opened (periodic, reported change, phase-out …). kwargs: case,
# review, by (None when the nightly job opened it).
review_opened = Signal()
