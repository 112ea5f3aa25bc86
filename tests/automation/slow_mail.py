"""The idempotent file backend, slowed down so a test can kill a worker in the middle of its work,
and keeping a log of every send (``sends.log`` beside the outbox) so the test sees re-sends."""

import time
from pathlib import Path

from automation.mail import KEY_HEADER, IdempotentFileBackend


class SlowIdempotentFileBackend(IdempotentFileBackend):
    def send_messages(self, email_messages) -> int:
        time.sleep(0.02 * len(email_messages))
        sent = super().send_messages(email_messages)
        with open(Path(self.file_path).parent / "sends.log", "a", encoding="utf-8") as log:
            log.write("".join(f"{m.extra_headers[KEY_HEADER]}\n" for m in email_messages))
        return sent
