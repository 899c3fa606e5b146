"""What the dialogue reads in a shopper's words, whatever the step: the keywords, refusals and commands
(:mod:`bot.understanding.words`), names and phone numbers (:mod:`bot.understanding.contact`) and the facts a story
already carries (:mod:`bot.understanding.facts`)."""
