package timeline

import (
	"fmt"
	"strings"
	"time"
)

// ParseSince reads -since: RFC 3339, `2006-01-02 15:04[:05]`, `15:04[:05]` (today) or a duration ago (`2h`, `90m`), in loc with now as the reference.
func ParseSince(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if loc == nil {
		loc = time.Local
	}
	now = now.In(loc)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("-since %q: want RFC 3339, \"2006-01-02 15:04\", \"15:04\" (today) or a duration such as 2h", s)
}

// Since keeps the incidents still going at or after t (an incident that began just before t is kept whole).
func Since(incidents []Incident, t time.Time) []Incident {
	var out []Incident
	for _, in := range incidents {
		if !in.Steps[len(in.Steps)-1].Time.Before(t) {
			out = append(out, in)
		}
	}
	return out
}
