# Correct, in the form most students write: HOST and PORT set together,
# pinned to 9999, socketserver without SO_REUSEADDR. The grader must give
# it full marks without rewriting it (a sandbox of its own per check), or
# find its port where it cannot (HOST, PORT = ..., 9999).
import socketserver

HOST, PORT = "localhost", 9999


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            data = self.request.recv(1024)
        except ConnectionError:
            return
        print(data.decode(errors='replace'))
        self.request.sendall('不要回答,不要回答,不要回答'.encode())
        print('server waiting...')


print('server waiting...')
with socketserver.TCPServer((HOST, PORT), Handler) as server:
    server.serve_forever()
