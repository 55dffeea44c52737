# Hostile: connects to another student's server (the sign-in port, 9998)
# instead of its own, and sends the lab's request there.
import os
import sys

# Only ever in a sandbox: a network namespace whose only interface is lo.
with open("/proc/self/net/dev") as dev:
    interfaces = [line.split(":")[0].strip() for line in dev.readlines()[2:]]
if interfaces != ["lo"]:
    sys.exit("not in a sandbox: refusing")

import socket

sk = socket.socket()
sk.connect(("127.0.0.1", 9998))
sk.sendall("请求占领地球".encode())
print(sk.recv(1024).decode())
sk.close()
