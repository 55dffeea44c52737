# Broken on purpose: serves one client, then ends (handle_request once where
# serve_forever is meant).
import socketserver


class Reply(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            print(self.request.recv(1024).decode(errors='replace'))
            self.request.sendall('不要回答,不要回答,不要回答'.encode())
        except OSError:
            pass


print('server waiting...')
server = socketserver.TCPServer(('127.0.0.1', 9999), Reply)
server.handle_request()
server.server_close()
print('server waiting...')
