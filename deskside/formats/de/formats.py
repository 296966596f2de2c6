DATE_FORMAT = "j. F Y"  # 2. Dezember 2026
DATETIME_FORMAT = "j. F Y, H:i"  # 2. Dezember 2026, 10:00
TIME_FORMAT = "H:i"
