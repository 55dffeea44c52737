# Broken on purpose: a new thread per connection where a pool of ten is
# asked for, so nothing bounds how many are served at once.
import socket
import threading

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
    threading.Thread(target=work, args=(conn, addr), daemon=True).start()
    print(f'客户端:\t\t{addr}连接成功')
