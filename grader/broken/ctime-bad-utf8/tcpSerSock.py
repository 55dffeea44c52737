# Broken on purpose: decodes every message as UTF-8 without a guard, so
# one client that sends other bytes ends the whole server.
from socket import socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR
from time import ctime

HOST = '127.0.0.1'
PORT = 21567
ADDR = (HOST, PORT)

tcpSerSock = socket(AF_INET, SOCK_STREAM)
tcpSerSock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
tcpSerSock.bind(ADDR)
tcpSerSock.listen(5)
while True:
    print('Waiting for connection ....')
    tcpCliSock, addr = tcpSerSock.accept()
    print('Connected client from : ', addr)
    while True:
        try:
            data = tcpCliSock.recv(1024)
        except ConnectionError:
            break
        if not data:
            break
        text = data.decode('utf-8')
        print('Client: ', text)
        tcpCliSock.send(('[%s] %s' % (ctime(), text)).encode('utf-8'))
    tcpCliSock.close()
