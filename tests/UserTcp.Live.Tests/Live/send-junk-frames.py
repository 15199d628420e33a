#!/usr/bin/env python3
"""Sends COUNT malformed or hostile frames aimed at the stack (DST_MAC, 198.18.0.2) out of IFACE, from the peer
namespace. Every frame passes the stack's capture filter (ARP, or IPv4 to its address), so every one must be
counted by the stack as a drop: bad ARP, bad IPv4 header, unknown protocol, UDP to a closed port, bad TCP.
(Frames for other addresses never reach the stack: its capture filter leaves them in the kernel.)"""
import os
import random
import socket
import struct
import sys
import time

iface, dst_mac, count = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3])
src_mac = bytes.fromhex("020000000099")
ours, peer = bytes([198, 18, 0, 2]), bytes([198, 18, 0, 1])
rng = random.Random(7)
sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
sock.bind((iface, 0))

def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF

def ipv4(payload, proto, valid=True):
    header = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, peer, ours))
    if valid:
        struct.pack_into("!H", header, 10, checksum(bytes(header)))
    else:  # break one of: version, IHL, total length, header checksum
        field = rng.randrange(4)
        if field == 0: header[0] = 0x65
        elif field == 1: header[0] = 0x40 | rng.choice([0, 1, 4, 15])
        elif field == 2: struct.pack_into("!H", header, 2, rng.choice([0, 10, 4000, 65535]))
        else: struct.pack_into("!H", header, 10, rng.randrange(65536))
    return bytes(header) + payload

for i in range(count):
    kind = i % 5
    if kind == 0:    # ARP for our address that is not IPv4-over-Ethernet, or has an unknown operation
        htype, ptype, hlen, plen, op = rng.choice([(6, 0x0800, 6, 4, 1), (1, 0x86DD, 6, 4, 1), (1, 0x0800, 8, 4, 1), (1, 0x0800, 6, 16, 2), (1, 0x0800, 6, 4, 9)])
        body = struct.pack("!HHBBH", htype, ptype, hlen, plen, op) + src_mac + peer + b"\0" * 6 + ours
        frame = dst_mac + src_mac + b"\x08\x06" + body
    elif kind == 1:  # IPv4 with a broken header
        frame = dst_mac + src_mac + b"\x08\x00" + ipv4(os.urandom(rng.randint(8, 60)), 6, valid=False)
    elif kind == 2:  # a protocol the stack does not speak
        frame = dst_mac + src_mac + b"\x08\x00" + ipv4(os.urandom(rng.randint(0, 60)), rng.choice([2, 47, 50, 132]))
    elif kind == 3:  # UDP to a port nobody listens on (with no checksum, so it is not dropped for that)
        frame = dst_mac + src_mac + b"\x08\x00" + ipv4(struct.pack("!HHHH", 40000, 9, 12, 0) + b"junk", 17)
    else:            # TCP with random bytes: bad checksum, bad data offset or bad options
        frame = dst_mac + src_mac + b"\x08\x00" + ipv4(os.urandom(rng.randint(0, 80)), 6)
    sock.send(frame.ljust(14, b"\x00"))
    if i % 100 == 99:
        time.sleep(0.005)  # stay under the veth receive backlog (net.core.netdev_max_backlog, 1000 frames)
print(count)
