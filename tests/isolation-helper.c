/*
 * isolation-helper: the attacks of the isolation tests, made with the
 * syscalls themselves so the test sees the kernel's answer rather than a
 * tool's (busybox has no keyctl).  Built static, it is put into the test
 * image (tests/integration/90-isolation-runtime.py) and never installed.
 * Each command prints one line per attempt, "NAME: ok" or "NAME: ERRNO",
 * and what it read, if anything.
 *
 *   keys              add_key, keyctl (the user keyring), request_key
 *   read-key DESC     link the user keyring (the host root's, if the
 *                     container's root were host root) into the session
 *                     keyring, find the "user" key DESC there and read it
 *   join NAME         join the session keyring NAME (another container's)
 *   unshare-mount     a user and mount namespace, then mount a tmpfs
 *   clone3            clone3 with CLONE_NEWUSER
 *   ids               real and effective uid (for a setuid copy)
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include <linux/sched.h>

static void
report(const char *what, long rc)
{
	if (rc < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: ok (%ld)\n", what, rc);
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	char buf[4096];
	long rc;

	if (strcmp(cmd, "keys") == 0) {
		report("add_key", syscall(SYS_add_key, "user", "sdc-iso", "x", 1,
		    KEY_SPEC_SESSION_KEYRING));
		report("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID,
		    KEY_SPEC_USER_KEYRING, 0));
		report("request_key", syscall(SYS_request_key, "user", "sdc-iso",
		    NULL, 0));
	} else if (strcmp(cmd, "read-key") == 0 && argc > 2) {
		report("link", syscall(SYS_keyctl, KEYCTL_LINK,
		    KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING));
		rc = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING,
		    "user", argv[2], 0);
		report("search", rc);
		if (rc > 0) {
			rc = syscall(SYS_keyctl, KEYCTL_READ, rc, buf,
			    sizeof buf - 1);
			report("read", rc);
			if (rc > 0)
				printf("content: %.*s\n", (int)rc, buf);
		}
	} else if (strcmp(cmd, "join") == 0 && argc > 2) {
		rc = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, argv[2]);
		report("join", rc);
		if (rc >= 0) {
			rc = syscall(SYS_keyctl, KEYCTL_READ, rc, buf, sizeof buf);
			report("list", rc);
		}
	} else if (strcmp(cmd, "unshare-mount") == 0) {
		rc = unshare(CLONE_NEWUSER | CLONE_NEWNS);
		report("unshare", rc);
		if (rc == 0)
			report("mount", mount("t", "/mnt", "tmpfs", 0, NULL));
	} else if (strcmp(cmd, "clone3") == 0) {
		struct clone_args a = { .flags = CLONE_NEWUSER,
		    .exit_signal = SIGCHLD };

		rc = syscall(SYS_clone3, &a, sizeof a);
		if (rc == 0)
			_exit(0);
		if (rc > 0)
			waitpid((pid_t)rc, NULL, 0);
		report("clone3", rc);
	} else if (strcmp(cmd, "ids") == 0) {
		printf("uid=%d euid=%d\n", (int)getuid(), (int)geteuid());
	} else {
		fprintf(stderr, "usage: isolation-helper keys | read-key DESC | "
		    "join NAME | unshare-mount | clone3 | ids\n");
		return 2;
	}
	return 0;
}
