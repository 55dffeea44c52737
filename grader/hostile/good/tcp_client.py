# Correct: the lab's 2.1 client, graded beside the attacks; its grade must
# not change.
import socket
import sys

sk = socket.socket()
try:
    sk.connect(("127.0.0.1", 9999))
except OSError as e:
    sys.exit(f"cannot connect: {e}")
sk.sendall("请求占领地球".encode())
print(sk.recv(1024).decode())
sk.close()
