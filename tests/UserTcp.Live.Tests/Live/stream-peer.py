#!/usr/bin/env python3
"""A kernel-socket peer for the stream and download tests: serves one connection in the given mode.

usage: stream-peer.py ADDRESS PORT MODE [DECLARED SENT]

  echo         sends back everything it receives; on the client's FIN, closes its side too (FIN)
  count        reads until the client's FIN, then replies "got N" (N bytes received) and closes
  expect-reset reads until the connection ends and reports how: "eof" or "reset"
  reset        sends "hello", then aborts the connection (a RST)
  http-reset   reads an HTTP request, answers 200 declaring DECLARED bytes of body, sends SENT of them, then aborts
  http-stall   the same, but instead of aborting falls silent until the client ends the connection

An abort waits until the client has acknowledged everything sent, so the RST really arrives after that data, then
closes with SO_LINGER {on, 0}, which makes the kernel send a RST instead of a FIN (RFC 9293 §3.10.7).
Prints "listening" once it accepts connections; its last line says how the connection ended.
"""
import array
import fcntl
import socket
import struct
import sys
import termios
import time

address, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((address, port))
listener.listen(1)
print("listening", flush=True)
connection, _ = listener.accept()


def abort_when_acknowledged():
    unacknowledged = array.array("i", [0])  # SIOCOUTQ: bytes sent but not yet acknowledged
    while fcntl.ioctl(connection, termios.TIOCOUTQ, unacknowledged) == 0 and unacknowledged[0] > 0:
        time.sleep(0.01)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()
    print("reset sent", flush=True)
    sys.exit(0)


def read_until_end():
    total = 0
    try:
        while chunk := connection.recv(1 << 16):
            total += len(chunk)
            if mode == "echo":
                connection.sendall(chunk)
    except ConnectionResetError:
        return total, "reset"
    return total, "eof"


if mode == "reset":
    connection.sendall(b"hello")
    abort_when_acknowledged()
if mode in ("http-reset", "http-stall"):
    declared, sent = int(sys.argv[4]), int(sys.argv[5])
    request = b""
    while b"\r\n\r\n" not in request:
        chunk = connection.recv(4096)
        if not chunk:
            sys.exit("the client closed before sending its request")
        request += chunk
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                       + f"Content-Length: {declared}\r\n\r\n".encode() + bytes(sent))
    if mode == "http-reset":
        abort_when_acknowledged()
    print("stalling", flush=True)

total, ending = read_until_end()
if mode == "count":
    connection.sendall(f"got {total}".encode())
connection.close()
print(f"{ending} after {total} bytes", flush=True)
