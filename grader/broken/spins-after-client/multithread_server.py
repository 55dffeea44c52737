# Broken on purpose: after a client leaves, its thread keeps calling recv,
# which returns b'' at once, forever: a spin at full speed.
import socket
import threading

ip_port = ('127.0.0.1', 9998)


def work(conn, addr):
    answered = False
    while True:
        try:
            data = conn.recv(1024)
        except OSError:
            data = b''
        if not answered and data:
            print('服务器接收来自:\t' + str(addr) + '的信息,内容为:' + data.decode(errors='replace') + '\n')
            conn.send('你已签到'.encode())
            print('服务器向' + str(addr) + '回复消息\n')
            answered = True
            print('服务器与客户端:\t' + str(addr) + '的连接关闭\n')


sk = socket.socket()
sk.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sk.bind(ip_port)
sk.listen(128)
print('server waiting...')
while True:
    conn, addr = sk.accept()
    print(f'客户端:\t\t{addr}连接成功\n')
    threading.Thread(target=work, args=(conn, addr), daemon=True).start()
