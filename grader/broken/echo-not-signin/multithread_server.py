# Broken on purpose: an upper-case echo server handed in as the sign-in
# server (each client's message comes back in upper case).
import socket
import threading

ip_port = ('127.0.0.1', 9998)


def work(conn):
    try:
        data = conn.recv(1024)
        conn.sendall(data.upper())
    except OSError:
        pass
    conn.close()


sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(ip_port)
sk.listen(128)
print('server waiting...')
while True:
    conn, addr = sk.accept()
    threading.Thread(target=work, args=(conn,), daemon=True).start()
