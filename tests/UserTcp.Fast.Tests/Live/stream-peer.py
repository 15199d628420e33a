#!/usr/bin/env python3
"""A kernel-socket peer for the TcpStream API tests: serves one connection in the given mode.

usage: stream-peer.py ADDRESS PORT MODE

  echo         sends back everything it receives; on the client's FIN, closes its side too (FIN)
  count        reads until the client's FIN, then replies "got N" (N bytes received) and closes
  expect-reset reads until the connection ends and reports how: "eof" or "reset"
  reset        sends "hello", waits until it is acknowledged, then aborts (SO_LINGER {on, 0}: a RST)

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
    unacknowledged = array.array("i", [0])
    while fcntl.ioctl(connection, termios.TIOCOUTQ, unacknowledged) == 0 and unacknowledged[0] > 0:
        time.sleep(0.01)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()
    print("reset sent", flush=True)
    sys.exit(0)

total, ending = read_until_end()
if mode == "count":
    connection.sendall(f"got {total}".encode())
connection.close()
print(f"{ending} after {total} bytes", flush=True)
