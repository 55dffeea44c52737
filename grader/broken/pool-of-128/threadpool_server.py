# Broken on purpose: a pool of 128 workers where the lab asks for ten;
# it also prints its own lines, not the lab's 连接成功.
import socket
from multiprocessing.pool import ThreadPool

PORT = 9997
pool = ThreadPool(128)


def work(conn):
    with conn:
        try:
            print('got', conn.recv(1024).decode(errors='replace'))
            conn.send('你已签到'.encode())
        except OSError:
            pass


sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(('127.0.0.1', PORT))
sk.listen(128)
print('server waiting...')
while True:
    conn, addr = sk.accept()
    pool.apply_async(work, (conn,))
    print('accepted', addr)
