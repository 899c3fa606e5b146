"""Personal data over its life: how long each kind is kept after a case ends and the purge that removes it, legal
holds that stop the purge, consumers' requests to see and remove what is held, and the log of who saw whose
contact."""
