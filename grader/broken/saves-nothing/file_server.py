# Broken on purpose: confirms each upload and reads it, but saves nothing.
import socket
import threading


def upload(conn):
    with conn:
        print('connected...')
        try:
            header = conn.recv(1024).decode()
            name, size = header.split('|')
        except (UnicodeDecodeError, ValueError):
            return
        conn.sendall(f"{name}已发送".encode())
        left = int(size)
        while left > 0 and (chunk := conn.recv(min(left, 1024))):
            left -= len(chunk)  # read, and dropped
        print('upload successed.')


listener = socket.create_server(('127.0.0.1', 9996))
while True:
    threading.Thread(target=upload, args=(listener.accept()[0],)).start()
