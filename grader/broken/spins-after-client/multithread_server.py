# Broken on purpose: after a client leaves, its thread keeps calling recv,
# which returns b'' at once, forever: a spin at full speed.
import _thread
import socket

ADDR = ('127.0.0.1', 9998)


def work(conn, addr):
    answered = False
    while True:  # b'' (the client has gone) never ends this loop
        try:
            data = conn.recv(1024)
        except OSError:
            data = b''
        if data and not answered:
            text = data.decode(errors='replace')
            print(f'服务器接收来自:\t{addr}的信息,内容为:{text}\n')
            conn.send('你已签到'.encode())
            print(f'服务器向{addr}回复消息\n')
            print(f'服务器与客户端:\t{addr}的连接关闭\n')
            answered = True


listener = socket.create_server(ADDR, backlog=128)
print('server waiting...')
while True:
    conn, addr = listener.accept()
    print(f'客户端:\t\t{addr}连接成功\n')
    _thread.start_new_thread(work, (conn, addr))
