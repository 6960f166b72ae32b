package backoff

import (
	"testing"
	"time"
)

func TestDelay(t *testing.T) {
	tests := []struct {
		n    int
		want time.Duration // before jitter
	}{
		{0, 10 * time.Second}, {1, 10 * time.Second}, {2, 20 * time.Second}, {3, 40 * time.Second},
		{6, 5 * time.Minute}, {100, 5 * time.Minute},
	}
	for _, tt := range tests {
		for range 100 {
			got := Delay(10*time.Second, 5*time.Minute, tt.n)
			if got < tt.want*9/10 || got > tt.want*11/10 {
				t.Fatalf("Delay(n=%d) = %v, want %v ±10 %%", tt.n, got, tt.want)
			}
		}
	}
}

func TestJitterSpreads(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 100 {
		seen[Jitter(time.Second)] = true
	}
	if len(seen) < 10 {
		t.Errorf("100 jittered delays took only %d values", len(seen))
	}
	if Jitter(0) != 0 {
		t.Error("Jitter(0) != 0")
	}
}
