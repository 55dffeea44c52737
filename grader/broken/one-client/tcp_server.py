# Broken on purpose: serves one client, then ends (no loop around accept).
import socket

ip_port = ('127.0.0.1', 9999)
sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(ip_port)
sk.listen(5)
print('server waiting...')
conn, addr = sk.accept()
try:
    data = conn.recv(1024)
    print(data.decode(errors='replace'))
    conn.sendall('不要回答,不要回答,不要回答'.encode())
except OSError:
    pass
conn.close()
print('server waiting...')
