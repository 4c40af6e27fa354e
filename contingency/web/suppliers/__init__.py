"""The suppliers pages: the assurance register and an incident's vendor tickets."""
