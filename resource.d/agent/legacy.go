package agent

import (
	"context"
	"errors"
)

// OCFRADir is the OCF agent directory as the legacy wrappers spell it in their
// log tag, trailing slash included (hence "//" in the tag, COMPAT §8.3).
const OCFRADir = "/usr/lib/ocf/resource.d/"

// Legacy wraps a native agent so it also logs the summary line the packaged
// resource.d wrapper (hto-mapfuncs' ra_execocf) logs after every operation,
// tagged "/usr/lib/ocf/resource.d//heartbeat/<Type>(<instance>)":
// "INFO:  Success", "INFO:  Running OK", "INFO:  Resource is stopped",
// "ERROR:  Generic error", "ERROR:  Illegal argument" (two spaces, COMPAT §6).
func Legacy(a Agent, log Logger, typ, instance string) Agent {
	return &legacy{Agent: a, log: log, tag: OCFRADir + "/heartbeat/" + typ + "(" + instance + ")"}
}

type legacy struct {
	Agent
	log Logger
	tag string
}

func (l *legacy) result(err error) {
	if l.log == nil {
		return
	}
	var ae *ArgError
	switch {
	case err == nil:
		l.log.Script(l.tag, "INFO:  Success")
	case errors.As(err, &ae):
		l.log.Script(l.tag, "ERROR:  Illegal argument")
	default:
		l.log.Script(l.tag, "ERROR:  Generic error")
	}
}

func (l *legacy) Start(ctx context.Context) error {
	err := l.Agent.Start(ctx)
	l.result(err)
	return err
}

func (l *legacy) Stop(ctx context.Context) error {
	err := l.Agent.Stop(ctx)
	l.result(err)
	return err
}

func (l *legacy) Status(ctx context.Context) (Status, error) {
	st, err := l.Agent.Status(ctx)
	if l.log != nil {
		switch {
		case err != nil:
			l.log.Script(l.tag, "ERROR:  Generic error")
		case st.Running:
			l.log.Script(l.tag, TextRunning)
		default:
			l.log.Script(l.tag, TextStopped)
		}
	}
	return st, err
}
