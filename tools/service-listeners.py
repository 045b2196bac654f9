#!/usr/bin/env python3
# Loopback listeners for tools/make-service-fixtures.sh and the live nmap test: each argument is
# KIND|ADDRESS|PORT|TEXT with KIND ssh (sends the banner SSH-2.0-TEXT), http (answers with
# Server: TEXT) or junk (sends bytes no nmap probe matches, so -sV can only guess).
import socket, sys, threading

def serve(kind, host, port, fam, arg):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port)); s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(kind, c, arg), daemon=True).start()
def handle(kind, c, arg):
    try:
        c.settimeout(5)
        if kind == 'ssh':
            c.sendall(('SSH-2.0-' + arg + '\r\n').encode()); c.recv(1024)
        elif kind == 'http':
            data = c.recv(4096)
            body = b'<html><title>t</title></html>'
            c.sendall(b'HTTP/1.1 200 OK\r\nServer: ' + arg.encode() + b'\r\nContent-Type: text/html\r\nContent-Length: ' + str(len(body)).encode() + b'\r\nConnection: close\r\n\r\n' + body)
        elif kind == 'junk':
            c.sendall(b'\x00\x07zq9\x01\x02junk\r\n')
    except Exception: pass
    finally: c.close()
for spec in sys.argv[1:]:
    kind, host, port, arg = spec.split('|')
    fam = socket.AF_INET6 if ':' in host else socket.AF_INET
    threading.Thread(target=serve, args=(kind, host, int(port), fam, arg), daemon=True).start()
print('ok', flush=True)
threading.Event().wait()
