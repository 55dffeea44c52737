# Hostile: writes 200 MB files into its folder until the disk is full (50
# of them, 10 GB, if nothing stops it), then the lab's 2.1 server.
import os
import sys

# Only ever in a sandbox: a network namespace whose only interface is lo.
with open("/proc/self/net/dev") as dev:
    interfaces = [line.split(":")[0].strip() for line in dev.readlines()[2:]]
if interfaces != ["lo"]:
    sys.exit("not in a sandbox: refusing")

block = b"x" * (1 << 20)
for i in range(50):
    try:
        with open(f"fill-{i}.bin", "wb") as f:
            for _ in range(200):
                f.write(block)
    except OSError:
        break

import select
import socket

listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 9999))
listener.listen(5)
print("server waiting...")
waiting = []  # connections accepted, their request not read yet
while True:
    readable, _, _ = select.select([listener] + waiting, [], [])
    for sock in readable:
        if sock is listener:
            waiting.append(listener.accept()[0])
            continue
        waiting.remove(sock)
        with sock:
            try:
                print(sock.recv(1024).decode(errors="replace"))
                sock.sendall("不要回答,不要回答,不要回答".encode())
            except OSError:
                pass
        print("server waiting...")
