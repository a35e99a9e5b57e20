package spec

import (
	"fmt"
	"strings"
	"time"
)

// Schedule kinds.
const (
	ScheduleNone     = ""         // runs when started (a cloud task: one run, then COMPLETED)
	ScheduleInterval = "interval" // every Every (EventBridge: rate)
	ScheduleCron     = "cron"     // at the times of Cron
	ScheduleOnce     = "once"     // one run at At
)

// MinInterval is the shortest interval between scheduled runs.
const MinInterval = time.Minute

// Schedule says when a task runs.
//
// Time zones: Cron and At are wall-clock times in TimeZone, an IANA zone name
// ("Europe/Berlin"). Without one, a run on this computer (the desktop app) uses the
// computer's local time, and a cloud schedule uses UTC; a task that moves to the cloud
// should name its zone. Every is a duration and has no zone.
type Schedule struct {
	Kind  string `json:"kind,omitempty"`
	Every string `json:"every,omitempty"` // ScheduleInterval: Go duration, e.g. "30m", "6h"
	Cron  string `json:"cron,omitempty"`  // ScheduleCron: 5 fields, e.g. "0 2 * * *"
	// At: ScheduleOnce: RFC 3339 ("2026-05-01T02:00:00Z") or a wall-clock time in
	// TimeZone ("2026-05-01T02:00").
	At       string `json:"at,omitempty"`
	TimeZone string `json:"timeZone,omitempty"`
}

// OneTime reports whether the task runs at most once per start: its run ends
// COMPLETED (or FAILED) instead of IDLE waiting for the next one.
func (s Schedule) OneTime() bool { return s.Kind == ScheduleNone || s.Kind == ScheduleOnce }

// Location is the zone Cron and At are read in: TimeZone, or the computer's local time
// for a local run and UTC for a cloud one.
func (s Schedule) Location(local bool) (*time.Location, error) {
	if s.TimeZone != "" {
		loc, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("%q is not a time zone; use an IANA name such as UTC, Europe/Berlin or Asia/Shanghai", s.TimeZone)
		}
		return loc, nil
	}
	if local {
		return time.Local, nil
	}
	return time.UTC, nil
}

// CronSpec is the schedule for a cron runner that understands robfig/cron's syntax
// ("@every 30m", "CRON_TZ=Europe/Berlin 0 2 * * *"); "" when nothing repeats (none,
// once).
func (s Schedule) CronSpec() string {
	switch s.Kind {
	case ScheduleInterval:
		return "@every " + s.Every
	case ScheduleCron:
		if s.TimeZone != "" {
			return "CRON_TZ=" + s.TimeZone + " " + s.Cron
		}
		return s.Cron
	}
	return ""
}

// AtTime is the time of a once schedule, read in its zone (local: see Location).
func (s Schedule) AtTime(local bool) (time.Time, error) {
	loc, err := s.Location(local)
	if err != nil {
		return time.Time{}, err
	}
	if t, err := time.Parse(time.RFC3339, s.At); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s.At, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time; write 2026-05-01T02:00 (in the schedule's time zone) or 2026-05-01T02:00:00Z", s.At)
}

// String is the schedule as one expression (THUB_SCHEDULE, --schedule): "" for none,
// "@every 30m", "0 2 * * *", "@at 2026-05-01T02:00", with the zone as a
// "CRON_TZ=<zone> " prefix.
func (s Schedule) String() string {
	var e string
	switch s.Kind {
	case ScheduleNone:
		e = ""
	case ScheduleInterval:
		e = "@every " + s.Every
	case ScheduleCron:
		e = s.Cron
	case ScheduleOnce:
		e = "@at " + s.At
	default:
		e = s.Kind // an unknown kind stays visible (Validate names it)
	}
	if s.TimeZone != "" {
		e = strings.TrimSpace("CRON_TZ=" + s.TimeZone + " " + e)
	}
	return e
}

// ParseSchedule reads the expression form (see String); "TZ=" works like "CRON_TZ=".
// It checks the form only: Validate checks the values.
func ParseSchedule(expr string) Schedule {
	e := strings.TrimSpace(expr)
	var s Schedule
	for _, p := range []string{"CRON_TZ=", "TZ="} {
		if rest, ok := strings.CutPrefix(e, p); ok {
			zone, tail, _ := strings.Cut(rest, " ")
			s.TimeZone, e = zone, strings.TrimSpace(tail)
			break
		}
	}
	switch {
	case e == "":
		return s // none (a zone alone is kept)
	case strings.HasPrefix(e, "@every"):
		s.Kind, s.Every = ScheduleInterval, strings.TrimSpace(strings.TrimPrefix(e, "@every"))
	case strings.HasPrefix(e, "@at"):
		s.Kind, s.At = ScheduleOnce, strings.TrimSpace(strings.TrimPrefix(e, "@at"))
	default:
		s.Kind, s.Cron = ScheduleCron, strings.Join(strings.Fields(e), " ")
	}
	return s
}
