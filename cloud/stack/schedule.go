package stack

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Schedule is a task's schedule as EventBridge Scheduler takes it.
type Schedule struct {
	// Expression: rate(...), cron(...) or at(...); "" for a task without a schedule
	// (its runs are started on demand).
	Expression string
	// TimeZone (IANA) the cron and at expressions are read in.
	TimeZone string
}

// ParseSchedule converts the agent's schedule expression (THUB_SCHEDULE, the task
// spec's Schedule.String(): "", "@every 30m", "0 2 * * *", "@at 2026-05-01T02:00",
// each optionally led by "CRON_TZ=<zone> ") into EventBridge Scheduler's form. A cloud
// schedule without a zone runs in UTC.
func ParseSchedule(expr string) (Schedule, error) {
	e := strings.TrimSpace(expr)
	s := Schedule{TimeZone: "UTC"}
	for _, p := range []string{"CRON_TZ=", "TZ="} {
		if rest, ok := strings.CutPrefix(e, p); ok {
			zone, tail, _ := strings.Cut(rest, " ")
			if _, err := time.LoadLocation(zone); err != nil || zone == "" || zone == "Local" {
				return s, fmt.Errorf("%q is not a time zone; use an IANA name such as UTC, Europe/Berlin or Asia/Shanghai", zone)
			}
			s.TimeZone, e = zone, strings.TrimSpace(tail)
			break
		}
	}
	var err error
	switch {
	case e == "":
		return s, nil
	case strings.HasPrefix(e, "@every"):
		s.Expression, err = rate(strings.TrimSpace(strings.TrimPrefix(e, "@every")))
	case strings.HasPrefix(e, "@at"):
		s.Expression, s.TimeZone, err = at(strings.TrimSpace(strings.TrimPrefix(e, "@at")), s.TimeZone)
	case strings.HasPrefix(e, "@"):
		d, ok := descriptors[e]
		if !ok {
			return s, fmt.Errorf("schedule %q: use @every <duration>, @at <time>, a 5-field cron expression or one of @hourly, @daily, @weekly, @monthly, @yearly", e)
		}
		s.Expression, err = cron(d)
	default:
		s.Expression, err = cron(e)
	}
	return s, err
}

var descriptors = map[string]string{
	"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@weekly": "0 0 * * 0",
	"@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *",
}

// rate: whole minutes, in the largest unit that divides them.
func rate(every string) (string, error) {
	d, err := time.ParseDuration(every)
	if err != nil {
		return "", fmt.Errorf("schedule @every %q: not a duration; write e.g. 30m, 6h or 24h", every)
	}
	if d < time.Minute || d%time.Minute != 0 {
		return "", fmt.Errorf("schedule @every %s: a cloud schedule runs in whole minutes, at least 1m", every)
	}
	m := int64(d / time.Minute)
	n, unit := m, "minute"
	switch {
	case m%1440 == 0:
		n, unit = m/1440, "day"
	case m%60 == 0:
		n, unit = m/60, "hour"
	}
	if n != 1 {
		unit += "s"
	}
	return fmt.Sprintf("rate(%d %s)", n, unit), nil
}

// at: RFC 3339 times are converted to UTC; wall-clock times stay in the zone.
func at(when, zone string) (string, string, error) {
	if t, err := time.Parse(time.RFC3339, when); err == nil {
		return "at(" + t.UTC().Format("2006-01-02T15:04:05") + ")", "UTC", nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.Parse(layout, when); err == nil {
			return "at(" + t.Format("2006-01-02T15:04:05") + ")", zone, nil
		}
	}
	return "", "", fmt.Errorf("schedule @at %q: write 2026-05-01T02:00 (in the schedule's time zone) or 2026-05-01T02:00:00Z", when)
}

// cron converts a 5-field cron expression (minute hour day-of-month month day-of-week,
// Sunday = 0 or 7) into AWS's 6 fields (day-of-week 1-7 with Sunday = 1, "?" in one of
// the two day fields, a year field).
func cron(expr string) (string, error) {
	f := strings.Fields(expr)
	if len(f) != 5 {
		return "", fmt.Errorf("cron %q: give 5 fields (minute hour day-of-month month day-of-week)", expr)
	}
	min, hour, dom, mon, dow := f[0], f[1], f[2], f[3], f[4]
	min, hour = startSteps(min, "0"), startSteps(hour, "0")
	dom, mon = startSteps(dom, "1"), startSteps(mon, "1")
	anyDay := func(s string) bool { return s == "*" || s == "?" }
	switch {
	case anyDay(dow):
		if dom == "?" {
			dom = "*"
		}
		dow = "?"
	case anyDay(dom):
		dom = "?"
		d, err := awsWeekdays(dow)
		if err != nil {
			return "", fmt.Errorf("cron %q: %w", expr, err)
		}
		dow = d
	default:
		return "", fmt.Errorf("cron %q: a cloud schedule takes a day of the month or a day of the week, not both", expr)
	}
	return fmt.Sprintf("cron(%s %s %s %s %s *)", min, hour, dom, mon, dow), nil
}

// startSteps writes */n as start/n (AWS's documented form).
func startSteps(field, start string) string {
	parts := strings.Split(field, ",")
	for i, p := range parts {
		if rest, ok := strings.CutPrefix(p, "*/"); ok {
			parts[i] = start + "/" + rest
		}
	}
	return strings.Join(parts, ",")
}

var weekdayNames = map[string]int{"SUN": 0, "MON": 1, "TUE": 2, "WED": 3, "THU": 4, "FRI": 5, "SAT": 6}

// awsWeekdays expands a cron day-of-week field into AWS's numbers (Sunday = 1).
func awsWeekdays(field string) (string, error) {
	day := func(s string) (int, error) {
		if n, ok := weekdayNames[strings.ToUpper(s)]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 7 {
			return 0, fmt.Errorf("day of week %q: use 0-7 (Sunday is 0 or 7) or SUN-SAT", s)
		}
		return n % 7, nil
	}
	set := map[int]bool{}
	for _, part := range strings.Split(field, ",") {
		rng, stepText, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return "", fmt.Errorf("day of week %q: bad step", part)
			}
			step = n
		}
		lo, hi := 0, 6
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = day(a); err != nil {
				return "", err
			}
			hi = lo
			if isRange {
				if hi, err = day(b); err != nil {
					return "", err
				}
				if b == "7" {
					hi = 7 // "1-7": Monday to Sunday
				}
			} else if hasStep {
				hi = 6
			}
		}
		if hi < lo {
			return "", fmt.Errorf("day of week %q: the range runs backwards", part)
		}
		for d := lo; d <= hi; d += step {
			set[d%7] = true
		}
	}
	days := make([]int, 0, len(set))
	for d := range set {
		days = append(days, d+1)
	}
	sort.Ints(days)
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = strconv.Itoa(d)
	}
	return strings.Join(out, ","), nil
}
