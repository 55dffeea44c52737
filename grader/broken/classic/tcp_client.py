# Broken on purpose: when the server closes without a reply, waits forever.
import socket
import sys
import time

ip_port = ('127.0.0.1', 9999)
sk = socket.socket()
try:
    sk.connect(ip_port)
except OSError as e:
    sys.exit(f'cannot connect: {e}')
sk.sendall('请求占领地球'.encode())
data = sk.recv(1024)
while not data:
    time.sleep(0.1)
print(data.decode(errors='replace'))
sk.close()
