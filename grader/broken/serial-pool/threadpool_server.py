# Broken on purpose: no pool at all; each client is served inline, one at a
# time, so a silent client holds every other one.
import socket

ip_port = ('127.0.0.1', 9997)


def work(conn, addr):
    try:
        data = conn.recv(1024).decode(errors='replace')
        print('服务器接收来自:\t' + str(addr) + '的信息,内容为:' + data + '\n')
        conn.send('你已签到'.encode())
        print('服务器向' + str(addr) + '回复消息\n')
    except OSError:
        pass
    conn.close()
    print('服务器与客户端:\t' + str(addr) + '的连接关闭\n')


sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(ip_port)
sk.listen(5)
print('server waiting...')
while True:
    conn, addr = sk.accept()
    print(f'客户端:\t\t{addr}连接成功')
    work(conn, addr)
