"""Mail: queued in the database, sent by the worker over SMTP or into instance/mail/."""
