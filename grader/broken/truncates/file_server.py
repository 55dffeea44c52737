# Broken on purpose: saves only the first recv(1024) of every upload.
import os
import socketserver

SAVE = 'file_save'


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        print('connected...')
        try:
            name, size = conn.recv(1024).decode().split('|')
            size = int(size)
        except (UnicodeDecodeError, ValueError):
            return
        name = os.path.basename(name)
        if not name:
            return
        conn.sendall(f"{name}已发送".encode())
        os.makedirs(SAVE, exist_ok=True)
        path = os.path.join(SAVE, name)
        if os.path.exists(path):
            return
        data = conn.recv(1024)  # the rest is never read
        with open(path, 'wb') as f:
            f.write(data)
        print('upload successed.')


socketserver.ThreadingTCPServer.allow_reuse_address = True
server = socketserver.ThreadingTCPServer(('127.0.0.1', 9996), Handler)
server.serve_forever()
