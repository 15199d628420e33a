/*
 * lwip-get: one HTTP/1.1 GET over a TAP device with lwIP 2.1 (Debian's liblwip-dev), the body counted and thrown away.
 *
 *   lwip-get TAP ADDR/PREFIX SERVER PATH [TIMEOUT_SECONDS]
 *
 * Attaches to the TAP interface TAP (a persistent one, made and bridged by `usertcp lab up --stack-link tap`), claims
 * ADDR with a random locally administered MAC, connects to SERVER:80, sends "GET PATH" with "Connection: close" and
 * counts the body bytes against Content-Length. Prints one line on stdout:
 *
 *   bytes=N seconds=S header_bytes=H status=C mss=M wnd=W wnd_scale=K rx_frames=F rx_truncated=T tx_frames=X
 *
 * where seconds run from tcp_connect to the last body byte (the process's start-up is not in it). Exit 0 when the body
 * is exactly Content-Length bytes, 1 otherwise (timeout, reset, short body), 2 on bad usage.
 *
 * The netif driver is this file's own, not Debian's tapif (which overruns its buffer at MTU 1500): each frame is read
 * straight into a pbuf of MTU + 18 bytes (Ethernet header and one VLAN tag), and a frame the kernel had to truncate to
 * fit (the read reports more than the buffer holds) is dropped and counted, never passed on.
 *
 * Threads: Debian builds lwIP with NO_SYS 0 and LWIP_TCPIP_CORE_LOCKING 1. tcpip_init starts lwIP's thread, which runs
 * the TCP timers; this thread reads the TAP and feeds ethernet_input while it holds the core lock, so every lwIP call
 * is serialised and no frame goes through the tcpip thread's mailbox. Frames are written with writev(2) from the
 * pbuf chain, holding the core lock (lwIP calls linkoutput with it held).
 *
 * TCP: the library's options are fixed when Debian builds it (lwipopts.h): TCP_MSS 1460, TCP_WND 0xFFFF with window
 * scaling (LWIP_WND_SCALE 1, TCP_RCV_SCALE 1), so the window is 64 KiB - 1 at most; no SACK, no timestamps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "netif/ethernet.h"

#define VLAN_TAG_BYTES 4
#define MAX_IOVECS 16
#define FRAMES_PER_TURN 64
#define HEADER_CAPACITY 8192

static int tap_fd = -1;
static int frame_capacity;
static unsigned long rx_frames, rx_truncated, tx_frames, tx_errors;

/* What the connection has done so far; touched only with the core lock held. */
static struct {
    struct tcp_pcb *pcb;
    char request[1024];
    char header[HEADER_CAPACITY];
    size_t header_length;
    int header_done;
    int status;
    long long content_length;
    long long body_bytes;
    double start, finish;
    int done;
    int failed;
    const char *error;
} get;

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void finish(const char *error)
{
    if (get.done) return;
    get.done = 1;
    get.finish = now_seconds();
    if (error) {
        get.failed = 1;
        get.error = error;
    }
}

/* Reads the status line and Content-Length once the header is complete; the bytes after it are body. */
static void take_header_bytes(const char *data, size_t length, size_t *consumed)
{
    size_t room = sizeof get.header - 1 - get.header_length;
    size_t take = length < room ? length : room;
    memcpy(get.header + get.header_length, data, take);
    get.header_length += take;
    get.header[get.header_length] = 0;
    char *end = strstr(get.header, "\r\n\r\n");
    if (!end) {
        *consumed = take;
        if (get.header_length == sizeof get.header - 1) finish("response header longer than 8 KiB");
        return;
    }
    size_t header_bytes = (size_t)(end + 4 - get.header);
    *consumed = take - (get.header_length - header_bytes);
    get.header_length = header_bytes;
    get.header_done = 1;
    get.content_length = -1;
    sscanf(get.header, "HTTP/1.%*d %d", &get.status);
    for (char *line = strstr(get.header, "\r\n"); line && line < end; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Content-Length:", 15) == 0) get.content_length = atoll(line + 17);
    }
}

