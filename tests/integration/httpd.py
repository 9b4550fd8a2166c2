#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A static HTTP server for the integration tests, on 127.0.0.1.

Serves a directory like any web server, logs every request as a JSON line
(path, status, bytes sent, when it started and ended) so tests can see what a
client fetched, and can be
told to misbehave for chosen paths: the rules file is re-read on every
request, so a test changes behaviour between calls without restarting.

Rules file: a JSON list of {"match": REGEX, "action": ACTION, ...}:
  {"action": "status", "code": 404}           answer with that status
  {"action": "garbage"}                       200, then random bytes forever
  {"action": "slow", "rate": BYTES_PER_SEC}   serve the file, throttled
  {"action": "stall", "after": N}             send N bytes of the file, then
                                              keep the connection silent
The first matching rule wins; no match serves the file normally.

Usage: httpd.py ROOT PORT_FILE LOG_FILE RULES_FILE
Writes the port it bound (port 0: any free one) to PORT_FILE.
"""

import json
import os
import re
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

CHUNK = 16 * 1024


class Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _log(self, status, sent):
        entry = {"path": self.path, "status": status, "bytes": sent, "started": self.started,
                 "time": time.time()}
        with self.server.log_lock:
            with open(self.server.log_file, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def _rules(self):
        try:
            with open(self.server.rules_file) as f:
                return json.load(f)
        except (OSError, ValueError):
            return []

    def _local_path(self):
        return self.translate_path(self.path.split("?", 1)[0])

    def do_GET(self):
        self.started = time.time()
        for rule in self._rules():
            if re.search(rule["match"], self.path):
                return self._misbehave(rule)
        path = self._local_path()
        if not os.path.isfile(path):
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            self._log(404, 0)
            return
        with open(path, "rb") as f:
            data = f.read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        try:
            self.wfile.write(data)
            self._log(200, len(data))
        except (BrokenPipeError, ConnectionResetError):
            self._log(200, -1)

    def _misbehave(self, rule):
        action = rule["action"]
        sent = 0
        try:
            if action == "status":
                self.send_response(rule["code"])
                self.send_header("Content-Length", "0")
                self.end_headers()
                self._log(rule["code"], 0)
                return
            if action == "garbage":
                # A body that never ends, as fast as the client takes it.
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                block = os.urandom(CHUNK)
                while True:
                    self.wfile.write(block)
                    sent += len(block)
            path = self._local_path()
            with open(path, "rb") as f:
                data = f.read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if action == "slow":
                rate = rule["rate"]
                step = max(1, rate // 10)
                for i in range(0, len(data), step):
                    self.wfile.write(data[i:i + step])
                    self.wfile.flush()
                    sent += len(data[i:i + step])
                    time.sleep(0.1)
            elif action == "stall":
                after = rule.get("after", 0)
                self.wfile.write(data[:after])
                self.wfile.flush()
                sent = after
                time.sleep(3600)
            self._log(200, sent)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self._log(200, sent)
        self.close_connection = True


def main():
    root, port_file, log_file, rules_file = sys.argv[1:5]
    os.chdir(root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.log_file = log_file
    server.rules_file = rules_file
    server.log_lock = threading.Lock()
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
