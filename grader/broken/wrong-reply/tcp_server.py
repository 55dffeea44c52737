# Broken on purpose: replies 滚蛋. instead of the lab's 不要回答,不要回答,不要回答.
from socket import AF_INET, SO_REUSEADDR, SOCK_STREAM, SOL_SOCKET, socket

with socket(AF_INET, SOCK_STREAM) as server:
    server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    server.bind(('127.0.0.1', 9999))
    server.listen()
    print('server waiting...')
    while True:
        client, _ = server.accept()
        with client:
            try:
                text = client.recv(1024).decode(errors='replace')
            except OSError:
                text = None
            if text is not None:
                print(text)
                client.sendall('滚蛋.'.encode())
        print('server waiting...')
