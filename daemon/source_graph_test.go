package daemon

import (
	"errors"
	"slices"
	"testing"

	"github.com/onair-dev/onair/mapping"
)

func TestUserPlanCollect(t *testing.T) {
	const (
		idA = "00000000-0000-0000-0000-00000000000a"
		idB = "00000000-0000-0000-0000-00000000000b"
		idC = "00000000-0000-0000-0000-00000000000c"
		idZ = "00000000-0000-0000-0000-00000000000f"
	)
	plan := func(extra ...string) *userPlan {
		pl := newUserPlan(3)
		pl.add("a@x", idA)
		pl.add("b@x", idB)
		pl.add("c@x", idC)
		for i := 0; i < len(extra); i += 2 {
			pl.add(extra[i], extra[i+1])
		}
		return pl
	}
	// answer is what AppendUsers leaves: me, then presences by object ID.
	answer := func(ids ...string) []mapping.Presence {
		ps := []mapping.Presence{presenceOf("me", "Available")}
		for _, id := range ids {
			ps = append(ps, presenceOf(id, "InAMeeting"))
		}
		return ps
	}
	users := func(ps []mapping.Presence) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.User)
		}
		return out
	}
	fail := errors.New("batch 2 failed")
	tests := []struct {
		name       string
		pl         *userPlan
		answer     []mapping.Presence
		err        error
		want       []string
		wantFailed []string
	}{
		{"in order", plan(), answer(idA, idB, idC), nil, []string{"me", "a@x", "b@x", "c@x"}, nil},
		{"one left out", plan(), answer(idA, idC), nil, []string{"me", "a@x", "c@x"}, nil},
		{"another case, an id not asked for", plan(), answer(idZ, "00000000-0000-0000-0000-00000000000B"), nil, []string{"me", "b@x"}, nil},
		{"out of order", plan(), answer(idC, idA), nil, []string{"me", "c@x", "a@x"}, nil},
		{"a later batch failed", plan(), answer(idA), fail, []string{"me", "a@x"}, []string{"b@x", "c@x"}},
		{"two keys, one ID: the last added", plan("a2@x", idA), answer(idA, idB), nil, []string{"me", "a2@x", "b@x"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failed := map[string]error{}
			got := tt.pl.collect(tt.answer, 1, tt.err, failed)
			if !slices.Equal(users(got), tt.want) {
				t.Errorf("users %q, want %q", users(got), tt.want)
			}
			if &got[0] != &tt.answer[0] {
				t.Error("collect did not work in place")
			}
			for _, p := range got[1:] {
				if p.Activity != mapping.ActivityInAMeeting {
					t.Errorf("%s: presence %+v lost on the way", p.User, p)
				}
			}
			var keys []string
			for k, err := range failed {
				if err != tt.err {
					t.Errorf("failed[%s] = %v, want %v", k, err, tt.err)
				}
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, tt.wantFailed) {
				t.Errorf("failed %q, want %q", keys, tt.wantFailed)
			}
		})
	}
}
