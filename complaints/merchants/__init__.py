"""The merchant's side (商家专区): a private page reached by a signed link, no account; signing the commitment
online; reminders that an instrument's verification is about to expire."""
