"""Emails the worker sends, and a file backend on which sending the same email twice leaves one file.

Every automatic email carries an ``X-CRM-Key`` header naming what it is for (``reminder-17``,
``digest-3-2026-12-07``) and a ``Message-ID`` made from it. ``IdempotentFileBackend`` writes each
message to ``<EMAIL_FILE_PATH>/<key>.eml`` (written aside, then renamed into place), so a message
sent again after a worker died between sending and recording it replaces its first copy instead of
adding a second one. Mail servers have no such guarantee: see docs/automation.md.
"""

import os
import re
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.filebased import EmailBackend as FileBackend
from django.template.loader import render_to_string
from django.utils import translation

KEY_HEADER = "X-CRM-Key"
_SAFE = re.compile(r"[^A-Za-z0-9._-]")


def build_email(*, key: str, to: str, language: str, template: str, context: dict) -> EmailMultiAlternatives:
    """An email rendered from ``automation/<template>_subject.txt`` and ``_body.txt`` in ``language``."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"automation/{template}_subject.txt", context).split())
        body = render_to_string(f"automation/{template}_body.txt", context)
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    headers = {KEY_HEADER: key, "Message-ID": f"<{key}@{domain}>"}
    return EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, [to], headers=headers)


class IdempotentFileBackend(FileBackend):
    """One file per message key; a message without a key is written as Django's file backend does."""

    def send_messages(self, email_messages) -> int:
        keyed = [m for m in email_messages if m.extra_headers.get(KEY_HEADER)]
        rest = [m for m in email_messages if not m.extra_headers.get(KEY_HEADER)]
        sent = super().send_messages(rest) if rest else 0
        folder = Path(self.file_path)
        for message in keyed:
            name = _SAFE.sub("_", message.extra_headers[KEY_HEADER]) + ".eml"
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".part")
            with os.fdopen(handle, "wb") as out:
                out.write(message.message().as_bytes())
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, folder / name)
            sent += 1
        return sent
