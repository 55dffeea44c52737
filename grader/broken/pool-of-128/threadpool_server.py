# Broken on purpose: a pool of 128 workers where the lab asks for ten;
# it also prints its own lines, not the lab's 连接成功.
import socket
from concurrent.futures import ThreadPoolExecutor

ip_port = ('127.0.0.1', 9997)


def work(conn):
    try:
        data = conn.recv(1024).decode(errors='replace')
        print('got', data)
        conn.send('你已签到'.encode())
    except OSError:
        pass
    conn.close()


sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(ip_port)
sk.listen(128)
print('server waiting...')
pool = ThreadPoolExecutor(max_workers=128)
while True:
    conn, addr = sk.accept()
    pool.submit(work, conn)
    print('accepted', addr)
