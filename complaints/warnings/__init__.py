"""Early warning (预警防控): the nightly comparison of each merchant's and market's recent figures with their own
history and the district's, and the warnings a significant rise becomes."""
