package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestOutputIntoFIFO: a report written to a FIFO reaches the reader at the other end and the FIFO
// stays a FIFO (it is not replaced by a regular file).
func TestOutputIntoFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "report.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	// Opened read-write, the FIFO does not block and never reports EOF: read until the deadline.
	r, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make(chan []byte, 1)
	go func() {
		var buf []byte
		chunk := make([]byte, 64<<10)
		for {
			n, err := r.Read(chunk)
			buf = append(buf, chunk[:n]...)
			if err != nil {
				got <- buf
				return
			}
		}
	}()
	_ = r.SetReadDeadline(time.Now().Add(time.Minute))
	code, _, stderr := run(t, "", "scan", "--no-config", "--format", "json="+fifo, upstreamPlan)
	_ = r.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	b := <-got
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res map[string]any
	if err := json.Unmarshal(b, &res); err != nil {
		t.Errorf("the FIFO reader got %d bytes that are not the JSON report: %v", len(b), err)
	}
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", fi.Mode(), err)
	}
}

// TestFailedScanLeavesNoStaleReport: when the scan fails (here: an invalid plan, exit 3), a report
// left at the output path by an earlier run is removed rather than left looking current.
func TestFailedScanLeavesNoStaleReport(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "report.sarif")
	if err := os.WriteFile(out, []byte(`{"stale": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(bad, []byte(`{"not": "a plan"`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run(t, "", "scan", "--no-config", "--format", "sarif="+out, bad)
	if code != ExitInput {
		t.Fatalf("exit %d, want %d: %s", code, ExitInput, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s from an earlier run is still there after a failed scan", out)
	}
}

// TestOutputThroughASymlinkKeepsTheLink: a report path that is a symbolic link to a regular file
// replaces the file atomically and leaves the link in place.
func TestOutputThroughASymlinkKeepsTheLink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.json")
	if err := os.WriteFile(real, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "report.json")
	if err := os.Symlink(real, link); err != nil {
		t.Skipf("symlink: %v", err)
	}
	if code, _, stderr := run(t, "", "scan", "--no-config", "--format", "json="+link, upstreamPlan); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v %v", fi.Mode(), err)
	}
	b, err := os.ReadFile(real)
	if err != nil || !json.Valid(b) {
		t.Errorf("the link's target does not hold the report: %v %.100s", err, b)
	}
}
