package output

import "testing"

func TestMailboxKeepsLatest(t *testing.T) {
	mb := NewMailbox()
	for i := 1; i <= 5; i++ {
		mb.Put(&Snapshot{Seq: uint64(i), Resend: i == 2})
	}
	got := <-mb.C()
	if got.Seq != 5 || !got.Resend {
		t.Fatalf("mailbox gave seq %d resend %v, want 5 with the pending resend kept", got.Seq, got.Resend)
	}
	select {
	case s := <-mb.C():
		t.Fatalf("mailbox held a second value %d", s.Seq)
	default:
	}
}
