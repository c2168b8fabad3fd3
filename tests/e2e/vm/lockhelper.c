/* lockhelper: byte-range (fcntl) and whole-file (flock) locks for the e2e VM, whose busybox has
 * neither. Built statically by build-vm.sh and put in the initramfs as /bin/lockhelper.
 *
 *   lockhelper fcntl|flock FILE START LEN try
 *       one non-blocking attempt at a write lock: exit 0 if granted (then released), 1 if
 *       another holder refuses it (EAGAIN/EACCES/EWOULDBLOCK), 2 on any other error
 *   lockhelper fcntl|flock FILE START LEN wait SECS
 *       a blocking attempt, given up after SECS: 0 granted (then released), 1 timed out, 2 error
 *   lockhelper fcntl|flock FILE START LEN hold MARKER UNTIL [SECS]
 *       takes the lock (blocking), creates MARKER, keeps the lock until the file UNTIL exists
 *       (polled every 200 ms, at most SECS, default 300), releases it: 0, or 1 if UNTIL never
 *       came, 2 on error. UNTIL "-" holds until killed (the VM powering off mid-hold).
 * START and LEN are ignored for flock (it locks the whole file).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t alarmed;
static void on_alarm(int sig) { (void)sig; alarmed = 1; }

/* Sets (F_WRLCK / LOCK_EX) or clears (F_UNLCK / LOCK_UN) the lock. */
static int lock_op(int fd, int use_flock, long start, long len, int type, int block) {
  if (use_flock)
    return flock(fd, type == F_UNLCK ? LOCK_UN : (LOCK_EX | (block ? 0 : LOCK_NB)));
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = (short)type;
  fl.l_whence = SEEK_SET;
  fl.l_start = start;
  fl.l_len = len;
  return fcntl(fd, block ? F_SETLKW : F_SETLK, &fl);
}
static int take(int fd, int use_flock, long start, long len, int block) {
  return lock_op(fd, use_flock, start, len, F_WRLCK, block);
}
static int drop(int fd, int use_flock, long start, long len) {
  return lock_op(fd, use_flock, start, len, F_UNLCK, 0);
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: lockhelper fcntl|flock FILE START LEN try|wait SECS|hold MARKER UNTIL\n");
    return 2;
  }
  int use_flock = strcmp(argv[1], "flock") == 0;
  long start = atol(argv[3]), len = atol(argv[4]);
  const char *mode = argv[5];
  int fd = open(argv[2], O_RDWR | O_CREAT, 0666);
  if (fd < 0) {
    perror("open");
    return 2;
  }
  if (strcmp(mode, "try") == 0) {
    if (take(fd, use_flock, start, len, 0) == 0) {
      drop(fd, use_flock, start, len);
      return 0;
    }
    if (errno == EAGAIN || errno == EACCES || errno == EWOULDBLOCK) return 1;
    perror("lock");
    return 2;
  }
  if (strcmp(mode, "wait") == 0 && argc >= 7) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;  /* no SA_RESTART: the blocked call returns EINTR */
    sigaction(SIGALRM, &sa, NULL);
    alarm((unsigned)atoi(argv[6]));
    if (take(fd, use_flock, start, len, 1) == 0) {
      alarm(0);
      drop(fd, use_flock, start, len);
      return 0;
    }
    if (errno == EINTR && alarmed) return 1;
    perror("lock");
    return 2;
  }
  if (strcmp(mode, "hold") == 0 && argc >= 8) {
    if (take(fd, use_flock, start, len, 1) != 0) {
      perror("lock");
      return 2;
    }
    int m = open(argv[6], O_WRONLY | O_CREAT, 0666);
    if (m < 0) {
      perror("marker");
      return 2;
    }
    close(m);
    if (strcmp(argv[7], "-") == 0) {
      for (;;) pause();
    }
    int secs = argc >= 9 ? atoi(argv[8]) : 300;
    for (int i = 0; i < secs * 5; i++) {
      if (exists(argv[7])) {
        drop(fd, use_flock, start, len);
        return 0;
      }
      usleep(200000);
    }
    drop(fd, use_flock, start, len);
    return 1;
  }
  fprintf(stderr, "lockhelper: bad mode %s\n", mode);
  return 2;
}
