"""Three weeks of believable cases for `serve --demo`: the cases (:mod:`.cases`), how they are filed and worked
(:mod:`.seed`), and the programme's records around them (:mod:`.programme`)."""
