# Broken on purpose: saves only the first recv(1024) of every upload.
import os
import socketserver

SAVE = 'file_save'


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        print('connected...')
        name, _, size = self.request.recv(1024).decode(errors='replace').partition('|')
        name = os.path.basename(name)
        if not name or not size.isdigit():
            return
        self.wfile.write(f"{name}已发送".encode())
        os.makedirs(SAVE, exist_ok=True)
        path = os.path.join(SAVE, name)
        if os.path.exists(path):
            return
        data = self.request.recv(1024)  # the rest is never read
        with open(path, 'wb') as f:
            f.write(data)
        print('upload successed.')


socketserver.ThreadingTCPServer.allow_reuse_address = True
server = socketserver.ThreadingTCPServer(('127.0.0.1', 9996), Handler)
server.serve_forever()
