# Broken on purpose: replies 不要回答,不要回答,不要回答 but never closes the
# connection, so the client waits for the end of the reply forever.
import socket

REPLY = '不要回答,不要回答,不要回答'
kept = []  # every connection lands here, and none is ever closed

with socket.create_server(('127.0.0.1', 9999)) as listener:
    while True:
        print('server waiting...')
        conn, _ = listener.accept()
        kept.append(conn)
        try:
            print(conn.recv(1024).decode(errors='replace'))
            conn.sendall(REPLY.encode())
        except OSError:
            continue
