# English dates as GeneTx shows them, day first and the month in words (14 March 2025),
# the same for British and American readers. Spanish uses Django's own formats.
DATE_FORMAT = "j F Y"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y H:i"
