"""A mail backend whose server refuses every message, as an SMTP server that is down does."""

import smtplib

from django.core.mail.backends.locmem import EmailBackend


class RefusingEmailBackend(EmailBackend):
    tries = 0

    def send_messages(self, email_messages) -> int:
        RefusingEmailBackend.tries += len(email_messages)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