static err_t on_receive(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    if (p == NULL) {
        /* The server closed: complete only if the whole body came. */
        finish(get.header_done && get.body_bytes == get.content_length ? NULL : "connection closed before the whole body");
        tcp_close(pcb);
        get.pcb = NULL;
        return ERR_OK;
    }
    if (err != ERR_OK) {
        pbuf_free(p);
        return err;
    }
    for (struct pbuf *q = p; q; q = q->next) {
        const char *data = q->payload;
        size_t length = q->len, consumed = 0;
        if (!get.header_done) take_header_bytes(data, length, &consumed);
        get.body_bytes += (long long)(length - consumed);
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (get.header_done && get.body_bytes >= get.content_length && get.content_length >= 0)
        finish(get.body_bytes == get.content_length ? NULL : "more body bytes than Content-Length");
    return ERR_OK;
}

static void on_error(void *arg, err_t err)
{
    (void)arg;
    get.pcb = NULL; /* lwIP has freed it */
    finish(err == ERR_RST ? "connection reset" : err == ERR_ABRT ? "connection aborted" : "connection failed");
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK) return err;
    err_t written = tcp_write(pcb, get.request, (u16_t)strlen(get.request), TCP_WRITE_FLAG_COPY);
    if (written != ERR_OK) {
        finish("tcp_write failed");
        return written;
    }
    return tcp_output(pcb);
}

static err_t tap_linkoutput(struct netif *netif, struct pbuf *p)
{
    (void)netif;
    struct iovec iov[MAX_IOVECS];
    int count = 0;
    struct pbuf *q = p;
    for (; q && count < MAX_IOVECS; q = q->next) {
        iov[count].iov_base = q->payload;
        iov[count].iov_len = q->len;
        count++;
    }
    if (q || p->tot_len > frame_capacity) {
        tx_errors++;
        return ERR_IF;
    }
    if (writev(tap_fd, iov, count) < 0) {
        tx_errors++; /* like a full transmit queue: TCP retransmits */
        return ERR_OK;
    }
    tx_frames++;
    return ERR_OK;
}

static err_t tap_netif_init(struct netif *netif)
{
    netif->name[0] = 't';
    netif->name[1] = 'p';
    netif->output = etharp_output;
    netif->linkoutput = tap_linkoutput;
    netif->mtu = (u16_t)(frame_capacity - SIZEOF_ETH_HDR - VLAN_TAG_BYTES);
    netif->hwaddr_len = ETH_HWADDR_LEN;
    unsigned char random[ETH_HWADDR_LEN];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, random, sizeof random) != (ssize_t)sizeof random) return ERR_IF;
    close(fd);
    memcpy(netif->hwaddr, random, ETH_HWADDR_LEN);
    netif->hwaddr[0] = (u8_t)((netif->hwaddr[0] & 0xFC) | 0x02); /* locally administered, unicast */
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
    return ERR_OK;
}

/* Reads up to FRAMES_PER_TURN frames, each into its own pbuf of frame_capacity bytes; called with the core lock held. */
static void receive_frames(struct netif *netif)
{
    for (int i = 0; i < FRAMES_PER_TURN; i++) {
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)frame_capacity, PBUF_RAM);
        if (!p) return;
        ssize_t length = read(tap_fd, p->payload, (size_t)frame_capacity);
        if (length <= 0) {
            pbuf_free(p);
            if (length < 0 && errno == EINTR) continue;
            return; /* EAGAIN: the queue is empty */
        }
        if (length > frame_capacity) {
            rx_truncated++; /* the kernel cut the frame to fit: never hand lwIP a partial frame */
            pbuf_free(p);
            continue;
        }
        rx_frames++;
        pbuf_realloc(p, (u16_t)length);
        if (netif->input(p, netif) != ERR_OK) pbuf_free(p);
    }
}

static int open_tap(const char *name)
{
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "lwip-get: cannot open /dev/net/tun: %s\n", strerror(errno));
        return -1;
    }
    struct ifreq request;
    memset(&request, 0, sizeof request);
    request.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(request.ifr_name, name, IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &request) < 0) {
        fprintf(stderr, "lwip-get: %s: TUNSETIFF: %s\n", name, strerror(errno));
        close(fd);
        return -1;
    }
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0 || ioctl(sock, SIOCGIFMTU, &request) < 0) {
        fprintf(stderr, "lwip-get: %s: SIOCGIFMTU: %s\n", name, strerror(errno));
        close(fd);
        return -1;
    }
    close(sock);
    frame_capacity = request.ifr_mtu + SIZEOF_ETH_HDR + VLAN_TAG_BYTES;
    return fd;
}

static volatile int tcpip_ready;

