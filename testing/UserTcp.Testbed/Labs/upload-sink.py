# The lab's upload sink, started by `usertcp lab up` in the server namespace (UploadSink.cs); removed by `lab down`.
# HTTP/1.1 PUT or POST with a Content-Length or a chunked body. It answers only after the whole body is in:
#   /upload...  200, the body's byte count and SHA-256 (headers X-Body-Bytes, X-Body-Sha256 and a JSON body)
#   /count...   200, the byte count only: hashing costs ~1.8 GB/s of one core, which would cap a fast upload
#   /reset...   reads 1 MiB of the body, then aborts the connection (RST): a client's reset-mid-body path
#   elsewhere   404 after reading the body (so the client sees the status, not a reset); other methods 405
# usage: upload-sink.py ADDRESS PORT PIDFILE LOGFILE
import hashlib
import json
import os
import socket
import struct
import sys
import threading

BUFFER = 1 << 20
RESET_AFTER = 1 << 20


def read_headers(reader):
    request = reader.readline(65536)
    if not request:
        return None, None, None
    method, target, _ = request.decode("latin-1").split(" ", 2)
    headers = {}
    while True:
        line = reader.readline(65536)
        if line in (b"\r\n", b"\n", b""):
            return method, target, headers
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()


def read_exactly(reader, view, left, digest, stop_after=None):
    """Reads `left` bytes into the reusable buffer; returns how many came (fewer only when the peer closed early)."""
    total = 0
    while left > 0:
        n = reader.readinto(view[:min(left, BUFFER)])
        if not n:
            break
        if digest is not None:
            digest.update(view[:n])
        total += n
        left -= n
        if stop_after is not None and total >= stop_after:
            break
    return total


def read_body(reader, headers, view, digest, stop_after=None):
    if headers.get("transfer-encoding", "").lower() == "chunked":
        total = 0
        while True:
            size = int(reader.readline(1024).split(b";")[0].strip(), 16)
            if size == 0:
                while reader.readline(65536) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return total
            got = read_exactly(reader, view, size, digest, stop_after)
            total += got
            if got < size or (stop_after is not None and total >= stop_after):
                return total
            reader.readline(16)  # the CRLF after the chunk
    return read_exactly(reader, view, int(headers.get("content-length", "0")), digest, stop_after)


def answer(connection, status, fields, body):
    payload = json.dumps(body).encode() + b"\n"
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    connection.sendall(head.encode("latin-1") + b"\r\n" + payload)


def serve(connection):
    buffer = bytearray(BUFFER)
    view = memoryview(buffer)
    try:
        with connection, connection.makefile("rb", buffering=65536) as reader:
            method, target, headers = read_headers(reader)
            if method is None:
                return
            if headers.get("expect", "").lower() == "100-continue":
                connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            path = target.split("?", 1)[0]
            if method not in ("PUT", "POST"):
                read_body(reader, headers, view, None)
                answer(connection, "405 Method Not Allowed", {"Allow": "PUT, POST"}, {"error": "PUT or POST a body"})
            elif path.startswith("/reset"):
                read_body(reader, headers, view, None, stop_after=RESET_AFTER)
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif path.startswith("/upload") or path.startswith("/count"):
                digest = hashlib.sha256() if path.startswith("/upload") else None
                total = read_body(reader, headers, view, digest)
                declared = headers.get("content-length")
                if declared is not None and total != int(declared):
                    return  # the client went away mid-body: nobody to answer
                fields = {"X-Body-Bytes": str(total)}
                body = {"bytes": total}
                if digest is not None:
                    fields["X-Body-Sha256"] = body["sha256"] = digest.hexdigest()
                answer(connection, "200 OK", fields, body)
            else:
                read_body(reader, headers, view, None)
                answer(connection, "404 Not Found", {}, {"error": f"no such upload target: {path}"})
    except (OSError, ValueError) as error:
        print(f"connection failed: {error}", flush=True)


def main():
    address, port, pid_file, log_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, port))
    listener.listen(64)
    # Listening before it detaches, as nginx and dnsmasq do: a zero exit of the starter means the port is open.
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    with open(pid_file + ".new", "w") as pid:
        pid.write(str(os.getpid()))
    os.replace(pid_file + ".new", pid_file)
    while True:
        connection, _ = listener.accept()
        threading.Thread(target=serve, args=(connection,), daemon=True).start()


if __name__ == "__main__":
    main()
