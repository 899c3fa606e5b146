"""What the bots send without being asked, through the outbox: a case's news (notices), and the one reminder of a
story left untold (reminders)."""
