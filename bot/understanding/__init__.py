"""What the dialogue reads in a shopper's words, whatever the step: the keywords, refusals and commands
(:mod:`bot.understanding.words`) and the facts a story already carries (:mod:`bot.understanding.facts`)."""
