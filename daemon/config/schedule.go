package config

import (
	"fmt"
	"strings"
	"time"
)

// schedule is the working-hours window. Outside it the daemon is in the
// off-hours state.
type Schedule struct {
	days     [7]bool // indexed by time.Weekday
	from, to int     // minutes since midnight
	loc      *time.Location
}

var dayNames = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

func parseDay(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) < 3 {
		return 0, false
	}
	d, ok := dayNames[s[:3]]
	if !ok {
		return 0, false
	}
	// Accept "mon", "monday", "mond" but not "monkey".
	full := strings.ToLower(d.String())
	if !strings.HasPrefix(full, s) {
		return 0, false
	}
	return d, true
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("invalid time %q: want HH:MM, 24-hour (08:30, 17:45)", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// compileSchedule returns nil when the config sets no schedule.
func compileSchedule(p *problems, c ScheduleConfig) *Schedule {
	if c.From == "" && c.To == "" && len(c.Days) == 0 && c.TimeZone == "" {
		return nil
	}
	s := &Schedule{loc: time.Local}
	var err error
	if c.From == "" || c.To == "" {
		p.add("schedule", "set both from and to (e.g. from: \"08:00\", to: \"18:00\"), or remove the schedule")
	} else {
		if s.from, err = parseClock(c.From); err != nil {
			p.add("schedule.from", "%v", err)
		}
		if s.to, err = parseClock(c.To); err != nil {
			p.add("schedule.to", "%v", err)
		}
		if err == nil && s.from == s.to {
			p.add("schedule.to", "from and to are both %s: the window would be empty", c.From)
		}
	}
	days := c.Days
	if len(days) == 0 {
		days = []string{"mon-fri"}
	}
	for _, d := range days {
		for _, part := range strings.Split(d, ",") {
			lo, hi, isRange := strings.Cut(part, "-")
			a, ok1 := parseDay(lo)
			b, ok2 := a, true
			if isRange {
				b, ok2 = parseDay(hi)
			}
			if !ok1 || !ok2 {
				p.add("schedule.days", "invalid day %q: use mon, tue, … sun, or a range such as mon-fri", strings.TrimSpace(part))
				continue
			}
			for w := a; ; w = (w + 1) % 7 {
				s.days[w] = true
				if w == b {
					break
				}
			}
		}
	}
	if c.TimeZone != "" {
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			p.add("schedule.time_zone", "unknown time zone %q: use an IANA name such as Europe/Berlin or America/New_York", c.TimeZone)
		} else {
			s.loc = loc
		}
	}
	return s
}

// working reports whether t is inside working hours. A window whose end is
// before its start runs past midnight and belongs to the day it starts on.
func (s *Schedule) Working(t time.Time) bool {
	if s == nil {
		return true
	}
	t = t.In(s.loc)
	m := t.Hour()*60 + t.Minute()
	if s.from < s.to {
		return s.days[t.Weekday()] && m >= s.from && m < s.to
	}
	if m >= s.from {
		return s.days[t.Weekday()]
	}
	if m < s.to {
		return s.days[(t.Weekday()+6)%7]
	}
	return false
}

// String describes the schedule for status output: "mon-fri 08:00-18:00
// Europe/Berlin".
func (s *Schedule) String() string {
	if s == nil {
		return "always"
	}
	var days []string
	for i := 1; i <= 7; i++ {
		w := time.Weekday(i % 7)
		if s.days[w] {
			days = append(days, strings.ToLower(w.String()[:3]))
		}
	}
	return fmt.Sprintf("%s %02d:%02d-%02d:%02d %s", strings.Join(days, ","), s.from/60, s.from%60, s.to/60, s.to%60, s.loc)
}
