"""Personal data over its life: how long each kind is kept after a case ends and the purge that removes it, legal
holds that stop the purge, consumers' requests to see and remove what is held, and the log of who saw whose
contact."""

# Timeline events about the care of personal data rather than the handling of the case: what reports the case's
# progress (open data's "updated") leaves them out.
PRIVACY_ACTIONS = frozenset({"personal_data_removed", "erasure_requested", "legal_hold_set", "legal_hold_released"})
