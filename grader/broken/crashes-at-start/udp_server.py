# Broken on purpose: dies before it binds (a typo in the socket type).
import socket

ip_port = ('127.0.0.1', 9999)
sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAMS)
sk.bind(ip_port)
while True:
    data = sk.recv(1024)
    print(data.decode())
