"""The three roles, as auth groups created by a data migration.

- Auditor: records progress updates on any recommendation.
- Officer: an officer of one or more owners; sees recommendations addressed to them.
- Admin: staff with admin-site access; loads reports.
"""

AUDITOR = "Auditor"
OFFICER = "Officer"
ADMIN = "Admin"
ROLES = (AUDITOR, OFFICER, ADMIN)
