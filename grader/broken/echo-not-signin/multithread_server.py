# Broken on purpose: an upper-case echo server handed in as the sign-in
# server (each client's message comes back in upper case).
import socket
import threading


class Echo(threading.Thread):
    def __init__(self, conn):
        super().__init__(daemon=True)
        self.conn = conn

    def run(self):
        with self.conn:
            try:
                self.conn.sendall(self.conn.recv(1024).upper())
            except OSError:
                pass


listener = socket.create_server(('127.0.0.1', 9998), backlog=128)
print('server waiting...')
while True:
    Echo(listener.accept()[0]).start()
