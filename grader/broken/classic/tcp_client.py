# Broken on purpose: when the server closes without a reply, waits forever.
import socket
import time

ip_port = ('127.0.0.1', 9999)
sk = socket.socket()
sk.connect(ip_port)
sk.sendall('请求占领地球'.encode())
data = sk.recv(1024)
while not data:
    time.sleep(0.1)
print(data.decode(errors='replace'))
sk.close()
