"""A real SMTP server for the e-mail tests (aiosmtpd): every message it receives is parsed with
Python's email package and written to OUT_DIR as one JSON file (envelope recipients, headers,
plain-text and HTML parts). Prints "listening PORT" once it accepts connections; stops when its
standard input closes (the test process ended).

With USERNAME and PASSWORD it requires SMTP authentication (AUTH PLAIN or LOGIN, allowed
without TLS on this loopback test server) with exactly those credentials.

Usage: python smtp_sink.py OUT_DIR [USERNAME PASSWORD]
"""

import email
import email.policy
import json
import os
import socket
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class WriteToDirectory:
    def __init__(self, out_dir):
        self.out_dir = out_dir
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["From"] or ""),
            "to": str(message["To"] or ""),
            "subject": str(message["Subject"] or ""),
            "content_type": message.get_content_type(),
            "text": text.get_content() if text is not None else None,
            "html": html.get_content() if html is not None else None,
        }
        with self.lock:
            self.count += 1
            name = f"{self.count:06d}.json"
        partial = os.path.join(self.out_dir, name + ".part")
        with open(partial, "w", encoding="utf-8") as f:
            json.dump(record, f)
        # A reader never sees half a file.
        os.rename(partial, os.path.join(self.out_dir, name))
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Credentials:
    def __init__(self, username, password):
        self.username = username.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.username
            and auth_data.password == self.password
        )
        return AuthResult(success=ok)


def main():
    out_dir = sys.argv[1]
    port = free_port()
    auth = {}
    if len(sys.argv) == 4:
        auth = {
            "authenticator": Credentials(sys.argv[2], sys.argv[3]),
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = Controller(
        WriteToDirectory(out_dir), hostname="127.0.0.1", port=port, **auth
    )
    controller.start()
    print(f"listening {port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
