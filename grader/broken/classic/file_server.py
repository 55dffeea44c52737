# Broken on purpose: writes straight to the final name, so a truncated
# upload leaves a partial file. (Names are checked, nothing is overwritten,
# and a vanished client ends the handler; it saves to an absolute path of
# its author's Mac, as file_server.py saves to one of its author's PC.)
import os
import socketserver

ip_port = ('127.0.0.1', 9996)
base_path = '/Users/xiaoming/Desktop/lab2/file_save'  # the folder on its author's Mac


class MyServer(socketserver.BaseRequestHandler):
    def handle(self):
        conn = self.request
        print('connected...')
        try:
            file_name, file_size = conn.recv(1024).decode().split('|')
            file_size = int(file_size)
        except (ValueError, UnicodeDecodeError):
            return
        if file_name in ('', '.', '..') or os.path.basename(file_name) != file_name or os.path.isabs(file_name):
            conn.sendall('bad name'.encode())
            return
        os.makedirs(base_path, exist_ok=True)
        path, n = os.path.join(base_path, file_name), 1
        while os.path.exists(path):
            path = os.path.join(base_path, f'({n}) {file_name}')
            n += 1
        conn.sendall(f"{file_name}已发送".encode())
        with open(path, 'wb') as f:
            recv_size = 0
            while recv_size < file_size:
                data = conn.recv(1024)
                if not data:
                    break
                f.write(data)
                recv_size += len(data)
        print('upload successed.')


socketserver.ThreadingTCPServer.allow_reuse_address = True
instance = socketserver.ThreadingTCPServer(ip_port, MyServer)
instance.serve_forever()
