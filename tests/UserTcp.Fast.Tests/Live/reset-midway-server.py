#!/usr/bin/env python3
"""An HTTP server that resets the connection in the middle of the body, with kernel sockets.

usage: reset-midway-server.py ADDRESS PORT DECLARED_BYTES SENT_BYTES

Serves one request: a 200 response declaring DECLARED_BYTES of body, then SENT_BYTES of them, then a close with
SO_LINGER {on, 0}, which makes the kernel send a RST instead of a FIN (RFC 9293 §3.10.7, abort). Prints "listening"
once it accepts connections, and "reset" after the reset.
"""
import array
import fcntl
import socket
import struct
import sys
import termios
import time

address, port, declared, sent = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((address, port))
listener.listen(1)
print("listening", flush=True)
connection, _ = listener.accept()
request = b""
while b"\r\n\r\n" not in request:
    chunk = connection.recv(4096)
    if not chunk:
        sys.exit("the client closed before sending its request")
    request += chunk
connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                   + f"Content-Length: {declared}\r\n\r\n".encode())
connection.sendall(bytes(sent))
# Reset only once the client has acknowledged everything sent (SIOCOUTQ: bytes not yet acknowledged), so it really
# is in the middle of the body, with SENT_BYTES received, when the RST arrives.
unacknowledged = array.array("i", [0])
while fcntl.ioctl(connection, termios.TIOCOUTQ, unacknowledged) == 0 and unacknowledged[0] > 0:
    time.sleep(0.01)
connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
connection.close()
print("reset", flush=True)
