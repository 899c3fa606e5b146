"""Where markets are: coordinates in one datum (GCJ-02), from ledgers and chats; the market nearest a shopper."""
