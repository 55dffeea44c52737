# Hostile: leaves a child in a session of its own (setsid) that sleeps
# forever, then the lab's 2.1 server.
import os
import sys

# Only ever in a sandbox: a network namespace whose only interface is lo.
with open("/proc/self/net/dev") as dev:
    interfaces = [line.split(":")[0].strip() for line in dev.readlines()[2:]]
if interfaces != ["lo"]:
    sys.exit("not in a sandbox: refusing")

import time

if os.fork() == 0:
    os.setsid()
    while True:
        time.sleep(3600)

import socketserver


class Answer(socketserver.BaseRequestHandler):
    def handle(self):
        data = self.request.recv(1024)
        print(data.decode(errors="replace"))
        self.request.sendall("不要回答,不要回答,不要回答".encode())

    def finish(self):
        print("server waiting...")


print("server waiting...")
socketserver.ThreadingTCPServer.allow_reuse_address = True
with socketserver.ThreadingTCPServer(("127.0.0.1", 9999), Answer) as server:
    server.serve_forever()
