"""Codes in the chat: typed or pasted (answers.py) and in photos (photos.py), read by lookup/codes/resolve.py."""
