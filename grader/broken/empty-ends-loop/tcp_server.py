# Broken on purpose: `if not data: break` at the wrong level, so an empty
# connection ends the accept loop (and the program, with status 0), though
# every ordinary client is served.
import socket

PORT = 9999


class Server:
    def __init__(self, port):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(('127.0.0.1', port))
        self.sock.listen(5)

    def serve(self):
        print('server waiting...')
        while True:
            conn, _ = self.sock.accept()
            try:
                data = conn.recv(1024)
            except OSError:
                conn.close()
                continue
            if not data:
                break
            self.answer(conn, data)
        self.sock.close()

    def answer(self, conn, data):
        print(data.decode(errors='replace'))
        conn.sendall('不要回答,不要回答,不要回答'.encode())
        conn.close()
        print('server waiting...')


Server(PORT).serve()
