# Broken on purpose: no pool at all; each client is served inline, one at a
# time, so a silent client holds every other one.
from socket import create_server

with create_server(('127.0.0.1', 9997)) as server:
    print('server waiting...')
    while True:
        conn, addr = server.accept()
        print(f'客户端:\t\t{addr}连接成功')
        with conn:  # the next accept waits until this client is done
            try:
                data = conn.recv(1024).decode(errors='replace')
            except OSError:
                continue
            print(f'服务器接收来自:\t{addr}的信息,内容为:{data}\n')
            conn.send('你已签到'.encode())
            print(f'服务器向{addr}回复消息\n')
        print(f'服务器与客户端:\t{addr}的连接关闭\n')
