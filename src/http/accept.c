/* The acceptor: one thread takes each new connection off the listening socket and hands it to
 * libmicrohttpd's worker threads.
 *
 * Why not let the workers accept, as libmicrohttpd does by default: every worker polls the
 * one listening socket and whichever wakes first takes the connection, so a worker that
 * happens to be awake takes more. bench/resolve counted 53 of 64 keep-alive connections on
 * one worker and 15 on the other; the busy one's requests waited for each other and the
 * tail grew. Handed in (MHD_add_connection), a connection goes to the worker its descriptor
 * names modulo the pool size, and descriptors are handed out lowest first, so the split
 * stays within one or two connections. The limits on connections (limits.c) are counted
 * here, before the hand-off. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "private.h"

/* How long the acceptor rests when the process is out of descriptors, or the server holds
 * all the connections it may: new clients wait in the listen backlog meanwhile, as they
 * would for a busy server, instead of the thread spinning on the same refusal. */
#define REST_MS 20

static void *acceptor_main(void *arg)
{
	struct mc_http *h = arg;
	struct pollfd fds[2] = {{.fd = h->listen_fd, .events = POLLIN},
				{.fd = h->acceptor.wake[0], .events = POLLIN}};

	for (;;) {
		struct sockaddr_storage addr;
		socklen_t len = sizeof(addr);
		int c;

		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (!(fds[0].revents & POLLIN))
			continue;
		if (limits_full(h)) {
			poll(&fds[1], 1, REST_MS);
			continue;
		}
		/* Non-blocking, as the workers' event loop needs; the listening socket is
		 * non-blocking too, so a connection another poll wake-up already took only
		 * returns EAGAIN. */
		c = accept4(h->listen_fd, (struct sockaddr *)&addr, &len,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				poll(&fds[1], 1, REST_MS);
			continue;
		}
		if (!limits_admit(h, (const struct sockaddr *)&addr)) {
			close(c); /* the client's address holds its share */
			continue;
		}
		/* libmicrohttpd owns c from here, and closes it itself when it fails. */
		if (MHD_add_connection(h->daemon, c, (const struct sockaddr *)&addr, len) !=
		    MHD_YES)
			limits_release(h, (const struct sockaddr *)&addr);
	}
	return NULL;
}

enum mc_err acceptor_start(struct mc_http *h)
{
	struct acceptor *a = &h->acceptor;
	int flags = fcntl(h->listen_fd, F_GETFL);

	if (flags < 0 || fcntl(h->listen_fd, F_SETFL, flags | O_NONBLOCK) != 0)
		return MC_ERR_IO;
	if (pipe2(a->wake, O_CLOEXEC) != 0)
		return MC_ERR_IO;
	if (pthread_create(&a->thread, NULL, acceptor_main, h) != 0) {
		close(a->wake[0]);
		close(a->wake[1]);
		a->wake[0] = a->wake[1] = -1;
		return MC_ERR_NOMEM;
	}
	a->running = true;
	return MC_OK;
}

void acceptor_stop(struct mc_http *h)
{
	struct acceptor *a = &h->acceptor;

	if (!a->running)
		return;
	/* A byte on the pipe ends the thread's poll; it adds nothing after it sees it. */
	while (write(a->wake[1], "x", 1) < 0 && errno == EINTR)
		;
	pthread_join(a->thread, NULL);
	close(a->wake[0]);
	close(a->wake[1]);
	a->running = false;
}
