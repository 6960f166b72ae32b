package tray

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/onair-dev/onair/daemon"
)

// childEnv, when set to a control socket, makes the test binary run the
// tray against that socket instead of the tests: fyne.io/systray keeps its
// state in package globals and can start only once per process, so the
// D-Bus test runs the tray in a child process (the re-exec pattern of
// os/exec's own tests).
const childEnv = "ONAIR_TRAY_TEST_CHILD_SOCKET"

func TestMain(m *testing.M) {
	if sock := os.Getenv(childEnv); sock != "" {
		os.Exit(runChild(sock))
	}
	os.Exit(m.Run())
}

func runChild(sock string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	err := Run(ctx, Options{Client: daemon.NewClient(sock), Logger: log})
	if err != nil {
		fmt.Fprintln(os.Stderr, "tray:", err)
		return 1
	}
	return 0
}
