# Broken on purpose: socketserver's ThreadingTCPServer, a new thread per
# connection, where a pool of ten is asked for: nothing bounds how many are
# served at once.
import socketserver


class SignIn(socketserver.BaseRequestHandler):
    def handle(self):
        addr = self.client_address
        print(f'客户端:\t\t{addr}连接成功')
        try:
            data = self.request.recv(1024).decode(errors='replace')
        except OSError:
            return
        print(f'服务器接收来自:\t{addr}的信息,内容为:{data}\n')
        self.request.send('你已签到'.encode())
        print(f'服务器向{addr}回复消息\n')

    def finish(self):
        print(f'服务器与客户端:\t{self.client_address}的连接关闭\n')


print('server waiting...')
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer.daemon_threads = True
server = socketserver.ThreadingTCPServer(('127.0.0.1', 9997), SignIn)
server.serve_forever()
