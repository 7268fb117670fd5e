package hacf

// Log formats of hbgo.cf's logformat directive.
const (
	LogFormatText = "text" // heartbeat's own lines (default)
	LogFormatJSON = "json" // one JSON object per line, the event journal's shape
)

// parseLogFormat reads `logformat text|json`; ok is false (and errf called) when the value is neither.
func parseLogFormat(v string, errf func(hint, format string, args ...any)) (string, bool) {
	switch lower(v) {
	case LogFormatText:
		return LogFormatText, true
	case LogFormatJSON:
		return LogFormatJSON, true
	}
	errf("write logformat text (heartbeat's lines, the default) or logformat json", "logformat %s is not text or json", v)
	return "", false
}
