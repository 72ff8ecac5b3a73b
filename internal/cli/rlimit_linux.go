package cli

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// setAddressSpaceLimit sets RLIMIT_AS to the address space the process has now (the Go runtime
// reserves about a gigabyte at start) plus limit bytes: past it an allocation fails and the
// runtime ends the process.
func setAddressSpaceLimit(limit int64) error {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return err
	}
	defer f.Close()
	var vm int64 = -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmSize:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return fmt.Errorf("read VmSize: %w", err)
			}
			vm = kb << 10
		}
	}
	if vm < 0 {
		return fmt.Errorf("no VmSize in /proc/self/status")
	}
	lim := uint64(vm + limit)
	return syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: lim, Max: lim})
}