static void on_tcpip_ready(void *arg)
{
    (void)arg;
    tcpip_ready = 1;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: lwip-get TAP ADDR/PREFIX SERVER PATH [TIMEOUT_SECONDS]\n");
        return 2;
    }
    char address_text[32];
    snprintf(address_text, sizeof address_text, "%s", argv[2]);
    char *slash = strchr(address_text, '/');
    int prefix = slash ? atoi(slash + 1) : 0;
    if (slash) *slash = 0;
    ip4_addr_t address, netmask, gateway, server;
    if (!slash || prefix < 1 || prefix > 32 || !ip4addr_aton(address_text, &address) || !ip4addr_aton(argv[3], &server)) {
        fprintf(stderr, "lwip-get: expected ADDR/PREFIX and a server IPv4 address\n");
        return 2;
    }
    double timeout = argc == 6 ? atof(argv[5]) : 120;
    ip4_addr_set_u32(&netmask, lwip_htonl(prefix == 32 ? 0xFFFFFFFFu : ~(0xFFFFFFFFu >> prefix)));
    ip4_addr_set_zero(&gateway);
    snprintf(get.request, sizeof get.request, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: lwip-get\r\nConnection: close\r\n\r\n", argv[4], argv[3]);

    unsigned seed;
    int urandom = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (urandom < 0 || read(urandom, &seed, sizeof seed) != (ssize_t)sizeof seed) return 1;
    close(urandom);
    srand(seed); /* LWIP_RAND is rand(): a fresh ephemeral port each run, never the last run's 4-tuple */

    tap_fd = open_tap(argv[1]);
    if (tap_fd < 0) return 1;
    tcpip_init(on_tcpip_ready, NULL);
    while (!tcpip_ready) usleep(1000);

    static struct netif netif;
    LOCK_TCPIP_CORE();
    netif_add(&netif, &address, &netmask, &gateway, NULL, tap_netif_init, ethernet_input);
    netif_set_default(&netif);
    netif_set_up(&netif);
    get.pcb = tcp_new();
    tcp_recv(get.pcb, on_receive);
    tcp_err(get.pcb, on_error);
    get.start = now_seconds();
    ip_addr_t server_address;
    ip_addr_copy_from_ip4(server_address, server);
    if (tcp_connect(get.pcb, &server_address, 80, on_connected) != ERR_OK) finish("tcp_connect failed");
    UNLOCK_TCPIP_CORE();

    struct pollfd readable = { .fd = tap_fd, .events = POLLIN };
    while (!get.done) {
        if (now_seconds() - get.start > timeout) {
            LOCK_TCPIP_CORE();
            finish("timed out");
            UNLOCK_TCPIP_CORE();
            break;
        }
        if (poll(&readable, 1, 100) < 0 && errno != EINTR) break;
        LOCK_TCPIP_CORE();
        receive_frames(&netif);
        UNLOCK_TCPIP_CORE();
    }

    /* Close and let the FIN and the last ACKs go out, so the server's side ends cleanly. */
    LOCK_TCPIP_CORE();
    if (get.pcb) {
        tcp_recv(get.pcb, NULL);
        tcp_err(get.pcb, NULL);
        if (tcp_close(get.pcb) != ERR_OK) tcp_abort(get.pcb);
        get.pcb = NULL;
    }
    UNLOCK_TCPIP_CORE();
    for (double until = now_seconds() + 0.05; now_seconds() < until;) {
        poll(&readable, 1, 10);
        LOCK_TCPIP_CORE();
        receive_frames(&netif);
        UNLOCK_TCPIP_CORE();
    }

    printf("bytes=%lld seconds=%.6f header_bytes=%zu status=%d mss=%d wnd=%d wnd_scale=%d rx_frames=%lu rx_truncated=%lu tx_frames=%lu tx_errors=%lu\n",
           get.body_bytes, get.finish - get.start, get.header_length, get.status, TCP_MSS, TCP_WND, TCP_RCV_SCALE,
           rx_frames, rx_truncated, tx_frames, tx_errors);
    if (get.failed) {
        fprintf(stderr, "lwip-get: %s after %lld body bytes\n", get.error, get.body_bytes);
        return 1;
    }
    if (get.status != 200) {
        fprintf(stderr, "lwip-get: HTTP status %d\n", get.status);
        return 1;
    }
    return 0;
}
