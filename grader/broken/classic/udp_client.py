# Broken on purpose: sends each line as typed, not stripped.
import socket

ip_port = ('127.0.0.1', 9999)
sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, 0)
while True:
    try:
        inp = input('数据：')
    except EOFError:
        print()
        break
    if inp.strip() == 'exit':
        break
    sk.sendto(inp.encode(), ip_port)
sk.close()
