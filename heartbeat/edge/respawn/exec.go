package respawn

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"hbgo/internal/sched"
)

// Resolve looks up the user of a respawn line; failfast lines are not
// restarted (stock: rebootifitdies without respawn).
func Resolve(command, path, userName string, failfast bool) (Client, error) {
	u, err := user.Lookup(userName)
	if err != nil {
		return Client{}, fmt.Errorf("respawn %s: user %s: %w", command, userName, err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return Client{}, fmt.Errorf("respawn %s: user %s has a non-numeric uid or gid", command, userName)
	}
	return Client{Command: command, Path: path, User: userName, UID: uid, GID: gid, Respawn: !failfast, Failfast: failfast}, nil
}

// IsIPfail says whether a respawn command is ipfail, which hbgo emulates.
func IsIPfail(path string) bool { return filepath.Base(path) == "ipfail" }

// ExecStarter starts clients as stock's forked child does: `/bin/sh -c
// "exec <command>"` in a new process group, as the client's user with its
// groups, stdin/stdout/stderr on /dev/null, with env as the environment.
func ExecStarter(env []string) Starter {
	return func(c Client, delay bool) (Process, error) {
		if err := syscall.Access(c.Path, 1 /* X_OK */); err != nil {
			return nil, err
		}
		if delay {
			time.Sleep(time.Second) // stock: "Limit peak resource usage"
		}
		cmd := exec.Command("/bin/sh", "-c", "exec "+c.Command)
		cmd.Env = env
		cred := &syscall.Credential{Uid: uint32(c.UID), Gid: uint32(c.GID)}
		if u, err := user.LookupId(strconv.Itoa(c.UID)); err == nil {
			if gs, err := u.GroupIds(); err == nil {
				for _, g := range gs {
					if n, err := strconv.Atoi(g); err == nil {
						cred.Groups = append(cred.Groups, uint32(n))
					}
				}
			}
		}
		if os.Geteuid() != 0 {
			cred = nil // tests as a normal user: run as ourselves
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
		if err := sched.Start(cmd); err != nil {
			return nil, err
		}
		return &proc{cmd: cmd}, nil
	}
}

type proc struct{ cmd *exec.Cmd }

func (p *proc) Pid() int { return p.cmd.Process.Pid }

func (p *proc) Wait() Exit {
	_ = p.cmd.Wait()
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok {
		return Exit{Code: p.cmd.ProcessState.ExitCode()}
	}
	if ws.Signaled() {
		return Exit{Signal: int(ws.Signal())}
	}
	return Exit{Code: ws.ExitStatus()}
}

func (p *proc) Kill(sig syscall.Signal) error { return syscall.Kill(-p.cmd.Process.Pid, sig) }
