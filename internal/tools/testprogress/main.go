// Command testprogress runs `go test -json` with its arguments and prints progress people can
// follow: one line per package as soon as it finishes (not in import order, as plain `go test`
// does), with its time and slowest test; every 30 s the packages still running; the whole output
// of a failed test. It exits with go test's exit code. make test uses it.
//
//	go run ./internal/tools/testprogress -count=1 ./...
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

type pkgState struct {
	start   time.Time
	slowest string
	slowSec float64
	output  map[string][]string // test ("" for the package) -> its output lines
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := exec.Command("go", append([]string{"test", "-json"}, args...)...)
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(stderr, "testprogress:", err)
		return 2
	}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(stderr, "testprogress: start go test:", err)
		return 2
	}
	var mu sync.Mutex
	running := map[string]*pkgState{}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(30 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				mu.Lock()
				var names []string
				for p, st := range running {
					names = append(names, fmt.Sprintf("%s (%ds)", short(p), int(time.Since(st.start).Seconds())))
				}
				mu.Unlock()
				if len(names) > 0 {
					slices.Sort(names)
					fmt.Fprintf(stdout, "   ... still running: %s\n", strings.Join(names, ", "))
				}
			}
		}
	}()
	failed := summarise(out, stdout, &mu, running)
	close(done)
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		fmt.Fprintln(stderr, "testprogress:", err)
		return 2
	case failed:
		return 1
	}
	return 0
}

// summarise reads the event stream and prints a line per finished package; it reports whether
// any test or package failed.
func summarise(r io.Reader, w io.Writer, mu *sync.Mutex, running map[string]*pkgState) bool {
	failed := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			fmt.Fprintln(w, sc.Text()) // a build error printed as text
			continue
		}
		mu.Lock()
		st := running[e.Package]
		if st == nil && e.Package != "" {
			st = &pkgState{start: time.Now(), output: map[string][]string{}}
			running[e.Package] = st
		}
		mu.Unlock()
		if st == nil {
			continue
		}
		switch e.Action {
		case "output":
			st.output[e.Test] = append(st.output[e.Test], e.Output)
		case "pass", "fail", "skip":
			if e.Test != "" {
				if e.Action == "fail" {
					failed = true
					fmt.Fprint(w, strings.Join(st.output[e.Test], ""))
				}
				if !strings.Contains(e.Test, "/") && e.Elapsed > st.slowSec {
					st.slowest, st.slowSec = e.Test, e.Elapsed
				}
				delete(st.output, e.Test)
				continue
			}
			mu.Lock()
			delete(running, e.Package)
			mu.Unlock()
			line := fmt.Sprintf("%-4s %-40s %6.1fs", map[string]string{"pass": "ok", "fail": "FAIL", "skip": "-"}[e.Action], short(e.Package), e.Elapsed)
			if st.slowest != "" {
				line += fmt.Sprintf("   slowest: %s %.1fs", st.slowest, st.slowSec)
			}
			if e.Action == "skip" {
				line = fmt.Sprintf("-    %-40s no tests", short(e.Package))
			}
			if e.Action == "fail" {
				failed = true
				// Build failures, TestMain, and a panic or timeout inside a test that never ended.
				for _, name := range slices.Sorted(maps.Keys(st.output)) {
					fmt.Fprint(w, strings.Join(st.output[name], ""))
				}
			}
			fmt.Fprintln(w, line)
		}
	}
	return failed
}

// short drops the module path.
func short(pkg string) string {
	if s, ok := strings.CutPrefix(pkg, "github.com/karpgate/karpgate/"); ok {
		return s
	}
	if pkg == "github.com/karpgate/karpgate" {
		return "."
	}
	return pkg
}
