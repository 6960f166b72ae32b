package main

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts run the real onair: testscript puts a copy of
// this test binary named onair on $PATH, and running it calls main.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"onair": main,
	})
}

// TestScripts runs the CLI scripts in testdata/script (rule 37): anything
// that needs no hardware or network. UPDATE_GOLDEN=1 rewrites the files
// that cmp compares against.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") == "1",
		Setup:               scriptSetup,
		Condition:           scriptCondition,
	})
}

// scriptSetup gives every script its own home and XDG directories under
// $WORK, so that nothing reads or writes the real user's files: the
// per-user config, token cache, control socket and service unit all land
// there.
func scriptSetup(env *testscript.Env) error {
	home := filepath.Join(env.WorkDir, "home")
	dirs := map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"XDG_STATE_HOME":  filepath.Join(home, ".local", "state"),
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
		"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
		"XDG_RUNTIME_DIR": filepath.Join(env.WorkDir, "run"),
		"AppData":         filepath.Join(home, "AppData", "Roaming"),
		"LocalAppData":    filepath.Join(home, "AppData", "Local"),
	}
	for k, dir := range dirs {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		env.Setenv(k, dir)
	}
	env.Setenv("USER", "tester")
	env.Setenv("LOGNAME", "tester")
	return nil
}

// scriptCondition adds [root]: the test runs as root (never on Windows).
func scriptCondition(cond string) (bool, error) {
	switch cond {
	case "root":
		u, err := user.Current()
		return err == nil && u.Uid == "0", nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}
