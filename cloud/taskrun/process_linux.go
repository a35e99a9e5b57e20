//go:build linux

package taskrun

import (
	"bufio"
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"
)

// processState checks pid on Linux through /proc: a missing or zombie process is gone,
// and so is one that started after the owner took the lease (its pid was reused, e.g.
// by the same program restarted in a container).
func processState(pid int, since time.Time) holderState {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if errors.Is(err, fs.ErrNotExist) {
		return gone
	}
	if err != nil {
		return unknown
	}
	// The command name may hold spaces and parentheses: fields start after the last ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 {
		return unknown
	}
	if f[0] == "Z" || f[0] == "X" {
		return gone
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64) // field 22: start time in clock ticks after boot
	boot, ok := bootTime()
	if err != nil || !ok {
		return alive
	}
	// /proc counts in USER_HZ, 100 on every Linux architecture Go supports; the boot
	// time is whole seconds, hence the margin.
	started := boot.Add(time.Duration(ticks) * (time.Second / 100))
	if started.After(since.Add(2 * time.Second)) {
		return gone
	}
	return alive
}

func bootTime() (time.Time, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return time.Time{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return time.Unix(n, 0), err == nil
		}
	}
	return time.Time{}, false
}
