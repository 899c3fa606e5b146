"""The platforms' adapters: Telegram and WeChat speak their protocols here and hand the dialogue plain turns."""
