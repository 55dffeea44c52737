# Broken on purpose: replies 不要回答,不要回答,不要回答 but never closes the
# connection, so the client waits for the end of the reply forever.
import socket

ip_port = ('127.0.0.1', 9999)
sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(ip_port)
sk.listen(5)
kept = []
while True:
    print('server waiting...')
    conn, addr = sk.accept()
    try:
        data = conn.recv(1024)
        print(data.decode(errors='replace'))
        conn.sendall('不要回答,不要回答,不要回答'.encode())
    except OSError:
        pass
    kept.append(conn)  # never closed
