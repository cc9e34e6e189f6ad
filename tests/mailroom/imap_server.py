"""A real IMAP server for the poller's tests: pymap (asyncio IMAP server, in-memory `dict` backend) run as a
separate process on a free local port, with its demo account. Tests put messages in with IMAP APPEND and each
test works in its own folder, so they do not see each other's messages."""

import contextlib
import imaplib
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

USER = "demouser"
PASSWORD = "demopass"


def free_port():
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ImapServer:
    def __init__(self, port, process):
        self.host, self.port, self.process = "127.0.0.1", port, process

    def client(self):
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def new_folder(self, prefix="Test"):
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        client = self.client()
        try:
            assert client.create(name)[0] == "OK"
        finally:
            client.logout()
        return name

    def append(self, folder, *messages):
        client = self.client()
        try:
            for raw in messages:
                typ, data = client.append(folder, None, None, raw)
                assert typ == "OK", data
        finally:
            client.logout()

    def recreate(self, folder):
        """DELETE then CREATE the folder: the server gives it a new UIDVALIDITY."""
        client = self.client()
        try:
            assert client.delete(folder)[0] == "OK"
            assert client.create(folder)[0] == "OK"
        finally:
            client.logout()

    def uidvalidity(self, folder):
        client = self.client()
        try:
            client.select(folder, readonly=True)
            return int(client.untagged_responses["UIDVALIDITY"][-1])
        finally:
            client.logout()

    def flags(self, folder):
        client = self.client()
        try:
            client.select(folder, readonly=True)
            typ, data = client.fetch("1:*", "(FLAGS)")
            return [item for item in data if item]
        finally:
            client.logout()


def start_server(*extra_args, cert=None, key=None):
    port = free_port()
    pymap = Path(sys.executable).with_name("pymap")
    command = [str(pymap), "--host", "127.0.0.1", "--port", str(port)]
    if cert:
        command += ["--cert", str(cert), "--key", str(key)]
    else:
        command += ["--no-tls"]
    command += [*extra_args, "dict"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pymap stopped: {process.stderr.read().decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return ImapServer(port, process)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("pymap did not start listening")


def stop_server(server):
    server.process.terminate()
    try:
        server.process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
