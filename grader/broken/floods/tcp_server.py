# Broken on purpose: once listening, prints as fast as it can, forever.
import socket
import sys

ip_port = ('127.0.0.1', 9999)
sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(ip_port)
sk.listen(5)
line = 'x' * 1000000 + '\n'
while True:
    sys.stdout.write(line)
