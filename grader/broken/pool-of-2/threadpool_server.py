# Broken on purpose: a pool of two where the lab asks for ten, so a third
# client waits while two are silent.
import socket
from concurrent.futures import ThreadPoolExecutor

WORKERS = 2  # the lab asks for 10


def sign_in(conn, addr):
    with conn:
        try:
            data = conn.recv(1024).decode(errors='replace')
        except OSError:
            return
        print('服务器接收来自:\t' + str(addr) + '的信息,内容为:' + data + '\n')
        conn.send('你已签到'.encode())
        print('服务器向' + str(addr) + '回复消息\n')
    print('服务器与客户端:\t' + str(addr) + '的连接关闭\n')


def main():
    listener = socket.create_server(('127.0.0.1', 9997), backlog=5)
    print('server waiting...')
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        while True:
            conn, addr = listener.accept()
            pool.submit(sign_in, conn, addr)
            print(f'客户端:\t\t{addr}连接成功')


if __name__ == '__main__':
    main()
