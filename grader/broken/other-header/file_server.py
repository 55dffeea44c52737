# Another protocol, not a broken one: a file server whose header is
# cmd|name|size, which answers the lab's name|size with an error.
import os
import socketserver


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        try:
            parts = conn.recv(1024).decode().split('|')
        except UnicodeDecodeError:
            return
        if len(parts) != 3 or parts[0] != 'put':
            conn.sendall('ERR expected put|name|size'.encode())
            return
        _, name, size = parts
        name = os.path.basename(name)
        conn.sendall(b'OK')
        os.makedirs('save', exist_ok=True)
        with open(os.path.join('save', name), 'wb') as f:
            got = 0
            while got < int(size):
                data = conn.recv(65536)
                if not data:
                    break
                f.write(data)
                got += len(data)


socketserver.ThreadingTCPServer.allow_reuse_address = True
server = socketserver.ThreadingTCPServer(('127.0.0.1', 9996), Handler)
server.serve_forever()
