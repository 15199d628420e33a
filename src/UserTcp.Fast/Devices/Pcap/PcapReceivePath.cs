namespace UserTcp.Fast.Devices.Pcap;

/// <summary>How a <see cref="PcapDevice"/> takes frames from the kernel.</summary>
public enum PcapReceivePath
{
    /// <summary>
    /// <see cref="Socket"/> first, <see cref="Ring"/> once a transfer is worth it: after
    /// <see cref="PcapDevice.RingAfterBytes"/> received, libpcap's ring is set up on a thread of its own while the socket
    /// keeps receiving, and the device moves to it without losing or repeating a frame (see <see cref="PcapDevice"/>). A
    /// short command pays the socket's one RCU grace period; a long transfer gets the ring's speed.
    /// </summary>
    Auto,

    /// <summary>
    /// A packet socket of the device's own, no ring: recvmmsg(2) copies a batch of frames into the device's buffers, the
    /// kernel filter compiled by libpcap. Closing it costs the kernel one RCU grace period (opening none); the frames
    /// waiting are kernel memory, charged only while they wait. The poll thread makes the copy, so a bulk transfer is
    /// slower than with the ring.
    /// </summary>
    Socket,

    /// <summary>
    /// libpcap's TPACKET ring, read in place with pcap_dispatch (no system call while frames wait; the kernel copies each
    /// frame into the ring in softirq, off the poll thread). Setting the ring up and tearing it down costs the kernel three
    /// RCU grace periods (about 8-10 ms each here); the whole ring is resident from the start.
    /// </summary>
    Ring,
}
