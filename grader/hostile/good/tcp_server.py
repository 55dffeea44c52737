# Correct: the lab's 2.1 server, graded beside the attacks; its grade must
# not change.
import socket

server_port = 9999
REPLY = '不要回答,不要回答,不要回答'.encode()


def serve_one(conn):
    with conn:
        try:
            data = conn.recv(1024)
        except ConnectionError:
            return
        print(data.decode(errors='replace'))
        conn.sendall(REPLY)


def main():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', server_port))
    listener.listen(5)
    while True:
        print('server waiting...')
        serve_one(listener.accept()[0])


if __name__ == '__main__':
    main()
