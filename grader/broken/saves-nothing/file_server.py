# Broken on purpose: confirms each upload and reads it, but saves nothing.
import socketserver


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        print('connected...')
        try:
            name, size = conn.recv(1024).decode().split('|')
            size = int(size)
        except (UnicodeDecodeError, ValueError):
            return
        conn.sendall(f"{name}已发送".encode())
        got = 0
        while got < size:
            data = conn.recv(1024)
            if not data:
                break
            got += len(data)
        print('upload successed.')


socketserver.ThreadingTCPServer.allow_reuse_address = True
server = socketserver.ThreadingTCPServer(('127.0.0.1', 9996), Handler)
server.serve_forever()
