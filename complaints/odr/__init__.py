"""ODR (在线消费纠纷解决): a merchant that takes part settles a consumer's complaint first, when the consumer agrees;
the time it takes does not count against the regulator's deadlines, and a case not settled goes on to the station."""
