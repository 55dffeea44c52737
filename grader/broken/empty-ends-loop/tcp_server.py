# Broken on purpose: `if not data: break` at the wrong level, so an empty
# connection ends the accept loop (and the program, with status 0), though
# every ordinary client is served.
import socket

ip_port = ('127.0.0.1', 9999)
sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(ip_port)
sk.listen(5)
print('server waiting...')
while True:
    conn, addr = sk.accept()
    try:
        data = conn.recv(1024)
    except OSError:
        conn.close()
        continue
    if not data:
        break
    print(data.decode(errors='replace'))
    conn.sendall('不要回答,不要回答,不要回答'.encode())
    conn.close()
    print('server waiting...')
sk.close()
