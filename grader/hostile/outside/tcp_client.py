# Hostile: first tries to reach an address outside the machine (a
# documentation address, routed nowhere), and does its job only if it can.
import os
import sys

# Only ever in a sandbox: a network namespace whose only interface is lo.
with open("/proc/self/net/dev") as dev:
    interfaces = [line.split(":")[0].strip() for line in dev.readlines()[2:]]
if interfaces != ["lo"]:
    sys.exit("not in a sandbox: refusing")

import socket

try:
    socket.create_connection(("192.0.2.1", 80), timeout=2).close()
except OSError as e:
    sys.exit(f"could not reach 192.0.2.1:80: {e}")
sk = socket.socket()
sk.connect(("127.0.0.1", 9999))
sk.sendall("请求占领地球".encode())
print(sk.recv(1024).decode())
sk.close()
