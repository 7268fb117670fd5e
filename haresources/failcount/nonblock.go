package failcount

import "syscall"

// syscallNonblock keeps Load from hanging on a FIFO put in the file's place.
const syscallNonblock = syscall.O_NONBLOCK
