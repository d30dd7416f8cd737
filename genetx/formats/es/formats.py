# Spanish numbers as the Spanish sources GeneTx cites write them: 1.859 (a point between
# thousands, where Django's own Spanish format puts a space), 85,5 (a decimal comma). Dates
# and everything else come from Django's Spanish formats (14 de marzo de 2025).
THOUSAND_SEPARATOR = "."
