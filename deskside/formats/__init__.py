"""Dates in the reader's language (settings.FORMAT_MODULE_PATH): a date and time read "2. Dezember
2026, 10:00", "2 december 2026, 10:00", "2 décembre 2026, 10:00", "2 December 2026, 10:00".

Django's own formats for these languages join the time without a comma, and its English one is
American ("Dec. 2, 2026, 10 a.m."), where the desk's readers are in Belgium and count in 24 hours.
Only DATE_FORMAT, DATETIME_FORMAT and TIME_FORMAT are set here; the rest is Django's.
"""
