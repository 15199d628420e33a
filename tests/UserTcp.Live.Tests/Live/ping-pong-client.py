#!/usr/bin/env python3
"""A kernel TCP client that plays ping-pong with an echo server: ROUNDS messages of SIZE bytes to ADDRESS:PORT, each sent
only after the previous one came back whole. Prints "ok ROUNDS SECONDS SLOWEST_MS"; on a wrong echo or an error, a line
saying so and exit 1. Each echo needs the server's application to write, so each round trip needs a wake of its poll thread."""
import os, socket, sys, time

address, port, rounds, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
try:
    with socket.create_connection((address, port), timeout=20) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        slowest = 0.0
        start = time.monotonic()
        for i in range(rounds):
            message = os.urandom(size)
            sent = time.monotonic()
            s.sendall(message)
            echoed = bytearray()
            while len(echoed) < size:
                chunk = s.recv(size - len(echoed))
                if not chunk:
                    sys.exit(f"round {i}: the server closed after {len(echoed)} of {size} bytes")
                echoed += chunk
            if bytes(echoed) != message:
                sys.exit(f"round {i}: different bytes came back")
            slowest = max(slowest, time.monotonic() - sent)
        print(f"ok {rounds} {time.monotonic() - start:.3f} {slowest * 1000:.1f}")
except OSError as e:
    sys.exit(f"error: {e!r}")
