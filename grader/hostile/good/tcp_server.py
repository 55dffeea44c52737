# Correct: the lab's 2.1 server, graded beside the attacks; its grade must
# not change.
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
